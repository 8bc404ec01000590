"""Whole-number settings read from the environment (huiqi.config.env_int), which the
portal's limits and the sign-in throttle share."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.accounts.throttle import ThrottlePolicy
from huiqi.config import env_int
from huiqi.errors import ConfigError
from huiqi.web.settings import WebSettings


@given(st.text(max_size=12))
def test_a_setting_is_taken_only_as_ascii_digits_at_or_above_its_minimum(raw: str) -> None:
    text = raw.strip()
    try:
        value = env_int(
            {"HUIQI_WEB_LOGIN_PER_ADDRESS": raw}, "HUIQI_WEB_LOGIN_PER_ADDRESS", 7, minimum=1
        )
    except ConfigError as refused:
        assert "HUIQI_WEB_LOGIN_PER_ADDRESS" in str(refused)
        assert text and (not (text.isascii() and text.isdigit()) or int(text) < 1)
        return
    assert value == (int(text) if text else 7)


@pytest.mark.parametrize("raw", ["+5", "-1", "5.0", "５", "1e3", "0x10", "5 5"])
def test_signs_decimals_and_full_width_digits_are_refused_by_name(raw: str) -> None:
    with pytest.raises(ConfigError, match="HUIQI_WEB_LOGIN_PER_USER="):
        ThrottlePolicy.from_env({"HUIQI_WEB_LOGIN_PER_USER": raw})
    with pytest.raises(ConfigError, match="HUIQI_WEB_MAX_UPLOAD_MB="):
        WebSettings.from_env({"HUIQI_WEB_MAX_UPLOAD_MB": raw})


def test_the_portal_and_the_throttle_read_the_same_way() -> None:
    env = {"HUIQI_WEB_LOGIN_PER_USER": " 9 ", "HUIQI_WEB_MAX_UPLOAD_MB": "3"}
    assert ThrottlePolicy.from_env(env).per_user == 9
    assert WebSettings.from_env(env).max_upload_bytes == 3 << 20
    with pytest.raises(ConfigError, match="must be at least 1; got 0"):
        ThrottlePolicy.from_env({"HUIQI_WEB_LOGIN_WINDOW_MINUTES": "0"})

"""A value typed in Chinese quotes (“310115”), as a Chinese input method types them where
YAML wants " or '. YAML reads them as part of the text, so ``region: “310115”`` was refused
as "region '“310115”' must be a 6-digit Shanghai division code", which the code it shows
is, and nothing said that the quotes were the trouble."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.errors import PolicyError
from huiqi.policies.loader import library_dir, load_policy_text
from huiqi.policies.yamlmarks import chinese_quotes
from huiqi.web.i18n import translations
from huiqi.web.refusals import localise

SHIPPED = library_dir() / "yp-tech-sme-award-2026.yaml"
TEXT = SHIPPED.read_text(encoding="utf-8")
HINT = "the value is in Chinese quotes “…”, which YAML reads as part of the text: remove them"


@pytest.mark.parametrize(
    ("old", "new", "field", "plain"),
    [
        ('region: "310110"', "region: “310110”", "region", "310110"),
        ("delivery: auto", "delivery: “auto”", "delivery", "auto"),
        ("data_year: 2025", "data_year: “2025”", "data_year", "2025"),
    ],
)
def test_a_value_in_chinese_quotes_is_refused_saying_so(
    old: str, new: str, field: str, plain: str
) -> None:
    assert old in TEXT
    with pytest.raises(PolicyError) as refused:
        load_policy_text(TEXT.replace(old, new, 1), SHIPPED.name)
    error = refused.value
    assert error.location is not None and error.location.field == field
    assert error.message.endswith(
        f'{HINT}, or type ASCII quotes ("{plain}") where the value must be quoted'
    ), error.message


def test_the_hint_reads_in_chinese() -> None:
    english = (
        "region '“310110”' must be a 6-digit Shanghai division code (310000 city); the value"
        " is in Chinese quotes “…”, which YAML reads as part of the text: remove them, or"
        ' type ASCII quotes ("310110") where the value must be quoted'
    )
    chinese = localise(translations("zh-CN"), english)
    assert chinese.endswith(
        "；该值用了中文引号 “…”，YAML 会把引号当作文字的一部分：请删去引号，"
        '需要加引号时请改用半角引号（"310110"）'
    ), chinese
    assert "Chinese quotes" not in chinese


@given(
    inner=st.text(min_size=0, max_size=10).filter(lambda t: '"' not in t),
    pair=st.sampled_from([("“", "”"), ("‘", "’"), ("「", "」")]),
)
def test_only_a_value_wrapped_in_chinese_quotes_gets_the_hint(
    inner: str, pair: tuple[str, str]
) -> None:
    hint = chinese_quotes(pair[0] + inner + pair[1])
    assert hint is not None and f'("{inner}")' in hint
    assert chinese_quotes(inner) is None or inner[0] in "“‘「＂"


def test_a_full_width_comma_between_test_case_ids_reads_in_chinese() -> None:
    english = (
        "test case 'x' names unknown criterion 'a，b'; '，' is a full-width comma: separate the"
        " ids with ', '"
    )
    assert localise(translations("zh-CN"), english) == (
        "测试用例“x”写了不存在的条件“a，b”：“，”是全角逗号；条件 id 之间请用半角逗号加空格“, ”分隔"
    )
    misspelt = "test case 'x' names unknown criterion 'a_'; did you mean 'a'?"
    assert localise(translations("zh-CN"), misspelt) == (
        "测试用例“x”写了不存在的条件“a_”；是否指“a”？"
    )

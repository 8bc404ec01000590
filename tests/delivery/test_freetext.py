"""Free text written into the ledger: blank when nothing shows, no control characters."""

from __future__ import annotations

import pytest

from huiqi.delivery.freetext import clean_text
from huiqi.errors import HuiqiError


class _Err(HuiqiError):
    pass


@pytest.mark.parametrize("value", ["\u200b", " \u200b\u3000 ", "\ufeff", "\u2060\n\u200d"])
def test_invisible_only_text_is_blank(value: str) -> None:
    assert clean_text(value, "the reason", _Err) is None
    with pytest.raises(_Err, match="the reason is required"):
        clean_text(value, "the reason", _Err, required=True)


@pytest.mark.parametrize("value", ["a\x7fb", "a\x85b", "a\x9bb"])
def test_delete_and_c1_controls_are_refused(value: str) -> None:
    with pytest.raises(_Err, match="control characters"):
        clean_text(value, "the reason", _Err)


def test_visible_text_with_joiners_is_kept() -> None:
    # a zero-width joiner inside an emoji sequence is text, not blankness
    assert clean_text(" 👩\u200d💻 好 ", "the reason", _Err) == "👩\u200d💻 好"
    assert clean_text("第一行\n\t第二行", "the reason", _Err) == "第一行\n\t第二行"


def test_a_browsers_line_breaks_are_one_newline_each() -> None:
    """Regression: a textarea's text is sent with CR LF line breaks (HTML's form
    submission), and the CR was refused as a control character: no reason, comment or
    request of two lines typed in the portal was accepted."""
    assert (
        clean_text("第一行\r\n第二行\r第三行\r\n", "the reason", _Err) == "第一行\n第二行\n第三行"
    )
    # the length is counted as the textarea's maxlength counts it: a line break is one
    assert clean_text("a\r\n" * 4 + "a", "the reason", _Err, max_length=9) == "a\na\na\na\na"

"""The USCC check character and validation messages (standards.md §1.2-1.3)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.profiles.uscc import USCCError, check_character, is_valid, make, validate


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # (a) the standard's worked example, corrected
        "91110000600037341L",  # (b) a Beijing code
        "91310115MA1H8R7C41",  # (c) synthetic Pudong code
        "91310104MA1K002340",  # (d) S mod 31 = 0: the check wraps around to '0'
    ],
)
def test_worked_examples_are_valid(code: str) -> None:
    assert validate(code) == code
    assert check_character(code[:17]) == code[17]
    assert make(code[:17]) == code


def test_wrap_around_gives_zero_not_an_index_error() -> None:
    """31 - (S mod 31) is 31 when S mod 31 = 0; implementations that index with it crash."""
    assert check_character("91310104MA1K00234") == "0"


@pytest.mark.parametrize(
    ("code", "given", "expected"),
    [("91310115MA1H8R7C6D", "D", "7"), ("91310115MA1G4L1WXK", "K", "7")],
)
def test_blog_counter_examples_fail_with_the_expected_check(
    code: str, given: str, expected: str
) -> None:
    with pytest.raises(USCCError) as info:
        validate(code)
    assert str(info.value) == (
        f"'{code}': check character is '{given}' but should be '{expected}'; "
        "the code was probably mistyped"
    )
    assert not is_valid(code)


@pytest.mark.parametrize("code", ["9131011", "91310115MA1H8R7C411"])
def test_wrong_length_is_reported(code: str) -> None:
    with pytest.raises(USCCError, match=rf"has {len(code)} characters; a USCC has exactly 18"):
        validate(code)


@pytest.mark.parametrize("code", ["9.13100001234568E+17", "9.13100001234568e+17", "9E+17"])
def test_a_code_stored_as_a_number_says_so(code: str) -> None:
    """Excel keeps 15 digits of a number: "has 20 characters" would send the user hunting
    for a typo in a code whose digits are already gone."""
    with pytest.raises(USCCError) as info:
        validate(code)
    assert str(info.value).startswith(f"'{code}' is a number in scientific notation")
    assert "format the column as text" in str(info.value)


@pytest.mark.parametrize("bad", ["I", "O", "S", "V", "Z"])
def test_excluded_letters_are_named_with_their_position(bad: str) -> None:
    code = "91310115MA1H8R7C4" + bad
    with pytest.raises(USCCError) as info:
        validate(code)
    assert str(info.value) == (
        f"'{code}': character 18 '{bad}' is not allowed in a USCC (I, O, S, V and Z are never used)"
    )


def test_other_bad_characters_have_no_letter_hint() -> None:
    with pytest.raises(USCCError) as info:
        validate("91310115MA1H8R7C4-")
    assert str(info.value) == "'91310115MA1H8R7C4-': character 18 '-' is not allowed in a USCC"


def test_region_must_be_digits() -> None:
    code = make("9131A115MA1H8R7C4")
    with pytest.raises(USCCError, match="characters 3-8 must be a 6-digit region code"):
        validate(code)


def test_unknown_prefix_is_refused_unless_prefixes_are_open() -> None:
    code = make("77310115MA1H8R7C4")
    with pytest.raises(USCCError, match="prefix '77' is not a known registering department"):
        validate(code)
    assert validate(code, prefixes=None) == code


def test_lowercase_and_spaces_are_normalised() -> None:
    assert validate(" 91310115ma1h8r7c41 ") == "91310115MA1H8R7C41"


def test_a_code_typed_in_full_width_says_to_write_it_in_half_width() -> None:
    """Regression: a USCC typed with a Chinese input method ('９１３１…') was refused as
    "character 1 '９' is not allowed in a USCC", which did not say what was wrong with a 9."""
    wide = "９１３１０１１５ＭＡ１Ｈ８Ｒ７Ｃ４１"
    with pytest.raises(USCCError) as refused:
        validate(wide)
    assert refused.value.message == (
        f"'{wide}': character 1 '９' is not allowed in a USCC ('９' is a full-width character:"
        " write the code in half-width letters and digits, '9')"
    )


@pytest.mark.parametrize("hidden", ["\u200b", "\ufeff", "\x07"])
def test_an_invisible_character_in_a_code_is_named_by_its_position(hidden: str) -> None:
    """Regression: '91310115MA1H8R7C41' with a zero-width space pasted after it was refused
    as "has 19 characters; a USCC has exactly 18" while 18 characters showed."""
    with pytest.raises(USCCError) as refused:
        validate("91310115MA1H8R7C41" + hidden)
    assert refused.value.message.endswith(
        f"character 19 is invisible (U+{ord(hidden):04X}); delete it and keep the 18 letters"
        " and digits of the code"
    )


@given(st.text(max_size=20))
def test_any_text_is_a_valid_code_or_refused_with_a_reason(text: str) -> None:
    try:
        code = validate(text)
    except USCCError as exc:
        assert exc.message
    else:
        assert len(code) == 18 and check_character(code[:17]) == code[17]

"""GB/T 4754-2017 class codes: sections, validation and names."""

import pytest
import yaml

from huiqi.profiles.dictionary import load_codelist
from huiqi.profiles.industry import (
    IndustryCodeError,
    class_name,
    division_sections,
    divisions_of,
    is_valid_class,
    known_classes,
    normalise_class,
    section_of,
)


@pytest.mark.parametrize(
    ("code", "section"),
    [("0111", "A"), ("0610", "B"), ("1411", "C"), ("4390", "C"), ("4420", "D"), ("4710", "E"),
     ("5199", "F"), ("5292", "F"), ("5431", "G"), ("6020", "G"), ("6210", "H"), ("6311", "I"),
     ("6513", "I"), ("6621", "J"), ("7010", "K"), ("7212", "L"), ("7340", "M"), ("7820", "N"),
     ("8040", "O"), ("8310", "P"), ("8411", "Q"), ("8610", "R"), ("9610", "S"), ("9700", "T")],
)  # fmt: skip
def test_section_follows_from_the_division(code: str, section: str) -> None:
    assert section_of(code) == section
    assert section_of(section + code) == section


def test_every_division_from_01_to_97_has_exactly_one_section() -> None:
    table = division_sections()
    assert sorted(table) == list(range(1, 98))
    assert len(set(table.values())) == 20
    assert divisions_of("C") == list(range(13, 44))


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("651", "expected 4 digits such as 6513"),
        ("65133", "expected 4 digits such as 6513"),
        ("IX513", "expected 4 digits such as 6513"),
        ("9901", "division 99 belongs to no GB/T 4754-2017 section"),
        ("0012", "division 00 belongs to no GB/T 4754-2017 section"),
        ("C6513", "section prefix C does not match division 65, which belongs to section I"),
    ],
)
def test_bad_codes_say_what_is_wrong(code: str, message: str) -> None:
    with pytest.raises(IndustryCodeError, match=message):
        normalise_class(code)
    assert not is_valid_class(code)


def test_normalise_strips_prefix_and_spaces() -> None:
    assert normalise_class(" i6513 ") == "6513"
    assert is_valid_class("6513")
    assert not is_valid_class(None)


def test_unknown_section_letter_is_refused() -> None:
    with pytest.raises(IndustryCodeError, match="'U' is not a GB/T 4754-2017 section"):
        divisions_of("U")


@pytest.mark.parametrize(
    ("code", "zh"),
    [("6511", "基础软件开发"), ("6513", "应用软件开发"), ("6520", "集成电路设计"),
     ("6599", "其他未列明信息技术服务业"), ("3973", "集成电路制造"), ("7212", "投资与资产管理"),
     ("5292", "互联网零售"), ("7340", "医学研究和试验发展")],
)  # fmt: skip
def test_names_are_looked_up(code: str, zh: str) -> None:
    assert class_name(code) == zh
    assert class_name(section_of(code) + code, "en")


def test_a_valid_class_missing_from_the_list_has_no_name() -> None:
    assert is_valid_class("1312")
    assert class_name("1312") is None


def test_class_list_covers_every_section_and_the_it_division() -> None:
    codes = load_codelist("industry_classes").codes
    assert len(codes) >= 150
    assert {section_of(c) for c in codes} == set(load_codelist("industry_sections").codes)
    it = {"6511", "6512", "6513", "6519", "6520", "6531", "6532", "6540", "6550", "6560",
          "6571", "6572", "6579", "6591", "6599"}  # fmt: skip
    assert it <= set(codes)
    assert all(set(v) == {"zh", "en"} for v in codes.values())
    assert known_classes("I")[0] == "6311"


def test_class_file_has_no_duplicate_keys() -> None:
    """YAML silently keeps the last duplicate key; count the raw lines instead."""
    from importlib import resources

    text = resources.files("huiqi.reference").joinpath("industry_classes.yaml").read_text("utf-8")
    keys = [line.split(":")[0].strip() for line in text.splitlines() if line.startswith('  "')]
    assert len(keys) == len(set(keys)) == len(yaml.safe_load(text)["codes"])


def test_class_codes_follow_the_2017_edition_not_2011() -> None:
    """Regression: seven 2011-edition codes in divisions 18 and 36 had slipped in."""
    codes = load_codelist("industry_classes").codes
    # 2017 split 1810 / 1820 into sportswear and other garments.
    assert not {"1810", "1820"} & set(codes)
    assert codes["1811"]["zh"] == "运动机织服装制造"
    assert codes["1829"]["zh"] == "其他针织或钩针编织服装制造"
    # 2017 inserted engine manufacturing at 3620 and moved the rest of group 36x down one.
    assert codes["3620"]["zh"] == "汽车用发动机制造"
    assert codes["3660"]["zh"] == "汽车车身、挂车制造"
    assert codes["3670"]["zh"] == "汽车零部件及配件制造"

"""An office's own dictionary file: what it may add, and errors with line and column."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.errors import DictionaryError
from huiqi.profiles.dictionary import extend, load_dictionary, use_data_dir
from huiqi.profiles.dictionary_parse import RESERVED

STANDARD = load_dictionary()


def _extend(text: str):  # type: ignore[no-untyped-def]
    return extend(STANDARD, text, "dictionary.yaml")


def test_an_office_field_joins_the_standard_ones(tmp_path: Path) -> None:
    (tmp_path / "dictionary.yaml").write_text(
        "fields:\n  - {name: green_area, type: decimal, unit: m2, range: [0, 100000],"
        " label: {zh: 绿化面积, en: Green area}, source: park}\n",
        encoding="utf-8",
    )
    d = load_dictionary(tmp_path)
    assert d.field("green_area").office and d.field("green_area").unit == "m2"
    assert len(d.fields) == len(STANDARD.fields) + 1
    assert load_dictionary().get("green_area") is None  # no data directory active
    use_data_dir(tmp_path)
    assert load_dictionary().get("green_area") is not None


def test_an_office_money_field_is_in_yuan_without_saying_so() -> None:
    """Regression: an office's money field without 'unit' was explained without 元."""
    d = _extend(
        "fields:\n  - {name: canteen_subsidy_paid, type: money, range: [0, 100000000],"
        " label: {zh: 已付租金, en: Rent paid}, source: park}\n"
    )
    assert d.field("canteen_subsidy_paid").unit == "yuan"
    assert {f.unit for f in STANDARD.fields if f.type == "money"} == {"yuan"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "fields:\n  - {name: x1, type: integer, label: {zh: 甲, en: A}, source: park}\n",
            "dictionary.yaml, line 2, column 5, field 'fields[0]': an integer field needs a"
            " plausible range: range: [minimum, maximum]; a value outside it is refused at import",
        ),
        (
            "fields:\n  - name: x1\n    type: enum\n    codes: colours\n"
            "    label: {zh: 甲, en: A}\n    source: park\n",
            "dictionary.yaml, line 4, column 12, field 'fields[0].codes': unknown code list"
            " 'colours'; use one of contract_types, districts,",
        ),
        # Regression: a misspelt code list was told that the field needs 'codes:'.
        (
            "code_lists:\n  green_levels:\n    national: {zh: 国家级, en: National}\nfields:\n"
            "  - {name: x1, type: enum, codes: green_levelz, label: {zh: 甲, en: A},"
            " source: park}\n",
            "field 'fields[0].codes': unknown code list 'green_levelz' (did you mean"
            " 'green_levels'?); use one of",
        ),
        (
            "fields:\n  - {name: x1, type: enum, label: {zh: 甲, en: A}, source: park}\n",
            "dictionary.yaml, line 2, column 5, field 'fields[0]': an enum field needs 'codes:'"
            " naming a code list",
        ),
        (
            "fields:\n  - {name: Revenue2, type: money, range: [0, 1], label: {zh: 甲, en: A},"
            " source: park}\n",
            "field 'fields[0].name': field name 'Revenue2' must be snake_case",
        ),
        (
            "fields:\n  - {name: a__b, type: boolean, label: {zh: 甲, en: A}, source: park}\n",
            "field name 'a__b' must be snake_case",
        ),
        (
            "fields:\n  - {name: ok, type: boolean, label: {zh: 甲}, source: park}\n",
            "field 'fields[0].label': a label needs exactly 'zh' and 'en'",
        ),
        (
            "fields:\n  - {name: ok, type: boolean, label: {zh: 甲, en: A}, source: bank}\n",
            "unknown source registry 'bank'",
        ),
        (
            "fields:\n  - {name: ok, type: money, range: [5, 1], label: {zh: 甲, en: A},"
            " source: park}\n",
            "range is [minimum, maximum], two numbers with minimum <= maximum",
        ),
        # Regression: a bound YAML reads as text was told only the shape, which it had.
        (
            "fields:\n  - {name: ok, type: decimal, range: [0, 1e12], label: {zh: 甲, en: A},"
            " source: park}\n",
            "minimum <= maximum; '1e12' is not a number as written: write it in digits, without"
            " an exponent or separators, e.g. 1000000",
        ),
        (
            "fields:\n  - {name: ok, type: boolean, derived: true, label: {zh: 甲, en: A},"
            " source: park}\n",
            "'derived' is not a field key",
        ),
        (
            "fields:\n  - {name: year, type: boolean, label: {zh: 甲, en: A}, source: park}\n",
            "'year' is reserved",
        ),
        ("fields: [\n", "dictionary.yaml, line 2, column 1: not valid YAML"),
        ("colours: []\n", "'colours' is not a dictionary section"),
        (
            "registries:\n  tax: {zh: 税, en: Tax}\nfields: []\n",
            "registry 'tax' is a standard registry",
        ),
    ],
)
def test_a_bad_entry_is_refused_with_its_position(text: str, message: str) -> None:
    with pytest.raises(DictionaryError) as caught:
        _extend(text)
    assert message in str(caught.value)


KEYS = ["name", "type", "label", "source", "yearly", "unit", "codes", "range", "personal", "x"]
VALUES = st.one_of(
    st.sampled_from(["money", "integer", "enum", "tax", "park", "size_classes", "a_b", "m2"]),
    st.booleans(),
    st.none(),
    st.integers(-5, 10**14),
    st.lists(st.integers(-5, 10**6), max_size=3),
    st.fixed_dictionaries({"zh": st.text(max_size=3), "en": st.text(max_size=3)}),
    st.text(max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8), max_size=4))
def test_any_file_loads_or_is_refused_with_a_position(entries: list[dict[str, object]]) -> None:
    text = yaml.safe_dump({"fields": entries}, allow_unicode=True)
    try:
        d = _extend(text)
    except DictionaryError as exc:
        assert exc.location is not None and exc.location.line is not None, str(exc)
        assert exc.location.file == "dictionary.yaml"
        return
    # What loads is usable: every numeric field has its range, every enum its code list.
    for f in d.office_fields:
        if f.type in ("integer", "money", "decimal"):
            assert f.min is not None and f.max is not None and f.min <= f.max
        if f.type == "enum":
            assert f.codes is not None and d.codelist(f.codes).codes


@settings(max_examples=100, deadline=None)
@given(
    name=st.from_regex(r"[a-z][a-z0-9]{0,6}(_[a-z0-9]{1,4}){0,2}", fullmatch=True),
    ftype=st.sampled_from(["integer", "money", "decimal", "boolean", "date", "string"]),
    yearly=st.booleans(),
    bounds=st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)).map(sorted),
)
def test_a_well_formed_field_always_loads(
    name: str, ftype: str, yearly: bool, bounds: list[int]
) -> None:
    entry: dict[str, object] = {
        "name": name,
        "type": ftype,
        "yearly": yearly,
        "label": {"zh": "字段", "en": "A field"},
        "source": "park",
    }
    if ftype in ("integer", "money", "decimal"):
        entry["range"] = bounds
    text = yaml.safe_dump({"fields": [entry]}, allow_unicode=True)
    if name in STANDARD.names or name in RESERVED:
        with pytest.raises(DictionaryError):
            _extend(text)
        return
    f = _extend(text).field(name)
    assert (f.type, f.yearly, f.office) == (ftype, yearly, True)


def test_every_problem_of_every_field_is_listed_with_its_position() -> None:
    """Regression: a field with an unknown source and no range showed only the source, and
    the range surfaced on the next run."""
    with pytest.raises(DictionaryError) as refused:
        _extend(
            "fields:\n"
            "  - name: export_total\n    type: money\n    label: {zh: 出口额, en: Exports}\n"
            "    source: customs\n"
            "  - name: Bad_Name\n    type: colour\n    label: {zh: 乙, en: B}\n    source: park\n"
        )
    listed = [str(e) for e in refused.value.all]
    assert listed[0].startswith(
        "dictionary.yaml, line 5, column 13, field 'fields[0].source': unknown source registry"
        " 'customs'"
    )
    assert listed[1].startswith(
        "dictionary.yaml, line 2, column 5, field 'fields[0]': a money field needs a plausible"
        " range"
    )
    assert listed[2].startswith("dictionary.yaml, line 6, column 11, field 'fields[1].name'")
    assert listed[3].startswith("dictionary.yaml, line 7, column 11, field 'fields[1].type'")
    assert len(listed) == 4


def test_an_integer_field_without_a_range_is_named_with_its_article() -> None:
    """Regression (QA): the refusal read "a integer field needs a plausible range"."""
    with pytest.raises(DictionaryError) as refused:
        _extend(
            "fields:\n"
            "  - name: green_staff\n    type: integer\n    label: {zh: 甲, en: A}\n"
            "    source: park\n"
        )
    (problem,) = [str(e) for e in refused.value.all]
    assert "an integer field needs a plausible range" in problem, problem


# What the store's columns hold (profiles/storeschema.duck_type): BIGINT, DECIMAL(18,2),
# DECIMAL(18,6).
_STORABLE = {"integer": 2**63, "money": 10**16, "decimal": 10**12}


@settings(max_examples=150, deadline=None)
@given(
    ftype=st.sampled_from(sorted(_STORABLE)),
    low=st.integers(-(10**21), 10**21),
    high=st.integers(-(10**21), 10**21),
)
def test_a_range_that_loads_holds_only_values_the_store_can_keep(
    ftype: str, low: int, high: int
) -> None:
    """Regression (QA): an office's decimal field with range [0, 10^15] loaded, and its
    values from 10^12 up were then refused at import as "too large for a number", though
    inside the declared range; a range must fit the column that stores the field."""
    text = yaml.safe_dump(
        {
            "fields": [
                {
                    "name": "office_figure",
                    "type": ftype,
                    "range": [low, high],
                    "label": {"zh": "字段", "en": "A field"},
                    "source": "park",
                }
            ]
        }
    )
    try:
        f = _extend(text).field("office_figure")
    except DictionaryError as exc:
        assert exc.location is not None and exc.location.field == "fields[0].range", str(exc)
        assert low > high or max(abs(low), abs(high)) >= _STORABLE[ftype], str(exc)
        return
    assert f.min is not None and f.max is not None
    assert max(abs(f.min), abs(f.max)) < _STORABLE[ftype]


def test_a_range_past_the_stored_column_says_so_at_its_position() -> None:
    with pytest.raises(DictionaryError) as caught:
        _extend(
            "fields:\n  - {name: big_figure, type: decimal, range: [0, 1000000000000000],"
            " label: {zh: 甲, en: A}, source: park}\n"
        )
    assert str(caught.value).startswith(
        "dictionary.yaml, line 2, column 46, field 'fields[0].range': range [0,"
        " 1000000000000000] goes past what a decimal field can store (less than"
        " 1000000000000 either side of 0): a value inside it would be refused at import as"
        " too large; narrow the range"
    ), str(caught.value)

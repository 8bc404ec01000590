"""The parts of a mapping file's check that read its values: the ``values:`` section
(how a registry writes a coded field's values), the ``units:`` section, and the helpers
every section uses to refuse with the file, line and column (``huiqi.profiles.mapping``)."""

from __future__ import annotations

from typing import Any

from huiqi.errors import MappingError
from huiqi.policies.yamlmarks import Marks, locate
from huiqi.profiles.dictionary import Dictionary


def fail(message: str, marks: Marks, path: tuple[str | int, ...], source: str) -> MappingError:
    return MappingError(message, location=locate(marks, path, source))


def text_map(raw: Any, key: str, marks: Marks, source: str) -> dict[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fail(f"'{key}' must be a mapping of header: field", marks, (key,), source)
    return {str(k): v for k, v in value.items()}


def coded_values(
    raw: Any, marks: Marks, source: str, dictionary: Dictionary
) -> dict[str, dict[str, str]]:
    """The ``values:`` section: each field coded, each target one of its codes."""
    from huiqi.profiles.dictionary import load_codelist

    found: dict[str, dict[str, str]] = {}
    for field, texts in text_map(raw, "values", marks, source).items():
        f = dictionary.get(field)
        if f is None or f.type != "enum" or f.codes is None:
            raise fail(
                f"values: '{field}' is not a coded field of the dictionary",
                marks,
                ("values", field),
                source,
            )
        if not isinstance(texts, dict) or not texts:
            raise fail(
                f"values: '{field}' must map each text the file writes to a code",
                marks,
                ("values", field),
                source,
            )
        codes = load_codelist(f.codes).codes
        meanings = {
            str(t): c
            for c, e in codes.items()
            for t in (c, e.get("zh"), e.get("gb_code"), *(e.get("also") or ()))
            if t is not None
        }
        for text, code in texts.items():
            taken = meanings.get(str(text))
            if taken is not None and taken != str(code):
                raise fail(
                    f"values: '{text}' of '{field}' already means '{taken}' in the code list; "
                    "a file's text cannot mean two codes",
                    marks,
                    ("values", field, str(text)),
                    source,
                )
            if str(code) not in codes:
                raise fail(
                    f"values: '{text}' of '{field}' maps to '{code}', which is not one of "
                    f"{sorted(codes)}",
                    marks,
                    ("values", field, str(text)),
                    source,
                )
        found[field] = {str(t): str(c) for t, c in texts.items()}
    return found


# A unit as a steward writes it in units:, by its Chinese name, and the name to write.
UNIT_NAMES = {
    "元": "yuan",
    "万元": "wan_yuan",
    "万": "wan_yuan",
    "亿元": "yi_yuan",
    "亿": "yi_yuan",
}


def checked_units(
    raw: Any,
    marks: Marks,
    source: str,
    dictionary: Dictionary,
    layout: str,
    headers: dict[str, str],
) -> dict[str, str]:
    """The ``units:`` section: money field -> unit name. ``headers``: the mapping's
    header -> field, to say which field a header written as a key stands for."""
    from huiqi.profiles.mapping import UNITS, normalise_header

    units = {k: str(v) for k, v in text_map(raw, "units", marks, source).items()}
    for field, unit in units.items():
        f = dictionary.get(field)
        money = (f is not None and f.type == "money") or (layout, field) == ("contracts", "amount")
        if not money:
            # 'units: {营业收入: wan_yuan}' names the column by its header.
            meant = {normalise_header(h): f for h, f in headers.items()}.get(
                normalise_header(field)
            )
            raise fail(
                f"units: '{field}' is not a money field: units: says in which unit a column of"
                " amounts is written (万元, 亿元); "
                + (
                    f"'{field}' is a header: write its field, {meant}: {unit}"
                    if meant
                    else "name the field of such a column"
                ),
                marks,
                ("units", field),
                source,
            )
        if unit not in UNITS:
            # 'units: {revenue: 万元}', as the header writes it.
            named = UNIT_NAMES.get(normalise_header(unit).removeprefix("单位:"))
            advice = f"write {field}: {named} for {unit}; " if named else ""
            raise fail(
                f"units: '{unit}' is not a unit name; {advice}use one of {list(UNITS)}"
                " (元, 万元, 亿元)",
                marks,
                ("units", field),
                source,
            )
    return units

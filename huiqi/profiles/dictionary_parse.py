"""Read a data-dictionary file and check every entry, with file, line and column in each error.

The packaged ``huiqi/profiles/dictionary.yaml`` and an office's own
``<data dir>/dictionary.yaml`` go through the same checks. An office file may
add ``registries``, ``code_lists`` and ``fields``; it cannot change or remove a
standard field (a misspelt standard name is answered with the standard field it
collides with).

A field entry::

    - name: green_factory_level        # snake_case, no '__' (frame columns use it)
      type: enum                       # string | integer | money | decimal | date | boolean | enum | tags | qualification
      codes: green_factory_levels      # enum: a code list of this file or of huiqi/reference
      label: {zh: 绿色工厂等级, en: Green-factory level}
      source: economy                  # a registry of this file or of the standard dictionary
      yearly: true                     # optional: one value per year
      unit: tce                        # optional: shown with the value in explanations
      range: [0, 100000000]            # integer, money, decimal: required plausible range
      personal: true                   # optional: personal data (BRIEF "Personal data")
"""

from __future__ import annotations

import difflib
import re
from decimal import Decimal
from typing import Any

from huiqi.errors import DictionaryError, Location, PolicyError
from huiqi.policies.yamlmarks import Marks, load_with_marks, locate

FIELD_TYPES: tuple[str, ...] = (
    "string",
    "integer",
    "money",
    "decimal",
    "date",
    "boolean",
    "enum",
    "tags",
    "qualification",
)
NUMERIC_TYPES = frozenset({"integer", "money", "decimal"})
# What the store's column of each numeric type holds (profiles/storeschema.duck_type: BIGINT,
# DECIMAL(18,2), DECIMAL(18,6)): a range past it admits values no import can store.
STORED_BELOW = {
    "integer": Decimal(2**63),
    "money": Decimal(10) ** 16,
    "decimal": Decimal(10) ** 12,
}
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
# Names the store, the importer or the rule language already use for something else.
RESERVED = frozenset(
    {"year", "qualification", "certificate_id", "valid_from", "valid_to", "updated_snapshot"}
    | {"as_of", "data_year", "frame", "rowid", "true", "false", "null"}
)
FIELD_KEYS = (
    "name",
    "type",
    "label",
    "source",
    "yearly",
    "unit",
    "codes",
    "names",
    "pattern",
    "range",
    "key",
    "derived",
    "scope",
    "personal",
    "reference",
)
# Keys only the packaged dictionary may use (huiqi's own code derives or keys on them).
STANDARD_ONLY = ("key", "derived", "names", "pattern")
TOP_KEYS = ("version", "registries", "code_lists", "fields")


def _fail(
    message: str, marks: Marks, path: tuple[str | int, ...], filename: str
) -> DictionaryError:
    where = locate(marks, path, filename)
    field = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
    return DictionaryError(
        message,
        location=Location(where.file, where.line, where.column, field or None),
    )


def read_file(text: str, filename: str) -> tuple[dict[str, Any], Marks]:
    """YAML with positions; a syntax error is a DictionaryError at its line and column."""
    try:
        raw, marks = load_with_marks(text, filename)
    except PolicyError as exc:
        raise DictionaryError(exc.message, location=exc.location) from None
    if not isinstance(raw, dict):
        raise DictionaryError(
            "a dictionary file is a mapping with 'fields:' (and optionally 'registries:',"
            " 'code_lists:')",
            location=Location(filename, 1, 1),
        )
    unknown = [k for k in raw if k not in TOP_KEYS]
    if unknown:
        raise _fail(
            f"'{unknown[0]}' is not a dictionary section; use {', '.join(TOP_KEYS)}",
            marks,
            (unknown[0],),
            filename,
        )
    return raw, marks


def _label(value: Any, marks: Marks, path: tuple[str | int, ...], filename: str) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) != {"zh", "en"}:
        raise _fail(
            "a label needs exactly 'zh' and 'en', e.g. {zh: 出口额, en: Export revenue}",
            marks,
            path,
            filename,
        )
    for lang in ("zh", "en"):
        if not isinstance(value[lang], str) or not value[lang].strip():
            raise _fail(
                f"the '{lang}' label must be a non-empty text", marks, (*path, lang), filename
            )
    return {"zh": value["zh"], "en": value["en"]}


def registries(raw: dict[str, Any], marks: Marks, filename: str) -> dict[str, dict[str, str]]:
    section = raw.get("registries") or {}
    if not isinstance(section, dict):
        raise _fail(
            "'registries' maps a registry name to its label", marks, ("registries",), filename
        )
    out = {}
    for name, label in section.items():
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise _fail(
                f"registry name '{name}' must be snake_case", marks, ("registries", name), filename
            )
        out[name] = _label(label, marks, ("registries", name), filename)
    return out


def code_lists(
    raw: dict[str, Any], marks: Marks, filename: str
) -> dict[str, dict[str, dict[str, str]]]:
    section = raw.get("code_lists") or {}
    if not isinstance(section, dict):
        raise _fail("'code_lists' maps a list name to its codes", marks, ("code_lists",), filename)
    out: dict[str, dict[str, dict[str, str]]] = {}
    for name, codes in section.items():
        path: tuple[str | int, ...] = ("code_lists", name)
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise _fail(f"code list name '{name}' must be snake_case", marks, path, filename)
        if not isinstance(codes, dict) or not codes:
            raise _fail(
                "a code list maps each code to its label: {code: {zh: ..., en: ...}}",
                marks,
                path,
                filename,
            )
        out[name] = {}
        for code, label in codes.items():
            if not isinstance(code, str) or not code.strip() or "'" in code:
                raise _fail(
                    f'code {code!r} must be a text without quotes (quote numbers: "01")',
                    marks,
                    (*path, code),
                    filename,
                )
            out[name][code] = _label(label, marks, (*path, code), filename)
    return out


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    return Decimal(value)


def field_entry(
    raw: Any,
    index: int,
    marks: Marks,
    filename: str,
    *,
    standard: bool,
    registries: set[str] | frozenset[str],
    code_lists: set[str] | frozenset[str],
) -> dict[str, Any]:
    """One checked field entry as keyword arguments for ``Field``; a DictionaryError holds
    every problem of the entry (the first, the others in ``more``), not only the first."""
    path: tuple[str | int, ...] = ("fields", index)
    if not isinstance(raw, dict):
        raise _fail("a field is a mapping with name, type, label and source", marks, path, filename)
    problems: list[DictionaryError] = []

    def bad(message: str, at: tuple[str | int, ...]) -> None:
        problems.append(_fail(message, marks, at, filename))

    for key in raw:
        if key not in FIELD_KEYS or (not standard and key in STANDARD_ONLY):
            allowed = [k for k in FIELD_KEYS if standard or k not in STANDARD_ONLY]
            bad(f"'{key}' is not a field key; use {', '.join(allowed)}", (*path, key))
    for key in ("name", "type", "label", "source"):
        if key not in raw:
            bad(f"the field needs '{key}'", path)
    name, ftype = raw.get("name"), raw.get("type")
    if "name" in raw and (not isinstance(name, str) or not NAME_RE.match(name) or "__" in name):
        bad(
            f"field name {name!r} must be snake_case (a-z, 0-9, single '_'), e.g. export_revenue",
            (*path, "name"),
        )
    elif name in RESERVED:
        bad(f"'{name}' is reserved; choose another name", (*path, "name"))
    if "type" in raw and (not isinstance(ftype, str) or ftype not in FIELD_TYPES):
        bad(f"unknown type {ftype!r}; use one of {', '.join(FIELD_TYPES)}", (*path, "type"))
        ftype = None  # the checks that depend on the type are left until it is known
    label: dict[str, str] = {}
    if "label" in raw:
        try:
            label = _label(raw["label"], marks, (*path, "label"), filename)
        except DictionaryError as exc:
            problems.append(exc)
    source = raw.get("source")
    if "source" in raw and (not isinstance(source, str) or source not in registries):
        bad(
            f"unknown source registry {raw['source']!r}; use one of {', '.join(sorted(registries))}"
            " or add it under 'registries:'",
            (*path, "source"),
        )
    for flag in ("yearly", "key", "derived", "scope", "personal"):
        if flag in raw and not isinstance(raw[flag], bool):
            bad(f"'{flag}' is true or false", (*path, flag))
    for text in ("unit", "names", "pattern", "reference"):
        if text in raw and not isinstance(raw[text], str):
            bad(f"'{text}' is a text", (*path, text))
    codes = raw.get("codes")
    if ftype == "enum":
        if isinstance(codes, str) and codes not in code_lists:
            # 'codes: green_levelz' was told that an enum field needs 'codes:', which it had.
            close = difflib.get_close_matches(codes, sorted(code_lists), n=1)
            bad(
                f"unknown code list {codes!r}"
                + (f" (did you mean {close[0]!r}?)" if close else "")
                + f"; use one of {', '.join(sorted(code_lists))} or declare it under 'code_lists:'",
                (*path, "codes"),
            )
        elif not isinstance(codes, str):
            bad(
                f"an enum field needs 'codes:' naming a code list ({', '.join(sorted(code_lists))})"
                " or one under 'code_lists:'",
                (*path, "codes") if "codes" in raw else path,
            )
    elif codes is not None:
        bad("only an enum field has 'codes'", (*path, "codes"))
    low = high = None
    if "range" in raw:
        bounds = raw["range"]
        pair = [_number(b) for b in bounds] if isinstance(bounds, list) else []
        if ftype not in NUMERIC_TYPES:
            bad("only integer, money and decimal fields have a range", (*path, "range"))
        elif len(pair) != 2 or pair[0] is None or pair[1] is None or pair[0] > pair[1]:
            # 'range: [0, 1e12]' (YAML reads 1e12 as text) or '[0, 10,000]' was told only
            # the shape, which it had; name the bound that is not a number as written.
            unread = [b for b, n in zip(bounds, pair, strict=True) if n is None] if pair else []
            bad(
                "range is [minimum, maximum], two numbers with minimum <= maximum"
                + (
                    f"; {unread[0]!r} is not a number as written: write it in digits, without"
                    " an exponent or separators, e.g. 1000000"
                    if unread
                    else ""
                ),
                (*path, "range"),
            )
        else:
            low, high = pair[0], pair[1]
            limit = STORED_BELOW[ftype]
            if ftype == "integer" and (low % 1 or high % 1):
                bad("an integer field's range is whole numbers", (*path, "range"))
            elif max(abs(low), abs(high)) >= limit:
                # Declared, such a range let a value inside it be refused at import as
                # "too large": the store's column has no room for it.
                bad(
                    f"range [{low}, {high}] goes past what {'an' if ftype[0] in 'aeiou' else 'a'}"
                    f" {ftype} field can store (less than {limit} either side of 0): a value"
                    " inside it would be refused at import as too large; narrow the range",
                    (*path, "range"),
                )
    elif ftype in NUMERIC_TYPES and not raw.get("derived"):
        article = "an" if ftype[0] in "aeiou" else "a"  # "an integer field", not "a integer"
        bad(
            f"{article} {ftype} field needs a plausible range: range: [minimum, maximum]; a"
            " value outside it is refused at import",
            path,
        )
    if problems:
        first, *rest = problems
        raise DictionaryError(first.message, location=first.location, more=tuple(rest))
    entry = {k: v for k, v in raw.items() if k not in ("label", "range")}
    if ftype == "money":
        # Money is stored in yuan whatever unit a file sends it in (a mapping's
        # ``units:``): shown as such in explanations even where the entry says nothing.
        entry.setdefault("unit", "yuan")
    return {**entry, "label": label, "min": low, "max": high}

"""Reading a mapping file (:mod:`huiqi.profiles.mapping` says what one holds) and checking
it against the data dictionary: every problem with its file, line and column
(:class:`~huiqi.errors.MappingError`), as policy files are."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from huiqi.errors import Location, MappingError, PolicyError, first_of
from huiqi.policies.yamlmarks import Marks, full_width_key, load_with_marks
from huiqi.profiles.dictionary import Dictionary, load_dictionary
from huiqi.profiles.mapping import (
    LAYOUT_COLUMNS,
    LAYOUTS,
    LINK_LAYOUTS,
    REQUIRED_FIELDS,
    Mapping,
    normalise_header,
)
from huiqi.profiles.mapping_values import checked_units, coded_values, fail, text_map
from huiqi.textfiles import read_utf8

KNOWN_KEYS = ("name", "registry", "layout", "columns", "aliases", "units", "values", "ignore")
UNCONFIRMED = "?"


def check_mapping(raw: Any, marks: Marks, source: str, dictionary: Dictionary) -> Mapping:
    """Validate a parsed mapping file; MappingError with file, line and column if wrong."""
    if not isinstance(raw, dict):
        raise fail(
            "a mapping file must be a YAML mapping (name, registry, layout, columns)",
            marks,
            (),
            source,
        )
    for key in raw:
        if key not in KNOWN_KEYS:
            raise fail(
                f"unknown key '{key}'; a mapping has {list(KNOWN_KEYS)}", marks, (key,), source
            )
    problems: list[MappingError] = []
    unset = raw.get("registry") in (None, "", UNCONFIRMED)
    if "registry" in raw and unset:
        # A draft of a file no column of which said its registry ('huiqi mapping new'):
        # said with the columns left to fill, so that one check lists all of it.
        problems.append(
            fail(
                "'registry' has no value yet: write the registry this file comes from, one of"
                f" {sorted(dictionary.registries)}",
                marks,
                ("registry",),
                source,
            )
        )
    for key in ("name", "registry", "layout", "columns"):
        if raw.get(key) in (None, "") and not (key == "registry" and problems):
            raise fail(
                f"'{key}' is missing; a mapping needs name, registry, layout and columns",
                marks,
                (),
                source,
            )
    name, registry, layout = str(raw["name"]), str(raw["registry"]), str(raw["layout"])
    if layout not in LAYOUTS:
        raise fail(f"layout '{layout}' is not one of {list(LAYOUTS)}", marks, ("layout",), source)
    if not unset and registry not in dictionary.registries:
        meant = _registry_meant(registry, dictionary)
        raise fail(
            f"registry '{registry}' is not one of {sorted(dictionary.registries)}"
            + (f"; did you mean '{meant}'?" if meant else ""),
            marks,
            ("registry",),
            source,
        )
    sections = {k: text_map(raw, k, marks, source) for k in ("columns", "aliases")}
    # Every column's problem at once: a draft often leaves several columns to fill in, and
    # 'huiqi mapping check' showed only the first, one run per column (qa1).
    for section, entries in sections.items():
        for header, field in entries.items():
            where = (section, header)
            try:
                if field is None or str(field).strip() in ("", UNCONFIRMED):
                    raise fail(
                        f"header '{header}' has no field yet; write the dictionary field it"
                        " feeds, or move the header under 'ignore:' to skip the column",
                        marks,
                        where,
                        source,
                    )
                _check_field(str(field), layout, marks, where, source, dictionary)
            except MappingError as exc:
                problems.append(exc)
    if problems:
        raise first_of(problems, MappingError)
    columns = {h: str(f) for h, f in sections["columns"].items()}
    aliases = {h: str(f) for h, f in sections["aliases"].items()}
    for field in REQUIRED_FIELDS[layout]:
        if field not in columns.values():
            raise fail(
                f"a {layout} mapping needs a column for '{field}'", marks, ("columns",), source
            )
    units = checked_units(raw, marks, source, dictionary, layout, {**columns, **aliases})
    from huiqi.profiles.declared_unit import check_mapping_header_units

    check_mapping_header_units(sections, units, layout, marks, source, dictionary)
    ignore = raw.get("ignore") or []
    if not isinstance(ignore, list):
        raise fail("'ignore' must be a list of headers", marks, ("ignore",), source)
    # A header both mapped and ignored was imported while the report listed it among the
    # columns not imported: which one the office meant cannot be told, so it says.
    mapped = {
        normalise_header(h): (f, section)
        for section, entries in (("columns", columns), ("aliases", aliases))
        for h, f in entries.items()
    }
    for i, header in enumerate(ignore):
        if normalise_header(str(header)) in mapped:
            field, section = mapped[normalise_header(str(header))]
            raise fail(
                f"'{header}' is under 'ignore:' and also feeds field '{field}': a column is"
                " either imported or skipped; remove it from 'ignore:' to import it, or from"
                f" '{section}:' to skip it",
                marks,
                ("ignore", i),
                source,
            )
    values = coded_values(raw, marks, source, dictionary)
    return Mapping(
        name,
        registry,
        layout,
        columns,
        aliases,
        units,
        source,
        tuple(str(h) for h in ignore),
        values,
    )


def _check_field(
    field: str,
    layout: str,
    marks: Marks,
    where: tuple[str | int, ...],
    source: str,
    dictionary: Dictionary,
) -> None:
    if field in LAYOUT_COLUMNS[layout] or field == "uscc":
        return
    if layout in LINK_LAYOUTS:
        raise fail(
            f"'{field}' is not a column of a {layout} file; use one of "
            f"{['uscc', *LAYOUT_COLUMNS[layout]]}",
            marks,
            where,
            source,
        )
    if field == "year" and layout == "static":
        raise fail(
            "'year' is the year column of a yearly file: write 'layout: yearly' when the"
            " file's figures are per year, or move this header under 'ignore:'",
            marks,
            where,
            source,
        )
    f = dictionary.get(field)
    if f is None or f.derived or f.type == "qualification":
        extra = [c for c in LAYOUT_COLUMNS[layout]]
        importable = [
            g.name for g in dictionary.fields if not g.derived and g.type != "qualification"
        ]
        close = difflib.get_close_matches(field, [*importable, *extra], n=1)
        raise fail(
            f"'{field}' is not an importable dictionary field"
            + (f" (did you mean '{close[0]}'?)" if close and close[0] != field else "")
            + "; use a field of "
            "huiqi/profiles/dictionary.yaml (not derived, not a qualification)"
            + (f" or one of {extra}" if extra else ""),
            marks,
            where,
            source,
        )
    if f.yearly != (layout == "yearly"):
        kind = "yearly" if f.yearly else "static"
        raise fail(
            f"{kind} field '{field}' cannot be in a {layout} file; " + _LAYOUT_FIX[kind],
            marks,
            where,
            source,
        )


# What to do with a field the mapping's layout cannot hold (mapping new drafts a file
# that mixes them with one layout, and the office's sheets often do).
_LAYOUT_FIX = {
    "static": (
        "import the file's static columns with a second mapping of 'layout: static' over"
        " the same file (its yearly columns and the year under 'ignore:'; one row per"
        " enterprise), or move this header under 'ignore:'"
    ),
    "yearly": (
        "write 'layout: yearly' and map the file's year column to 'year', or move this"
        " header under 'ignore:'"
    ),
}


def parse_mapping(text: str, source: str) -> Mapping:
    """Parse and validate the text of a mapping file."""
    try:
        raw, marks = load_with_marks(text, source)
    except PolicyError as exc:
        raise MappingError(exc.message, location=exc.location) from exc
    try:
        return check_mapping(raw, marks, source, load_dictionary())
    except MappingError:
        colon = full_width_key(text, None)
        if colon is None:
            raise
        # '营业收入（万元）： revenue' reads as a text, not as a key: say so, not what follows.
        raise MappingError(
            "'：' is a full-width colon, so this line is not a key; write ':' and a space"
            " after the key",
            location=Location(source, *colon),
        ) from None


def load_mapping_file(path: Path) -> Mapping:
    """Load a mapping from any YAML file (for registries not packaged with huiqi)."""
    return parse_mapping(read_utf8(path, "mapping file", MappingError), str(path))


def _registry_meant(written: str, dictionary: Dictionary) -> str | None:
    """The registry an office wrote by its Chinese name (科委, 税务局, 区科委) or in other
    case (Tax)."""
    text = written.strip()
    words = {
        code: [w for w in re.split(r"[\s/]+", label.zh) if len(w) >= 2]
        for code, label in dictionary.registries.items()
    }
    for code, own in words.items():
        if text.lower() == code.lower() or text in own:
            return code
    for code, own in words.items():
        if len(text) >= 2 and any(text in w or w in text for w in own):
            return code
    return None

"""The unit a sheet declares above its header ("单位：万元"), held against the mapping.

Offices' sheets often say once, above the header, what unit the amounts are in. When
the importer skips such a line to find the header (``importer.fit_header``), reading
the amounts in another unit than the one declared would store every figure 10,000
times too small or too large. So the declaration is compared with the unit the
mapping reads each money column in, and a mismatch refuses the file before anything
is stored, saying which line declared what.
"""

from __future__ import annotations

import re
import unicodedata

from huiqi.errors import ImportFileError
from huiqi.profiles.dictionary import load_dictionary
from huiqi.profiles.mapping import UNITS, Mapping

# The declaration's words, after NFKC (a full-width colon becomes ':'), and the unit.
_DECLARED = re.compile(r"(?:单位|金额单位|计量单位)\s*:\s*(亿元|万元|元)")
_NAMES = {"元": "yuan", "万元": "wan_yuan", "亿元": "yi_yuan"}


def declared_unit(rows: list[tuple[int, list[str]]]) -> tuple[int, str] | None:
    """(line, unit name) of the first unit declaration among rows above a header."""
    for line, cells in rows:
        for cell in cells:
            found = _DECLARED.search(unicodedata.normalize("NFKC", cell))
            if found:
                return line, _NAMES[found.group(1)]
    return None


def group_units(above: list[tuple[int, list[str]]], width: int) -> dict[int, tuple[int, str, str]]:
    """Column → (line, unit, the cell's text) for the columns under a cell above the
    header that names a unit in brackets: a group title over merged cells,
    "财务数据（万元）", whose text stands in the group's first column and covers the
    columns up to the next filled cell of its row (a one-cell title, the whole row).
    """
    found: dict[int, tuple[int, str, str]] = {}
    for line, cells in above:
        filled = [i for i, c in enumerate(cells) if c.strip()]
        for k, i in enumerate(filled):
            unit = header_unit(cells[i])
            if unit is None:
                continue
            end = filled[k + 1] if k + 1 < len(filled) else max(width, i + 1)
            for column in range(i, end):
                found.setdefault(column, (line, unit, cells[i].strip()))
    return found


def header_unit(header: str) -> str | None:
    """The unit a header names in brackets ("营业收入（万元）" → wan_yuan), if any."""
    from huiqi.profiles.mappingdraft import UNIT_SUFFIX, UNIT_WORDS

    found = UNIT_SUFFIX.search(unicodedata.normalize("NFKC", header).strip())
    return UNIT_WORDS.get(found.group(1)) if found else None


def check_declared_unit(
    file: str,
    above: list[tuple[int, list[str]]],
    mapping: Mapping,
    headers: dict[str, str],
    columns: dict[str, int] | None = None,
) -> None:
    """ImportFileError when a line above the header declares a unit that a money column
    would not be read in: its header names another unit (the file contradicts itself),
    or it names none and the mapping reads it in another unit. ``headers``: field →
    the file's header for it; ``columns``: field → its column, for the units that group
    titles above the header declare (:func:`group_units`)."""
    declared = declared_unit(above)
    groups = group_units(above, max(columns.values(), default=-1) + 1) if columns else {}
    if declared is None and not groups:
        return
    dictionary = load_dictionary()
    for field, header in headers.items():
        known = dictionary.get(field)
        if known is None or known.type != "money":
            continue
        column = (columns or {}).get(field)
        if column is not None and column in groups:
            line, unit, text = groups[column]
            where = f"{file}, line {line}: '{text}' declares the amounts below it in {unit}"
        elif declared is not None:
            line, unit = declared
            where = f"{file}, line {line}: the sheet declares its amounts in {unit}"
        else:
            continue
        own = header_unit(header)
        if own is not None and own != unit:
            raise ImportFileError(
                f"{where}, but the header '{header}' says {own}; nothing was imported. "
                "Correct the declaration or the header so that they agree"
            )
        if own is None and mapping.unit_of(field) != UNITS[unit]:
            raise ImportFileError(
                f"{where}, but mapping '{mapping.name}' reads '{header}' in "
                f"{mapping.units.get(field, 'yuan')}; nothing was imported. Name a mapping "
                f"whose 'units:' say {field}: {unit} ('huiqi mapping new' drafts one), or "
                "correct the file"
            )

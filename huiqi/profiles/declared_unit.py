"""The unit a sheet declares above its header ("单位：万元"), held against the mapping.

Offices' sheets often say once, above the header, what unit the amounts are in. When
the importer skips such a line to find the header (``headerchoice.fit_header``), reading
the amounts in another unit than the one declared would store every figure 10,000
times too small or too large. So the declaration is compared with the unit the
mapping reads each money column in, and a mismatch refuses the file before anything
is stored, saying which line declared what.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from huiqi.errors import ImportFileError
from huiqi.policies.yamlmarks import Marks
from huiqi.profiles.dictionary import Dictionary, load_dictionary
from huiqi.profiles.mapping import UNITS, Mapping

# The declaration's words, after NFKC (a full-width colon becomes ':'), and the unit.
# "单位：万元", "金额单位：人民币万元", "单位（万元）"; a unit huiqi does not read amounts
# in (千元, 美元) is kept as its word, so that the file is refused rather than read as 元.
_DECLARED = re.compile(
    r"单位\s*(?::|\()\s*(?:人民币)?\s*(千万元|百万元|万美元|美元|港元|欧元|日元|亿元|万元|千元|元)"
)
_NAMES = {"元": "yuan", "万元": "wan_yuan", "亿元": "yi_yuan"}
_WORDS = {name: word for word, name in _NAMES.items()}


def shown_unit(name: str) -> str:
    """A unit as a message shows it: the word a file writes, with the name a mapping's
    ``units:`` takes (万元 (wan_yuan)); a unit huiqi does not read, as its word."""
    return f"{_WORDS[name]} ({name})" if name in _WORDS else name


def declared_unit(rows: list[tuple[int, list[str]]]) -> tuple[int, str] | None:
    """(line, unit name) of the first unit declaration among rows above a header."""
    for line, cells in rows:
        for cell in cells:
            found = _DECLARED.search(unicodedata.normalize("NFKC", cell))
            if found:
                return line, _NAMES.get(found.group(1), found.group(1))
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
            unit = header_unit(cells[i]) or _other_money(cells[i])
            if unit is None:
                continue
            end = filled[k + 1] if k + 1 < len(filled) else max(width, i + 1)
            for column in range(i, end):
                found.setdefault(column, (line, unit, cells[i].strip()))
    return found


def _other_money(text: str) -> str | None:
    """The money unit huiqi does not read amounts in (千元, 美元) a cell names, if any."""
    from huiqi.profiles.unitwords import OTHER_MONEY, header_unit_word

    word = header_unit_word(text)
    return word if word in OTHER_MONEY else None


def header_unit(header: str) -> str | None:
    """The unit a header names ("营业收入（万元）", "资产总额(单位:万元)", "纳税总额/万元"
    → wan_yuan), if any."""
    from huiqi.profiles.unitwords import UNIT_WORDS, header_unit_word

    return UNIT_WORDS.get(header_unit_word(header) or "")


def check_header_units(
    file: str, mapping: Mapping, headers: dict[str, str], money: set[str]
) -> None:
    """ImportFileError when a money column's own header names a unit the mapping does
    not read it in ("营业收入（万元）" read in yuan: 10,000 times too small), or one huiqi
    reads no amount in (千元, 美元). ``headers``: field → the file's header;
    ``money``: the fields that are amounts."""
    from huiqi.profiles.unitwords import OTHER_MONEY, header_unit_word

    for field, header in headers.items():
        if field not in money:
            continue
        word = header_unit_word(header)
        if word in OTHER_MONEY:
            raise ImportFileError(
                f"{file}: the header '{header}' gives its amounts in {word}, which huiqi does"
                " not read amounts in; nothing was imported. Convert the column to 元, 万元 or"
                " 亿元 and name that unit in the header and the mapping's 'units:'"
            )
        own = header_unit(header)
        if own is not None and mapping.unit_of(field) != UNITS[own]:
            raise ImportFileError(
                f"{file}: the header '{header}' gives its amounts in {own}, but mapping"
                f" '{mapping.name}' reads them in {mapping.units.get(field, 'yuan')}; nothing"
                f" was imported, since they would be stored in the wrong unit. Write"
                f" 'units: {{{field}: {own}}}' in the mapping ('huiqi mapping new' drafts"
                " it), or correct the header"
            )


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
            where = (
                f"{file}, line {line}: '{text}' declares the amounts below it in {shown_unit(unit)}"
            )
        elif declared is not None:
            line, unit = declared
            where = f"{file}, line {line}: the sheet declares its amounts in {shown_unit(unit)}"
        else:
            continue
        refuse_disagreement(where, unit, header, field, mapping)


def refuse_disagreement(where: str, unit: str, header: str, field: str, mapping: Mapping) -> None:
    """Refuse the file when the unit a sheet gives a money column (``unit``, said at
    ``where``) is one huiqi cannot read, or disagrees with the column's header or with
    the unit the mapping reads the field in: its amounts would be stored wrong."""
    if unit not in UNITS:
        raise ImportFileError(
            f"{where}, which huiqi does not read amounts in; nothing was imported. Convert"
            " the amounts to 元, 万元 or 亿元 and give that unit"
        )
    own = header_unit(header)
    if own is not None and own != unit:
        raise ImportFileError(
            f"{where}, but the header '{header}' says {shown_unit(own)}; nothing was imported."
            " Correct"
            " the header or the unit given for it so that they agree"
        )
    if own is None and mapping.unit_of(field) != UNITS[unit]:
        raise ImportFileError(
            f"{where}, but mapping '{mapping.name}' reads '{header}' in"
            f" {shown_unit(mapping.units.get(field, 'yuan'))}; nothing was imported, since the amounts"
            f" would be stored in the wrong unit. Name a mapping whose 'units:' say {field}:"
            f" {unit} ('huiqi mapping new' drafts one), or correct the file"
        )


def money_fields(mapping: Mapping) -> set[str]:
    """The fields of a mapping that are amounts: the dictionary's money fields, and a
    contract's amount."""
    dictionary = load_dictionary()
    fields = set(mapping.columns.values()) | set(mapping.aliases.values())
    money = {f for f in fields if (k := dictionary.get(f)) is not None and k.type == "money"}
    return money | ({"amount"} if mapping.layout == "contracts" else set())


def check_mapping_header_units(
    sections: dict[str, dict[str, Any]],
    units: dict[str, str],
    layout: str,
    marks: Marks,
    source: str,
    dictionary: Dictionary,
) -> None:
    """For ``huiqi mapping check``: a money column whose header names a unit
    ("营业收入（万元）") must be read in it (without 'units:' it was read as yuan, 10,000
    times too small), and never in 千元 or a foreign currency."""
    from huiqi.profiles.mapping_values import fail
    from huiqi.profiles.unitwords import OTHER_MONEY, UNIT_WORDS, header_unit_word

    for section, entries in sections.items():
        for header, field in entries.items():
            f = dictionary.get(str(field))
            money = (f is not None and f.type == "money") or (layout, field) == (
                "contracts",
                "amount",
            )
            word = header_unit_word(str(header)) if money else None
            if word in OTHER_MONEY:
                raise fail(
                    f"header '{header}' gives its amounts in {word}, which huiqi does not read"
                    " amounts in; convert the column to 元, 万元 or 亿元 and name that unit",
                    marks,
                    (section, header),
                    source,
                )
            own = UNIT_WORDS.get(word or "")
            read = units.get(str(field), "yuan")
            if own is not None and own != read:
                raise fail(
                    f"header '{header}' gives its amounts in {own}, but the mapping reads"
                    f" '{field}' in {read}; write 'units: {{{field}: {own}}}'",
                    marks,
                    (section, header),
                    source,
                )

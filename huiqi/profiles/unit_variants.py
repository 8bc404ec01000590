"""A money column whose header names another unit than the mapping's header of it.

The business registry gives 注册资本 in 万元 far more often than in 元, and a statistics
office its 营业收入 in 万元 where the tax bureau writes 元: the same column, with the unit
in its header. A mapping that maps "注册资本(元)" reads a file headed "注册资本(万元)" as
that column in 万元, since the header says so (元, 万元 or 亿元); nothing has to be
drafted for a unit. A unit huiqi reads no amount in (千元, 美元) still stops the import
(``declared_unit.check_header_units``), and so does a file whose header row holds the
column under both units.

A money header that names no unit ("营业收入") is read in the unit the sheet declares for
its column (a line "单位：万元" above the header, a group title "财务数据（万元）" over it,
a row of units under it: ``column_units``); with none declared it fits no mapping whose
header names a unit, and the error says so (:func:`no_unit_error`): 元 and 万元 are
10,000 times apart, and huiqi does not guess which a column is in.

Example:
    >>> from huiqi.profiles.mapping_finder import get_mapping
    >>> fitted = with_header_units(get_mapping("market"), ["统一社会信用代码", "注册资本（万元）"])
    >>> fitted.aliases["注册资本（万元）"], fitted.units["registered_capital"]
    ('registered_capital', 'wan_yuan')
"""

from __future__ import annotations

from dataclasses import replace

from huiqi.errors import ImportFileError
from huiqi.profiles.column_units import Declared
from huiqi.profiles.mapping import UNITS, Mapping, headers_shown, normalise_header


def _money_by_name(mapping: Mapping) -> dict[str, str]:
    """A money header of the mapping without its unit ("营业收入") → its field."""
    from huiqi.profiles.declared_unit import money_fields
    from huiqi.profiles.unitwords import comparable

    money = money_fields(mapping)
    by_name: dict[str, str] = {}
    for header, field in {**mapping.columns, **mapping.aliases}.items():
        if field in money:
            by_name.setdefault(comparable(header)[0], field)
    return by_name


def with_header_units(
    mapping: Mapping, headers: list[str], declared: dict[int, Declared] | None = None
) -> Mapping:
    """``mapping`` reading each money column of ``headers`` that it maps under another
    unit (its header the same but for the unit) in the unit the header names, or, when
    the header names none, in the unit ``declared`` for its column (column → unit,
    :func:`huiqi.profiles.column_units.column_units`); the mapping itself when there is
    none. A declared unit huiqi reads no amount in (千元) fits the column with no unit
    of its own, so that the import refuses it naming the line that declares it."""
    from huiqi.profiles.unitwords import UNIT_WORDS, comparable

    known, skipped = mapping.headers, mapping.skipped
    by_name = _money_by_name(mapping)
    present = {known[n] for h in headers if (n := normalise_header(h)) in known}
    aliases: dict[str, str] = {}
    units: dict[str, str] = {}
    words: dict[str, str] = {}
    from_sheet: dict[str, str] = {}
    for column, header in enumerate(headers):
        normal = normalise_header(header)
        if normal in known or normal in skipped:
            continue
        name, word = comparable(header)
        given = (declared or {}).get(column) if word is None else None
        unit = given.unit if given is not None else UNIT_WORDS.get(word or "")
        target = by_name.get(name)
        if unit is None or target is None or target in present or target in aliases.values():
            continue  # not a unit variant, or the column is there already (the clash is said)
        aliases[header] = target
        if given is None:
            words[header] = word or ""
        else:
            from_sheet[header] = f"{given.word}, line {given.line}"
        if unit in UNITS:
            units[target] = unit
    if not aliases:
        return mapping
    return replace(
        mapping,
        aliases={**mapping.aliases, **aliases},
        units={**mapping.units, **units},
        header_units={**mapping.header_units, **words},
        declared_units={**mapping.declared_units, **from_sheet},
    )


def unit_less(mapping: Mapping, headers: list[str], declared: dict[int, Declared]) -> list[str]:
    """The headers that are a money header of ``mapping`` but for its unit, and name
    none, with none declared for their column: the columns whose unit only a guess
    would give."""
    from huiqi.profiles.unitwords import comparable

    known, skipped = mapping.headers, mapping.skipped
    by_name = _money_by_name(mapping)
    found = []
    for column, header in enumerate(headers):
        normal = normalise_header(header)
        name, word = comparable(header)
        if normal in known or normal in skipped or column in declared:
            continue
        if word is None and name in by_name:
            found.append(header)
    return found


def no_unit_error(
    file: str, mapping: str, headers: list[str], missing: list[str]
) -> ImportFileError:
    """The refusal of a file whose ``headers`` are mapping ``mapping``'s but for the
    units its money columns ``missing`` do not name."""
    first = missing[0]
    return ImportFileError(
        f"{file}: the headers {headers_shown(headers)} are those of mapping '{mapping}' but"
        f" for their units: the money column{'s' if len(missing) > 1 else ''}"
        f" {headers_shown(missing)} name{'' if len(missing) > 1 else 's'} no unit, and none is"
        " declared above or under the header; huiqi does not guess between 元 and 万元"
        " (10,000 times apart), so nothing was imported. Name the unit in the header"
        f" ('{first}(元)' or '{first}(万元)'), or put a line such as '单位：元' or '单位：万元'"
        " above the header (or a row of units under it)"
    )

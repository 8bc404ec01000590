"""A money column whose header names another unit than the mapping's header of it.

The business registry gives 注册资本 in 万元 far more often than in 元, and a statistics
office its 营业收入 in 万元 where the tax bureau writes 元: the same column, with the unit
in its header. A mapping that maps "注册资本(元)" reads a file headed "注册资本(万元)" as
that column in 万元, since the header says so (元, 万元 or 亿元); nothing has to be
drafted for a unit. A unit huiqi reads no amount in (千元, 美元) still stops the import
(``declared_unit.check_header_units``), and so does a file whose header row holds the
column under both units.

Example:
    >>> from huiqi.profiles.mapping_finder import get_mapping
    >>> fitted = with_header_units(get_mapping("market"), ["统一社会信用代码", "注册资本（万元）"])
    >>> fitted.aliases["注册资本（万元）"], fitted.units["registered_capital"]
    ('registered_capital', 'wan_yuan')
"""

from __future__ import annotations

from dataclasses import replace

from huiqi.profiles.mapping import Mapping, normalise_header


def with_header_units(mapping: Mapping, headers: list[str]) -> Mapping:
    """``mapping`` reading each money column of ``headers`` that it maps under another
    unit (its header the same but for the unit) in the unit the header names; the
    mapping itself when there is none."""
    from huiqi.profiles.declared_unit import money_fields
    from huiqi.profiles.unitwords import UNIT_WORDS, comparable

    known, skipped = mapping.headers, mapping.skipped
    money = money_fields(mapping)
    by_name: dict[str, str] = {}
    for header, field in {**mapping.columns, **mapping.aliases}.items():
        if field in money:
            by_name.setdefault(comparable(header)[0], field)
    present = {known[n] for h in headers if (n := normalise_header(h)) in known}
    aliases: dict[str, str] = {}
    units: dict[str, str] = {}
    words: dict[str, str] = {}
    for header in headers:
        normal = normalise_header(header)
        if normal in known or normal in skipped:
            continue
        name, word = comparable(header)
        unit = UNIT_WORDS.get(word or "")
        target = by_name.get(name)
        if unit is None or target is None or target in present or target in units:
            continue  # not a unit variant, or the column is there already (the clash is said)
        aliases[header] = target
        units[target] = unit
        words[header] = word or ""
    if not aliases:
        return mapping
    return replace(
        mapping,
        aliases={**mapping.aliases, **aliases},
        units={**mapping.units, **units},
        header_units={**mapping.header_units, **words},
    )

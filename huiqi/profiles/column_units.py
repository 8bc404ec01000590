"""The unit a sheet gives each column around a candidate header row, before any mapping
is chosen.

An office's sheet says the unit of its amounts once: a line above the header
("单位：万元"), a group title over merged cells ("财务数据（万元）" over 营业收入 and
纳税总额), or a row of units right under the header (万元 under 营业收入). Its money
headers then name no unit of their own ("营业收入"), where a built-in mapping's header
does ("营业收入(元)"). The header is found (``headerchoice``) and a mapping drafted
(``mappingdraft``) with these units in hand, so that such a column is read in the unit
the sheet declares for it (``unit_variants``), never guessed; the declarations are then
held against the mapping (``declared_unit``, ``unit_row``).

Example:
    >>> rows = [(1, ["单位：万元"]), (2, ["统一社会信用代码", "营业收入"])]
    >>> column_units(rows, 1, 2)[1]
    Declared(unit='wan_yuan', line=1)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Declared:
    """The unit a sheet declares for a column, and the line that declares it."""

    unit: str  # yuan | wan_yuan | yi_yuan, or the word of one huiqi reads no amount in (千元)
    line: int

    @property
    def word(self) -> str:
        """The unit as a sheet writes it: 万元 for wan_yuan."""
        from huiqi.profiles.unit_row import MONEY

        return next((w for w, name in MONEY.items() if name == self.unit), self.unit)


def column_units(rows: list[tuple[int, list[str]]], i: int, width: int) -> dict[int, Declared]:
    """Column → the unit declared for it when ``rows[i]`` is the header (the lower row
    of a header over two rows): a row of units right under it (``unit_row.is_unit_row``)
    before a group title above the column (``declared_unit.group_units``), before a
    line above the header that declares the sheet's unit (``declared_unit``). A column
    nothing declares a unit for is absent."""
    from huiqi.profiles.declared_unit import declared_unit, group_units
    from huiqi.profiles.unit_row import MONEY, is_money, is_unit_row, unit_word

    above = rows[:i]
    found: dict[int, Declared] = {}
    sheet = declared_unit(above)
    if sheet is not None:
        found = dict.fromkeys(range(width), Declared(sheet[1], sheet[0]))
    for column, (line, unit, _) in group_units(above, width).items():
        found[column] = Declared(unit, line)
    if i + 1 < len(rows) and is_unit_row(rows[i + 1][1]):
        line, cells = rows[i + 1]
        for column, cell in enumerate(cells):
            word = unit_word(cell)
            if is_money(word):
                # A unit huiqi does not read (千元) is kept as its word: refused, not 元.
                found[column] = Declared(MONEY.get(word, word), line)
    return found

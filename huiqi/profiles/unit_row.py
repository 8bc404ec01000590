"""A row right under the header that gives each column's unit, held against the mapping.

Offices' sheets often put the units on a row of their own below the header
(营业收入 over 万元). Read as data, that row was only a rejected line, while the
amounts under it were read in the mapping's unit: 100.5 万元 stored as 100.5 yuan,
10,000 times too small. So such a row is recognised (every filled cell a unit word,
one of them money), skipped with the header, and a money column whose unit there is
not the one the mapping reads it in refuses the file before anything is stored.
"""

from __future__ import annotations

import re
import unicodedata

from huiqi.profiles.dictionary import load_dictionary
from huiqi.profiles.mapping import Mapping
from huiqi.profiles.readers import Source

MONEY = {"元": "yuan", "万元": "wan_yuan", "亿元": "yi_yuan"}
# Units of the other columns such a row gives (after NFKC, brackets and "单位:" off).
OTHER = {"人", "个", "户", "项", "件", "家", "名", "次", "年", "月", "天", "%", "吨", "吨标准煤"}
OTHER |= {"平方米", "m2", "m²", "万吨", "千瓦时", "万千瓦时"}
_BRACKETS = re.compile(r"^[(\[【]\s*(.*?)\s*[)\]】]$")


def unit_word(cell: str) -> str:
    """A cell's unit word: NFKC (full-width brackets and colon become ASCII), without
    brackets or a leading "单位:"."""
    text = unicodedata.normalize("NFKC", cell).strip()
    text = text.removeprefix("单位:").removeprefix("单位").strip()
    found = _BRACKETS.match(text)
    return found.group(1) if found else text


def is_money(word: str) -> bool:
    """Whether a unit word is a money unit, one huiqi reads amounts in or not (千元)."""
    from huiqi.profiles.unitwords import OTHER_MONEY

    return word in MONEY or word in OTHER_MONEY


def is_unit_row(cells: list[str]) -> bool:
    # A cell that only labels the row ("单位", "单位：", "计量单位" in the USCC column) names
    # no unit: counted as one, it made the row data, its amounts' 万元 unheeded (QA).
    words = [
        w for c in cells if c.strip() and not (w := unit_word(c)).rstrip(":").endswith("单位") and w
    ]
    return (
        bool(words) and all(is_money(w) or w in OTHER for w in words) and any(map(is_money, words))
    )


def unit_row_below(source: Source) -> tuple[int, list[str]] | None:
    """(line, cells) of the unit row right under the header, if the file has one."""
    if source.format == "parquet":
        return None
    rows = source.header_rows()
    header = source.header_line if source.header_line is not None else rows[0][0] if rows else 0
    after = [row for row in rows if row[0] > header]
    if after and is_unit_row(after[0][1]):
        return after[0]
    return None


def check_unit_row(
    file: str,
    row: tuple[int, list[str]],
    mapping: Mapping,
    headers: dict[str, str],
    columns: dict[str, int],
) -> None:
    """ImportFileError when the unit row gives a money column a unit the mapping does not
    read it in (or that its own header contradicts). ``headers``: field → the file's
    header; ``columns``: field → its column."""
    from huiqi.profiles.declared_unit import refuse_disagreement, shown_unit

    line, cells = row
    dictionary = load_dictionary()
    for field, header in headers.items():
        known = dictionary.get(field)
        column = columns.get(field)
        if known is None or known.type != "money" or column is None or column >= len(cells):
            continue
        word = unit_word(cells[column])
        if not is_money(word):
            continue
        unit = MONEY.get(word, word)
        where = (
            f"{file}, line {line}: the row under the header gives '{header}' in {shown_unit(unit)}"
        )
        refuse_disagreement(where, unit, header, field, mapping)

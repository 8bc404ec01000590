"""A registry sheet's total row with the word in the name column and no USCC.

Offices' sheets often end with a row that sums the columns above. When the word (合计,
总计, 小计, Total) stands in the USCC column, the USCC check says it starts a total row
(:mod:`huiqi.profiles.rowcheck`). When it stands in the name column and the USCC cell
is empty, the row was refused as "a value is required", which sent a data steward
looking for a missing code. It is still refused (never imported) and counted among the
rejects, with a reason that says what it is (a word in a column that is not imported:
:mod:`huiqi.profiles.passive_rows`).
"""

from __future__ import annotations

from sqlglot import exp

from huiqi.profiles.sqlexpr import and_, concat, fn, is_null, lit, not_

# The whole name cell, as rowcheck's _TOTAL reads a USCC cell: 合计, 总 计, 小计：, Total.
TOTAL_CELL = r"(?i)\s*(?:[合总小共]\s*计|总\s*合\s*计|total|sum)\s*[:：]?\s*"


def total_row_check(
    uscc: exp.Expression, name: exp.Expression, name_header: str
) -> tuple[exp.Expression, exp.Expression]:
    """The check of the USCC cell that comes before "a value is required": an empty USCC
    beside a total word in the name cell (``name``: its trimmed text)."""
    return (
        and_(
            is_null(uscc),
            not_(is_null(name)),
            fn("regexp_full_match", name, lit(TOTAL_CELL)),
        ),
        concat(
            "'",
            name,
            f"' in column '{name_header}' with no USCC starts a total row, not an"
            " enterprise's: delete the row (totals are not imported; the other rows are)",
        ),
    )

"""A registry sheet's total row with the word in the name column, or in a column not
imported, and no USCC.

Offices' sheets often end with a row that sums the columns above. When the word (合计,
总计, 小计, Total) stands in the USCC column, the USCC check says it starts a total row
(:mod:`huiqi.profiles.rowcheck`). When it stands in the name column and the USCC cell
is empty, the row was refused as "a value is required", which sent a data steward
looking for a missing code. It is still refused (never imported) and counted among the
rejects, with a reason that says what it is.

The word often stands in a column the mapping skips (``序号``, or a sheet's first column
with no header), beside empty enterprise cells and the totals. Those columns are not
staged, so the staging step keeps one column for them, ``_total_at``: for a row whose
USCC cell is blank, where the first skipped cell holding only a total word is ("'合计' in
column '序号'"); NULL otherwise. Only a row with a blank USCC is looked at (a row with a
code is an enterprise's, wherever 合计 stands), so a file of codes costs one test of
its USCC cell's first character per row. A row that names an enterprise stays a missing
code. A Parquet file (a database's rows, no totals) is not looked at.
"""

from __future__ import annotations

from sqlglot import exp

from huiqi.profiles.mapping import ALWAYS_IGNORED, Mapping, normalise_header
from huiqi.profiles.sqlexpr import BLANKS, concat, fn, lit, num

# The whole name cell, as rowcheck's _TOTAL reads a USCC cell: 合计, 总 计, 小计：, Total.
TOTAL_WORD = r"(?:[合总小共]\s*计|总\s*合\s*计|total|sum)\s*[:：]?"
TOTAL_CELL = rf"(?i)\s*{TOTAL_WORD}\s*"
# The staged column saying where a total word stands in a column not imported.
TOTAL_AT = "_total_at"
_REST = (
    "with no USCC starts a total row, not an enterprise's: delete the row (totals are not"
    " imported; the other rows are)"
)


def skipped_columns(
    mapping: Mapping, headers: list[str], positions: dict[int, str]
) -> dict[int, str]:
    """Position -> how a message names it, for each column not imported where a total
    word makes a total row: none when the file has no USCC column."""
    if "uscc" not in positions.values():
        return {}
    spelt = {normalise_header(h): h for h in (*ALWAYS_IGNORED, *mapping.ignore)}
    named = {}
    for i, header in enumerate(headers):
        if i in positions:
            continue
        key = normalise_header(header)
        if key in spelt:
            named[i] = f"column '{spelt[key]}'"
        else:  # only a column with no header is skipped without being named
            named[i] = f"column {i + 1}" + (" (no header)" if not key else "")
    return named


def total_at(
    uscc_cell: exp.Expression, skipped: list[tuple[str, exp.Expression]]
) -> exp.Expression:
    """The ``_total_at`` column, from the raw cells: ``uscc_cell`` and the columns not
    imported (``skipped``: the column as messages name it, and its cell), in file order.

    The names come from the mapping (its 'ignore:' list, the columns every mapping skips)
    or are a position ("column 1 (no header)"), never from the file's text.
    """
    # The first character is compared before the pattern runs: a code starts with a digit
    # or a capital, and costs no pattern match (ord('') is -1).
    starts_blank = exp.In(
        this=fn("ord", uscc_cell), expressions=[num(c) for c in (-1, *map(ord, BLANKS))]
    )
    blank_uscc = exp.or_(
        uscc_cell.is_(exp.null()),
        exp.and_(starts_blank, exp.not_(fn("regexp_matches", uscc_cell, lit(f"[^{BLANKS}]")))),
    )
    word = rf"(?i)[{BLANKS}]*{TOTAL_WORD}[{BLANKS}]*"
    found = [
        exp.If(
            this=fn("regexp_full_match", cell, lit(word)),
            true=concat("'", fn("trim", cell, lit(BLANKS)), f"' in {where}"),
        )
        for where, cell in skipped
    ]
    # A CASE evaluates its branches only on the rows it selects: a row with a code costs
    # the blank test of its USCC cell alone.
    return exp.Case(ifs=[exp.If(this=blank_uscc, true=exp.Case(ifs=found))])


def total_row_checks(
    uscc: exp.Expression,
    name: tuple[exp.Expression, str] | None,
    at: exp.Expression | None,
) -> list[tuple[exp.Expression, exp.Expression]]:
    """The checks of the USCC cell that come before "a value is required": an empty USCC
    beside a total word in the name cell (``name``: its trimmed text and its column's
    header), or beside an empty name (or none) with a total word in a column not
    imported (``at``: the staged ``_total_at``)."""
    checks = []
    if name is not None:
        text, header = name
        checks.append(
            (
                exp.and_(
                    uscc.is_(exp.null()),
                    exp.not_(text.is_(exp.null())),
                    fn("regexp_full_match", text, lit(TOTAL_CELL)),
                ),
                concat("'", text, f"' in column '{header}' {_REST}"),
            )
        )
    if at is not None:
        empty = [uscc.is_(exp.null()), exp.not_(at.is_(exp.null()))]
        if name is not None:
            empty.append(name[0].is_(exp.null()))
        checks.append((exp.and_(*empty), concat(at, f" {_REST}")))
    return checks

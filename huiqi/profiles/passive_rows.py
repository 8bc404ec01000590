"""Rows with no USCC that a column the mapping does not import explains.

A sheet's total row often has its word (合计, 总计, 小计, Total) in the row-number
column 序号, or in a yearly file's 纳税人名称, which a yearly mapping cannot import; a
clerk's template has rows numbered in 序号 and nothing else. Such rows were each
refused with "a value is required" for every empty key, which sent a data steward
looking for missing codes. They are still refused (never imported) and counted among
the rejects, now with one reason that says what the row is.

The leftmost not-imported columns are staged as text for this (``passive_columns``;
never checked, so a formula or a list in them refuses nothing).
"""

from __future__ import annotations

import duckdb
from sqlglot import exp

from huiqi.profiles.cellchecks import BLANKS
from huiqi.profiles.mapping import normalise_header
from huiqi.profiles.sqlexpr import case, col, concat, fn, is_null, lit, num, sql
from huiqi.profiles.stagesql import STAGE
from huiqi.profiles.totalsrow import NOTE_CELL, TOTAL_CELL, note_reason_sql

# The columns a mapping does not import that are staged as text for what they say about
# a row: at most this many, the leftmost (序号 and a name column stand at the left).
PASSIVE_MAX = 4
PASSIVE_PREFIX = "_ignored_"


def passive_columns(
    headers: list[str], skipped: set[str], positions: dict[int, str]
) -> dict[int, str]:
    """Position -> staged name of the not-imported columns with a header (``skipped``:
    the mapping's normalised headers it does not import), the leftmost
    :data:`PASSIVE_MAX`. A yearly file's 纳税人名称 or any sheet's 序号 is where a total
    row's word stands when its USCC cell is empty."""
    wanted = [
        i
        for i, h in enumerate(headers)
        if i not in positions and h.strip() and normalise_header(h) in skipped
    ]
    return {i: f"{PASSIVE_PREFIX}{i}" for i in wanted[:PASSIVE_MAX]}


def name_passive_rows(
    con: duckdb.DuckDBPyConnection,
    fields: list[str],
    passive: dict[int, str],
    headers: list[str],
    width: int,
) -> None:
    """Give one reason to each rejected row with no USCC whose not-imported cells say
    what it is, in place of "a value is required" for each empty key:

    * a total word (合计, 总计, 小计, Total) in one of them: a total row;
    * every imported cell empty and something in one of them (a template's
      pre-numbered row): nothing to import.

    Reads ``_stage`` (the ``passive`` columns, where staged) and rewrites ``_rejects``.
    """
    staged = {r[0] for r in con.execute(f"DESCRIBE {STAGE}").fetchall()}
    present = {p: n for p, n in passive.items() if n in staged}
    if not present or "uscc" not in fields:
        return

    def text(name: str) -> exp.Expression:
        return fn("nullif", fn("trim", col(name, "s"), lit(BLANKS)), lit(""))

    totals = [
        (
            fn("regexp_full_match", fn("coalesce", text(n), lit("")), lit(TOTAL_CELL)),
            concat(
                "'",
                text(n),
                f"' in column '{headers[p]}' with no USCC starts a total row, not an"
                " enterprise's: delete the row (totals are not imported; the other rows are)",
            ),
        )
        for p, n in present.items()
    ]
    notes = [
        (
            fn("regexp_full_match", fn("coalesce", text(n), lit("")), lit(NOTE_CELL)),
            note_reason_sql(text(n)),
        )
        for n in present.values()
    ]
    nothing = exp.and_(*(is_null(text(f)) for f in fields))
    # The columns, not their text: an ignored column may hold personal data.
    filled = fn(
        "concat_ws",
        lit(", "),
        *(case((is_null(text(n)).not_(), lit(f"'{headers[p]}'"))) for p, n in present.items()),
    )
    leftover = (
        exp.and_(nothing, exp.NEQ(this=filled, expression=lit(""))),
        concat(
            "the row holds nothing to import: its cells are empty except in column ",
            filled,
            ", which is not imported; delete the row, or fill in its cells",
        ),
    )
    reason = case(*totals, *notes, leftover)
    rejected = exp.select(col("_line")).distinct().from_("_rejects")
    select = (
        exp.select(col("_line", "s"), exp.alias_(reason, "reason"))
        .from_(exp.to_table(STAGE).as_("s"))
        .where(
            exp.and_(
                is_null(text("uscc")),
                is_null(col("_problem", "s")),
                exp.EQ(this=col("_cells", "s"), expression=num(width)),
                exp.In(this=col("_line", "s"), query=rejected.subquery()),
            )
        )
    )
    named = exp.select("*").from_(select.subquery("n")).where(is_null(col("reason")).not_())
    con.execute(
        sql(
            exp.Create(
                this=exp.to_table("_named_rows"),
                kind="TABLE",
                replace=True,
                expression=named,
                properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
            )
        )
    )
    lines = exp.select(col("_line")).from_("_named_rows")
    con.execute(
        sql(exp.delete("_rejects", where=exp.In(this=col("_line"), query=lines.subquery())))
    )
    con.execute(
        sql(
            exp.insert(
                exp.select(col("_line"), exp.alias_(lit("uscc"), "field"), col("reason")).from_(
                    "_named_rows"
                ),
                "_rejects",
            )
        )
    )
    con.execute("DROP TABLE _named_rows")  # our own name

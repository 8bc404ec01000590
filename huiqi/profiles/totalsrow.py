"""A registry sheet's total row, or a note below its table, with the word in the name
column and no USCC.

Offices' sheets often end with a row that sums the columns above. When the word (合计,
总计, 小计, Total) stands in the USCC column, the USCC check says it starts a total row
(:mod:`huiqi.profiles.rowcheck`). When it stands in the name column and the USCC cell
is empty, the row was refused as "a value is required", which sent a data steward
looking for a missing code. It is still refused (never imported) and counted among the
rejects, with a reason that says what it is (a word in a column that is not imported:
:mod:`huiqi.profiles.passive_rows`).

Below the table, sheets filled in by an office carry notes and the signature block:
"注：本表数据来源于…", "填表人：张三", "审核人：李四", "填报日期：2025年1月10日". Such a row
was refused as a missing or malformed USCC, or for a signature in a coded column (QA, qa5).
It is refused as a note (:data:`NOTE_CELL`, a word and a colon), as a total row is.
"""

from __future__ import annotations

import re

import duckdb
from sqlglot import exp

from huiqi.profiles.sqlexpr import and_, col, concat, fn, is_null, lit, not_, sql

# The whole name cell, as rowcheck's _TOTAL reads a USCC cell: 合计, 总 计, 小计：, Total.
TOTAL_CELL = r"(?i)\s*(?:[合总小共]\s*计|总\s*合\s*计|total|sum)\s*[:：]?\s*"


# A note or a signature line below a table: the word, an optional number (注1), a colon.
NOTE_CELL = (
    r"\s*(?:注|注释|附注|说明|填表说明|填报说明|备注|数据来源|资料来源|填表人|制表人|填报人|"
    r"经办人|审核人|复核人|负责人|单位负责人|统计负责人|联系人|联系电话|填报日期|制表日期|"
    r"填报单位|报送日期)\s*[0-9０-９一二三四五六七八九十]*\s*[:：].*"
)
NOTE_SHOWN = 40  # characters of a note quoted in its reason
# What a note's reason says after the note: the row's other cells are not read then.
NOTE_SAID = "' is a note below the table, not an enterprise's: "


def note_reason(text: str) -> str:
    """Why a row whose cell holds the note ``text`` is refused."""
    shown = text.strip()
    shown = shown if len(shown) <= NOTE_SHOWN else shown[:NOTE_SHOWN] + "…"
    return f"'{shown}{NOTE_SAID}delete the row (notes are not imported; the other rows are)"


def not_a_row_of(text: str, what: str, read: str = "imported") -> str | None:
    """Why a row whose key cell holds ``text`` is not one of a sheet's rows of ``what`` (a
    payment result, a request): a total word (合计) or a note or signature below the table
    (注：…, 制表人：…); None for any other text. ``read``: what is done with the sheet's
    other rows ("imported", "read")."""
    if re.fullmatch(TOTAL_CELL, text):
        return (
            f"'{text}' starts a total row, not {what}: delete the row (totals are not"
            f" {read}; the other rows are)"
        )
    if re.fullmatch(NOTE_CELL, text):
        shown = text if len(text) <= NOTE_SHOWN else text[:NOTE_SHOWN] + "…"
        return (
            f"'{shown}' is a note below the table, not {what}: delete the row (notes are"
            f" not {read}; the other rows are)"
        )
    return None


def note_reason_sql(text: exp.Expression) -> exp.Expression:
    """:func:`note_reason` of a cell's text in SQL."""
    shown = exp.If(
        this=exp.GT(this=fn("length", text), expression=exp.Literal.number(NOTE_SHOWN)),
        true=concat(fn("left", text, exp.Literal.number(NOTE_SHOWN)), "…"),
        false=text,
    )
    return concat(
        "'", shown, f"{NOTE_SAID}delete the row (notes are not imported; the other rows are)"
    )


def note_row_check(
    uscc: exp.Expression, name: exp.Expression
) -> tuple[exp.Expression, exp.Expression]:
    """The check of the USCC cell that comes before "a value is required": an empty USCC
    beside a note in the name cell (``name``: its trimmed text)."""
    return (
        and_(
            is_null(uscc),
            not_(is_null(name)),
            fn("regexp_full_match", name, lit(NOTE_CELL)),
        ),
        note_reason_sql(name),
    )


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


def only_the_note(con: duckdb.DuckDBPyConnection) -> None:
    """In ``_rejects`` (:mod:`huiqi.profiles.rowcheck`), a row whose USCC cell is refused
    as a note (注：…, 填表人：…) keeps that reason alone: the signatures beside it (审核人：…
    under 营业收入) are not figures gone wrong."""
    noted = (
        exp.select(col("_line"))
        .from_("_rejects")
        .where(
            exp.and_(
                exp.EQ(this=col("field"), expression=lit("uscc")),
                fn("contains", col("reason"), lit(NOTE_SAID)),
            )
        )
    )
    others = exp.and_(
        exp.NEQ(this=col("field"), expression=lit("uscc")),
        exp.In(this=col("_line"), query=noted.subquery()),
    )
    con.execute(sql(exp.delete("_rejects", where=others)))

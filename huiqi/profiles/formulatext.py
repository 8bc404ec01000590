'''Excel's text formula around a code in a registry file: ``="0610"``, read as ``0610``.

To keep a code's leading zeros (an industry class 0610, a district code, a USCC that a
sheet would show as a number) a spreadsheet user writes the cell as the formula
``="0610"``, which Excel shows as the text 0610. A CSV export keeps the formula, not
what Excel showed: the file holds ``="0610"`` (written for the CSV as ``"=""0610"""``),
and a file quoted once more holds ``"=""0610"""`` as its cell's text. The checks then
refused the cell ('="0610"' is not an industry class) with no hint of what it was.

Such a cell is read as the text inside the quotes, trimmed, as Excel shows it, whatever
the field: the formula computes nothing but that text, so nothing is guessed. Every one
is listed in ``normalised.csv`` (:func:`write_unwrapped`) and counted in the import's
report with its first lines, as a lower-case USCC upper-cased is. Only a formula that is
one quoted text is read so: any other (``="06"&"10"``, ``=A1``) computes a result the
file does not keep, and a field that checks its text refuses it saying so
(:func:`formula_check`); a free-text field (a name, an address) keeps any text, as before.
'''

from __future__ import annotations

import re
from collections.abc import Callable

import duckdb
from sqlglot import exp

from huiqi.profiles.cellchecks import BLANKS
from huiqi.profiles.sqlexpr import and_, case, col, concat, fn, lit, sql
from huiqi.profiles.stagesql import STAGE
from huiqi.sheetcells import safe_row

# ="0610", or that cell written for a CSV and read back as text: "=""0610""". RE2 and
# Python's re read it alike (the import's SQL and :func:`unwrapped` below).
FORMULA_TEXT = r'="([^"]*)"|"=""([^"]*)"""'
# Both shapes hold it: a cheap search before the pattern's.
MARK = '="'
CHANGE = "formula text unwrapped"
_SHAPE = re.compile(FORMULA_TEXT)


def unwrapped(text: str) -> str | None:
    '''The text Excel shows for a cell holding ``text``, where that is a text formula;
    None for any other text.

    >>> unwrapped('="0610"'), unwrapped(' "=""310115""" '), unwrapped('="06"&"10"')
    ('0610', '310115', None)
    '''
    found = _SHAPE.fullmatch(text.strip(BLANKS))
    if found is None:
        return None
    return (found[1] if found[1] is not None else found[2]).strip(BLANKS)


def unwrapped_text(v: exp.Expression, maybe: exp.Expression | None = None) -> exp.Expression:
    """``v`` (a trimmed cell) as :func:`unwrapped` reads it, else as it is. ``maybe``,
    when given, is FALSE for a row none of whose cells holds the mark (see
    :func:`formula_somewhere`): such a row's cells are not searched at all."""
    shaped = and_(fn("contains", v, lit(MARK)), fn("regexp_full_match", v, lit(FORMULA_TEXT)))
    if maybe is not None:
        shaped = and_(maybe, shaped)
    inner = fn("regexp_replace", v, lit(f"^(?:{FORMULA_TEXT})$"), lit(r"\1\2"))
    return case((shaped, fn("trim", inner, lit(BLANKS))), default=v)


def formula_check(v: exp.Expression) -> tuple[exp.Expression, exp.Expression]:
    """Refuse a formula other than a text one (read before the checks run): its result is
    not in the file, and the field's own check would only say the text is not a code."""
    return (
        fn("starts_with", v, lit("=")),
        concat(
            "'",
            v,
            "' is a spreadsheet formula, not its result: a CSV keeps the formula typed, not"
            " what the sheet showed; in the sheet, copy the column and paste it back as"
            " values (Paste Special > Values) into a column formatted as text, save the file"
            " and import it again",
        ),
    )


def formula_somewhere(fields: list[str]) -> exp.Expression:
    """TRUE when one of the row's cells may hold a text formula: one substring search
    over the row's cells joined, where nearly every registry row has none."""
    return fn("contains", fn("concat_ws", lit(""), *(col(f) for f in fields)), lit(MARK))


def write_unwrapped(
    con: duckdb.DuckDBPyConnection,
    write_row: Callable[[list[str]], object],
    *,
    file: str,
    stage: str,
    headers: dict[str, str],
    shown: int,
    wide: dict[tuple[str, int], str] | None = None,
) -> tuple[int, list[int]]:
    """Write with ``write_row`` (``normalised.csv``'s) every cell read as the text inside
    its formula that its field's checks accepted: file, line, column, field, the file's
    text, the value read and the change. Returns the count of cells and the lines of
    the first ``shown`` cells (a line per cell: a row may hold several). ``wide``: a wide
    sheet's (field, year) -> column header (:mod:`huiqi.profiles.wide`)."""
    from huiqi.profiles.checkselect import why  # it builds the checks on this module
    from huiqi.profiles.rowcheck import staged_twins
    from huiqi.profiles.wide import cell_at

    fields = list(headers)
    # A field read from a typed Parquet number (a typed twin) is staged as its digits: no
    # formula there, and no need to search 11 million rows' rendered amounts for one.
    twins = staged_twins(con, fields) if stage == STAGE else {}
    texts = [f for f in fields if f not in twins]
    if not texts:
        return 0, []
    marked = fn("contains", fn("concat_ws", lit(""), *(col(f, "s") for f in texts)), lit(MARK))
    # Nearly every file has none: one scan of the staged text, not a join with the checks.
    anywhere = exp.select("1").from_(exp.to_table(stage).as_("s")).where(marked).limit(1)
    if not con.execute(sql(anywhere)).fetchall():
        return 0, []
    query = (
        exp.select(col("_line", "s"))
        .select(*(col(f, "s") for f in fields))
        .select(*(exp.cast(col(f, "c"), "VARCHAR") for f in fields))
        .select(*(col(why(f), "c") for f in fields))
        .from_(exp.to_table(stage).as_("s"))
        .join(
            exp.to_table("_checked").as_("c"),
            on=exp.EQ(this=col("_line", "s"), expression=col("_line", "c")),
        )
        .where(marked)
        .order_by(col("_line", "s"))
    )
    n = len(fields)
    count, first = 0, list[int]()
    seen: set[tuple[int, str]] = set()
    result = con.execute(sql(query))
    while chunk := result.fetchmany(10_000):
        for staged_line, *cells in chunk:
            texts, stored, reasons = cells[:n], cells[n : 2 * n], cells[2 * n :]
            for f, text, value, reason in zip(fields, texts, stored, reasons, strict=True):
                if text is None or reason is not None or unwrapped(text) is None:
                    continue
                line, column = cell_at(staged_line, f, headers[f], wide)
                if (line, column) in seen:
                    continue  # a wide sheet's plain column: one cell for all its years
                if wide is not None:
                    seen.add((line, column))
                write_row(safe_row([file, line, column, f, text, value or "", CHANGE]))
                count += 1
                if len(first) < shown:
                    first.append(int(line))
    return count, first

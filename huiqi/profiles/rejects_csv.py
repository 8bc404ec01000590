"""``rejects.csv``, written by each import beside its report
(:mod:`huiqi.profiles.import_report`).

UTF-8 with BOM (so Excel opens it correctly): one row per refused cell with ``file, line,
column, field, value, reason``, then the whole original row under the file's own
headers, in the file's order: every cell, the columns the mapping does not import
included (:mod:`huiqi.profiles.reject_cells`), so that a data steward can fix the row and
import it again as it is. The imported columns' cells are the stage's (a person's
identifier masked). Written even when empty. Regression (qa9): the columns the mapping
ignores were left out, so a fixed row could not be imported again. A cell that a spreadsheet would run as a formula gets
an apostrophe in front (:mod:`huiqi.sheetcells`).
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
from sqlglot import exp

from huiqi.fsmode import open_private
from huiqi.profiles.import_report import FIRST_MESSAGES
from huiqi.profiles.reject_cells import ORIGINALS
from huiqi.profiles.sqlexpr import col, fn, lit, num, sql
from huiqi.profiles.stagesql import STAGE
from huiqi.sheetcells import safe_row


def reject_message(file: str, line: int, column: str, field: str, reason: str) -> str:
    """One reject as a single line: where, then why. A header typed on two lines in its
    cell (Alt+Enter: '营业收入' over '（万元）') is shown on one, as Excel shows it in a row."""
    if not field:
        return f"{file}, line {line}: {reason}"
    shown = " ".join(column.splitlines()) if "\n" in column or "\r" in column else column
    return f"{file}, line {line}, column '{shown}' (field '{field}'): {reason}"


def write_rejects(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    file: str,
    headers: list[str],
    positions: dict[int, str],
    wide: dict[tuple[str, int], str] | None = None,
    original: tuple[list[str], dict[int, str], int] | None = None,
) -> tuple[list[str], dict[str, int]]:
    """Write ``rejects.csv``; return the first messages and the count per field.
    ``wide``: (field, year) -> the file's header of that year's column, for a wide
    sheet's long rows (:mod:`huiqi.profiles.wide`): each names the file's line and
    the column of its year. ``original``: the file's headers, position -> column of
    ``_originals`` and the line scale (:mod:`huiqi.profiles.reject_cells`): the row is
    written whole under them, a cell the stage holds (not for a wide sheet) from it."""
    from huiqi.profiles.wide import cell_at

    header_of = {f: headers[i] for i, f in positions.items()}
    fields = [positions[i] for i in sorted(positions)]
    index = {f: i for i, f in enumerate(fields)}
    row_headers = [header_of[f] for f in fields]
    row_cells: list[exp.Expression] = [col(f, "s") for f in fields]
    query = (
        exp.select(col("_line", "r"), col("field", "r"), col("reason", "r"))
        .from_(exp.to_table("_rejects").as_("r"))
        .join(
            exp.to_table(STAGE).as_("s"),
            on=exp.EQ(this=col("_line", "s"), expression=col("_line", "r")),
        )
    )
    if original is not None:
        row_headers, columns, scale = original
        staged = {} if wide else {i: f for i, f in positions.items()}
        row_cells = [
            col(staged[i], "s") if i in staged else col(columns[i], "o")
            for i in range(len(row_headers))
        ]
        line = col("_line", "r")
        query = query.join(
            exp.to_table(ORIGINALS).as_("o"),
            on=exp.EQ(
                this=col("_line", "o"),
                expression=line if scale == 1 else exp.IntDiv(this=line, expression=num(scale)),
            ),
            join_type="left",
        )
    query = query.select(*(col(f, "s") for f in fields), *row_cells).order_by(
        col("_line", "r"),
        fn(
            "list_position",
            exp.Array(expressions=[lit(f) for f in ["", *fields]]),
            col("field", "r"),
        ),
    )
    messages: list[str] = []
    per_field: dict[str, int] = {}
    with open_private(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        # Every cell may hold the registry's text (values, headers): escaped against formulas.
        out.writerow(safe_row(["file", "line", "column", "field", "value", "reason", *row_headers]))
        result = con.execute(sql(query))
        while chunk := result.fetchmany(10_000):
            for line, field_name, reason, *cells in chunk:
                line, column = cell_at(line, field_name, header_of.get(field_name, ""), wide)
                value = cells[index[field_name]] if field_name in index else ""
                row = cells[len(fields) :]
                out.writerow(safe_row([file, line, column, field_name, value, reason, *row]))
                per_field[field_name or "(row)"] = per_field.get(field_name or "(row)", 0) + 1
                if len(messages) < FIRST_MESSAGES:
                    messages.append(reject_message(file, line, column, field_name, reason))
    return messages, per_field

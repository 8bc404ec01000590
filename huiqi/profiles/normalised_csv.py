"""``normalised.csv``, written by each import beside its report
(:mod:`huiqi.profiles.import_report`).

Every value stored in another form than the file's text (a lower-case USCC stored
upper-cased, a code written as Excel's text formula ``="0610"`` read as 0610): file,
line, column, field, the original text and what was stored. UTF-8 with BOM; written
even when empty.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
from sqlglot import exp

from huiqi.fsmode import open_private
from huiqi.profiles.checkselect import why
from huiqi.profiles.formulatext import write_unwrapped
from huiqi.profiles.import_report import FIRST_MESSAGES
from huiqi.profiles.sqlexpr import col, fn, lit, sql
from huiqi.profiles.stagesql import STAGE
from huiqi.sheetcells import safe_row


def write_normalised(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    file: str,
    uscc_header: str,
    industry_header: str | None = None,
    headers: dict[str, str] | None = None,
    wide: dict[tuple[str, int], str] | None = None,
) -> dict[str, tuple[int, list[int]]]:
    """Write ``normalised.csv``: every value stored in another form than the file's text.

    That is a USCC written in lower case, stored in upper case (GB 32100-2015 uses
    capitals only), an industry class written after its section letter (I6513),
    stored as the class alone (6513), and a cell of any of ``headers``' fields (field ->
    the file's header) written as Excel's text formula ``="0610"``, read as 0610
    (:mod:`huiqi.profiles.formulatext`; under ``"formula_text"``). Returns, per field,
    the count and the first line numbers. ``wide``: as :func:`huiqi.profiles.rejects_csv.write_rejects`'.
    """
    from huiqi.profiles.wide import cell_at

    kinds = [
        (
            "uscc",
            uscc_header,
            "upper-cased",
            # The cheap comparison first: the pattern runs only on the few codes it lets through.
            # Only a cell that is a valid code once upper-cased: a total row's 'Total:' was
            # listed (and counted) as a USCC upper-cased to 'TOTAL:'.
            exp.and_(
                exp.NEQ(this=col("uscc", "s"), expression=fn("upper", col("uscc", "s"))),
                fn("regexp_matches", col("uscc", "s"), lit("[a-z]")),
                col(why("uscc"), "c").is_(exp.null()),
            ),
        )
    ]
    if industry_header is not None:
        kinds.append(
            (
                "industry_class",
                industry_header,
                "section letter removed",
                exp.and_(
                    fn("regexp_matches", col("industry_class", "s"), lit("^\\s*[A-Za-z]")),
                    exp.NEQ(this=col("industry_class", "c"), expression=col("industry_class", "s")),
                ),
            )
        )
    found: dict[str, tuple[int, list[int]]] = {}
    with open_private(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["file", "line", "column", "field", "original", "stored", "change"])
        for field_name, header, change, condition in kinds:
            query = (
                exp.select(col("_line", "s"), col(field_name, "s"), col(field_name, "c"))
                .from_(exp.to_table(STAGE).as_("s"))
                .join(
                    exp.to_table("_checked").as_("c"),
                    on=exp.EQ(this=col("_line", "s"), expression=col("_line", "c")),
                )
                .where(condition)
                .order_by(col("_line", "s"))
            )
            count, first = 0, list[int]()
            last: tuple[int, str] | None = None
            result = con.execute(sql(query))
            while chunk := result.fetchmany(10_000):
                for staged_line, original, stored in chunk:
                    line, column = cell_at(staged_line, field_name, header, wide)
                    if (line, column) == last:
                        continue  # a wide sheet's plain column: one cell for all its years
                    last = (line, column)
                    out.writerow(
                        safe_row([file, line, column, field_name, original, stored, change])
                    )
                    count += 1
                    if len(first) < FIRST_MESSAGES:
                        first.append(int(line))
            found[field_name] = (count, first)
        found["formula_text"] = write_unwrapped(
            con,
            out.writerow,
            file=file,
            stage=STAGE,
            headers=headers or {},
            shown=FIRST_MESSAGES,
            wide=wide,
        )
    return found

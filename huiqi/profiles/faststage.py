"""The fast path into the staging table: DuckDB reads the registry file itself.

DuckDB's readers are parallel, stream the file and stay within the connection's
memory limit, where the recovering readers (:mod:`huiqi.profiles.readers`) decode
every CSV line in Python. The fast path is taken only where it gives exactly the
rows, cells and line numbers the recovering readers would, and anything it
cannot vouch for goes back to them, so every broken line is still reported with
its line number and every good row kept:

* CSV: only a file that :func:`huiqi.profiles.textlines.scan` found plain (one
  record per line: no blank line, no lone ``\\r``, no NUL, no space beside a quote,
  every line in the file's encoding) and whose header is its first line. DuckDB
  reads it strictly (any line it cannot split into the header's cells, or longer
  than the per-line reader's cell limit, fails the read); then the rows it read
  must be the file's lines less the header, and the cells past the header's (an
  export's padding) empty; a line that ends with a separator and holds more of them
  than the header goes back too (DuckDB drops such trailing empty cells silently). A row's line is its position in the file + 1, as the
  file was read in order. A GBK/GB18030 file is first copied as UTF-8 into
  ``scratch`` (DuckDB reads UTF-8 only); a chunk that does not decode sends it
  back too.
* Parquet: DuckDB's ``read_parquet`` with each row's index, when every mapped
  column has a type DuckDB and Arrow read alike; a damaged row group fails the
  read, and the per-row-group reader keeps the readable ones.

A failed fast path leaves nothing behind (its table is dropped) and costs one
partial read of the file.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import duckdb
from sqlglot import exp

from huiqi.fsmode import open_private
from huiqi.profiles.parquetstage import stage_parquet
from huiqi.profiles.readers import CHUNK_BYTES, Source
from huiqi.profiles.sqlexpr import col, fn, is_null, lit, num, sql
from huiqi.profiles.stagesql import STAGE
from huiqi.profiles.textlines import any_utf8_in_gbk

# Every character ``str.isspace`` accepts lies in the Basic Multilingual Plane (the
# last is U+3000); a test checks this against all of Unicode. Looking at 65,536 code
# points instead of 1,114,112 saves about a second of every import.
SPACES_BELOW = 0x10000


@functools.cache
def _spaces() -> tuple[int, ...]:
    """Python's whitespace (``str.isspace``): the per-line reader skips a row whose
    cells are all blank in that sense."""
    return tuple(c for c in range(SPACES_BELOW) if chr(c).isspace())


def blank(cell: exp.Expression) -> exp.Expression:
    """TRUE when a cell is missing, empty or only whitespace.

    The first character is compared before the pattern runs: a cell that starts with
    something else (nearly all of them) costs no pattern match.
    """
    pattern = "[" + "".join(f"\\x{{{c:x}}}" for c in _spaces()) + "]*"
    starts_blank = exp.In(this=fn("ord", cell), expressions=[num(c) for c in _spaces()])
    return fn(
        "coalesce",
        exp.or_(
            exp.EQ(this=cell, expression=lit("")),
            exp.and_(starts_blank, fn("regexp_full_match", cell, lit(pattern))),
        ),
        exp.true(),
    )


def stage_fast(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    positions: dict[int, str],
    scratch: Path | None,
    passive: dict[int, str] | None = None,
    *,
    view: bool = False,
) -> int | None:
    """Stage the file through DuckDB's own reader; the rows staged, or None to fall back.
    ``passive``: columns not imported but staged as text (CSV only, see ``staging``);
    ``view``: a Parquet file's stage may be a view over the file (``parquetstage``)."""
    if source.format == "csv":
        return _csv(con, source, positions, scratch, passive or {})
    if source.format == "parquet":
        return stage_parquet(con, source, positions, view=view)
    return None


def _drop(con: duckdb.DuckDBPyConnection, table: str) -> None:
    # Our own table name (STAGE), never a file's.
    con.execute(f"DROP TABLE IF EXISTS {table}")


def _count(con: duckdb.DuckDBPyConnection, query: exp.Expression) -> int:
    row = con.execute(sql(query)).fetchone()
    return int(row[0]) if row else 0


def transcode(path: Path, target: Path) -> bool:
    """Copy a GB18030 file as UTF-8, chunk by whole lines; False if a chunk does not decode
    or holds a UTF-8 line (which GB18030 decodes, as mojibake): the recovering reader
    rejects that line.

    An ASCII chunk is the same bytes in both encodings and is copied as it is: a tax
    or social-insurance file is codes and figures after its Chinese header, and
    decoding it cost most of this copy's time. A UTF-8 line is looked for only where a
    run of non-ASCII bytes opens as UTF-8 Chinese text would (``any_utf8_in_gbk``).
    """
    with path.open("rb") as fh, open_private(target, "wb") as out:
        while chunk := fh.read(CHUNK_BYTES):
            chunk += fh.readline()
            if chunk.isascii():
                out.write(chunk)
                continue
            if any_utf8_in_gbk(chunk):
                return False
            try:
                out.write(chunk.decode("gb18030").encode("utf-8"))
            except UnicodeDecodeError:
                return False
    return True


def _arg(name: str, value: exp.Expression) -> exp.Expression:
    return exp.EQ(this=exp.var(name), expression=value)


def _csv(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    positions: dict[int, str],
    scratch: Path | None,
    passive: dict[int, str],
) -> int | None:
    if not source.plain or source.lines is None:
        return None
    path = source.text_path
    if source.encoding == "gb18030":
        if scratch is None:
            return None
        path = scratch / "utf8.csv"
        try:
            if not transcode(source.path, path):
                return None
            return _read_csv(con, source, positions, path, passive)
        finally:
            path.unlink(missing_ok=True)
    return _read_csv(con, source, positions, path, passive)


def _read_csv_call(columns: exp.Struct, *options: exp.Expression) -> exp.Anonymous:
    """DuckDB's ``read_csv`` of the file (the statement's first parameter) past its header
    line, as text ``columns``, nothing guessed, with ``options`` (the separator, quoting).
    The per-line reader refuses a cell over csv.field_size_limit() characters: so does
    this one."""
    return exp.Anonymous(
        this="read_csv",
        expressions=[
            exp.Placeholder(),
            _arg("auto_detect", exp.false()),
            _arg("header", exp.false()),
            _arg("skip", num(1)),
            *options,
            _arg("strict_mode", exp.true()),
            _arg("max_line_size", num(csv.field_size_limit())),
            _arg("columns", columns),
        ],
    )


def _read_csv(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    positions: dict[int, str],
    path: Path,
    passive: dict[int, str],
) -> int | None:
    width, cells = len(source.headers), max(source.header_cells, len(source.headers))
    columns = exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier(f"c{i}", quoted=True), expression=lit("VARCHAR"))
            for i in range(cells)
        ]
    )
    read = _read_csv_call(
        columns,
        _arg("delim", exp.Placeholder()),
        _arg("quote", lit('"')),
        _arg("escape", lit('"')),
        _arg("null_padding", exp.false()),
    )
    # Straight into the staging table, a file column under its field's name (an
    # unmapped one under "_c<position>", dropped below): one copy of the file's cells.
    names = {i: positions.get(i) or passive.get(i) or f"_c{i}" for i in range(cells)}
    rows = exp.select(
        exp.alias_(exp.cast(exp.null(), "BIGINT"), "_line"),
        exp.alias_(exp.cast(num(width), "INTEGER"), "_cells"),
        exp.alias_(exp.cast(exp.null(), "VARCHAR"), "_problem"),
        *(exp.alias_(col(f"c{i}"), name, quoted=True) for i, name in names.items()),
    ).from_(exp.Table(this=read))
    # A table, not a view: later steps may rewrite staged cells (a relations import
    # masks persons before the rejects report is written).
    create = exp.Create(
        this=exp.to_table(STAGE),
        kind="TABLE",
        replace=True,
        expression=rows,
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
    )
    if _trailing_overflow(con, source, path):
        return None
    try:
        # Rows keep the file's order, so that a row's rowid gives its line.
        con.execute("SET preserve_insertion_order = true")
        con.execute(sql(create), [str(path), source.delimiter])
    except duckdb.Error:
        _drop(con, STAGE)
        return None
    finally:
        con.execute("SET preserve_insertion_order = false")
    total = exp.func("count", exp.Star())
    padded = [is_null(col(names[i])) for i in range(width, cells)]
    read = _count(con, exp.select(total).from_(STAGE))
    # Every line a record, and nothing in the cells past the header's.
    shape_ok = read == (source.lines or 0) - 1 and (
        not padded
        or _count(con, exp.select(total).from_(STAGE).where(exp.not_(exp.and_(*padded)))) == 0
    )
    if not shape_ok:
        _drop(con, STAGE)
        return None
    # Lines before any row is taken out: a row's line is its position in the file.
    line = exp.Add(this=col("rowid"), expression=num(2))
    con.execute(sql(exp.update(STAGE, {"_line": line})))
    # A row is empty only if its first cell is: look further only when one is.
    first = col(names[0])
    staged = read
    if _count(con, exp.select(total).from_(STAGE).where(blank(first))):
        empty_row = exp.and_(*(blank(col(name)) for name in names.values()))
        con.execute(sql(exp.delete(STAGE, where=empty_row)))
        staged = _count(con, exp.select(total).from_(STAGE))
    for i, name in names.items():
        if i not in positions and i not in passive:
            con.execute(f'ALTER TABLE {STAGE} DROP COLUMN "{name}"')  # our own "_c<i>"
    return staged


def _trailing_overflow(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> bool:
    """Whether a line ends with a separator and holds more separators than the header.

    DuckDB's strict reader takes empty cells after a line's last column without a
    word, and the per-line reader takes them for padding only up to the header's own
    cells: past that they are the sign of a value with an unquoted separator
    (``1,234``) that pushed the row's cells right. Such a file goes to the per-line
    reader, which rejects the row; a quoted separator only costs that detour. Each
    line is read whole here (a plain file holds no control character to split it).
    """
    line = col("l")
    separators = exp.Sub(
        this=fn("length", line),
        expression=fn("length", fn("replace", line, exp.Placeholder(), lit(""))),
    )
    lines = _read_csv_call(
        exp.Struct(
            expressions=[exp.PropertyEQ(this=exp.to_identifier("l"), expression=lit("VARCHAR"))]
        ),
        _arg("delim", lit("\x01")),
        _arg("quote", lit("")),
        _arg("escape", lit("")),
    )
    query = (
        exp.select(exp.func("count", exp.Star()))
        .from_(exp.Table(this=lines))
        .where(
            exp.and_(
                fn("ends_with", line, exp.Placeholder()),
                exp.GT(this=separators, expression=num(max(source.header_cells, 1) - 1)),
            )
        )
    )
    delimiter = source.delimiter
    try:
        row = con.execute(sql(query), [str(path), delimiter, delimiter]).fetchone()
    except duckdb.Error:
        return True
    return bool(row and row[0])

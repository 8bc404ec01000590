"""Wide yearly sheets: one row per enterprise, a group of columns per year, the year
in the header ("2023年营业收入(元)", "营业收入(2023年)", "2023年度营业收入") rather than
in a column. A statistics or tax office often exports its yearly figures so.

Such a file is read as the long file it stands for: its header is seen as the base
headers (the year taken off) and a year column, which a yearly mapping fits as any
long file's; the file's columns are staged as they are (a year's column under
``<field>@<year>``), then :func:`unpivot` turns the stage into one row per
(enterprise, year), in SQL. A year whose cells are all empty gives no row; a line
whose every year is empty gives none at all, and the report counts such lines and names
the first (:class:`Unpivoted`).

Every count of the report is of those rows, one per enterprise and year: a line the
reader could not read (or of another width than the header) is rejected once, with its
first year, and counts as a rejected row for each of the sheet's years, since none of
them is imported.

A column with no year in its header that the mapping imports as a field other than a
key ("纳税信用等级" beside "2023年营业收入" and "2024年营业收入") is refused,
naming it: copied into every year's row, a rating given for one year would stand for
all of them, and huiqi does not guess which year it is
(:func:`refuse_year_less`).

A staged row's ``_line`` is then ``line * LINE_SCALE + year``: the checks tell rows
apart by it (a bad cell in 2024's column rejects that year's row only), and every
message that names a line gives ``_line // LINE_SCALE``, the line of the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlglot import exp

from huiqi.errors import ImportFileError
from huiqi.profiles.column_units import Declared, column_units
from huiqi.profiles.faststage import blank
from huiqi.profiles.mapping import Mapping, normalise_header
from huiqi.profiles.mapping_finder import detect_mapping
from huiqi.profiles.readers import Source
from huiqi.profiles.sqlexpr import col, fn, lit, num, sql
from huiqi.profiles.stagesql import STAGE
from huiqi.profiles.unit_variants import with_header_units

# Years are below 10,000: a long row's _line keeps its year in its last four digits.
LINE_SCALE = 10_000
WIDE = "_wide"
# The header the year column gets in the long view: every yearly mapping knows it.
YEAR_HEADER = "年度"
# How many of the lines empty in every year the report names.
FIRST_EMPTY = 10

_YEAR = r"((?:19|20)\d\d)\s*(?:年度|年)?"
_BEFORE = re.compile(rf"^\s*{_YEAR}\s*(?=[^\d\s])(.+?)\s*$")
_AFTER = re.compile(rf"^\s*(.+?)\s*[（(]\s*{_YEAR}\s*[）)]\s*$")


def split_year(header: str) -> tuple[int, str] | None:
    """(year, the header without it), or None when the header names no year:
    "2023年营业收入(元)" -> (2023, "营业收入(元)"); "营业收入(2023年)" -> (2023, "营业收入")."""
    m = _BEFORE.match(header)
    if m is not None:
        return int(m.group(1)), m.group(2)
    m = _AFTER.match(header)
    if m is not None and m.group(1).strip():
        return int(m.group(2)), m.group(1)
    return None


@dataclass(frozen=True)
class WideHeader:
    """A wide header seen as a long one.

    ``long``: the base headers, each once, then :data:`YEAR_HEADER`; ``base``: wide
    column -> its long column; ``year``: wide column -> its year (year columns only).
    """

    headers: list[str]
    long: list[str]
    base: dict[int, int]
    year: dict[int, int]

    @property
    def years(self) -> list[int]:
        return sorted(set(self.year.values()))

    def positions(self, long_positions: dict[int, str]) -> dict[int, str]:
        """Wide column -> staged name: its field, or ``<field>@<year>`` for a year's."""
        out: dict[int, str] = {}
        for i, j in self.base.items():
            field = long_positions.get(j)
            if field is None:
                continue
            out[i] = f"{field}@{self.year[i]}" if i in self.year else field
        return out

    def column_of(self, long_positions: dict[int, str]) -> dict[tuple[str, int], str]:
        """(field, year) -> the file's header of that year's column."""
        out: dict[tuple[str, int], str] = {}
        for i, y in self.year.items():
            field = long_positions.get(self.base[i])
            if field is not None:
                out[(field, y)] = self.headers[i]
        return out


def wide_header(file: str, headers: list[str]) -> WideHeader | None:
    """The long view of a header whose columns name years, or None when none does (or
    when it already has a year column). Two columns for one header and year are refused,
    naming both."""
    split = {i: split_year(h) for i, h in enumerate(headers)}
    if not any(split.values()) or any(normalise_header(h) == YEAR_HEADER for h in headers):
        return None
    long: list[str] = []
    index: dict[str, int] = {}
    base: dict[int, int] = {}
    year: dict[int, int] = {}
    seen: dict[tuple[str, int], int] = {}
    for i, h in enumerate(headers):
        found = split[i]
        text = h if found is None else found[1]
        key = normalise_header(text)
        if found is not None:
            if (key, found[0]) in seen:
                other = headers[seen[(key, found[0])]]
                raise ImportFileError(
                    f"{file}: columns '{other}' and '{h}' both give '{text}' for {found[0]}; "
                    "keep one of them and import again"
                )
            seen[(key, found[0])] = i
            year[i] = found[0]
        elif key in index:
            long.append(text)  # a repeated plain column: the mapping refuses it as usual
            base[i] = len(long) - 1
            continue
        if key not in index:
            index[key] = len(long)
            long.append(text)
        base[i] = index[key]
    return WideHeader(headers=headers, long=[*long, YEAR_HEADER], base=base, year=year)


@dataclass(frozen=True)
class Unpivoted:
    """What :func:`unpivot` made of a wide sheet's lines: ``lines`` read, ``unreadable``
    (the reader could not read them, or of another width than the header: each kept once,
    with the sheet's first year), ``empty`` (no value in any year's column: no row) and
    the first of those, by their line in the file."""

    lines: int = 0
    unreadable: int = 0
    empty: int = 0
    empty_first: tuple[int, ...] = ()


def unpivot(
    con: duckdb.DuckDBPyConnection, wide: WideHeader, long_positions: dict[int, str]
) -> Unpivoted:
    """Turn the staged wide rows into long ones (``_stage``), one per row and year whose
    cells are not all empty; a row the reader could not read (or of another width than
    the header) is kept once, for its reason to be reported. Returns what became of the
    lines."""
    staged = wide.positions(long_positions)
    year_field = long_positions[len(wide.long) - 1]
    yearly = sorted({n.split("@")[0] for i, n in staged.items() if i in wide.year})
    plain = [n for i, n in staged.items() if i not in wide.year]
    extra = [
        c[0]
        for c in con.execute(f"SELECT * FROM {STAGE} LIMIT 0").description  # our own table
        if c[0] not in {"_line", "_cells", "_problem", *staged.values()}
    ]
    is_view = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [STAGE]
    ).fetchone()
    kind = "VIEW" if is_view and is_view[0] else "TABLE"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {WIDE} AS SELECT * FROM {STAGE}")
    con.execute(f"DROP {kind} {STAGE}")
    first = wide.years[0]
    # A row the reader could not read, or of another width than the header: rejected
    # once, with the first year (its cells cannot be told apart by year).
    problem = exp.or_(
        exp.not_(col("_problem").is_(exp.null())),
        exp.NEQ(this=col("_cells"), expression=num(len(wide.headers))),
    )
    every = [n for f in yearly for y in wide.years if (n := f"{f}@{y}") in staged.values()]
    empty = exp.and_(exp.not_(problem.copy()), *(blank(col(n)) for n in every))
    found = _lines_of(con, problem, empty)
    parts = []
    for y in wide.years:
        names = [f"{f}@{y}" for f in yearly if f"{f}@{y}" in staged.values()]
        filled = exp.not_(exp.and_(*(blank(col(n)) for n in names))) if names else exp.false()
        keep = exp.or_(
            exp.and_(problem.copy(), exp.EQ(this=num(y), expression=num(first))),
            exp.and_(exp.not_(problem.copy()), filled),
        )
        line = exp.Add(
            this=exp.Mul(this=col("_line"), expression=num(LINE_SCALE)), expression=num(y)
        )
        cells = [
            exp.alias_(col(f"{f}@{y}") if f"{f}@{y}" in names else exp.null(), f, quoted=True)
            for f in yearly
        ]
        parts.append(
            exp.select(
                exp.alias_(line, "_line"),
                col("_cells"),
                col("_problem"),
                *(col(n) for n in plain),
                exp.alias_(lit(str(y)), year_field, quoted=True),
                *cells,
                *(col(n) for n in extra),
            )
            .from_(WIDE)
            .where(keep)
        )
    union: exp.Expression = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    query = exp.select("*").from_(union.subquery("u")).order_by(col("_line"))
    con.execute(f"CREATE TEMP TABLE {STAGE} AS {sql(query)}")
    con.execute(f"DROP TABLE {WIDE}")
    return found


def _lines_of(
    con: duckdb.DuckDBPyConnection, problem: exp.Expression, empty: exp.Expression
) -> Unpivoted:
    """Count the wide stage's lines, its unreadable ones and its empty ones (and name the
    first of those)."""
    counted = exp.select(
        fn("count", exp.Star()),
        fn("count_if", problem.copy()),
        fn("count_if", empty.copy()),
    ).from_(WIDE)
    row = con.execute(sql(counted)).fetchone()
    lines, unreadable, blank_lines = (int(v) for v in row) if row else (0, 0, 0)
    first = (
        exp.select(col("_line"))
        .from_(WIDE)
        .where(empty.copy())
        .order_by(col("_line"))
        .limit(FIRST_EMPTY)
    )
    shown = tuple(int(r[0]) for r in con.execute(sql(first)).fetchall()) if blank_lines else ()
    return Unpivoted(lines=lines, unreadable=unreadable, empty=blank_lines, empty_first=shown)


def cell_at(
    line: int, field: str, header: str, wide: dict[tuple[str, int], str] | None
) -> tuple[int, str]:
    """(the file's line, the column's header) of a staged cell: for a wide sheet's long row
    (``wide``: (field, year) -> the year's column header), the line its ``_line`` encodes
    and its year's column; else ``line`` and ``header`` as they are."""
    if wide is None:
        return line, header
    return line // LINE_SCALE, wide.get((field, line % LINE_SCALE), header)


def fit_wide(
    source: Source, named: Mapping | None, folder: Path, refused: ImportFileError
) -> tuple[Source, WideHeader, Mapping]:
    """The file with its wide header (the first row, or the first below it that fits:
    a title and a line such as "单位：万元" may stand above it), that header's long view
    and the yearly mapping (``named``, or the one detected) that fits it, reading a
    money column in the unit the sheet declares for it (``column_units``); ``refused``
    (why the header as it is fits none) when no row is a wide header that a yearly
    mapping fits. A fitting header with a column of no year that the mapping imports is
    refused (:func:`refuse_year_less`)."""
    file = str(source.path)

    def fits(headers: list[str], declared: dict[int, Declared]) -> tuple[WideHeader, Mapping]:
        wide = wide_header(file, headers)
        if wide is None:
            raise refused
        units: dict[int, Declared] = {}
        for column, unit in declared.items():
            if column in wide.base:
                units.setdefault(wide.base[column], unit)
        try:
            if named is not None:
                chosen = with_header_units(named, wide.long, units)
            else:
                chosen = detect_mapping(file, wide.long, folder, units)
            chosen.resolve(file, wide.long)
        except ImportFileError:
            raise refused from None
        if chosen.layout != "yearly":
            raise refused
        return wide, chosen

    rows = [] if source.format == "parquet" else source.header_rows()
    if not rows:
        wide, chosen = fits(source.headers, {})
        refuse_year_less(file, wide, chosen)
        return source, wide, chosen
    for i, (line, cells) in enumerate(rows):
        try:
            wide, chosen = fits(cells, column_units(rows, i, len(cells)))
        except ImportFileError as exc:
            if exc is not refused and i == 0:
                raise  # the first row's two columns for one header and year
            continue
        refuse_year_less(file, wide, chosen)
        return (source if i == 0 else source.with_header(line, cells, rows[:i])), wide, chosen
    raise refused


def refuse_year_less(file: str, wide: WideHeader, chosen: Mapping) -> None:
    """Refuse a wide sheet with a column that names no year and that ``chosen`` imports as
    a field other than a key ("纳税信用等级" beside "2023年营业收入"): copied into every
    year's row, one year's value would stand for all of them."""
    positions = chosen.resolve(file, wide.long)
    year_less = [
        (wide.headers[i], field)
        for i, j in sorted(wide.base.items())
        if i not in wide.year
        and (field := positions.get(j)) is not None
        and field not in chosen.keys
    ]
    if not year_less:
        return
    columns = ", ".join(f"'{h}' ({f})" for h, f in year_less)
    example = f"'{wide.years[-1]}年{year_less[0][0]}'"
    raise ImportFileError(
        f"{file}: the column(s) {columns} of a wide sheet (a column group per year:"
        f" {', '.join(map(str, wide.years))}) name no year; huiqi does not guess which year"
        " such a column is of, nor copies one year's value into every year, so nothing was"
        f" imported. Put the year in the header ({example}), or take the column out of this"
        " sheet and import it as a long file with a year column (年度)"
    )

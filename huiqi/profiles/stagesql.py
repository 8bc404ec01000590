"""The staging table's SQL: its columns, and file columns rendered as the text a person typed.

The staging table ``_stage`` has ``_line``, ``_cells``, ``_problem`` (why the
row cannot be imported at all: the reader's reason, or a column of the wrong
shape) and one VARCHAR column per mapped field, named after the dictionary field
(never after the file's header). Typed Parquet columns are turned into text in
SQL: floating-point numbers are rounded to 15 significant digits (what Excel
shows), so a stored 0.1 + 0.2 becomes "0.3" and an integral 12.0 becomes "12", and
NaN (pandas' missing float) is an empty cell;
timestamps at midnight become dates (one with a time zone is read as the wall
time of its zone); lists become ``;``-separated tags.

A Parquet column of integers or decimals that feeds a number field is also kept as it
is, in a *typed twin* ``_typed__<field>`` beside its text: its text is plain digits by
construction, so the checks can take the value from the twin instead of parsing the
text again (``rowcheck``); the text stays for the messages and the rejects file.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import duckdb
import pyarrow as pa
from sqlglot import exp

from huiqi.profiles.dictionary import load_dictionary
from huiqi.profiles.sqlexpr import case, cast, col, fn, is_null, lit, num, sql

STAGE = "_stage"
TYPED_PREFIX = "_typed__"
# Field types whose checks can read a typed twin (see ``validate``).
NUMBER_FIELDS = ("integer", "money", "decimal")


def _float_text(x: exp.Expression) -> exp.Expression:
    digits = exp.Sub(
        this=num(14),
        expression=cast(fn("floor", fn("log10", fn("abs", x))), "INTEGER"),
    )
    # DuckDB prints a double in its shortest round-trip form, which is positional
    # between 1e-4 and 1e15; only the ".0" of integral values needs removing.
    rounded = cast(fn("round", x, digits), "VARCHAR")
    plain = fn("regexp_replace", rounded, lit(r"\.0$"), lit(""))
    magnitude = fn("abs", x)
    return case(
        # NaN is how pandas and numpy write a missing float: an empty cell, not a value.
        (fn("isnan", x), exp.null()),
        (exp.EQ(this=x, expression=num(0)), lit("0")),
        (
            exp.and_(
                fn("isfinite", x),
                exp.GTE(this=magnitude, expression=num("1e-4")),
                exp.LT(this=magnitude, expression=num("1e15")),
            ),
            plain,
        ),
        default=cast(x, "VARCHAR"),
    )


_OFFSET = re.compile(r"([+-])([0-9]{2}):?([0-9]{2})")


def _wall_time(x: exp.Expression, tz: str) -> exp.Expression:
    """A time-zone-aware timestamp as the wall time of its own zone (a naive TIMESTAMP):
    what the registry wrote. DuckDB cannot cast a TIMESTAMPTZ to TIME, and its DATE of
    one is the session's zone's date, not the file's."""
    offset = _OFFSET.fullmatch(tz)
    if offset is None:
        return fn("timezone", lit(tz), x)
    sign, hours, minutes = offset.groups()
    shift = exp.Interval(
        this=lit(str((int(hours) * 60 + int(minutes)) * (-1 if sign == "-" else 1))),
        unit=exp.var("MINUTE"),
    )
    return exp.Add(this=fn("timezone", lit("UTC"), x), expression=shift)


def _timestamp_text(x: exp.Expression) -> exp.Expression:
    midnight = exp.EQ(this=cast(x, "TIME"), expression=cast(lit("00:00:00"), "TIME"))
    return case((midnight, cast(cast(x, "DATE"), "VARCHAR")), default=cast(x, "VARCHAR"))


def as_text(arrow_type: pa.DataType) -> Callable[[exp.Expression], exp.Expression]:
    """The SQL that renders a column of this Arrow type as text."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return lambda x: x
    if pa.types.is_floating(arrow_type):
        return _float_text
    if pa.types.is_timestamp(arrow_type):
        tz = arrow_type.tz
        if tz:
            return lambda x: _timestamp_text(_wall_time(x, tz))
        return _timestamp_text
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return lambda x: fn("array_to_string", x, lit(";"))
    return lambda x: cast(x, "VARCHAR")


def wrong_shape(arrow_type: pa.DataType, field: str, header: str) -> str | None:
    """Why a column of this type cannot feed ``field`` (None when it can).

    A structure, a map or a list is not a value: rendered as text it would store
    "{'a': 1}" as a name. Lists are right only for tags.
    """
    nested = (
        pa.types.is_struct(arrow_type)
        or pa.types.is_map(arrow_type)
        or pa.types.is_union(arrow_type)
        or pa.types.is_fixed_size_list(arrow_type)
    )
    is_list = pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type)
    f = load_dictionary().get(field)
    if is_list and f is not None and f.type == "tags":
        return None
    if not (nested or is_list):
        return None
    return (
        f"column '{header}' (field '{field}') holds {arrow_type} values, not single values; "
        "export the column as plain values"
    )


def typed_name(field: str) -> str:
    return TYPED_PREFIX + field


def twin_type(arrow_type: pa.DataType, field: str) -> str | None:
    """The SQL type of the typed twin of a column of this Arrow type feeding ``field``
    (None: the column is staged as text only)."""
    f = load_dictionary().get(field)
    if f is None or f.type not in NUMBER_FIELDS:
        return None
    if pa.types.is_integer(arrow_type) and not pa.types.is_uint64(arrow_type):
        return "BIGINT"  # every other integer type fits
    if pa.types.is_decimal128(arrow_type):
        return f"DECIMAL({arrow_type.precision},{arrow_type.scale})"
    return None


def typed_twins(types: dict[int, pa.DataType], positions: dict[int, str]) -> dict[int, str]:
    """Position -> SQL type, for each mapped column that gets a typed twin."""
    twins = {p: twin_type(types[p], f) for p, f in positions.items()}
    return {p: t for p, t in twins.items() if t is not None}


def create_stage(
    con: duckdb.DuckDBPyConnection, fields: list[str], twins: dict[str, str] | None = None
) -> None:
    """The staging table: a text column per field, then a typed twin per ``twins``
    entry (field -> SQL type), in that order."""
    columns = [
        exp.ColumnDef(this=exp.to_identifier("_line"), kind=exp.DataType.build("BIGINT")),
        exp.ColumnDef(this=exp.to_identifier("_cells"), kind=exp.DataType.build("INTEGER")),
        exp.ColumnDef(this=exp.to_identifier("_problem"), kind=exp.DataType.build("VARCHAR")),
        *(
            exp.ColumnDef(
                this=exp.to_identifier(f, quoted=True), kind=exp.DataType.build("VARCHAR")
            )
            for f in fields
        ),
        *(
            exp.ColumnDef(this=exp.to_identifier(typed_name(f)), kind=exp.DataType.build(t))
            for f, t in (twins or {}).items()
        ),
    ]
    schema = exp.Schema(this=exp.to_table(STAGE), expressions=columns)
    con.execute(
        sql(
            exp.Create(
                this=schema,
                kind="TABLE",
                replace=True,
                properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
            )
        )
    )


def stage_select(
    types: dict[int, pa.DataType],
    positions: dict[int, str],
    headers: list[str],
    table: exp.Expression,
    twins: dict[int, str] | None = None,
    passive: dict[int, str] | None = None,
) -> exp.Select:
    """Rows of ``table`` (``_line, _cells, _problem, c0...``) as staged rows.

    ``types`` gives the Arrow type of each mapped position's column ``c<position>``;
    ``twins`` (position -> SQL type) the columns also staged as typed twins, after the
    text columns (as :func:`create_stage` orders them). ``passive`` (position -> staged
    name) are columns not imported, staged as text after the mapped ones and never
    checked (``types`` gives theirs too).
    """
    rendered: list[exp.Expression] = []
    problems: list[exp.Expression] = [col("_problem")]
    for position, field in positions.items():
        render = as_text(types[position])
        rendered.append(exp.alias_(render(col(f"c{position}")), field, quoted=True))
        wrong = wrong_shape(types[position], field, headers[position])
        if wrong is not None:
            problems.append(case((exp.not_(is_null(col(f"c{position}"))), lit(wrong))))
    for position, name in (passive or {}).items():
        rendered.append(exp.alias_(as_text(types[position])(col(f"c{position}")), name))
    problem = problems[0] if len(problems) == 1 else fn("coalesce", *problems)
    typed = [
        exp.alias_(cast(col(f"c{p}"), t), typed_name(positions[p]))
        for p, t in (twins or {}).items()
    ]
    select = exp.select(
        col("_line"), col("_cells"), exp.alias_(problem, "_problem"), *rendered, *typed
    )
    return select.from_(table)

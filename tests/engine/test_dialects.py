"""Where SQL dialects differ, each difference shown on the engines, and how huiqi handles it.

For each difference the raw rendering of a neutral tree gives another answer on some
engine, and the tree adapted for the dialect (``sql.dialect``) gives the reference
evaluator's answer on every engine that runs here: DuckDB always, Spark where pyspark
and Java are, PostgreSQL where HUIQI_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from engine_factories import compile_yaml, policy_yaml
from sqlglot import exp

from huiqi.engine.compile.lower import add_interval
from huiqi.engine.sql.dialect import PostgresDialect, SparkDialect, SqlDialect
from huiqi.errors import PolicyError

Run = Callable[[exp.Expression], Any]


class DuckDialect(SqlDialect):
    name = "duckdb"


def _select(tree: exp.Expression, dialect: str) -> str:
    return exp.select(exp.alias_(tree, "v")).sql(dialect=dialect)


@pytest.fixture(scope="module")
def pg() -> Iterator[Any]:
    url = os.environ.get("HUIQI_TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL tests need HUIQI_TEST_DATABASE_URL")
    import psycopg

    with psycopg.connect(url) as conn:
        yield conn


@pytest.fixture(params=["duckdb", "postgres", "spark"])
def engine(request: pytest.FixtureRequest) -> tuple[SqlDialect, Run, Run]:
    """(the dialect, run a tree as rendered, run a tree adapted for the dialect)."""
    name = request.param
    if name == "duckdb":
        con = duckdb.connect()

        def run(tree: exp.Expression) -> Any:
            row = con.execute(_select(tree, "duckdb")).fetchone()
            return row[0] if row else None

        dialect: SqlDialect = DuckDialect()
    elif name == "postgres":
        conn = request.getfixturevalue("pg")

        def run(tree: exp.Expression) -> Any:
            try:
                row = conn.execute(_select(tree, "postgres")).fetchone()
            finally:
                conn.rollback()
            return row[0] if row else None

        dialect = PostgresDialect()
    else:
        session = request.getfixturevalue("spark")

        def run(tree: exp.Expression) -> Any:
            return session.sql(_select(tree, "spark")).collect()[0][0]

        dialect = SparkDialect()
    return dialect, run, lambda tree: run(dialect.adapt(tree))


def _n(text: str) -> exp.Literal:
    return exp.Literal.number(text)


def _dec(text: str, scale: int) -> exp.Expression:
    return exp.Cast(this=_n(text), to=exp.DataType.build(f"DECIMAL(38, {scale})"))


def test_division_is_a_float_quotient_everywhere(engine: tuple[SqlDialect, Run, Run]) -> None:
    _, _, adapted = engine
    assert adapted(exp.Div(this=_n("7"), expression=_n("2"))) == 3.5
    assert adapted(exp.Div(this=_dec("7", 0), expression=_dec("2", 0))) == 3.5
    assert isinstance(adapted(exp.Div(this=_dec("1", 2), expression=_dec("3", 2))), float)


def test_postgres_divides_integers_and_spark_divides_decimals_unless_adapted(
    pg: Any, spark: Any
) -> None:
    assert pg.execute("SELECT 7 / 2").fetchone()[0] == 3
    raw = spark.sql(_select(exp.Div(this=_dec("7", 0), expression=_dec("2", 0)), "spark"))
    assert isinstance(raw.collect()[0][0], Decimal)


def test_date_plus_interval_is_a_date_with_month_ends_clamped(
    engine: tuple[SqlDialect, Run, Run],
) -> None:
    _, _, adapted = engine
    day = exp.Cast(this=exp.Literal.string("2024-01-31"), to=exp.DataType.build("DATE"))
    month = exp.Interval(this=exp.Literal.string("1"), unit=exp.Var(this="MONTH"))
    value = adapted(exp.Add(this=day, expression=month))
    assert value == add_interval(dt.date(2024, 1, 31), 1, "MONTH") == dt.date(2024, 2, 29)
    assert type(value) is dt.date


def test_postgres_makes_date_plus_interval_a_timestamp_unless_adapted(pg: Any) -> None:
    raw = pg.execute("SELECT DATE '2024-01-31' + INTERVAL '1 month'").fetchone()[0]
    assert raw == dt.datetime(2024, 2, 29)


def _tag_of_no_list() -> exp.Expression:
    tags = exp.Cast(this=exp.Null(), to=exp.DataType.build("ARRAY<VARCHAR>"))
    return exp.ArrayContains(this=tags, expression=exp.Literal.string("ai"))


def test_a_tag_of_a_missing_list_is_unknown(engine: tuple[SqlDialect, Run, Run]) -> None:
    _, _, adapted = engine
    assert adapted(_tag_of_no_list()) is None


def test_postgres_rendering_of_a_tag_test_says_false_for_a_missing_list(pg: Any) -> None:
    assert pg.execute(_select(_tag_of_no_list(), "postgres")).fetchone()[0] is False


def test_null_in_an_in_list_is_unknown_in_sql_and_refused_in_rules(
    engine: tuple[SqlDialect, Run, Run],
) -> None:
    _, run, _ = engine
    assert run(exp.In(this=_n("1"), expressions=[_n("2"), exp.Null()])) is None
    assert run(exp.In(this=_n("2"), expressions=[_n("2"), exp.Null()])) is True
    with pytest.raises(PolicyError, match="IN takes a list of literal values"):
        compile_yaml(policy_yaml([("c", "employees IN (1, NULL)")]))


@pytest.mark.parametrize(
    ("value", "fen"), [("2.345", "2.35"), ("-2.345", "-2.35"), ("0.005", "0.01"), ("2.344", "2.34")]
)
def test_rounding_to_the_fen_is_half_up_on_exact_decimals(
    engine: tuple[SqlDialect, Run, Run], value: str, fen: str
) -> None:
    _, run, _ = engine
    assert run(exp.Round(this=_dec(value, 3), decimals=_n("2"))) == Decimal(fen)


def test_postgres_rounds_floats_half_even_which_is_why_money_is_never_a_float(pg: Any) -> None:
    assert pg.execute("SELECT round(2.5::float8), round(2.5::numeric)").fetchone() == (2, 3)


def test_products_of_38_digit_decimals_keep_their_scale(
    engine: tuple[SqlDialect, Run, Run],
) -> None:
    _, run, _ = engine
    product = exp.Mul(this=_dec("1.01", 2), expression=_dec("0.000001", 6))
    assert run(product) == Decimal("0.00000101")


def test_spark_would_drop_decimals_past_38_digits_without_the_backends_setting(
    spark: Any,
) -> None:
    key = "spark.sql.decimalOperations.allowPrecisionLoss"
    product = exp.Mul(this=_dec("1.01", 2), expression=_dec("0.000001", 6))
    spark.conf.set(key, "true")
    try:
        lossy = spark.sql(_select(product, "spark")).collect()[0][0]
    finally:
        spark.conf.set(key, SparkDialect.session_conf[key])
    assert lossy == Decimal("0.000001")


@pytest.mark.parametrize(
    ("tree", "want"),
    [
        (exp.And(this=exp.Null(), expression=exp.false()), False),
        (exp.And(this=exp.Null(), expression=exp.true()), None),
        (exp.Or(this=exp.Null(), expression=exp.true()), True),
        (exp.Or(this=exp.Null(), expression=exp.false()), None),
        (exp.Not(this=exp.Null()), None),
        (exp.EQ(this=exp.Null(), expression=exp.Null()), None),
    ],
)
def test_three_valued_logic_is_the_same_everywhere(
    engine: tuple[SqlDialect, Run, Run], tree: exp.Expression, want: bool | None
) -> None:
    _, run, _ = engine
    assert run(tree.copy()) is want


def test_chinese_text_compares_by_code_point_everywhere(
    engine: tuple[SqlDialect, Run, Run],
) -> None:
    _, run, _ = engine
    less = exp.LT(this=exp.Literal.string("北京"), expression=exp.Literal.string("上海"))
    assert run(less) is ("北京" < "上海") is False
    same = exp.EQ(this=exp.Literal.string("测试企业"), expression=exp.Literal.string("测试企业"))
    assert run(same) is True


def test_postgres_tables_compare_text_by_code_point_whatever_the_locale(
    pg: Any, tmp_path: Path
) -> None:
    from huiqi.engine.postgres.load import load_table

    zh = pg.execute(
        "SELECT collname FROM pg_collation WHERE collname LIKE 'zh%icu' ORDER BY 1 LIMIT 1"
    ).fetchone()
    if zh is None:
        pytest.skip("this PostgreSQL has no Chinese ICU collation")
    # In a Chinese collation 北京 (bei) sorts before 上海 (shang); by code point after.
    chinese = pg.execute(f"SELECT '北京' < '上海' COLLATE \"{zh[0]}\"").fetchone()[0]
    assert chinese is True
    path = tmp_path / "names.parquet"
    pq.write_table(pa.table({"name": ["北京"]}), path)
    try:
        load_table(pg, "names", path)
        assert pg.execute("SELECT name < '上海' FROM names").fetchone()[0] is False
    finally:
        pg.rollback()

"""The quick path's own PostgreSQL client (libpq through ctypes): placeholders and parameters
as psycopg takes them, values as psycopg reads them, and a decline (the full path then
runs) for whatever it does not cover. Against a server when HUIQI_TEST_DATABASE_URL is set."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.cli.quick import libpq
from huiqi.cli.quick.postgres import connection_of
from huiqi.cli.quick.read import Declined
from huiqi.db.testing import postgres_server_url


def test_named_placeholders_become_numbered_and_percent_signs_unescaped() -> None:
    sql, values = libpq._numbered(
        "SELECT %(a)s::INTEGER, '5%%', %(b)s::VARCHAR WHERE x = %(a)s::INTEGER",
        {"a": 7, "b": "文字", "unused": 1},
    )
    assert sql == "SELECT $1::INTEGER, '5%', $2::VARCHAR WHERE x = $1::INTEGER"
    assert values == [b"7", "文字".encode()]


def test_a_placeholder_without_a_value_declines() -> None:
    with pytest.raises(Declined):
        libpq._numbered("SELECT %(a)s::INTEGER", {})


@pytest.mark.parametrize("value", ["a\x00b", 1.5, b"bytes", dt.date(2026, 1, 2), [1]])
def test_a_parameter_it_cannot_send_as_psycopg_would_declines(value: Any) -> None:
    """A NUL would end the C string early (psycopg refuses it); other types are not sent."""
    with pytest.raises(Declined):
        libpq._parameter(value)


def test_parameters_are_sent_as_text() -> None:
    assert [libpq._parameter(v) for v in (None, True, False, 0, -12, "x")] == [
        None, b"true", b"false", b"0", b"-12", b"x",
    ]  # fmt: skip


# ---------------------------------------------------------------- against a server
@pytest.fixture(scope="module")
def args() -> dict[str, Any]:
    url = postgres_server_url()
    if url is None:
        pytest.skip("PostgreSQL tests need HUIQI_TEST_DATABASE_URL")
    if libpq.library() is None:
        pytest.skip("no libpq found here")
    return connection_of(url)[1]


@pytest.fixture(scope="module")
def both(args: dict[str, Any]) -> Any:
    import psycopg

    conn = libpq.connect(args)
    with psycopg.connect(**args, autocommit=True) as other:
        yield conn, other
    conn.close()


def _psycopg_rows(conn: Any, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(sql, params).fetchall()]


def test_values_are_read_as_psycopg_reads_them(both: Any) -> None:
    ours, theirs = both
    sql = (
        "SELECT '2026-01-02 03:04:05.5'::timestamp, '2026-01-02 03:04:05'::timestamp,"
        " DATE '2026-12-31', 1.50::numeric, -3::smallint, 2147483648::bigint, 7::integer,"
        " true, false, NULL::integer, '惠企 \"x\"'::text, 'y'::varchar(3), %(n)s::INTEGER"
    )
    rows = ours.execute(sql, {"n": 42})
    assert rows == _psycopg_rows(theirs, sql, {"n": 42})
    assert rows[0][0] == dt.datetime(2026, 1, 2, 3, 4, 5, 500000)
    assert rows[0][3] == Decimal("1.50") and rows[0][7] is True and rows[0][9] is None


def test_json_is_read_as_psycopg_reads_it(both: Any) -> None:
    """A review flag's conditions (entitlements.review_criteria, a json column)."""
    ours, theirs = both
    sql = (
        'SELECT \'{"criteria": [{"id": "revenue", "label": "营业收入",'
        ' "values": {"revenue__2025": "7000000.00", "x": null}}]}\'::json, NULL::json'
    )
    rows = ours.execute(sql)
    assert rows == _psycopg_rows(theirs, sql, {})
    assert rows[0][0]["criteria"][0]["values"]["revenue__2025"] == "7000000.00"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")),
    number=st.integers(-(2**63), 2**63 - 1),
    flag=st.none() | st.booleans(),
)
def test_any_text_number_or_flag_goes_and_comes_back_as_through_psycopg(
    both: Any, text: str, number: int, flag: bool | None
) -> None:
    ours, theirs = both
    sql = "SELECT %(t)s::VARCHAR, %(n)s::BIGINT, %(f)s::BOOLEAN, length(%(t)s::VARCHAR)"
    params = {"t": text, "n": number, "f": flag}
    assert ours.execute(sql, params) == _psycopg_rows(theirs, sql, params)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1.5::float8",  # a type it does not read
        "SELECT '{1}'::int[]",
        "SELECT 'infinity'::timestamp",  # a value it does not read
        "SELECT '0044-03-15 BC'::date",
    ],
)
def test_a_column_it_does_not_read_declines(both: Any, sql: str) -> None:
    with pytest.raises(Declined):
        both[0].execute(sql)


def test_a_server_error_declines_with_its_sqlstate(both: Any) -> None:
    ours, _theirs = both
    with pytest.raises(libpq.LibpqError) as failed:
        ours.execute("SELECT 1 / %(zero)s::INTEGER", {"zero": 0})
    assert failed.value.sqlstate == "22012" and "division by zero" in str(failed.value)
    ours.execute("ROLLBACK")
    assert ours.execute("SELECT 1") == [(1,)]


def test_a_database_that_is_not_there_declines(args: dict[str, Any]) -> None:
    with pytest.raises(libpq.LibpqError, match="huiqi_no_such_database"):
        libpq.connect({**args, "dbname": "huiqi_no_such_database"})


def test_a_server_writing_dates_another_way_declines(
    args: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """libpq takes the session's DateStyle from PGDATESTYLE: dates would come back as
    12/31/2026, which this does not read; the full path (psycopg) does."""
    monkeypatch.setenv("PGDATESTYLE", "SQL, MDY")
    with pytest.raises(Declined, match="date style"):
        libpq.connect(args)

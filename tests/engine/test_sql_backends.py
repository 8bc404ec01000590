"""The Spark and PostgreSQL backends explain as DuckDB does, and behave at their edges.

Traces (criterion values, the values read, the amount, the status) of the library's
policies for a few enterprises are equal to DuckDB's; an enterprise subset, no
policies, and a snapshot frozen without relations or contracts work on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from backends_available import backend_or_skip_reason
from conformance_policies import library_policies
from engine_factories import random_profiles
from hypothesis import example, given, settings
from hypothesis import strategies as st

from huiqi.engine import get_backend
from huiqi.engine.backend import Backend
from huiqi.engine.postgres.backend import PostgresBackend, libpq_url
from huiqi.engine.snapshot import Snapshot
from huiqi.engine.sql.sources import source_files
from huiqi.errors import ConfigError

PROFILES = random_profiles(60, seed=5)


@pytest.fixture(scope="module", params=["spark", "postgres"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    ready = backend_or_skip_reason(request.param)
    if isinstance(ready, str):
        pytest.skip(ready)
    yield ready


def test_traces_equal_duckdbs(backend: Backend) -> None:
    policies = library_policies()[:8]
    usccs = [p.uscc for p in PROFILES[:6]]
    want = get_backend("duckdb").trace(PROFILES, policies, usccs=usccs)
    got = backend.trace(PROFILES, policies, usccs=usccs)
    assert len(got) == len(want) == 8 * 6
    assert got == want


def test_only_the_enterprises_asked_for_are_evaluated(backend: Backend) -> None:
    policies = library_policies()[:2]
    got = backend.evaluate(PROFILES, policies, usccs=[PROFILES[3].uscc])
    assert [(e.policy_id, e.uscc) for e in got] == [
        (cp.policy.id, PROFILES[3].uscc) for cp in policies
    ]
    assert backend.evaluate(PROFILES, []) == []


def test_a_snapshot_without_relations_or_contracts_reads_them_as_empty(
    backend: Backend, tmp_path: Path
) -> None:
    files = source_files(PROFILES, tmp_path)
    old = Snapshot(4, {k: v for k, v in files.items() if k not in ("relations", "contracts")})
    policies = library_policies()[:3]
    want = get_backend("duckdb").evaluate(old, policies)
    assert sorted(backend.evaluate(old, policies), key=repr) == sorted(want, key=repr)


def test_postgres_matches_without_jit(tmp_path: Path) -> None:
    """Regression: PostgreSQL's JIT compiled every batch of policies, whose expressions
    cost more than its threshold at a few thousand enterprises: 10,000 x 100 took 144 s,
    nearly all of it compiling, against 1.5 s without."""
    ready = backend_or_skip_reason("postgres")
    if isinstance(ready, str):
        pytest.skip(ready)
    assert isinstance(ready, PostgresBackend)
    files = source_files(PROFILES[:5], tmp_path)
    with ready.frame(Snapshot(1, files), library_policies()[:2]) as conn:
        row = conn.execute("SHOW jit").fetchone()
    assert row == {"jit": "off"}


def test_postgres_frame_is_unlogged_uncommitted_and_gone_after(tmp_path: Path) -> None:
    """The frame is an UNLOGGED table (parallel workers scan it; a temporary table they
    cannot), created in the connection's transaction and never committed: another
    session never sees it, and nothing is left in the database after the block."""
    ready = backend_or_skip_reason("postgres")
    if isinstance(ready, str):
        pytest.skip(ready)
    assert isinstance(ready, PostgresBackend)
    files = source_files(PROFILES[:5], tmp_path)
    seen = "SELECT relpersistence FROM pg_class WHERE relname = %s"
    with psycopg.connect(ready.url) as other:
        with ready.frame(Snapshot(1, files), library_policies()[:2]) as conn:
            mine = conn.execute(seen, [ready.frame_table]).fetchall()
            theirs = other.execute(seen, [ready.frame_table]).fetchall()
            other.rollback()
        after = other.execute(seen, [ready.frame_table]).fetchall()
    assert mine == [{"relpersistence": "u"}]
    assert theirs == [] and after == []


def test_postgres_needs_a_postgresql_url() -> None:
    assert libpq_url("postgresql+psycopg://u@h:5432/db") == "postgresql://u@h:5432/db"
    with pytest.raises(ConfigError, match="needs a postgresql:// URL"):
        libpq_url("sqlite:///x.db")


def test_one_process_runs_one_spark_master(spark: object) -> None:
    from huiqi.engine.spark.session import spark_session

    with pytest.raises(ConfigError, match="one Spark master"):
        spark_session("spark://elsewhere:7077")


def test_an_unreachable_spark_master_is_an_error_not_a_traceback(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Regression: 'huiqi match --backend spark --master spark://host:7077' with no such
    host ended in a Py4JJavaError traceback after a minute of retries."""
    from huiqi.engine.spark import session

    if session.missing():
        pytest.skip(session.missing())
    from pyspark.sql import SparkSession

    def refused(self: object) -> None:
        raise RuntimeError(
            "An error occurred while calling None.org.apache.spark.sql.SparkSession.\n"
            ": java.lang.IllegalStateException: Cannot call methods on a stopped SparkContext."
        )

    monkeypatch.setattr(session, "_session", None)
    monkeypatch.setattr(SparkSession.Builder, "getOrCreate", refused)
    with pytest.raises(
        ConfigError, match=r"could not start Spark on spark://nowhere:7077; .*reachable"
    ):
        session.spark_session("spark://nowhere:7077")
    assert session._session is None


def test_loading_never_drops_a_table_of_the_database_itself(tmp_path: Path) -> None:
    """Regression: loading dropped 'enterprises' by name, which in an operational database
    is the database's own table when no temporary one exists yet."""
    import os
    import uuid

    import psycopg
    import pyarrow as pa
    import pyarrow.parquet as pq

    from huiqi.engine.postgres.load import load_table

    url = os.environ.get("HUIQI_TEST_DATABASE_URL")
    if not url:
        pytest.skip("the postgres backend runs when HUIQI_TEST_DATABASE_URL is set")
    schema = f"huiqi_keep_{uuid.uuid4().hex[:8]}"
    path = tmp_path / "enterprises.parquet"
    pq.write_table(pa.table({"uscc": ["x"]}), path)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        try:
            conn.execute(f"CREATE TABLE {schema}.enterprises (keep INTEGER)")
            conn.execute(f"SET search_path = {schema}")
            load_table(conn, "enterprises", path)
            load_table(conn, "enterprises", path)
            kept = conn.execute(
                "SELECT count(*) FROM information_schema.tables"
                " WHERE table_schema = %s AND table_name = 'enterprises'",
                [schema],
            ).fetchone()
            assert kept == (1,)
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _pg_url() -> str:
    import os

    url = os.environ.get("HUIQI_TEST_DATABASE_URL")
    if not url:
        pytest.skip("the postgres backend runs when HUIQI_TEST_DATABASE_URL is set")
    return libpq_url(url)


# Text as a registry may hold it: quotes, commas, backslashes, braces, new lines, Chinese
# (never NUL, which PostgreSQL text cannot hold).
TEXT = st.text(
    st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12
)


@settings(max_examples=25, deadline=None)
@example(
    names=["", None, 'a"b,c\nd\\e', "上海"],
    tags=[["", None, 'x"y\\z,{}', "NULL"], [], None, ["浦东"]],
)
@given(
    names=st.lists(st.none() | TEXT, min_size=1, max_size=6),
    tags=st.lists(st.none() | st.lists(st.none() | TEXT, max_size=4), min_size=1, max_size=6),
)
def test_loading_copies_every_value_exactly(
    names: list[str | None], tags: list[list[str | None] | None]
) -> None:
    """Rows copied into PostgreSQL read back as they were: NULL and the empty string
    apart, quotes, commas, backslashes and new lines kept, lists as arrays (NULL
    elements, empty lists), decimals, dates and booleans exact."""
    import datetime as dt
    import tempfile
    from decimal import Decimal

    import psycopg
    import pyarrow as pa
    import pyarrow.parquet as pq

    from huiqi.engine.postgres.load import load_table

    url = _pg_url()
    n = max(len(names), len(tags))
    names = (names * n)[:n]
    tags = (tags * n)[:n]
    amounts = [Decimal("-1.25"), None, Decimal("12345678901234.56")] * n
    days = [dt.date(2024, 2, 29), None, dt.date(1, 1, 1)] * n
    flags = [True, None, False] * n
    table = pa.table(
        {
            "name": pa.array(names, pa.string()),
            "tags": pa.array(tags, pa.list_(pa.string())),
            "amount": pa.array(amounts[:n], pa.decimal128(18, 2)),
            "day": pa.array(days[:n], pa.date32()),
            "flag": pa.array(flags[:n], pa.bool_()),
        }
    )
    with tempfile.TemporaryDirectory() as tmp, psycopg.connect(url) as conn:
        path = Path(tmp) / "rows.parquet"
        pq.write_table(table, path)
        assert load_table(conn, "rows_copied", path) == n
        got = conn.execute("SELECT name, tags, amount, day, flag FROM rows_copied").fetchall()
        conn.rollback()
    assert [tuple(r) for r in got] == [tuple(row.values()) for row in table.to_pylist()]

"""`huiqi match` on its default backend (the array backend), `--backend spark --master
URL` and postgres write the DuckDB run's matches."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from cliutil import accounts, run

from huiqi.engine.spark.session import missing

TOKENS: dict[str, str] = {}


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    TOKENS.update(accounts(data))
    code, out = run(data, "generate", "-n", "400", "--seed", "11", token=TOKENS["steward"])
    assert code == 0, out
    return data


def _rows(summary: dict[str, object]) -> list[tuple[object, ...]]:
    table = pq.read_table(Path(str(summary["output_dir"])) / "matches.parquet")
    return sorted(zip(*(c.to_pylist() for c in table.columns), strict=True), key=repr)


def _match(data: Path, *args: str) -> dict[str, object]:
    code, out = run(data, "match", "--json", *args, token=TOKENS["officer"])
    assert code == 0, out
    return dict(json.loads(out))


def test_match_on_spark_writes_the_duckdb_runs_matches(populated: Path) -> None:
    if why := missing():
        pytest.skip(why)
    duck = _match(populated, "--backend", "duckdb")
    spark = _match(populated, "--backend", "spark", "--master", "local[2]")
    assert spark["enterprises"] == duck["enterprises"] == 400
    assert spark["total_amount_fen"] == duck["total_amount_fen"]
    assert _rows(spark) == _rows(duck) != []


def test_match_in_postgres_writes_the_duckdb_runs_matches(
    populated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = os.environ.get("HUIQI_TEST_DATABASE_URL")
    if not url:
        pytest.skip("the postgres backend runs when HUIQI_TEST_DATABASE_URL is set")
    monkeypatch.setenv("HUIQI_POSTGRES_URL", url)
    duck = _match(populated, "--backend", "duckdb")
    pg = _match(populated, "--backend", "postgres")
    assert _rows(pg) == _rows(duck) != []


def test_the_default_backend_is_the_array_backend_with_duckdbs_rows(populated: Path) -> None:
    from huiqi.cli.matching import match
    from huiqi.engine.api import BULK_DEFAULT

    default = next(p.default for p in match.params if p.name == "backend")
    assert default == BULK_DEFAULT == "numpy"
    duck = _match(populated, "--backend", "duckdb")
    array = _match(populated, "--memory-limit", "2GB")  # DuckDB builds its columns
    assert array["total_amount_fen"] == duck["total_amount_fen"]
    assert _rows(array) == _rows(duck) != []


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--master", "spark://h:7077"], "--master is the Spark master URL"),
        (["--backend", "python"], "does not match in bulk"),
        # Regression: a mistyped backend exited 1, as a failed run; it is wrong usage (2).
        (["--backend", "nosuch"], "'nosuch' is not a backend; the backends are"),
        (["--backend", "spark", "--memory-limit", "4GB"], "--memory-limit is DuckDB's"),
    ],
)
def test_match_refuses_options_that_do_not_fit_the_backend(
    populated: Path, args: list[str], said: str
) -> None:
    code, out = run(populated, "match", *args, token=TOKENS["officer"])
    assert code == (2 if "nosuch" in args else 1), out
    assert said in out


def test_postgres_backend_on_a_sqlite_ledger_says_what_to_set(
    populated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Regression: the error named the Python API's argument ("give url=...").
    monkeypatch.delenv("HUIQI_POSTGRES_URL", raising=False)
    code, out = run(populated, "match", "--backend", "postgres", token=TOKENS["officer"])
    assert code == 1, out
    assert "set HUIQI_POSTGRES_URL" in out and "the operational database is sqlite" in out
    assert "url=" not in out


def test_postgres_backend_matches_in_a_postgresql_ledger_without_postgres_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Regression: a deployment whose operational database is PostgreSQL (the postgres
    # backend's "keep everything in the operational database") was refused unless it
    # repeated the URL in HUIQI_POSTGRES_URL.
    from huiqi.db.testing import fresh_database, postgres_server_url

    if postgres_server_url() is None:
        pytest.skip("PostgreSQL tests need HUIQI_TEST_DATABASE_URL")
    monkeypatch.delenv("HUIQI_POSTGRES_URL", raising=False)
    with fresh_database("postgresql", tmp_path) as engine:
        monkeypatch.setenv("HUIQI_DATABASE_URL", engine.url.render_as_string(hide_password=False))
        data = tmp_path / "data"
        tokens = accounts(data)
        code, out = run(data, "generate", "-n", "200", "--seed", "3", token=tokens["steward"])
        assert code == 0, out

        def match(*args: str) -> dict[str, object]:
            code, out = run(data, "match", "--json", *args, token=tokens["officer"])
            assert code == 0, out
            return dict(json.loads(out))

        assert _rows(match("--backend", "postgres")) == _rows(match("--backend", "duckdb")) != []


@pytest.mark.parametrize("limit", ["lots", "1000"])
def test_a_memory_limit_that_is_no_size_is_refused_as_usage(populated: Path, limit: str) -> None:
    """Regression: 'huiqi match --memory-limit lots' ended with DuckDB's traceback
    (ParserException) once the frame was being built, exit 1."""
    code, out = run(populated, "match", "--memory-limit", limit, token=TOKENS["officer"])
    assert code == 2, out
    assert f"Invalid value for '--memory-limit': '{limit}' is not a memory size" in out
    assert "e.g. 6GB or 800MB" in out and "Traceback" not in out


@pytest.mark.parametrize(
    "args", [["match", "--snapshot", "999"], ["explain", "91310115MA1H8R7C41", "--snapshot", "999"]]
)
def test_a_snapshot_that_does_not_exist_is_not_found_naming_the_listing(
    populated: Path, args: list[str]
) -> None:
    """Regression: '--snapshot 999' said "snapshot 999 is not available: missing [...]" with
    the paths of three Parquet files it looked for, and not how to find the snapshots."""
    code, out = run(populated, *args, token=TOKENS["officer"])
    assert code == 3, out
    assert "no snapshot 999; 'huiqi snapshots' lists them" in out and ".parquet" not in out

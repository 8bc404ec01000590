"""The quick listings on PostgreSQL (psycopg, without SQLAlchemy): how a URL names its
stored token and its connection, as SQLAlchemy reads it; and on a demo ledger in a fresh
database (when HUIQI_TEST_DATABASE_URL is set), the full path's output and refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import test_quick
from cliutil import run
from sqlalchemy import text
from test_quick import ALL_ROWS, LISTINGS, OFFER, REFUND, _both

from huiqi.cli.demo_accounts import DEMO_PASSWORD
from huiqi.cli.quick import postgres as quick_postgres
from huiqi.cli.quick import read as quick_read
from huiqi.config import get_settings
from huiqi.db.testing import fresh_database, postgres_server_url

LIBRARY = Path(__file__).resolve().parents[2] / "huiqi" / "policies" / "library"
# The fixture naming the precompiled statements the quick path ran.
quick_reads = test_quick.quick_reads

SERVED = [
    "postgresql://huiqi@db.example.internal:5432/huiqi",
    "postgres://huiqi@db.example.internal/huiqi",
    "postgresql+psycopg://huiqi@127.0.0.1:05432/huiqi_2026",
    "postgresql://huiqi:s3cret-pw.~!$&'()*+,;=@db/huiqi",
    "postgresql://huiqi:@db/huiqi",
    "postgresql:///huiqi",
    "postgresql://:5433/huiqi",
    "postgresql://U-s.r@Host.Example/D.b-1",
]


@pytest.mark.parametrize("password", [None, "from-the-environment"])
@pytest.mark.parametrize("url", SERVED)
def test_a_url_names_the_token_and_the_connection_as_sqlalchemy_does(
    monkeypatch: pytest.MonkeyPatch, url: str, password: str | None
) -> None:
    """The stored token's key is the full path's (database_key of the URL it opens, the
    password hidden), and psycopg gets the arguments SQLAlchemy's dialect gives it."""
    from huiqi.cli.signin import database_key
    from huiqi.db.engine import database_url, make_engine

    monkeypatch.delenv("HUIQI_DATABASE_PASSWORD_FILE", raising=False)
    if password is None:
        monkeypatch.delenv("HUIQI_DATABASE_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("HUIQI_DATABASE_PASSWORD", password)
    if password is not None and "@" in url and ":" in url.split("@")[0].split("//")[1]:
        with pytest.raises(quick_read.Declined):  # the full path's ConfigError: two passwords
            quick_postgres.connection_of(url)
        return
    full = database_url(get_settings("/tmp/unused"), url)
    key, args = quick_postgres.connection_of(url)
    assert key == database_key(full.render_as_string(hide_password=True))
    engine = make_engine(full)  # as open_engine makes it: the URL object
    try:
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
    finally:
        engine.dispose()
    cparams.pop("context", None)  # SQLAlchemy's adapters: none for the columns listed
    assert cargs == [] and args == {**cparams, "prepare_threshold": None}


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg2://huiqi@db/huiqi",  # another driver
        "postgresql+asyncpg://huiqi@db/huiqi",
        "sqlite:////tmp/huiqi.db",
        "postgresql://huiqi@db/huiqi?sslmode=require",  # a query: driver options
        "postgresql://huiqi@db1,db2/huiqi",  # several hosts
        "postgresql://huiqi@[::1]:5432/huiqi",
        "postgresql://hui%40qi@db/huiqi",  # escaped: SQLAlchemy unquotes, renders otherwise
        "postgresql://huiqi:p%40ss@db/huiqi",
        "postgresql://huiqi:p:ss@db/huiqi",
        "postgresql://huiqi@db/惠企",
        "postgresql://huiqi@db",  # no database
        "postgresql://huiqi@db:99999/huiqi",
    ],
)
def test_a_url_it_does_not_read_as_sqlalchemy_does_is_declined(url: str) -> None:
    with pytest.raises(quick_read.Declined):
        quick_postgres.connection_of(url)


@pytest.fixture(scope="module")
def pg_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """As test_quick's ``ledger``, in a fresh PostgreSQL database: offers, a claim, grants
    (one paid), a review flag, and a token per user; ``tokens["url"]``: the database."""
    if postgres_server_url() is None:
        pytest.skip("PostgreSQL tests need HUIQI_TEST_DATABASE_URL")
    work = tmp_path_factory.mktemp("quick-pg")
    with fresh_database("postgresql", work) as engine:
        full_url = engine.url.render_as_string(hide_password=False)
        # Signed in by the plain form; listed by the form the engine shows: one key.
        plain = full_url.replace("postgresql+psycopg://", "postgresql://", 1)
        data = work / "data"
        code, out = run(data, "demo", "-n", "600", "--seed", "5", HUIQI_DATABASE_URL=plain)
        assert code == 0, out

        def ok(*args: str, token: str) -> str:
            code, out = run(data, *args, token=token, HUIQI_DATABASE_URL=full_url)
            assert code == 0, (args, out)
            return out

        tokens: dict[str, str] = {}
        for user in ("officer", "finance", "admin", "ent", "park", "desk", "steward"):
            config = data / f".config-{user}"  # one each: a new sign-in revokes the last
            code, out = run(
                data,
                "login",
                user,
                HUIQI_PASSWORD=DEMO_PASSWORD,
                HUIQI_DATABASE_URL=plain,
                HUIQI_CONFIG_DIR=str(config),
            )
            assert code == 0, out
            stored = json.loads((config / "credentials.json").read_text("utf-8"))
            assert list(stored) == [full_url]  # the key: the URL with psycopg, no password
            tokens[user] = stored[full_url]["token"]
        assert "granted" in ok("publish", str(LIBRARY / f"{REFUND}.yaml"), token=tokens["officer"])
        offers = json.loads(ok("records", "--status", "offered", "--json", token=tokens["ent"]))
        ok("claim", str(offers[0]["id"]), token=tokens["ent"])
        assert "batch 1" in ok("disburse", "export", token=tokens["finance"])
        batch = json.loads(ok("disburse", "batches", "--json", token=tokens["finance"]))[0]
        first = Path(batch["csv_path"]).read_text("utf-8-sig").splitlines()[1].split(",")[1]
        paid = work / "paid.csv"
        paid.write_text(f"grant_id,result\n{first},paid\n", encoding="utf-8")
        assert "1 paid" in ok("disburse", "results", str(paid), token=tokens["finance"])
        admin = tokens["admin"]
        ok("user", "add", "district", "--role", "policy_author=district:310115",
           "--no-password", token=admin)  # fmt: skip
        for name, user in (("district", "district"), ("expired", "finance")):
            tokens[name] = ok("token", "create", "t", "--user", user, token=admin).split()[-1]
        with engine.begin() as conn:
            conn.execute(text("UPDATE api_tokens SET expires_at = '2020-01-02 00:00:00'"
                              " WHERE id = (SELECT max(id) FROM api_tokens)"))  # fmt: skip
            conn.execute(text("UPDATE entitlements SET review_flag = true, review_reason ="
                              " '数据更正，需复核' WHERE id = (SELECT entitlement_id FROM grants"
                              " ORDER BY id LIMIT 1)"))  # fmt: skip
        ok("user", "disable", "steward", token=admin)
        tokens["unknown"] = "hq_not-a-token"
        tokens["url"] = full_url
        yield data, tokens


def _pg_both(
    pg_ledger: tuple[Path, dict[str, str]],
    user: str,
    args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    ran: list[str],
    **env: str,
) -> tuple[tuple[int, str], tuple[int, str]]:
    data, tokens = pg_ledger
    url = {"HUIQI_DATABASE_URL": tokens["url"]}
    return _both(data, tokens.get(user, ""), args, monkeypatch, ran, **url, **env)


@pytest.mark.parametrize("user", ALL_ROWS)
@pytest.mark.parametrize("args", LISTINGS, ids=" ".join)
def test_on_postgresql_an_actor_reading_every_row_gets_the_full_paths_output_quickly(
    pg_ledger: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    quick_reads: list[str],
    user: str,
    args: list[str],
) -> None:
    quick, full = _pg_both(pg_ledger, user, args, monkeypatch, quick_reads)
    assert quick == full
    assert quick[0] == 0, quick
    assert quick_reads[:2] == ["token", "roles"]
    assert len(quick_reads) == (2 if args[0] == "whoami" else 3), quick_reads


@pytest.mark.parametrize(
    ("user", "args", "quick"),
    [
        ("ent", ["grants", "--json"], True),
        ("ent", ["records", "--json"], True),
        ("ent", ["records", "--status", "granted", "--json"], True),
        ("park", ["grants", "--json"], True),
        ("park", ["records", "--policy", OFFER, "--json"], True),
        ("park", ["records", "--status", "offered", "--limit", "5"], True),
        ("district", ["records", "--limit", "5"], False),  # a district's policies
        ("desk", ["grants"], False),  # no ledger role: refused (by the full path)
    ],
    ids=lambda v: v if isinstance(v, str) else " ".join(v) if isinstance(v, list) else None,
)
def test_on_postgresql_an_actor_cut_to_a_scope_sees_only_its_rows(
    pg_ledger: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    quick_reads: list[str],
    user: str,
    args: list[str],
    quick: bool,
) -> None:
    """An enterprise sees its own rows, a park operator its parks' enterprises' rows, as on
    the full path; and they are fewer than every row."""
    quick_out, full = _pg_both(pg_ledger, user, args, monkeypatch, quick_reads)
    assert quick_out == full
    assert quick_out[0] == (5 if user == "desk" else 0), quick_out
    assert len(quick_reads) == (3 if quick else 2), quick_reads
    if not quick or "--json" not in args:
        return
    rows = json.loads(quick_out[1])
    assert rows, "no rows: the test shows nothing"
    data, tokens = pg_ledger
    who = run(data, "whoami", "--json", token=tokens[user], HUIQI_DATABASE_URL=tokens["url"])
    roles = json.loads(who[1])["roles"]
    everything = json.loads(
        run(data, *args, "--limit", "500", token=tokens["finance"],
            HUIQI_DATABASE_URL=tokens["url"])[1]
    )  # fmt: skip
    if user == "ent":
        own = {r.split("=", 1)[1] for r in roles if r.startswith("enterprise=")}
        assert {r["uscc"] for r in rows} <= own
    assert len({r["uscc"] for r in everything}) > len({r["uscc"] for r in rows})


@pytest.mark.parametrize(
    ("user", "args", "code", "message"),
    [
        ("unknown", ["versions"], 5, "the token is not known here"),
        ("unknown", ["whoami"], 5, "the token is not known here"),
        ("expired", ["grants"], 5, "the token expired on 2020-01-02"),
        ("steward", ["records"], 5, "revoked or its user disabled"),
        ("none", ["versions"], 5, "sign in first"),
        ("ent", ["grants", "--uscc", "91310000000000000U"], 5, "may not read this enterprise"),
        ("officer", ["grants", "--status", "nope"], 2, "Invalid value for '--status': 'nope'"),
    ],
)
def test_on_postgresql_refusals_are_the_full_paths(
    pg_ledger: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    quick_reads: list[str],
    user: str,
    args: list[str],
    code: int,
    message: str,
) -> None:
    data, _tokens = pg_ledger
    env = {"HUIQI_CONFIG_DIR": str(data / "nobody")} if user == "none" else {}
    quick, full = _pg_both(pg_ledger, user, args, monkeypatch, quick_reads, **env)
    assert quick == full
    assert quick[0] == code and message in " ".join(quick[1].split()), quick
    # none: no token; 2: a usage error, refused by click before any path runs
    assert quick_reads or user == "none" or code == 2, "the quick path did not run"


def test_on_postgresql_a_database_behind_the_migrations_takes_the_full_path(
    pg_ledger: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch, quick_reads: list[str]
) -> None:
    data, tokens = pg_ledger
    monkeypatch.setattr(quick_postgres, "head_revision", lambda: "not-this-one")
    code, out = run(data, "versions", token=tokens["officer"], HUIQI_DATABASE_URL=tokens["url"])
    assert code == 0 and REFUND in out and quick_reads == []


def test_on_postgresql_a_driver_error_takes_the_full_path(
    pg_ledger: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch, quick_reads: list[str]
) -> None:
    """A database that is not there: the quick path declines, the full path reports it."""
    data, tokens = pg_ledger
    url = tokens["url"].rsplit("/", 1)[0] + "/huiqi_no_such_database"
    quick, full = _both(data, tokens["officer"], ["versions"], monkeypatch, quick_reads,
                        HUIQI_DATABASE_URL=url)  # fmt: skip
    assert quick == full and quick[0] == 1 and "cannot use the database" in quick[1], quick
    assert quick_reads == []


def _modules_of_a_listing(data: Path, tokens: dict[str, str], prelude: str = "") -> list[str]:
    """The modules a ``records`` listing on the ledger's database loaded, in a fresh process."""
    code = (
        "import sys\n"
        f"{prelude}"
        "from huiqi.cli.main import cli\n"
        "try:\n"
        f"    cli({['--data-dir', str(data), 'records', '--limit', '3']!r})\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print('MODULES', sorted(sys.modules))\n"
    )
    env: dict[str, Any] = {
        **os.environ,
        "HUIQI_TOKEN": tokens["officer"],
        "HUIQI_CONFIG_DIR": str(data / ".config"),
        "HUIQI_DATABASE_URL": tokens["url"],
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    modules: list[str] = eval([x for x in out.splitlines() if x.startswith("MODULES ")][-1][8:])
    return modules


def test_on_postgresql_the_quick_path_loads_no_sqlalchemy_and_no_psycopg(
    pg_ledger: tuple[Path, dict[str, str]],
) -> None:
    """Regressions: a listing on PostgreSQL imported SQLAlchemy (0.2 s) to run statements
    that can be compiled ahead, then psycopg (0.13-0.15 s of the 0.3 s a listing may
    take) to run them: libpq itself reads them."""
    data, tokens = pg_ledger
    modules = _modules_of_a_listing(data, tokens)
    assert "huiqi.cli.quick.libpq" in modules and "huiqi.cli.quick.postgres" in modules
    unwanted = ("sqlalchemy", "alembic", "psycopg", "psycopg_binary")
    assert [m for m in modules if m.split(".")[0] in unwanted] == []


def test_on_postgresql_without_libpq_the_quick_path_reads_through_psycopg(
    pg_ledger: tuple[Path, dict[str, str]],
) -> None:
    """Where no libpq is found (a psycopg that brings its own, a platform this does not
    know), psycopg reads the statements, still without SQLAlchemy."""
    data, tokens = pg_ledger
    prelude = "import huiqi.cli.quick.libpq as L\nL.library = lambda: None\n"
    modules = _modules_of_a_listing(data, tokens, prelude)
    assert "psycopg" in modules and "huiqi.cli.quick.postgres" in modules
    assert [m for m in modules if m.split(".")[0] in ("sqlalchemy", "alembic")] == []


@pytest.fixture(params=["libpq", "psycopg"])
def client(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each of the quick path's PostgreSQL clients in turn."""
    if request.param == "psycopg":
        monkeypatch.setattr(quick_postgres.libpq, "library", lambda: None)
    elif quick_postgres.libpq.library() is None:
        pytest.skip("no libpq found here")
    return str(request.param)


def test_on_postgresql_the_quick_read_is_a_read_only_transaction(
    pg_ledger: tuple[Path, dict[str, str]], client: str
) -> None:
    """As reading_connection on PostgreSQL: BEGIN READ ONLY, so a stray write fails."""
    _data, tokens = pg_ledger
    _key, args = quick_postgres.connection_of(tokens["url"])
    if client == "psycopg":
        import psycopg

        with quick_postgres.reading(args) as conn:
            with conn.cursor() as cur:
                cur.execute("SHOW transaction_read_only")
                assert cur.fetchone() == ("on",)
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction), conn.cursor() as cur:
                cur.execute("UPDATE users SET disabled = false WHERE false")
            conn.rollback()  # the failed transaction: the context commits an empty one after
        return
    with (
        pytest.raises(quick_postgres.libpq.LibpqError) as failed,
        quick_postgres.reading(args) as conn,
    ):
        assert conn.execute("SHOW transaction_read_only") == [("on",)]
        conn.execute("UPDATE users SET disabled = false WHERE false")
    assert failed.value.sqlstate == "25006"  # read_only_sql_transaction


def test_on_postgresql_libpq_reads_every_statement_as_psycopg_does(
    pg_ledger: tuple[Path, dict[str, str]],
) -> None:
    """Every precompiled statement, run with inputs that find rows, gives the same rows,
    value for value and type for type, through libpq as through psycopg."""
    import psycopg

    if quick_postgres.libpq.library() is None:
        pytest.skip("no libpq found here")
    _data, tokens = pg_ledger
    _key, args = quick_postgres.connection_of(tokens["url"])
    with psycopg.connect(**args) as conn:
        some = conn.execute(
            "SELECT r.uscc, v.policy_id, r.status FROM entitlements r"
            " JOIN policy_versions v ON v.id = r.policy_version_id ORDER BY r.id LIMIT 1"
        ).fetchone()
        assert some is not None
        token = conn.execute("SELECT token_hash, user_id FROM api_tokens LIMIT 1").fetchone()
        assert token is not None
        park = conn.execute(
            "SELECT park FROM enterprise_directory WHERE park IS NOT NULL LIMIT 1"
        ).fetchone()
        assert park is not None
    inputs = {
        "own": [some[0], "91310000000000000X"],
        "parks": [park[0], "P-2"],
        "after_id": 0,
        "limit": 50,
        "status": some[2],
        "policy_id": some[1],
        "uscc": some[0],
        "digest": token[0],
        "user_id": token[1],
    }
    found = 0
    with quick_postgres.reading(args) as through_libpq, psycopg.connect(**args) as through_psycopg:
        assert isinstance(through_libpq, quick_postgres.libpq.Connection)
        for name in quick_postgres.statements():
            rows = quick_postgres.fetch(through_libpq, name, inputs)
            expected = quick_postgres.fetch(through_psycopg, name, inputs)
            assert rows == expected, name
            assert [list(map(type, r)) for r in rows] == [list(map(type, r)) for r in expected]
            found += len(rows)
    assert found > 100, "the statements found few rows: the test shows little"

"""The quick listings (huiqi.cli.quick): the same statements, checks and output as the
full path, on a demo ledger; and the cases the quick path declines."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cliutil import decline_quick_path, run

from huiqi.cli.demo_accounts import DEMO_PASSWORD
from huiqi.cli.quick import listings as quick_listings
from huiqi.cli.quick import postgres as quick_postgres
from huiqi.cli.quick import read as quick_read
from huiqi.cli.quick.generate import LIST_SENTINELS, SENTINELS, as_json, compiled_table
from huiqi.cli.quick.read import STATEMENTS
from huiqi.config import get_settings
from huiqi.delivery.statuses import RecordStatus
from huiqi.profiles.uscc import make

LIBRARY = Path(__file__).resolve().parents[2] / "huiqi" / "policies" / "library"
REFUND = "sh-stable-jobs-refund-2026"
OFFER = "sh-startup-opening-subsidy-2026"


@pytest.mark.parametrize("postgresql", [False, True], ids=["sqlite", "postgresql"])
def test_the_precompiled_statements_are_the_full_paths(postgresql: bool) -> None:
    """Regenerate with ``python -m huiqi.cli.quick.generate`` when this fails: a statement
    of the service (or the sign-in check) changed and the quick path would drift."""
    fresh = compiled_table(postgresql)
    stored = quick_postgres.statements() if postgresql else STATEMENTS
    assert sorted(stored) == sorted(fresh)
    for name, entry in fresh.items():
        assert stored[name] == as_json(entry), name


@pytest.mark.parametrize("postgresql", [False, True], ids=["sqlite", "postgresql"])
def test_every_bind_is_an_input_or_a_constant(postgresql: bool) -> None:
    stored = quick_postgres.statements() if postgresql else STATEMENTS
    for name, (sql, binds, _converters) in stored.items():
        lists = [bind for bind, source, _ in binds if source in LIST_SENTINELS]
        if postgresql:
            singles = {bind for bind, source, _ in binds if source not in LIST_SENTINELS}
            assert set(re.findall(r"%\((\w+)\)s", sql)) == singles, name
        else:
            assert sql.count("?") == len(binds) - len(lists), name
        assert all(f"IN (__[POSTCOMPILE_{bind}])" in sql for bind in lists), name
        for _bind, source, constant in binds:
            known = source in SENTINELS or source in LIST_SENTINELS
            assert known or (source == "" and constant == 0), (name, source)


@pytest.mark.parametrize("postgresql", [False, True], ids=["sqlite", "postgresql"])
@pytest.mark.parametrize("listing", ["grants", "records"])
@pytest.mark.parametrize("shape", ["own", "parks", "own+parks"])
def test_an_in_list_is_expanded_as_sqlalchemy_expands_it(
    listing: str, shape: str, postgresql: bool
) -> None:
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.dialects.postgresql import psycopg

    from huiqi.accounts.access import Actor
    from huiqi.delivery.listing_queries import Page, grants_query, records_query

    own = [make("91310000MA1FL4XR3"), make("91310115MA1H7RG38")]
    grants = [f"enterprise={u}" for u in own] if "own" in shape else []
    grants += ["park_operator=张江", "park_operator=临港", "park_operator=漕河泾"] * (
        "parks" in shape
    )
    actor = Actor.of("someone", *grants)
    page = Page(None, "p", "granted", 5, 20)
    if listing == "grants":
        query = grants_query(None, actor=actor, page=page, postgresql=postgresql)
    else:
        query = records_query(None, actor=actor, page=page, flagged=True, postgresql=postgresql)
    dialect = psycopg.dialect() if postgresql else sqlite.dialect()
    done = query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    name, inputs = quick_listings._page(
        listing, actor, quick_listings.GrantStatus if listing == "grants" else RecordStatus,
        uscc=None, policy_id="p", status="granted", after_id=5, limit=20,
    )  # fmt: skip
    if listing == "records":
        name += "+flagged"
    if postgresql:
        sql, named = quick_postgres.expand(name, inputs)
        assert sql == done.string
        assert named == {p: done.params[p] for p in re.findall(r"%\((\w+)\)s", sql)}
        assert len(named) == sum(1 for v in done.params.values() if not isinstance(v, list))
        return
    sql, values = quick_read.expand(name, inputs)
    assert sql == done.string
    assert values == [done.params[p] for p in done.positiontup]


def _token(data: Path, user: str) -> str:
    """``user``'s token, signed in from a config directory of its own: signing in again
    from one directory revokes the token it replaces there."""
    config = data / f".config-{user}"
    code, out = run(data, "login", user, HUIQI_PASSWORD=DEMO_PASSWORD, HUIQI_CONFIG_DIR=str(config))
    assert code == 0, out
    stored = json.loads((config / "credentials.json").read_text("utf-8"))
    return str(next(iter(stored.values()))["token"])


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A demo ledger with offers, a claim, grants (one paid), a review flag, and a token per
    user."""
    data = tmp_path_factory.mktemp("quick") / "data"
    code, out = run(data, "demo", "-n", "600", "--seed", "5")
    assert code == 0, out
    tokens = {u: _token(data, u) for u in ("officer", "finance", "admin", "ent", "park")}
    tokens.update({u: _token(data, u) for u in ("desk", "steward")})
    ok = _ok(data)
    assert "granted" in ok("publish", str(LIBRARY / f"{REFUND}.yaml"), token=tokens["officer"])
    offers = json.loads(ok("records", "--status", "offered", "--json", token=tokens["ent"]))
    ok("claim", str(offers[0]["id"]), token=tokens["ent"])
    assert "batch 1" in ok("disburse", "export", token=tokens["finance"])
    batch = json.loads(ok("disburse", "batches", "--json", token=tokens["finance"]))[0]
    first = Path(batch["csv_path"]).read_text("utf-8-sig").splitlines()[1].split(",")[1]
    paid = data.parent / "paid.csv"
    paid.write_text(f"grant_id,result\n{first},paid\n", encoding="utf-8")
    assert "1 paid" in ok("disburse", "results", str(paid), token=tokens["finance"])
    admin = tokens["admin"]
    ok("user", "add", "district", "--role", "policy_author=district:310115", "--no-password",
       token=admin)  # fmt: skip
    tokens["district"] = ok("token", "create", "t", "--user", "district", token=admin).split()[-1]
    tokens["expired"] = ok("token", "create", "t", "--user", "finance", token=admin).split()[-1]
    with sqlite3.connect(data / "huiqi.db") as db:
        db.execute("UPDATE api_tokens SET expires_at = '2020-01-02 00:00:00.000000' WHERE id ="
                   " (SELECT max(id) FROM api_tokens)")  # fmt: skip
        # A review flag (as 'huiqi deliver' sets on a new snapshot) on the first grant's record.
        db.execute("UPDATE entitlements SET review_flag = 1, review_reason = '数据更正，需复核'"
                   " WHERE id = (SELECT entitlement_id FROM grants ORDER BY id LIMIT 1)")  # fmt: skip
    ok("user", "disable", "steward", token=admin)
    tokens["unknown"] = "hq_not-a-token"
    return data, tokens


def _ok(data: Path) -> Any:
    def ok(*args: str, token: str) -> str:
        code, out = run(data, *args, token=token)
        assert code == 0, (args, out)
        return out

    return ok


@contextmanager
def _full_path_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with monkeypatch.context() as m:
        decline_quick_path(m)
        yield


@pytest.fixture
def quick_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the precompiled statements the quick path ran."""
    ran: list[str] = []
    real = quick_read.fetch

    def spy(conn: sqlite3.Connection, name: str, inputs: Any) -> Any:
        ran.append(name)
        return real(conn, name, inputs)

    monkeypatch.setattr(quick_read, "fetch", spy)
    monkeypatch.setattr(quick_listings, "fetch", spy)
    return ran


def _both(
    data: Path,
    token: str,
    args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    ran: list[str],
    **env: str,
) -> tuple[tuple[int, str], tuple[int, str]]:
    """(exit code, output) of ``huiqi ARGS`` on the quick path, then on the full path."""
    quick = run(data, *args, token=token, **env)
    quick_ran = list(ran)
    with _full_path_only(monkeypatch):
        full = run(data, *args, token=token, **env)
    ran[:] = quick_ran
    return quick, full


ALL_ROWS = ("officer", "finance", "admin")
LISTINGS = [
    ["versions"],
    ["versions", "--json"],
    ["versions", "--policy", REFUND],
    ["grants"],
    ["grants", "--json", "--limit", "7"],
    ["grants", "--status", "paid"],
    # A page with rows: an empty one checks the --policy filter once more (a test below).
    ["grants", "--policy", REFUND, "--status", "in_batch", "--after", "3", "--limit", "4"],
    ["records"],
    ["records", "--json", "--status", "offered", "--limit", "5"],
    ["records", "--status", "claimed"],
    ["records", "--flagged"],
    ["records", "--policy", OFFER, "--after", "2", "--limit", "3"],
    ["whoami"],
    ["whoami", "--json"],
]


@pytest.mark.parametrize("user", ALL_ROWS)
@pytest.mark.parametrize("args", LISTINGS, ids=" ".join)
def test_an_actor_reading_every_row_gets_the_full_paths_output_quickly(
    ledger: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    quick_reads: list[str],
    user: str,
    args: list[str],
) -> None:
    data, tokens = ledger
    quick, full = _both(data, tokens[user], args, monkeypatch, quick_reads)
    assert quick == full
    assert quick[0] == 0, quick
    assert quick_reads[:2] == ["token", "roles"]
    assert len(quick_reads) == (2 if args[0] == "whoami" else 3), quick_reads


def test_a_listing_cut_to_one_enterprise_is_quick_and_the_same(
    ledger: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch, quick_reads: list[str]
) -> None:
    data, tokens = ledger
    grants = json.loads(_ok(data)("grants", "--json", "--limit", "1", token=tokens["finance"]))
    uscc = grants[0]["uscc"]
    for args in (
        ["grants", "--uscc", uscc],
        ["records", "--uscc", uscc, "--status", "granted", "--json"],
        ["records", "--uscc", uscc, "--policy", REFUND, "--flagged"],  # the flagged one
    ):
        quick_reads.clear()
        quick, full = _both(data, tokens["officer"], args, monkeypatch, quick_reads)
        assert quick == full and quick[0] == 0 and uscc in quick[1], (args, quick)
        assert quick_reads[-1].endswith(("+uscc", "+uscc+status", "+flagged")), quick_reads


@pytest.mark.parametrize(
    ("user", "args", "quick"),
    [
        ("ent", ["grants"], True),
        ("ent", ["records", "--json"], True),
        ("ent", ["records", "--status", "granted", "--json"], True),  # its claimed offer
        ("park", ["grants", "--json"], True),
        ("park", ["records", "--policy", OFFER], True),
        ("district", ["records", "--limit", "5"], False),  # a district's policies
        ("desk", ["grants"], False),  # no ledger role: refused (by the full path)
    ],
    ids=lambda v: v if isinstance(v, str) else " ".join(v) if isinstance(v, list) else None,
)
def test_an_actor_cut_to_a_scope_gets_the_full_paths_output(
    ledger: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    quick_reads: list[str],
    user: str,
    args: list[str],
    quick: bool,
) -> None:
    """Enterprises and park operators quickly (their rows cut by the same IN lists),
    officers of a district or a department by the full path; the same output."""
    data, tokens = ledger
    quick_out, full = _both(data, tokens[user], args, monkeypatch, quick_reads)
    assert quick_out == full
    assert quick_out[0] == (5 if user == "desk" else 0), quick_out
    assert len(quick_reads) == (3 if quick else 2), quick_reads  # else signed in, declined
    if quick:
        assert "@own" in quick_reads[-1] or "@parks" in quick_reads[-1], quick_reads
    if user in ("ent", "park") and "--json" in args:
        assert json.loads(quick_out[1]), "no rows: the test shows nothing"


def test_an_enterprise_reads_its_own_rows_quickly_a_park_operator_after_a_lookup(
    ledger: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch, quick_reads: list[str]
) -> None:
    data, tokens = ledger
    uscc = _ok(data)("whoami", token=tokens["ent"]).split("enterprise=")[1].split(")")[0]
    for user, quick in (("ent", True), ("park", False)):
        quick_reads.clear()
        args = ["records", "--uscc", uscc, "--json"]
        quick_out, full = _both(data, tokens[user], args, monkeypatch, quick_reads)
        assert quick_out == full and quick_out[0] == 0 and uscc in quick_out[1], quick_out
        assert len(quick_reads) == (3 if quick else 2), quick_reads


def test_a_page_past_the_end_checks_the_policy_filter_once_a_page_with_rows_never(
    ledger: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch, quick_reads: list[str]
) -> None:
    """Regression: with --after the --policy filter went unchecked, so a mistyped id listed
    an empty page and exited 0. The check runs only when a page comes back empty: a page
    with rows reads nothing more; one past the end reads the published versions."""
    data, tokens = ledger
    for policy, after, code, reads in (
        (REFUND, "3", 0, 3),  # rows: the sign-in and the page
        (REFUND, "999999", 0, 6),  # past the end: and the check, signed in again
        (REFUND.replace("refund", "refnd"), "999999", 3, 6),  # a typo: refused
    ):
        quick_reads.clear()
        args = ["grants", "--policy", policy, "--after", after, "--json"]
        quick, full = _both(data, tokens["officer"], args, monkeypatch, quick_reads)
        assert quick == full and quick[0] == code, (args, quick)
        assert len(quick_reads) == reads, (args, quick_reads)
        assert (quick_reads[-1] == "versions") == (reads == 6), quick_reads
    assert f"(did you mean '{REFUND}'?)" in " ".join(quick[1].split()), quick


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
        ("officer", ["records", "--status", "paid"], 2, "Invalid value for '--status': 'paid'"),
    ],
)
def test_refusals_are_the_full_paths(
    ledger: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    quick_reads: list[str],
    user: str,
    args: list[str],
    code: int,
    message: str,
) -> None:
    data, tokens = ledger
    # "none": no HUIQI_TOKEN, and nothing stored for this database.
    env = {"HUIQI_CONFIG_DIR": str(data / "nobody")} if user == "none" else {}
    quick, full = _both(data, tokens.get(user, ""), args, monkeypatch, quick_reads, **env)
    assert quick == full
    assert quick[0] == code and message in " ".join(quick[1].split()), quick


@pytest.mark.parametrize(
    ("user", "code"), [("officer", 0), ("admin", 0), ("steward", 5), ("finance", 5)]
)
def test_snapshots_signs_in_quickly_and_lists_the_same(
    ledger: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    quick_reads: list[str],
    user: str,
    code: int,
) -> None:
    """The sign-in of 'huiqi snapshots' (then DuckDB's store, as before); finance officers
    may not list snapshots, a disabled steward is not signed in."""
    data, tokens = ledger
    for args in (["snapshots"], ["snapshots", "--json"]):
        quick_reads.clear()
        quick, full = _both(data, tokens[user], args, monkeypatch, quick_reads)
        assert quick == full and quick[0] == code, quick
        assert quick_reads == ["token", "roles"][: 1 if user == "steward" else 2]


@pytest.mark.parametrize("how", ["option", "environment"])
def test_an_explicit_database_url_takes_the_full_path(
    ledger: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    quick_reads: list[str],
    how: str,
) -> None:
    """PostgreSQL (or any --database-url / HUIQI_DATABASE_URL) is read by the full path."""
    data, tokens = ledger
    plain = run(data, "grants", token=tokens["finance"])
    assert quick_reads
    quick_reads.clear()
    url = f"sqlite:///{data / 'huiqi.db'}"
    if how == "option":
        explicit = run(data, "--database-url", url, "grants", token=tokens["finance"])
    else:
        explicit = run(data, "grants", token=tokens["finance"], HUIQI_DATABASE_URL=url)
    assert explicit == plain
    assert quick_reads == []


def test_a_database_behind_the_migrations_takes_the_full_path(
    ledger: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch, quick_reads: list[str]
) -> None:
    data, tokens = ledger
    monkeypatch.setattr(quick_read, "head_revision", lambda: "not-this-one")
    code, out = run(data, "versions", token=tokens["officer"])
    assert code == 0 and REFUND in out and quick_reads == []


def test_a_changed_office_dictionary_takes_the_full_path(
    ledger: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch, quick_reads: list[str]
) -> None:
    data, tokens = ledger
    monkeypatch.setattr(quick_read, "office_fields_to_check", lambda _settings: ["new_field"])
    assert run(data, "grants", token=tokens["finance"])[0] == 0
    assert quick_reads == []


@pytest.mark.parametrize("folder", ["/tmp/a b/data", "/srv/huiqi-data.1", "rel/x_y"])
def test_the_stored_tokens_key_is_sqlalchemys(folder: str) -> None:
    from huiqi.cli.signin import database_key
    from huiqi.db.engine import database_url

    settings = get_settings(folder)
    expected = database_key(database_url(settings).render_as_string(hide_password=False))
    assert quick_read.sqlite_key(settings) == expected


@pytest.mark.parametrize("folder", ["/tmp/x%y", "/tmp/a@b", "/tmp/中文"])
def test_a_path_sqlalchemy_escapes_is_declined(folder: str) -> None:
    with pytest.raises(quick_read.Declined):
        quick_read.sqlite_key(get_settings(folder))


def test_the_quick_path_makes_a_wide_data_dir_and_ledger_owner_only(
    ledger: tuple[Path, dict[str, str]], quick_reads: list[str]
) -> None:
    """Regression: the quick path skipped what opening the database does first, so a data
    directory and a ledger found readable by others stayed so (the full path tightens
    them on every command)."""
    import stat

    data, tokens = ledger
    data.chmod(0o755)
    (data / "huiqi.db").chmod(0o644)
    assert run(data, "versions", token=tokens["officer"])[0] == 0
    assert quick_reads  # the quick path ran
    assert stat.S_IMODE(data.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE((data / "huiqi.db").stat().st_mode) & 0o077 == 0


def test_the_quick_paths_settings_are_the_engines() -> None:
    """Kept apart (huiqi.db imports SQLAlchemy): the same variable, the same busy wait."""
    from huiqi.db.engine import DATABASE_URL_ENV, SQLITE_BUSY_SECONDS

    assert quick_read.DATABASE_URL_ENV == DATABASE_URL_ENV
    assert quick_read.BUSY_SECONDS == SQLITE_BUSY_SECONDS


def test_a_locked_database_is_busy_at_once_not_after_a_second_wait(
    ledger: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lock not had within the busy timeout: the quick path says what the full path says
    (DatabaseBusy) instead of declining, which would wait the busy timeout a second time."""
    data, tokens = ledger
    real = sqlite3.connect
    locked: list[bool] = []

    class Locked:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.conn = real(*args, **kwargs)

        def execute(self, sql: str, *args: Any) -> Any:
            if sql == "PRAGMA query_only=ON":  # the first statement after the BEGIN
                locked.append(True)
                raise sqlite3.OperationalError("database is locked")
            return self.conn.execute(sql, *args)

        def close(self) -> None:
            self.conn.close()

    monkeypatch.setattr(quick_read.sqlite3, "connect", Locked)
    code, out = run(data, "versions", token=tokens["officer"])
    assert locked and code == 1, (code, out)
    assert "the database is busy: another process held the SQLite database's write lock" in (
        " ".join(out.split())
    )


@pytest.mark.parametrize("path", ["quick", "full"])
def test_a_listing_writes_down_the_tokens_last_use(
    ledger: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    quick_reads: list[str],
    path: str,
) -> None:
    """Regression: a listing reads in a read-only transaction and left the token's last use
    to a write that never came (`huiqi token list` said a daily-used token was never used)."""
    data, tokens = ledger
    digest = quick_read.token_digest(tokens["desk"])
    with sqlite3.connect(data / "huiqi.db") as db:
        db.execute("UPDATE api_tokens SET last_used_at = NULL WHERE token_hash = ?", (digest,))
    with _full_path_only(monkeypatch) if path == "full" else _nothing():
        assert run(data, "whoami", token=tokens["desk"])[0] == 0
    assert (quick_reads[:2] == ["token", "roles"]) == (path == "quick")
    with sqlite3.connect(data / "huiqi.db") as db:
        (used,) = db.execute(
            "SELECT last_used_at FROM api_tokens WHERE token_hash = ?", (digest,)
        ).fetchone()
    assert used is not None


@contextmanager
def _nothing() -> Iterator[None]:
    yield

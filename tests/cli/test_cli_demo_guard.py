"""`huiqi demo` never runs on a deployment's database or data directory.

Regression: with the ledger in PostgreSQL (HUIQI_DATABASE_URL exported, as the README's
PostgreSQL section says), `huiqi demo` added officer, finance and other accounts with the
published demo password to the deployment's database, published the library and granted
money on its books; and, its data directory holding no huiqi.db, wiped that directory's
profile store and snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from cliutil import run
from sqlalchemy import func, select

from huiqi.accounts import service as accounts_service
from huiqi.accounts.models import User
from huiqi.db.engine import make_engine, session_factory, transaction
from huiqi.db.migrate import upgrade
from huiqi.db.testing import fresh_database, postgres_server_url

REFUSED = "has accounts that the demo did not make"


def _deployment(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with transaction(session_factory(engine)) as s:
            accounts_service.init_admin(s, username="root", password="a-real-admin-pass-2026")
    finally:
        engine.dispose()


def _users(url: str) -> int:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as s:
            return int(s.scalar(select(func.count()).select_from(User)) or 0)
    finally:
        engine.dispose()


def test_demo_refuses_a_deployments_database_and_keeps_its_data_dir(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deployment.db'}"
    _deployment(url)
    before = _users(url)
    data = tmp_path / "data"
    (data / "snapshots" / "1").mkdir(parents=True)
    code, out = run(data, "demo", "-n", "100", HUIQI_DATABASE_URL=url)
    assert code == 1, out
    assert REFUSED in out and "unset HUIQI_DATABASE_URL" in out
    assert _users(url) == before
    assert (data / "snapshots" / "1").is_dir()  # checked before anything is wiped


def test_demo_keeps_a_data_dir_it_did_not_make_even_without_a_ledger(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "snapshots" / "1").mkdir(parents=True)
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    code, out = run(data, "demo", "-n", "100", HUIQI_DATABASE_URL=url)
    assert code == 1, out
    assert "holds snapshots, which the demo did not make" in out
    assert (data / "snapshots" / "1").is_dir()


def test_demo_refuses_a_postgresql_deployment(tmp_path: Path) -> None:
    if postgres_server_url() is None:
        pytest.skip("PostgreSQL tests need HUIQI_TEST_DATABASE_URL")
    with fresh_database("postgresql", tmp_path) as engine:
        url = engine.url.render_as_string(hide_password=False)
        with transaction(session_factory(engine)) as s:
            accounts_service.init_admin(s, username="admin", password="a-real-admin-pass-2026")
        code, out = run(tmp_path / "data", "demo", "-n", "100", HUIQI_DATABASE_URL=url)
        assert code == 1, out
        assert REFUSED in out
        assert _users(url) == 2  # admin and the scheduler service account, nothing added


@pytest.mark.parametrize("reuse", [[], ["--reuse"]])
def test_demo_on_an_admin_init_data_dir_says_to_use_a_new_one(
    tmp_path: Path, reuse: list[str]
) -> None:
    """Regression: on a data directory made by 'huiqi admin init' the demo said "run the
    demo with another --data-dir, or --reuse to keep this one", and --reuse was refused in
    turn (with advice about HUIQI_DATABASE_URL, which was not set)."""
    data = tmp_path / "data"
    run(data, "admin", "init", HUIQI_ADMIN_USERNAME="root", HUIQI_ADMIN_PASSWORD="a-real-pass-2026")
    before = sorted(p.name for p in data.iterdir())
    code, out = run(data, "demo", "-n", "100", *reuse)
    text = " ".join(out.split())
    assert code == 1, out
    assert REFUSED in text and "run it with a new --data-dir" in text
    assert "or --reuse to keep this one" not in text and "HUIQI_DATABASE_URL" not in text
    assert sorted(p.name for p in data.iterdir()) == before  # nothing made or wiped


def test_the_demos_hints_name_the_database_it_used(tmp_path: Path) -> None:
    """Regression (QA, session 30): a demo on PostgreSQL printed "Sign in with 'huiqi
    --data-dir D login officer'"; followed as printed it made an empty SQLite ledger in D
    and refused the password."""
    from huiqi.cli.demo_accounts import command_prefix
    from huiqi.config import get_settings

    settings = get_settings(tmp_path / "my data")
    own = f"sqlite:///{settings.data_dir / 'huiqi.db'}"
    assert command_prefix(settings, own) == f"huiqi --data-dir '{settings.data_dir}'"
    pg = "postgresql+psycopg://huiqi:***@db.example:5432/huiqi"
    assert command_prefix(settings, pg) == (
        f"huiqi --data-dir '{settings.data_dir}' --database-url '{pg}'"
    )


def _usernames(data: Path) -> set[str]:
    engine = make_engine(f"sqlite:///{data / 'huiqi.db'}")
    try:
        with session_factory(engine)() as s:
            return set(s.scalars(select(User.username)))
    finally:
        engine.dispose()


def test_a_fresh_demo_over_accounts_added_since_refuses_and_names_them(tmp_path: Path) -> None:
    """Regression: 'huiqi demo' run again defaults to --fresh, which deleted the demo's
    ledger and with it the accounts added since ('huiqi user add'), silently. It now names
    them and stops, changing nothing; --reuse keeps them, --fresh --force deletes them. A
    ledger holding the demo's own accounts alone is started afresh as before."""
    from huiqi.cli.demo_accounts import refuse_wiping_added_accounts

    data = tmp_path / "data"
    code, out = run(data, "demo", "-n", "100")
    assert code == 0, out
    engine = make_engine(f"sqlite:///{data / 'huiqi.db'}")
    try:
        with session_factory(engine)() as s:
            refuse_wiping_added_accounts(s, "demo")  # the demo's own accounts: no refusal
    finally:
        engine.dispose()
    admin = _token(data)
    for name in ("alice", "bob"):
        code, out = run(data, "user", "add", name, "--role", "finance_officer", "--no-password",
                        token=admin)  # fmt: skip
        assert code == 0, out
    before = sorted(p.name for p in data.iterdir())

    code, out = run(data, "demo", "-n", "100")

    text = " ".join(out.split())
    assert code == 1, out
    assert (
        f"the demo's ledger {data / 'huiqi.db'} holds 2 account(s) the demo did not make:"
        " alice, bob; a fresh demo (the default) deletes the ledger, and them with it. Run it"
        " with --reuse to keep the ledger and its accounts, with --fresh --force to delete"
        " them, or with another --data-dir (through make: make demo ARGS=--reuse)"
    ) in text
    assert sorted(p.name for p in data.iterdir()) == before
    assert {"alice", "bob"} <= _usernames(data)
    code, out = run(data, "demo", "-n", "100", "--reuse")
    assert code == 0, out
    assert {"alice", "bob"} <= _usernames(data)
    code, out = run(data, "demo", "-n", "100", "--reuse", "--force")
    assert code == 2 and "--force deletes the demo's ledger: it goes with --fresh" in out, out
    code, out = run(data, "demo", "-n", "100", "--fresh", "--force")
    assert code == 0, out
    assert not {"alice", "bob"} & _usernames(data)
    # Regression: --fresh --force deleted them silently; it names what it deleted.
    assert (
        "Deleted the demo's ledger with 2 account(s) added since (--force): alice, bob."
        in " ".join(out.split())
    ), out


def _token(data: Path) -> str:
    """An API token of the demo's admin."""
    from huiqi.accounts import tokens
    from huiqi.cli.demo_accounts import DEMO_PASSWORD

    engine = make_engine(f"sqlite:///{data / 'huiqi.db'}")
    try:
        with transaction(session_factory(engine)) as s:
            admin, _ = tokens.sign_in(s, username="admin", password=DEMO_PASSWORD)
            _, secret = tokens.create_token(s, actor=admin, name="test", username="admin")
            return secret
    finally:
        engine.dispose()

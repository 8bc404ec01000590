"""The demo's accounts: one per role, so a newcomer can try each of them.

They exist only in a demo data directory (marked by a ``.huiqi-demo`` file), all
with the password ``huiqi-demo-2026``; the scheduler service account gets an API
token written to ``<data dir>/scheduler.token`` (mode 0600) for its jobs.
"""

from __future__ import annotations

import os
import shlex
import shutil
from dataclasses import dataclass

import duckdb
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.accounts import service as accounts
from huiqi.accounts import tokens
from huiqi.accounts.access import Actor
from huiqi.accounts.credentials import verify_password
from huiqi.accounts.models import User
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.config import Settings
from huiqi.engine import MatchRun
from huiqi.errors import ConfigError
from huiqi.profiles.directory import EnterpriseIdentity, identities

DEMO_PASSWORD = "huiqi-demo-2026"
MARKER = ".huiqi-demo"
OFFER_POLICY = "sh-startup-opening-subsidy-2026"
STAFF = {
    "officer": [
        RoleGrant(Role.POLICY_AUTHOR, "*"),
        RoleGrant(Role.POLICY_PUBLISHER, "*"),
        RoleGrant(Role.POLICY_REVIEWER, "*"),
    ],
    "finance": [RoleGrant(Role.FINANCE_OFFICER)],
    "steward": [RoleGrant(Role.DATA_STEWARD)],
    "desk": [RoleGrant(Role.DESK_OFFICER, "*"), RoleGrant(Role.DESK_HEAD, "*")],
    "complaints": [RoleGrant(Role.COMPLAINT_OFFICER)],
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    roles: tuple[str, ...]
    note: str


def wipe_demo_data(settings: Settings) -> None:
    """Start a demo afresh. A ledger that is not a demo's is never deleted."""
    data = settings.data_dir
    if not (data / MARKER).exists():
        # With the ledger in PostgreSQL a deployment's data directory holds no huiqi.db,
        # but its profile store and snapshots are as much its own.
        for name in ("huiqi.db", "profiles.duckdb", "snapshots"):
            if (data / name).exists():
                raise ConfigError(
                    f"{data} holds {name}, which the demo did not make; run the demo with"
                    " another --data-dir, or --reuse to keep this one"
                )
    # The console's kept pages of refused forms too: they hold what the earlier demo's
    # users typed (QA, qa5). Imported here: the CLI's other commands load no web stack.
    from huiqi.web.refused_forms import FOLDER as KEPT_PAGES

    for sub in (
        "profiles.duckdb",
        "snapshots",
        "imports",
        "runs",
        "generated",
        "disbursements",
        KEPT_PAGES,
    ):
        target = data / sub
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    for name in ("huiqi.db", "huiqi.db-wal", "huiqi.db-shm", "scheduler.token"):
        (data / name).unlink(missing_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    (data / MARKER).write_text("made by 'huiqi demo'; its accounts use demo passwords\n")


def create_staff(session: Session, where: str) -> dict[str, Actor]:
    """The admin and the officers of the demo (kept if they exist, with --reuse).

    A database whose accounts the demo did not make (``where`` names it) is refused: the
    demo would add officers, finance and admin-made accounts with the published demo
    password to it, and publish and grant on a deployment's books."""
    refuse_foreign_accounts(session, where)
    if not accounts.has_admin(session):
        accounts.init_admin(session, username="admin", password=DEMO_PASSWORD)
    admin = _actor(session, "admin")
    actors = {"admin": admin}
    for name, grants in STAFF.items():
        if session.scalar(select(User.id).where(User.username == name)) is None:
            accounts.add_user(
                session, actor=admin, username=name, roles=grants, password=DEMO_PASSWORD
            )
        actors[name] = _actor(session, name)
    return actors


def refuse_foreign_accounts(session: Session, where: str, *, remedy: str | None = None) -> None:
    """Refuse a database whose accounts the demo did not make (its admin, if any, does
    not use the demo password); ``remedy`` says what to do instead (default: another
    database)."""
    if accounts.has_admin(session):
        demo_admin = session.scalar(select(User).where(User.username == "admin"))
        if demo_admin is None or not verify_password(demo_admin.password_hash, DEMO_PASSWORD):
            raise ConfigError(
                f"the database {where} has accounts that the demo did not make (its admin"
                " does not use the demo password); the demo adds accounts with a published"
                " password and grants money, so it runs only on an empty database or a demo's: "
                + (
                    remedy
                    or "unset HUIQI_DATABASE_URL (SQLite in the data directory) or point it at a"
                    " new database"
                )
            )


def demo_usernames() -> frozenset[str]:
    """The accounts the demo makes: its admin, the scheduler, its staff, ``ent`` and
    ``park`` (:func:`create_staff`, :func:`create_enterprise_accounts`)."""
    return frozenset({"admin", accounts.SCHEDULER, *STAFF, "ent", "park"})


def added_accounts(session: Session) -> list[str]:
    """The accounts of a demo's ledger that the demo did not make, by name."""
    return sorted(
        session.scalars(select(User.username).where(User.username.not_in(demo_usernames())))
    )


def named(names: list[str], shown: int = 10) -> str:
    """The first ``shown`` of ``names``, and how many more."""
    return ", ".join(names[:shown]) + (
        f" and {len(names) - shown} more" if len(names) > shown else ""
    )


def refuse_wiping_added_accounts(session: Session, where: str, shown: int = 10) -> None:
    """Refuse to start a demo afresh over a ledger that holds accounts added since the demo
    made it (``huiqi user add`` as its admin): deleting the ledger deleted them, silently.
    The message names them (the first ``shown``) and the options that keep or drop them."""
    added = added_accounts(session)
    if not added:
        return
    names = named(added, shown)
    raise ConfigError(
        f"the demo's ledger {where} holds {len(added)} account(s) the demo did not make:"
        f" {names}; a fresh demo (the default) deletes the ledger, and them with it. Run it"
        " with --reuse to keep the ledger and its accounts, with --fresh --force to delete"
        " them, or with another --data-dir (through make: make demo ARGS=--reuse)"
    )


def _actor(session: Session, username: str) -> Actor:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None
    return accounts.actor_of(user)


def _offer_enterprise(settings: Settings, run: MatchRun) -> EnterpriseIdentity | None:
    """An enterprise the demo's offer policy will offer money to, in a park if one is."""
    with duckdb.connect() as con:
        rows = con.execute(
            "SELECT uscc FROM read_parquet(?) WHERE policy_id = ? AND status = 'eligible'"
            " ORDER BY uscc LIMIT 500",
            [str(run.output_dir / "matches.parquet"), OFFER_POLICY],
        ).fetchall()
    found = sorted(
        identities(settings, run.snapshot_id, [r[0] for r in rows]),
        key=lambda e: (e.park is None, e.uscc),
    )
    return found[0] if found else None


def create_enterprise_accounts(
    settings: Settings, session: Session, admin: Actor, run: MatchRun
) -> list[DemoAccount]:
    """The enterprise and park operator accounts, and the scheduler's token."""
    made = [
        DemoAccount("admin", ("admin",), "users, roles, tokens, audit log"),
        DemoAccount("officer", tuple(map(str, STAFF["officer"])), "publish, review, simulate"),
        DemoAccount("finance", ("finance_officer",), "disbursement batches, payment results"),
        DemoAccount("steward", ("data_steward",), "imports and snapshots"),
        DemoAccount("desk", tuple(map(str, STAFF["desk"])), "enterprises' requests (诉求)"),
        DemoAccount("complaints", ("complaint_officer",), "flagged complainants (职业举报)"),
    ]
    chosen = _offer_enterprise(settings, run)
    if chosen is not None:
        uscc, park = chosen.uscc, chosen.park
        wanted = [("ent", RoleGrant(Role.ENTERPRISE, uscc), f"offered {OFFER_POLICY}")]
        if park:
            wanted.append(("park", RoleGrant(Role.PARK_OPERATOR, park), f"the park of {uscc}"))
        for name, grant, note in wanted:
            if session.scalar(select(User.id).where(User.username == name)) is None:
                accounts.add_user(
                    session, actor=admin, username=name, roles=[grant], password=DEMO_PASSWORD
                )
            made.append(DemoAccount(name, (str(grant),), note))
    token_file = settings.data_dir / "scheduler.token"
    if not token_file.exists():
        _, secret = tokens.create_token(
            session, actor=admin, name="demo scheduler", username=accounts.SCHEDULER, days=30
        )
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secret + "\n")
    made.append(DemoAccount(accounts.SCHEDULER, ("scheduler",), f"API token in {token_file.name}"))
    return made


def command_prefix(settings: Settings, url: str | None = None) -> str:
    """``huiqi`` with the options that reach this demo's data and ledger: the data
    directory, and the database URL when the ledger is not the data directory's SQLite
    file (its password hidden: give it, or HUIQI_DATABASE_PASSWORD, as when running the
    demo). Without the URL, a command made an empty SQLite ledger and refused the sign-in."""
    words = ["huiqi", "--data-dir", shlex.quote(str(settings.data_dir))]
    if url is not None and url != f"sqlite:///{settings.data_dir / 'huiqi.db'}":
        words += ["--database-url", shlex.quote(url)]
    return " ".join(words)


def render_accounts(
    console: Console, made: list[DemoAccount], settings: Settings, url: str | None = None
) -> None:
    table = Table(title=f"Demo accounts (password {DEMO_PASSWORD}; demo data only)")
    for column in ("user", "roles", "for"):
        table.add_column(column)
    for a in made:
        table.add_row(a.username, "\n".join(a.roles), a.note)
    console.print(table)
    console.print(
        f"Sign in with '{command_prefix(settings, url)} login officer';"
        f" scheduled jobs: export HUIQI_TOKEN=$(cat {settings.data_dir / 'scheduler.token'})"
    )

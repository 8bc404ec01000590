"""The dashboards' counters under two concurrent transactions on PostgreSQL (migration
0019): whichever of a directory write and a ledger write of the same enterprise comes
first, both commit and the counters equal a recount."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import factories as make
import pytest
from alembic import command
from sqlalchemy import Engine, delete, text, update
from sqlalchemy.orm import Session, sessionmaker

from huiqi.db.engine import session_factory, transaction
from huiqi.db.migrate import alembic_config, upgrade
from huiqi.db.testing import fresh_database, postgres_server_url
from huiqi.delivery import counts
from huiqi.delivery.count_models import LedgerCountDelta
from huiqi.delivery.directory import refresh as directory_refresh
from huiqi.delivery.models import DirectoryEntry, Grant, PolicyVersion
from huiqi.profiles.directory import EnterpriseIdentity

pytestmark = pytest.mark.skipif(
    postgres_server_url() is None, reason="PostgreSQL tests need HUIQI_TEST_DATABASE_URL"
)

CODE = "91310104MA1K000033"  # the enterprise both transactions write about
OTHER = "91310115MA1K000022"  # a directory row that an update renames to CODE
WAIT = 20.0  # seconds a blocked transaction may take to show as waiting, or to finish


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[Engine]:
    with fresh_database("postgresql", tmp_path) as engine:
        yield engine


def _exact(factory: sessionmaker[Session]) -> dict[str, dict[object, tuple[int, int]]]:
    """Each kind's counters as stored, after checking them against a recount."""
    found = {}
    with factory() as s:
        for kind in counts.KINDS:
            assert counts.stored(s, kind) == counts.recount(s, kind), kind
            found[kind] = counts.stored(s, kind)
    return found


def _districts(factory: sessionmaker[Session]) -> set[str]:
    with factory() as s:
        return {district for (_pv, _st, district, _m) in counts.stored(s, "grant")}


# What the directory's transaction does to CODE's entry, on a directory that holds
# ``before`` (uscc -> district) when it starts.
DIRECTORY_WRITES: dict[str, tuple[dict[str, str], Callable[[Session], None]]] = {
    "recorded for the first time": (
        {},
        lambda s: s.add(DirectoryEntry(uscc=CODE, district_code="310104", snapshot_id=2)),
    ),
    "district changed": (
        {CODE: "310115"},
        lambda s: s.execute(
            update(DirectoryEntry).where(DirectoryEntry.uscc == CODE).values(district_code="310104")
        ),
    ),
    "another entry renamed to it": (
        {OTHER: "310104"},
        lambda s: s.execute(
            update(DirectoryEntry).where(DirectoryEntry.uscc == OTHER).values(uscc=CODE)
        ),
    ),
    "entry deleted": (
        {CODE: "310104"},
        lambda s: s.execute(delete(DirectoryEntry).where(DirectoryEntry.uscc == CODE)),
    ),
}


# The ledger's columns added after 0018 that the ORM writes on every insert of its rows.
LATER_COLUMNS = {  # (column, type)
    "entitlements": (("review_criteria", "JSON"),),  # 0026
    "grants": (("corrects_grant_id", "INTEGER"),),  # 0028
}


@contextmanager
def orm_fits(engine: Engine) -> Iterator[None]:
    """The schema of 0018 with the columns added since that the ORM's inserts name (the
    test writes its rows at 0018 through today's models), taken out again after, so that
    the upgrade adds them as it would."""
    with engine.begin() as conn:
        for table, columns in LATER_COLUMNS.items():
            for column, kind in columns:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))
    try:
        yield
    finally:
        with engine.begin() as conn:
            for table, columns in LATER_COLUMNS.items():
                for column, _ in columns:
                    conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))


def _write_grant(s: Session, pv_id: int, code: str = CODE) -> None:
    """A grant of ``code`` and its delivery record (both counted)."""
    pv = s.get(PolicyVersion, pv_id)
    assert pv is not None
    make.grant(s, pv, code=code)


def _pid(s: Session) -> int:
    return int(s.scalar(text("SELECT pg_backend_pid()")) or 0)


def _second(
    s: Session, write: Callable[[Session], None]
) -> tuple[threading.Thread, list[BaseException], int]:
    """Run ``write`` then commit in ``s`` on a thread; return the thread, where its error
    goes and its server process."""
    errors: list[BaseException] = []
    pid = _pid(s)

    def run() -> None:
        try:
            write(s)
            s.commit()
        except BaseException as err:  # reported by the test's thread
            errors.append(err)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors, pid


def _blocked_or_done(factory: sessionmaker[Session], thread: threading.Thread, pid: int) -> bool:
    """Wait until the thread's transaction waits on a lock (True) or has finished (False)."""
    deadline = time.monotonic() + WAIT
    with factory() as watcher:
        while time.monotonic() < deadline:
            if not thread.is_alive():
                return False
            waiting = watcher.scalar(
                text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": pid},
            )
            watcher.rollback()
            if waiting == "Lock":
                return True
            time.sleep(0.02)
    pytest.fail(f"the second transaction neither waited on a lock nor finished in {WAIT} s")


def _change_status(s: Session, pv_id: int) -> None:
    """The status of CODE's grant changes (its counters move from one status to another)."""
    s.execute(update(Grant).where(Grant.uscc == CODE).values(status="paid"))


# What the ledger's transaction does: (a grant of CODE exists before, the write).
LEDGER_WRITES: dict[str, tuple[bool, Callable[[Session, int], None]]] = {
    "grant inserted": (False, _write_grant),
    "grant's status changed": (True, _change_status),
}


@pytest.mark.parametrize("change", list(DIRECTORY_WRITES))
@pytest.mark.parametrize("ledger_change", list(LEDGER_WRITES))
@pytest.mark.parametrize("first", ["directory", "ledger"])
def test_a_district_written_while_a_grant_is_written_keeps_the_counters_exact(
    postgres: Engine, change: str, ledger_change: str, first: str
) -> None:
    """0017's triggers read a counted row's district under FOR SHARE, which locks rows
    that exist but not a key that has none yet: an enterprise's directory entry recorded
    (or renamed to its USCC) in one transaction while its grant was written in another
    left the grant counted under '' (no district) after both committed, whichever wrote
    first. Both now wait for each other on the district lock, in either order, for every
    kind of directory write that moves counts and every kind of counted ledger write."""
    factory = session_factory(postgres)
    before, directory_write = DIRECTORY_WRITES[change]
    granted_before, ledger_write = LEDGER_WRITES[ledger_change]
    with transaction(factory) as s:
        pv_id = make.policy_version(s).id
        for code, district in before.items():
            s.add(DirectoryEntry(uscc=code, district_code=district, snapshot_id=1))
        if granted_before:
            _write_grant(s, pv_id)
    directory, ledger = factory(), factory()
    try:
        if first == "directory":
            directory_write(directory)
            directory.flush()
            thread, errors, pid = _second(ledger, lambda s: ledger_write(s, pv_id))
            waited = _blocked_or_done(factory, thread, pid)
            directory.commit()
        else:
            ledger_write(ledger, pv_id)
            ledger.flush()
            thread, errors, pid = _second(directory, directory_write)
            waited = _blocked_or_done(factory, thread, pid)
            ledger.commit()
        thread.join(WAIT)
        assert not thread.is_alive() and not errors, errors
    finally:
        directory.close()
        ledger.close()
    _exact(factory)
    expected = "" if change == "entry deleted" else "310104"
    assert _districts(factory) == {expected}
    assert waited, "the second transaction did not wait for the first"


def test_two_transactions_writing_grants_do_not_wait_for_each_other(postgres: Engine) -> None:
    """The counting triggers take the district lock shared: bulk chunks of two deliveries
    (here, two grants of one enterprise) run side by side, neither waiting."""
    factory = session_factory(postgres)
    with transaction(factory) as s:
        pv_id = make.policy_version(s).id
        other_pv = make.policy_version(s).id
        s.add(DirectoryEntry(uscc=CODE, district_code="310104", snapshot_id=1))
    one, two = factory(), factory()
    try:
        _write_grant(one, pv_id)
        thread, errors, pid = _second(two, lambda s: _write_grant(s, other_pv))
        waited = _blocked_or_done(factory, thread, pid)
        thread.join(WAIT)
        one.commit()
    finally:
        one.close()
        two.close()
    assert not waited and not errors, errors
    assert _exact(factory)["grant"]


def test_a_directory_refresh_that_moves_nothing_takes_no_lock(postgres: Engine) -> None:
    """A delivery refreshes the directory entry of every enterprise it delivers to; one
    whose district stays (or that records none) must not wait for transactions writing
    grants. Under 0017 it waited: its upsert of an entry waited for the FOR SHARE lock of
    every transaction that had counted a row of that enterprise."""
    factory = session_factory(postgres)
    with transaction(factory) as s:
        pv_id = make.policy_version(s).id
        s.add(DirectoryEntry(uscc=CODE, district_code="310104", snapshot_id=1))
    ledger, directory = factory(), factory()
    try:
        _write_grant(ledger, pv_id)

        def refresh(s: Session) -> None:
            entries = [
                EnterpriseIdentity(uscc=CODE, name="新名称", district_code="310104", park=None),
                EnterpriseIdentity(uscc=OTHER, name=None, district_code=None, park=None),
            ]
            directory_refresh(s, entries, snapshot_id=2)

        thread, errors, pid = _second(directory, refresh)
        waited = _blocked_or_done(factory, thread, pid)
        thread.join(WAIT)
        ledger.commit()
    finally:
        ledger.close()
        directory.close()
    assert not waited and not errors, errors
    _exact(factory)


def test_the_upgrade_recounts_counters_the_gap_left_wrong(tmp_path: Path) -> None:
    """Counters the gap left wrong before 0019 (a grant under '' whose enterprise has a
    district) are recounted by the upgrade; a downgrade restores 0017's triggers, which
    still count."""
    with fresh_database("postgresql", tmp_path, revision="0018") as engine:
        factory = session_factory(engine)
        with orm_fits(engine), transaction(factory) as s:
            pv = make.policy_version(s)
            make.grant(s, pv, code=CODE)
            s.add(DirectoryEntry(uscc=CODE, district_code="310104", snapshot_id=1))
            s.flush()
            # what the race left: the grant and its record still counted under no district
            s.add_all(
                LedgerCountDelta(
                    kind=kind,
                    policy_version_id=pv_id,
                    status=status,
                    district=district,
                    month=month,
                    n=sign * n,
                    amount_fen=sign * amount,
                )
                for kind in counts.KINDS
                for (pv_id, status, _d, month), (n, amount) in counts.stored(s, kind).items()
                for district, sign in (("310104", -1), ("", 1))
            )
            pv_id = pv.id
        with factory() as s:
            assert counts.stored(s, "grant") != counts.recount(s, "grant")
        upgrade(engine, "head")
        assert _districts(factory) == {"310104"}
        _exact(factory)
        cfg = alembic_config()
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0018")
            conn.commit()
        with orm_fits(engine), transaction(factory) as s:
            s.execute(update(DirectoryEntry).values(district_code="310115"))
            _write_grant(s, pv_id, OTHER)
        assert _districts(factory) == {"310115", ""}
        _exact(factory)
        upgrade(engine, "head")
        _exact(factory)

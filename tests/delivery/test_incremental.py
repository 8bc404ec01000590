"""Incremental delivery: only the enterprises a new snapshot changed are re-matched, and
the ledger ends exactly where a full delivery would have left it (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pytest
from helpers import build_store, policy_yaml, uscc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.testing import OFFICER, SCHEDULER
from huiqi.config import Settings, get_settings
from huiqi.db.engine import session_factory
from huiqi.db.testing import fresh_database
from huiqi.delivery import incremental
from huiqi.delivery.incremental import deliver_changes
from huiqi.delivery.models import Entitlement, Grant
from huiqi.delivery.publish import deliver, publish_text
from huiqi.delivery.records import DeliveryReport
from huiqi.engine import open_snapshot
from huiqi.engine.single.changes import changed_enterprises
from huiqi.profiles.store import ProfileStore


def change_store(data_dir: Path, employees: Mapping[str, int], year: int = 2025) -> int:
    """Freeze a new snapshot in which only ``employees`` (USCC → insured employees) changed:
    their rows are written by the new snapshot, every other row keeps its own."""
    store = ProfileStore(get_settings(data_dir))
    with store.connect() as con:
        sid = store.begin_snapshot(con, kind="test")
        codes = list(employees)
        con.register(
            "_new",
            pa.table(
                {
                    "uscc": pa.array(codes, pa.string()),
                    "n": pa.array([employees[c] for c in codes], pa.int64()),
                }
            ),
        )
        con.execute(
            "INSERT INTO enterprises (uscc, name, updated_snapshot)"
            " SELECT uscc, '新企业', ? FROM _new WHERE uscc NOT IN (SELECT uscc FROM enterprises)",
            [sid],
        )
        # As the importer writes (the store's tables carry no key index): stored keys
        # updated in place, new keys appended.
        con.execute(
            "UPDATE enterprise_years y SET insured_employees = n.n, updated_snapshot = ?"
            " FROM _new n WHERE y.uscc = n.uscc AND y.year = ?",
            [sid, year],
        )
        con.execute(
            "INSERT INTO enterprise_years (uscc, year, insured_employees, updated_snapshot)"
            " SELECT uscc, ?, n, ? FROM _new n WHERE NOT EXISTS (SELECT 1 FROM enterprise_years y"
            " WHERE y.uscc = n.uscc AND y.year = ?)",
            [year, sid, year],
        )
        con.unregister("_new")
        store.finish_snapshot(con, sid, rows_read=0, rows_accepted=0, rows_rejected=0)
    return sid


def ledger(factory: sessionmaker[Session]) -> set[tuple[str, int, str, bool, int]]:
    """Every record as (USCC, version id, status, flagged, amount)."""
    with factory() as s:
        return {
            (e.uscc, e.policy_version_id, e.status, e.review_flag, e.computed_fen)
            for e in s.scalars(select(Entitlement))
        }


def _published(settings: Settings, factory: sessionmaker[Session]) -> tuple[int, int]:
    auto, _ = publish_text(
        factory, policy_yaml("inc-auto", per_person=1000), "a.yaml", actor=OFFICER
    )
    offer, _ = publish_text(
        factory,
        policy_yaml("inc-offer", delivery="confirm", per_person=10),
        "b.yaml",
        actor=OFFICER,
    )
    for pv in (auto, offer):
        deliver(settings, factory, pv.id, actor=SCHEDULER)
    return auto.id, offer.id


def test_only_changed_enterprises_are_rematched_and_delivered(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    start = {uscc(i): (i % 3) for i in range(1, 31)}  # a third have no insured staff
    settings, first = build_store(tmp_path, start)
    auto, offer = _published(settings, sessions)
    before = ledger(sessions)
    gains, loses, still = uscc(3), uscc(4), uscc(5)  # 0 -> 2, 1 -> 0, 2 -> 7
    newcomer = uscc(77)
    sid = change_store(tmp_path, {gains: 2, loses: 0, still: 7, newcomer: 1})
    assert changed_enterprises(open_snapshot(settings, sid), first) == sorted(
        [gains, loses, still, newcomer]
    )

    rep = deliver_changes(settings, sessions, actor=SCHEDULER)

    assert (rep.since, rep.changed, rep.full) == (first, 4, [])
    after = ledger(sessions)
    new = after - before
    assert {(u, v) for u, v, *_ in new if (u, v, "granted", False, 200_000) in new} == {
        (gains, auto)
    }
    assert (newcomer, auto, "granted", False, 100_000) in new
    assert (gains, offer, "offered", False, 2_000) in new
    assert (newcomer, offer, "offered", False, 1_000) in new
    flagged = {(u, v) for u, v, _, f, _ in after if f}
    assert flagged == {(loses, auto), (loses, offer)}
    # An unchanged enterprise's records are untouched; a changed one that stays eligible
    # keeps its record: its grant's amount is never redone, and its offer not yet claimed
    # takes the amount of the new data (2 -> 7 insured: 20 -> 70 yuan; test_offer_refresh).
    assert (still, offer, "offered", False, 7_000) in after
    assert {r for r in after if r[0] not in (gains, loses, newcomer)} == {
        (u, v, st, f, 7_000 if (u, v) == (still, offer) else amount)
        for u, v, st, f, amount in before
        if u not in (gains, loses, newcomer)
    }
    with sessions() as s:
        assert s.scalar(select(Grant.amount_fen).where(Grant.uscc == gains)) == 200_000

    # A full delivery on the same snapshot finds nothing left to do.
    for pv_id in (auto, offer):
        full = deliver(settings, sessions, pv_id, actor=SCHEDULER)
        assert (full.new_records, full.flagged) == (0, 0)
    assert ledger(sessions) == after
    # And nothing changed since: the next incremental run visits nobody.
    again = deliver_changes(settings, sessions, actor=SCHEDULER)
    assert (again.since, again.changed, again.new_records, again.flagged) == (sid, 0, 0, 0)


def test_a_version_never_delivered_is_left_to_an_officer(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, _ = build_store(tmp_path, {uscc(i): 1 for i in range(1, 6)})
    pv, _ = publish_text(sessions, policy_yaml("inc-new"), "n.yaml", actor=OFFICER)
    rep = deliver_changes(settings, sessions, actor=SCHEDULER)
    assert (rep.undelivered, rep.full, rep.new_records) == (["inc-new v1"], [], 0)
    assert "huiqi deliver ID" in rep.summary()
    assert deliver(settings, sessions, pv.id, actor=SCHEDULER).new_records == 5


def test_only_the_newest_version_of_a_policy_delivers_changes(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: every published version delivered to a newly eligible enterprise, so
    the older version (by id) granted at its old rate and the newer one was excluded."""
    settings, _ = build_store(tmp_path, {uscc(i): 1 for i in range(1, 4)})
    for version, rate in ((1, 1000), (2, 800)):
        pv, _ = publish_text(
            sessions,
            policy_yaml("inc-v", per_person=rate, version=version),
            f"v{version}.yaml",
            actor=OFFICER,
        )
        deliver(settings, sessions, pv.id, actor=SCHEDULER)
    newcomer = uscc(50)
    change_store(tmp_path, {newcomer: 2})
    rep = deliver_changes(settings, sessions, actor=SCHEDULER)
    assert rep.replaced == ["inc-v v1"] and "inc-v v1" in rep.summary()
    with sessions() as s:
        grants = s.execute(select(Grant.policy_id, Grant.amount_fen).where(Grant.uscc == newcomer))
        assert list(grants) == [("inc-v", 2 * 800 * 100)]


def test_many_changes_fall_back_to_full_deliveries(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = build_store(tmp_path, {uscc(i): i % 2 for i in range(1, 11)})
    _published(settings, sessions)
    change_store(tmp_path, {uscc(i): 1 for i in range(1, 11)})
    monkeypatch.setattr(incremental, "BULK_ABOVE", 3)
    rep = deliver_changes(settings, sessions, actor=SCHEDULER)
    assert rep.changed == 10 and rep.full == ["inc-auto v1", "inc-offer v1"]
    assert rep.new_records == 10  # the five that gained staff, under both versions
    again = deliver_changes(settings, sessions, actor=SCHEDULER)
    assert (again.changed, again.new_records) == (0, 0)


def test_only_the_scheduler_delivers_changes(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, _ = build_store(tmp_path, {uscc(1): 1})
    with pytest.raises(AccessDenied):
        deliver_changes(settings, sessions, actor=OFFICER)


@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rounds=st.lists(
        st.dictionaries(st.integers(1, 25), st.integers(0, 3), min_size=1, max_size=8),
        min_size=1,
        max_size=3,
    )
)
def test_incremental_rounds_leave_the_ledger_a_full_delivery_would(
    rounds: list[dict[int, int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Any sequence of changed snapshots, delivered incrementally, leaves the same ledger as
    delivering every version in full on each snapshot (SQLite)."""
    runs = {}
    for mode in ("incremental", "full"):
        data_dir = tmp_path_factory.mktemp(mode)
        with fresh_database("sqlite", data_dir) as engine:
            factory = session_factory(engine)
            settings, _ = build_store(data_dir, {uscc(i): i % 2 for i in range(1, 21)})
            versions = _published(settings, factory)
            for changes in rounds:
                change_store(data_dir, {uscc(i): n for i, n in changes.items()})
                if mode == "incremental":
                    deliver_changes(settings, factory, actor=SCHEDULER)
                else:
                    for pv_id in versions:
                        deliver(settings, factory, pv_id, actor=SCHEDULER)
            runs[mode] = ledger(factory)
    # Open offers included: both paths give an unclaimed offer the amount of the new data.
    assert runs["incremental"] == runs["full"]


def test_the_summary_counts_one_in_the_singular() -> None:
    """Regression (QA): `huiqi deliver --changed` printed "1 enterprises changed,
    re-matched against 1 published versions; 1 new records"."""
    one = DeliveryReport(1, "inc", 1, "auto", 7, matched=1, new_records=1)
    rep = incremental.ChangeReport(snapshot_id=7, since=6, changed=1, versions=1, reports=[one])
    assert rep.summary().startswith(
        "snapshot 7 (since snapshot 6): 1 enterprise changed, re-matched against 1 published"
        " version in 0.00 s; 1 new record, 0 flagged for review;"
    )
    assert "1 matched, 1 new record;" in one.summary()
    many = incremental.ChangeReport(snapshot_id=7, since=None, changed=1_200, versions=3)
    assert "1,200 enterprises changed, re-matched against 3 published versions" in many.summary()
    assert "; 0 new records," in many.summary()

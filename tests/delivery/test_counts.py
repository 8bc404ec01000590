"""The dashboards' counters (migration 0005's triggers, huiqi.delivery.counts and
huiqi.delivery.dashboard) on SQLite and PostgreSQL: after every kind of change they equal
a recount of the ledger, in the same transaction; compaction keeps them equal; the
totals are scoped like every other read."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import factories as make
import helpers as h
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.roles import Role
from huiqi.accounts.testing import ADMIN, FINANCE, OFFICER, SCHEDULER, enterprise, officer
from huiqi.db.clock import utcnow
from huiqi.db.engine import session_factory, transaction
from huiqi.db.migrate import upgrade
from huiqi.db.testing import fresh_database
from huiqi.delivery import claims, counts, dashboard
from huiqi.delivery.disburse import export_batch
from huiqi.delivery.lifecycle import expire_offers
from huiqi.delivery.models import (
    DirectoryEntry,
    Entitlement,
    Grant,
    LedgerCountDelta,
    PolicyVersion,
)
from huiqi.delivery.payments import import_payment_results
from huiqi.delivery.publish import deliver, publish_text


def assert_counted(factory: sessionmaker[Session]) -> None:
    with factory() as s:
        for kind in counts.KINDS:
            assert counts.stored(s, kind) == counts.recount(s, kind), kind


def test_every_delivery_step_keeps_the_counters_equal_to_a_recount(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings_, _ = h.numbered_store(tmp_path / "data", 6)
    end = dt.date(2026, 6, 30)
    auto, _ = publish_text(sessions, h.policy_yaml("count-auto"), "a.yaml", actor=OFFICER)
    deliver(settings_, sessions, auto.id, actor=OFFICER)
    assert_counted(sessions)
    offer_text = h.policy_yaml("count-offer", delivery="confirm", valid_to=end)
    offer, _ = publish_text(sessions, offer_text, "o.yaml", actor=OFFICER)
    deliver(settings_, sessions, offer.id, actor=OFFICER)
    assert_counted(sessions)
    for i in (0, 1):
        claims.claim(
            sessions,
            actor=enterprise(h.uscc(i)),
            policy_id="count-offer",
            uscc=h.uscc(i),
            today=end,
        )
        assert_counted(sessions)
    assert expire_offers(sessions, actor=SCHEDULER, today=end + dt.timedelta(days=1)) == 4
    assert_counted(sessions)
    with transaction(sessions) as s:
        batch = export_batch(s, out_dir=tmp_path / "out", actor=FINANCE)
        # inside the export's own transaction the counters already agree
        for kind in counts.KINDS:
            assert counts.stored(s, kind) == counts.recount(s, kind)
    assert_counted(sessions)
    with sessions() as s:
        first, second = s.scalars(select(Grant.id).order_by(Grant.id).limit(2))
    results = tmp_path / "results.csv"
    results.write_text(
        f"grant_id,result,reason\n{first},paid,\n{second},failed,账户已销户\n", encoding="utf-8"
    )
    with transaction(sessions) as s:
        import_payment_results(s, results, actor=FINANCE)
    assert_counted(sessions)
    with sessions() as s:
        # every step compacted what it wrote: nothing is left pending
        assert s.scalar(select(func.count()).select_from(LedgerCountDelta)) == 0
        grants = counts.stored(s, "grant")
    by_status: dict[str, int] = {}
    for (_pv, status, _district, _month), (n, _amount) in grants.items():
        by_status[status] = by_status.get(status, 0) + n
    assert by_status == {"paid": 1, "payment_failed": 1, "in_batch": batch.grants - 2}


_STATUSES = ("offered", "granted", "claimed", "expired", "rejected")


@st.composite
def _changes(draw: st.DrawFn) -> list[tuple[str, int, str, int | None]]:
    """A few changes to delivery records: insert n, set a status, set an amount, delete."""
    return draw(
        st.lists(
            st.tuples(
                st.sampled_from(["insert", "status", "amount", "delete"]),
                st.integers(0, 40),
                st.sampled_from(_STATUSES),
                st.one_of(st.none(), st.integers(0, 10**12)),
            ),
            min_size=1,
            max_size=8,
        )
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_any_sequence_of_writes_keeps_the_counters_equal_to_a_recount(backend: str) -> None:
    """Any mix of inserts, status and amount changes and deletes, in any number of rows per
    statement, written through SQL (not huiqi's paths), keeps the counters right."""
    from huiqi.db.testing import postgres_server_url

    if backend == "postgresql" and postgres_server_url() is None:
        pytest.skip("PostgreSQL tests need HUIQI_TEST_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp, fresh_database(backend, Path(tmp)) as engine:
        factory = session_factory(engine)
        with transaction(factory) as s:
            pvs = [make.policy_version(s).id for _ in range(2)]
        seq = iter(range(10**6))

        @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(_changes(), st.booleans())
        def run(changes: list[tuple[str, int, str, int | None]], compact: bool) -> None:
            with transaction(factory) as s:
                for op, k, status, amount in changes:
                    pv_id = pvs[k % 2]
                    if op == "insert":
                        version = s.get(PolicyVersion, pv_id)
                        assert version is not None
                        make.bulk_records(
                            s, version, 1 + k % 5, first=next(seq) * 10, status=status
                        )
                    elif op == "status":
                        s.execute(
                            update(Entitlement)
                            .where(Entitlement.id % 3 == k % 3)
                            .values(status=status)
                        )
                    elif op == "amount":
                        s.execute(
                            update(Entitlement)
                            .where(Entitlement.id % 4 == k % 4)
                            .values(computed_fen=amount)
                        )
                    else:
                        s.execute(delete(Entitlement).where(Entitlement.id % 7 == k % 7))
                if compact:
                    counts.compact(s)
            assert_counted(factory)

        run()


def test_the_migration_counts_the_rows_already_in_the_ledger(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path, revision="0004") as engine:
        factory = session_factory(engine)
        with transaction(factory) as s:
            s.execute(
                PolicyVersion.__table__.insert(),  # type: ignore[attr-defined]
                [{**_version_row(), "policy_id": "before"}],
            )
            pv = s.scalars(select(PolicyVersion)).one()
            make.bulk_grants(s, pv, 30, revision=4)
        upgrade(engine, "head")
        assert_counted(factory)
        with factory() as s:
            assert sum(n for n, _ in counts.stored(s, "grant").values()) == 30


def _version_row() -> dict[str, object]:
    return {
        "version": 1,
        "content_hash": "0" * 64,
        "source_yaml": "id: before\n",
        "title_zh": "迁移前",
        "delivery": "auto",
        "level": "district",
        "region": "310115",
        "valid_from": dt.date(2026, 1, 1),
        "valid_to": dt.date(2026, 12, 31),
        "benefit_period": "2026",
        "budget_mode": "first_come",
        "committed_fen": 0,
        "published_by": "officer",
        "status": "published",
        "published_at": dt.datetime(2026, 1, 1),
    }


def test_totals_group_and_scope(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        pudong = make.policy_version(s, region="310115", department="浦东新区科经委")
        xuhui = make.policy_version(s, region="310104", department="徐汇区科委")
        make.bulk_grants(s, pudong, 5, first=100)
        make.bulk_grants(s, xuhui, 3, first=200)
    with sessions() as s:
        everything = dashboard.totals(s, actor=FINANCE, by=("department",))
        assert [(r.department, r.n) for r in everything] == [
            ("徐汇区科委", 3),
            ("浦东新区科经委", 5),
        ]
        want = sum(1 + int(make.uscc(100 + i)[-6:]) for i in range(5))
        district_officer = officer("district:310115", Role.POLICY_REVIEWER)
        mine = dashboard.totals(s, actor=district_officer, by=("policy", "status", "month"))
        assert [(r.policy_id, r.status, r.n, r.amount_fen) for r in mine] == [
            (pudong.policy_id, "granted", 5, want)
        ]
        assert mine[0].month == utcnow().strftime("%Y-%m")
        records = dashboard.totals(s, actor=ADMIN, kind="record", by=("district",))
        # no district recorded for these enterprises: counted as such, not by USCC region
        assert [(r.district, r.n) for r in records] == [(counts.NO_DISTRICT, 8)]
        with pytest.raises(AccessDenied):
            dashboard.totals(s, actor=enterprise(make.uscc(100)))
        with pytest.raises(ValueError, match="cannot group by 'uscc'"):
            dashboard.totals(s, actor=ADMIN, by=("uscc",))  # type: ignore[arg-type]


def _districts(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as s:
        found: dict[str, int] = {}
        for (_pv, _status, district, _month), (n, _amount) in counts.stored(s, "grant").items():
            found[district] = found.get(district, 0) + n
        return {k: v for k, v in found.items() if v}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_districts_are_the_recorded_ones_not_the_uscc_region(backend: str) -> None:
    """The counters took the district from the USCC's characters 3-8, the registering
    authority: an enterprise registered in 闸北区 (310108, abolished 2015) counted there,
    not in 静安区 where it is, and one that moved counted where it started. They now follow
    the ledger's directory, whenever either is written; no district recorded is its own
    bucket."""
    from huiqi.db.testing import postgres_server_url

    if backend == "postgresql" and postgres_server_url() is None:
        pytest.skip("PostgreSQL tests need HUIQI_TEST_DATABASE_URL")
    zhabei, moved, unknown = "91310108MA1K000011", "91310115MA1K000022", "91310104MA1K000033"
    with tempfile.TemporaryDirectory() as tmp, fresh_database(backend, Path(tmp)) as engine:
        factory = session_factory(engine)
        with transaction(factory) as s:
            pv = make.policy_version(s)
            s.add_all(
                [
                    DirectoryEntry(uscc=zhabei, district_code="310106", snapshot_id=1),
                    DirectoryEntry(uscc=moved, district_code="310115", snapshot_id=1),
                ]
            )
            s.flush()
            rows = make.bulk_grants(s, pv, 3)
            codes = {r["uscc"]: c for r, c in zip(rows, (zhabei, moved, unknown), strict=True)}
            for old, new in codes.items():
                s.execute(update(Grant).where(Grant.uscc == old).values(uscc=new))
                s.execute(update(Entitlement).where(Entitlement.uscc == old).values(uscc=new))
            counts.compact(s)
        assert _districts(factory) == {"310106": 1, "310115": 1, counts.NO_DISTRICT: 1}
        assert_counted(factory)
        with transaction(factory) as s:  # it moved; the other gets its district recorded
            s.execute(
                update(DirectoryEntry)
                .where(DirectoryEntry.uscc == moved)
                .values(district_code="310104", snapshot_id=2)
            )
            s.add(DirectoryEntry(uscc=unknown, district_code="310104", snapshot_id=2))
            s.flush()
            assert counts.stored(s, "grant") == counts.recount(s, "grant")
        assert _districts(factory) == {"310106": 1, "310104": 2}
        assert_counted(factory)
        with transaction(factory) as s:
            s.execute(delete(DirectoryEntry).where(DirectoryEntry.uscc == zhabei))
            counts.compact(s)
        assert _districts(factory) == {counts.NO_DISTRICT: 1, "310104": 2}
        assert_counted(factory)
        with factory() as s:
            jingan = dashboard.totals(s, actor=ADMIN, by=("district",), district="310104")
            assert [(r.district, r.n) for r in jingan] == [("310104", 2)]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_upgrade_recounts_the_ledger_by_recorded_district(backend: str) -> None:
    from huiqi.db.testing import postgres_server_url

    if backend == "postgresql" and postgres_server_url() is None:
        pytest.skip("PostgreSQL tests need HUIQI_TEST_DATABASE_URL")
    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database(backend, Path(tmp), revision="0016") as engine,
    ):
        factory = session_factory(engine)
        with transaction(factory) as s:
            s.execute(
                PolicyVersion.__table__.insert(),  # type: ignore[attr-defined]
                [{**_version_row(), "policy_id": "before"}],
            )
            pv = s.scalars(select(PolicyVersion)).one()
            rows = make.bulk_grants(s, pv, 4)
            s.add(DirectoryEntry(uscc=rows[0]["uscc"], district_code="310151", snapshot_id=1))
        upgrade(engine, "head")
        assert _districts(factory) == {"310151": 1, counts.NO_DISTRICT: 3}
        assert_counted(factory)

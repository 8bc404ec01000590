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
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.roles import Role
from huiqi.accounts.testing import ADMIN, FINANCE, OFFICER, SCHEDULER, enterprise, officer
from huiqi.db.clock import utcnow
from huiqi.db.engine import session_factory, transaction
from huiqi.db.migrate import upgrade
from huiqi.db.testing import fresh_database
from huiqi.delivery import claims, counts, dashboard
from huiqi.delivery.count_models import LedgerCountDelta, LedgerCountPause
from huiqi.delivery.disburse import export_batch
from huiqi.delivery.lifecycle import expire_offers
from huiqi.delivery.models import DirectoryEntry, Entitlement, Grant, PolicyVersion
from huiqi.delivery.payments import import_payment_results
from huiqi.delivery.publish import deliver, publish_text
from huiqi.profiles.uscc import make as make_uscc


def assert_counted(factory: sessionmaker[Session]) -> None:
    with factory() as s:
        for kind in counts.KINDS:
            assert counts.stored(s, kind) == counts.recount(s, kind), kind


def test_every_delivery_step_keeps_the_counters_equal_to_a_recount(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_, _ = h.numbered_store(tmp_path / "data", 6)
    end = dt.date(2026, 6, 30)
    monkeypatch.setenv("HUIQI_TODAY", "2026-06-01")  # delivered inside the window
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
def test_recording_districts_moves_a_record_or_a_grant_of_its_own(backend: str) -> None:
    """An enterprise recorded in the directory for the first time moves its rows to its
    district's counters whether it has a record and a grant, a record only, or a grant only
    (one whose record names another enterprise); one with no row moves nothing (SQLite's
    insert trigger runs only for an enterprise with a row: migration 0020)."""
    from huiqi.db.testing import postgres_server_url

    if backend == "postgresql" and postgres_server_url() is None:
        pytest.skip("PostgreSQL tests need HUIQI_TEST_DATABASE_URL")
    both, record_only, grant_only, none = (make_uscc(f"91310115MA1K00{i:03d}") for i in range(4))
    with tempfile.TemporaryDirectory() as tmp, fresh_database(backend, Path(tmp)) as engine:
        factory = session_factory(engine)
        with transaction(factory) as s:
            pv = make.policy_version(s)
            rows = make.bulk_grants(s, pv, 2)
            s.execute(update(Grant).where(Grant.uscc == rows[0]["uscc"]).values(uscc=both))
            s.execute(
                update(Entitlement).where(Entitlement.uscc == rows[0]["uscc"]).values(uscc=both)
            )
            s.execute(update(Grant).where(Grant.uscc == rows[1]["uscc"]).values(uscc=grant_only))
            s.execute(
                update(Entitlement)
                .where(Entitlement.uscc == rows[1]["uscc"])
                .values(uscc=record_only)
            )
        assert _districts(factory) == {counts.NO_DISTRICT: 2}
        with transaction(factory) as s:
            s.add_all(
                DirectoryEntry(uscc=u, district_code=d, snapshot_id=1)
                for u, d in ((both, "310104"), (record_only, "310106"), (grant_only, "310115"),
                             (none, "310101"))
            )  # fmt: skip
            s.flush()
            for kind in counts.KINDS:
                assert counts.stored(s, kind) == counts.recount(s, kind), kind
        assert _districts(factory) == {"310104": 1, "310115": 1}
        assert_counted(factory)


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


def _pause_set(s: Session) -> bool:
    return s.scalar(select(func.count()).select_from(LedgerCountPause)) != 0


def test_bulk_chunks_and_single_claims_interleaved_keep_the_counters_exact(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk chunk counts its records and grants itself, set-based, while the insert
    triggers skip them (migration 0018, on SQLite): between its chunks, single claims,
    a one-by-one grant in the chunk's own transaction (an exclusivity slot held) and a
    district changed in the directory go through the triggers; after every step the
    counters equal a full recount, and no pause is left set."""
    codes = [make_uscc(f"91{('310104', '310115', '310106')[i % 3]}MA{i:07d}") for i in range(12)]
    # First two enterprises get the exclusivity group's slot from another policy.
    holders = {codes[4], codes[9]}
    first = {c: 2 if c in holders else 0 for c in codes}
    settings_, _ = h.build_store(tmp_path / "data", first, districts=True)
    held, _ = publish_text(
        sessions,
        h.policy_yaml("mix-held", per_person=5000, exclusivity_group="mix", city=True),
        "h.yaml",
        actor=OFFICER,
    )
    deliver(settings_, sessions, held.id, actor=OFFICER)
    settings_, _ = h.build_store(tmp_path / "data", dict.fromkeys(codes, 2), districts=True)
    end = dt.date(2026, 6, 30)
    monkeypatch.setenv("HUIQI_TODAY", "2026-06-01")  # delivered inside the window
    offer_text = h.policy_yaml("mix-offer", delivery="confirm", valid_to=end, city=True)
    offer, _ = publish_text(sessions, offer_text, "o.yaml", actor=OFFICER)
    deliver(settings_, sessions, offer.id, actor=OFFICER)
    assert_counted(sessions)
    claimed: list[str] = []

    def between_chunks(done: int, _total: int) -> None:
        assert_counted(sessions)
        code = codes[done]  # a claim of the offer: one grant through the row triggers
        claims.claim(sessions, actor=enterprise(code), policy_id="mix-offer", uscc=code, today=end)
        claimed.append(code)
        with transaction(sessions) as s:  # and an enterprise moves
            s.execute(
                update(DirectoryEntry)
                .where(DirectoryEntry.uscc == codes[-done])
                .values(district_code="310151")
            )
        assert_counted(sessions)

    auto, _ = publish_text(
        sessions,
        h.policy_yaml("mix-auto", exclusivity_group="mix", city=True),
        "a.yaml",
        actor=OFFICER,
    )
    report = deliver(settings_, sessions, auto.id, actor=OFFICER, chunk=4, on_chunk=between_chunks)
    assert report.granted == 10 and report.refused == {"excluded": 2}
    assert len(claimed) == 3
    assert_counted(sessions)
    with sessions() as s:
        assert not _pause_set(s)
        granted = counts.stored(s, "grant")
        assert sum(n for (pv, *_), (n, _a) in granted.items() if pv == auto.id) == 10
        assert sum(n for (pv, *_), (n, _a) in granted.items() if pv == offer.id) == 3
        districts = {d for (_pv, _st, d, _m) in granted}
        assert {"310104", "310115", "310106", "310151"} <= districts


def test_a_failed_chunk_rolls_its_counts_back_with_its_rows(
    sessions: sessionmaker[Session],
) -> None:
    """What a chunk inserts inside ``counted_per_chunk`` is counted once when the block
    ends, or not at all when it fails: on SQLite its savepoint takes the rows, the pause
    and the counts back together (on PostgreSQL the block is the statement triggers' as
    ever), and the transaction goes on counting through the triggers."""
    with transaction(sessions) as s:
        make.bulk_grants(s, make.policy_version(s), 3, first=10)
        triggers = _triggers(s)
    with transaction(sessions) as s:
        with (
            pytest.raises(RuntimeError, match="the chunk failed"),
            counts.counted_per_chunk(s),
        ):
            make.bulk_grants(s, make.policy_version(s), 4, first=20)
            raise RuntimeError("the chunk failed")
        assert not _pause_set(s)
        assert _triggers(s) == triggers
        with counts.counted_per_chunk(s):
            make.bulk_grants(s, make.policy_version(s), 5, first=30)
            if s.get_bind().dialect.name == "sqlite":  # the block's rows pass no trigger
                assert not {"entitlements_count_insert", "grants_count_insert"} & {
                    n for n, _ in _triggers(s)
                }
        assert not _pause_set(s)
        assert _triggers(s) == triggers
        # after the block the triggers count again
        make.bulk_records(s, make.policy_version(s), 2, first=40)
        for kind in counts.KINDS:
            assert counts.stored(s, kind) == counts.recount(s, kind), kind
    assert_counted(sessions)
    with sessions() as s:  # on SQLite the failed block's 4 grants went with its savepoint
        grants = s.scalar(select(func.count()).select_from(Grant))
        assert grants == (8 if s.get_bind().dialect.name == "sqlite" else 12)
        assert sum(n for n, _ in counts.stored(s, "grant").values()) == grants


def _triggers(s: Session) -> list[tuple[str, str]]:
    """The counting triggers of records and grants on SQLite (their name and text)."""
    if s.get_bind().dialect.name != "sqlite":
        return []
    query = text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        " AND name LIKE '%count%' AND tbl_name IN ('entitlements', 'grants') ORDER BY name"
    )
    return [(n, sql) for n, sql in s.execute(query)]


def test_the_pause_cannot_nest(tmp_path: Path) -> None:
    """A block inside a block would count the inner rows twice: the pause's key refuses it."""
    with fresh_database("sqlite", tmp_path) as engine:
        factory = session_factory(engine)
        with (
            transaction(factory) as s,
            counts.counted_per_chunk(s),
            pytest.raises(IntegrityError),
            counts.counted_per_chunk(s),
        ):
            pass  # pragma: no cover - refused on entry


def test_a_chunks_count_reads_only_its_own_rows(tmp_path: Path) -> None:
    """SQLite scanned the whole table through its unique index to have the groups in
    order, so each chunk's count grew with the ledger; it reads the id range."""
    with fresh_database("sqlite", tmp_path) as engine, engine.connect() as conn:
        for table, kind, amount in (
            ("entitlements", "record", "computed_fen"),
            ("grants", "grant", "amount_fen"),
        ):
            select_part = counts.chunk_count_sql(table, kind, amount).split(" ON CONFLICT")[0]
            select_part = select_part[select_part.index("SELECT") :]
            plan = " / ".join(
                row[3]
                for row in conn.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {select_part.replace(':after', '?')}", (0,)
                )
            )
            assert "INTEGER PRIMARY KEY (rowid>?)" in plan, plan
            assert "SCAN r" not in plan, plan

"""An officer's queue (one status, ``id > ?``, in id order, ``LIMIT ?``) is read through the
(status, id) index, whatever the statistics say.

Regression: with plain ``ORDER BY id`` and statistics saying half the records are
offered, PostgreSQL walked the primary key from the page's start and filtered, past every
record of the policies delivered before the first offer: the first page of the offered
queue took 67 ms (p50) at 1 M records and 40 ms at 6.4 M (benchmarks/bench_ledger.py).
The status is now a range of one value and the order (status, id), which only that index
gives without a sort (with ``status = ?`` the planner drops the constant from the order).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from huiqi.accounts.testing import OFFICER
from huiqi.db.engine import reading, session_factory
from huiqi.delivery import service as ledger
from huiqi.delivery.versions import publish_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import policy_yaml

ROWS = 200_000


def _plan_of(engine: Engine, call: Any) -> str:
    """The JSON plan of the ledger statement ``call(session)`` runs."""
    seen: list[tuple[str, Any]] = []

    def capture(_c: object, _cur: object, statement: str, parameters: Any, *_: object) -> None:
        if "ORDER BY" in statement and (
            "FROM entitlements" in statement or "FROM grants" in statement
        ):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with reading(session_factory(engine)) as s:
            call(s)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = seen[-1]
    raw = engine.raw_connection()
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (FORMAT JSON) "
    try:
        cur = raw.cursor()
        cur.execute(explain + statement, parameters)
        return json.dumps(cur.fetchall())
    finally:
        raw.close()


@pytest.fixture
def filled(engine: Engine) -> Engine:
    """200,000 records: the first half granted (an earlier auto policy), then offers; with
    statistics, as after a bulk delivery's ANALYZE."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the planner's choice at issue is PostgreSQL's")
    pv, _ = publish_text(session_factory(engine), policy_yaml("plan"), "p.yaml", actor=OFFICER)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO entitlements (policy_version_id, uscc, benefit_period, mode,"
                " match_status, status, snapshot_id, last_snapshot_id, explanation,"
                " review_flag, created_at, updated_at)"
                " SELECT :pv, lpad((i % 2000)::text, 18, '0'), i::text, 'auto', 'eligible',"
                " CASE WHEN i <= :half THEN 'granted' ELSE 'offered' END, 1, 1, '{}', false,"
                " now(), now()"
                " FROM generate_series(1, :rows) AS i"
            ),
            {"pv": pv.id, "rows": ROWS, "half": ROWS // 2},
        )
        conn.execute(text("ANALYZE entitlements"))
    return engine


def test_the_offered_queue_is_read_through_the_status_index(filled: Engine) -> None:
    plan = _plan_of(filled, lambda s: ledger.list_records(s, actor=OFFICER, status="offered"))
    assert "ix_entitlements_status_id" in plan, plan
    assert "Sort" not in plan, plan


def test_a_deep_page_starts_at_its_id_in_the_status_index(filled: Engine) -> None:
    plan = _plan_of(
        filled, lambda s: ledger.list_records(s, actor=OFFICER, status="offered", after_id=190_000)
    )
    assert "ix_entitlements_status_id" in plan and "id > 190000" in plan, plan
    assert "Sort" not in plan, plan


def test_sqlite_seeks_the_status_and_the_page_start(engine: Engine) -> None:
    """SQLite cannot seek past a range on the index's first column: it keeps the equality,
    which it reads as (status = ? AND id > ?) on the same index."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's form of the queue")
    plan = _plan_of(
        engine, lambda s: ledger.list_grants(s, actor=OFFICER, status="granted", after_id=7)
    )
    assert "ix_grants_status_id (status=? AND id>?)" in plan, plan


def test_the_queue_still_comes_in_id_order_from_the_page_start(filled: Engine) -> None:
    with reading(session_factory(filled)) as s:
        first = ledger.list_records(s, actor=OFFICER, status="offered", limit=5)
        ids = [r.id for r in first]
        assert ids == sorted(ids) and len(ids) == 5
        after = ledger.list_records(s, actor=OFFICER, status="offered", after_id=ids[-1], limit=3)
    assert [r.id for r in after] == list(range(ids[-1] + 1, ids[-1] + 4))

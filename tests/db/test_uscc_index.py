"""An enterprise's keyset page of records (``uscc = ? AND id > ? ORDER BY id LIMIT ?``)
is read through the (uscc, id) index, which answers the filter and the order together
(migration 0012). With an index on uscc alone, PostgreSQL walked the primary key at 6.4 M
records right after a bulk fill, before it had statistics (1.25 s for one enterprise's
page, in benchmarks/bench_ledger.py); that needs millions of rows to show, so this test
checks the structure and that the planner, without statistics, takes the new index."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from huiqi.accounts.testing import OFFICER
from huiqi.db.engine import session_factory
from huiqi.delivery.versions import publish_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import policy_yaml


def test_records_and_grants_are_indexed_by_uscc_then_id(engine: Engine) -> None:
    for table in ("entitlements", "grants"):
        indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes(table)}
        assert indexes.get(f"ix_{table}_uscc_id") == ["uscc", "id"]
        assert f"ix_{table}_uscc" not in indexes  # the prefix index it replaces


def test_one_enterprises_page_uses_the_index_without_statistics(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the planner's choice at issue is PostgreSQL's")
    pv, _ = publish_text(session_factory(engine), policy_yaml("plan"), "p.yaml", actor=OFFICER)
    with engine.begin() as conn:
        # 200,000 records of 2,000 enterprises, inserted without ANALYZE (as a bulk fill).
        conn.execute(
            text(
                "INSERT INTO entitlements (policy_version_id, uscc, benefit_period, mode,"
                " match_status, status, snapshot_id, last_snapshot_id, explanation,"
                " review_flag, created_at, updated_at)"
                " SELECT :pv, lpad((i % 2000)::text, 18, '0'), i::text, 'auto', 'eligible',"
                " 'granted', 1, 1, '{}', false, now(), now()"
                " FROM generate_series(1, 200000) AS i"
            ),
            {"pv": pv.id},
        )
        plan = conn.execute(
            text(
                "EXPLAIN (FORMAT JSON) SELECT id FROM entitlements"
                " WHERE uscc = :u AND id > 0 ORDER BY id LIMIT 50"
            ),
            {"u": "0" * 17 + "7"},
        ).scalar()
    used = json.dumps(plan)
    assert "ix_entitlements_uscc_id" in used, used

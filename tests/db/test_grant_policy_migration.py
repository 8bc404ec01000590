"""Migration 0015 on a filled ledger: every grant gets its version's policy id, batches
still name their grants, the dashboards' counters still follow the grants (SQLite copies
the table, which drops its triggers), and a ledger already holding two live grants of
one policy for one enterprise and period is left untouched with the grants named."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text

from huiqi.db.engine import session_factory
from huiqi.db.migrate import current, upgrade
from huiqi.db.testing import fresh_database, postgres_server_url
from huiqi.delivery import counts
from huiqi.errors import ConfigError

BACKENDS = ["sqlite", "postgresql"]
A, B = "91310000MA1FL0TX3G", "91310000MA1FL0UX8P"
NOW = "2026-12-01 10:00:00"


def _version(conn: Connection, vid: int, version: int) -> None:
    conn.execute(
        text(
            "INSERT INTO policy_versions (id, policy_id, version, content_hash, source_yaml,"
            " title_zh, delivery, level, region, valid_from, valid_to, benefit_period,"
            " budget_mode, committed_fen, status, published_at, published_by) VALUES"
            " (:id, 'p-refund', :v, :h, 'x', '稳岗返还', 'auto', 'city', '310000',"
            " '2026-01-01', '2026-12-31', '2026', 'first_come', 0, 'published', :now, 't')"
        ),
        {"id": vid, "v": version, "h": f"{vid:064d}", "now": NOW},
    )


def _grant(conn: Connection, gid: int, vid: int, uscc: str, status: str = "granted") -> None:
    conn.execute(
        text(
            "INSERT INTO entitlements (id, policy_version_id, uscc, benefit_period, mode,"
            " match_status, status, computed_fen, snapshot_id, last_snapshot_id, explanation,"
            " review_flag, created_at, updated_at) VALUES (:id, :vid, :u, '2026', 'auto',"
            " 'eligible', 'granted', 5000, 1, 1, '{}', false, :now, :now)"
        ),
        {"id": gid, "vid": vid, "u": uscc, "now": NOW},
    )
    conn.execute(
        text(
            "INSERT INTO grants (id, entitlement_id, policy_version_id, uscc, benefit_period,"
            " requested_fen, amount_fen, status, snapshot_id, content_hash, explanation,"
            " created_at) VALUES (:id, :id, :vid, :u, '2026', 5000, 5000, :st, 1, 'h',"
            " 'null', :now)"
        ),
        {"id": gid, "vid": vid, "u": uscc, "st": status, "now": NOW},
    )


def _filled(engine: Engine, *, twice: bool) -> None:
    with engine.begin() as conn:
        _version(conn, 1, 1)
        _version(conn, 2, 2)
        _grant(conn, 1, 1, A)
        _grant(conn, 2, 2, B)
        _grant(conn, 3, 2, A, "granted" if twice else "superseded")
        conn.execute(
            text(
                "INSERT INTO batches (id, created_at, created_by, status, grants, total_fen)"
                " VALUES (1, :now, 'finance', 'exported', 1, 5000)"
            ),
            {"now": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO batch_items (id, batch_id, grant_id, amount_fen)"
                " VALUES (1, 1, 1, 5000)"
            )
        )


def _each_backend(tmp_path: Path) -> list[str]:
    return [b for b in BACKENDS if b == "sqlite" or postgres_server_url() is not None]


def test_grants_get_their_policy_and_the_counters_still_follow_them(tmp_path: Path) -> None:
    for backend in _each_backend(tmp_path):
        with fresh_database(backend, tmp_path, revision="0014") as engine:
            _filled(engine, twice=False)
            upgrade(engine)
            with engine.begin() as conn:
                rows = conn.execute(text("SELECT id, policy_id FROM grants ORDER BY id")).all()
                assert [tuple(r) for r in rows] == [
                    (1, "p-refund"),
                    (2, "p-refund"),
                    (3, "p-refund"),
                ]
                assert conn.execute(text("SELECT grant_id FROM batch_items")).scalar() == 1
                # The counters' triggers survived the copy: a new grant is counted.
                _version(conn, 3, 3)
                conn.execute(
                    text(
                        "INSERT INTO entitlements (id, policy_version_id, uscc, benefit_period,"
                        " mode, match_status, status, computed_fen, snapshot_id,"
                        " last_snapshot_id, explanation, review_flag, created_at, updated_at)"
                        " VALUES (9, 3, :u, '2027', 'auto', 'eligible', 'granted', 700, 1, 1,"
                        " '{}', false, :now, :now)"
                    ),
                    {"u": B, "now": NOW},
                )
                conn.execute(
                    text(
                        "INSERT INTO grants (id, entitlement_id, policy_version_id, policy_id,"
                        " uscc, benefit_period, requested_fen, amount_fen, status, snapshot_id,"
                        " content_hash, explanation, created_at) VALUES (9, 9, 3, 'p-refund',"
                        " :u, '2027', 700, 700, 'granted', 1, 'h', 'null', :now)"
                    ),
                    {"u": B, "now": NOW},
                )
            with session_factory(engine)() as s:
                kept = counts.stored(s, "grant")
                assert kept == counts.recount(s, "grant")
                assert sum(n for n, _ in kept.values()) == 4
            # A second live grant of the policy for one enterprise and period: refused.
            with (
                pytest.raises(Exception, match=r"uq_grants_policy_once|UNIQUE|unique"),
                engine.begin() as conn,
            ):
                conn.execute(text("UPDATE grants SET status = 'granted' WHERE id = 3"))


def test_a_ledger_that_paid_twice_is_left_as_it_is_with_the_grants_named(
    tmp_path: Path,
) -> None:
    for backend in _each_backend(tmp_path):
        with fresh_database(backend, tmp_path, revision="0014") as engine:
            _filled(engine, twice=True)
            with pytest.raises(ConfigError) as refused:
                upgrade(engine)
            said = str(refused.value)
            assert f"p-refund {A} 2026: grant 1 (v1, granted), grant 3 (v2, granted)" in said
            assert "(1 in all)" in said and B not in said
            assert current(engine) == "0014"
            with engine.connect() as conn:
                columns = conn.execute(text("SELECT * FROM grants")).keys()
                assert "policy_id" not in columns


def test_a_grant_without_its_policy_is_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        _version(conn, 1, 1)
    with (
        pytest.raises(Exception, match=r"policy_id|null value|NOT NULL"),
        engine.begin() as conn,
    ):
        _grant(conn, 1, 1, A)  # names no policy

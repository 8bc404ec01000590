"""Migrations 0028 (correction grants) and 0027 (idempotent answers' roles) go down to
0026 and up again on a filled ledger, on each database: SQLite keeps every trigger (a
copy of ``grants`` would break the triggers that name it), the schema comes back as the
models', and the counters still follow the grants. A ledger holding a live correction
grant refuses the downgrade, naming the grants, and is left as it was: the schema before
0028 allows one live grant per policy, enterprise and period, and cannot say which
grant a correction corrects."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, text
from test_grant_policy_migration import _each_backend, _version
from test_migrations import test_migrations_build_exactly_the_models_schema as _models_schema

from huiqi.db.engine import session_factory
from huiqi.db.migrate import alembic_config, current, head_revision, upgrade
from huiqi.db.testing import fresh_database
from huiqi.delivery import counts

A, B = "91310000MA1FL0TX3G", "91310000MA1FL0UX8P"
NOW = "2026-12-01 10:00:00"
# PostgreSQL names the index; SQLite its columns.
ONCE_REFUSED = r"uq_grants_policy_once|grants\.policy_id, grants\.uscc, grants\.benefit_period"
CORRECTED_REFUSED = r"uq_grants_corrected_once|grants\.corrects_grant_id"


def _grant(
    conn: Connection,
    gid: int,
    vid: int,
    uscc: str,
    *,
    status: str = "granted",
    corrects: int | None = None,
    amount: int = 5000,
) -> None:
    conn.execute(
        text(
            "INSERT INTO entitlements (id, policy_version_id, uscc, benefit_period, mode,"
            " match_status, status, computed_fen, snapshot_id, last_snapshot_id, explanation,"
            " review_flag, created_at, updated_at) VALUES (:id, :vid, :u, '2026', 'auto',"
            " 'eligible', 'granted', :fen, 1, 1, '{}', false, :now, :now)"
        ),
        {"id": gid, "vid": vid, "u": uscc, "fen": amount, "now": NOW},
    )
    # Without ``corrects``, the insert names no corrects_grant_id: it runs before 0028 too.
    column, value = (", corrects_grant_id", ", :corrects") if corrects is not None else ("", "")
    conn.execute(
        text(
            "INSERT INTO grants (id, entitlement_id, policy_version_id, policy_id, uscc,"
            " benefit_period, requested_fen, amount_fen, status, snapshot_id, content_hash,"
            f" explanation, created_at{column}) VALUES (:id, :id, :vid, 'p-refund', :u,"
            f" '2026', :fen, :fen, :st, 1, 'h', 'null', :now{value})"
        ),
        {
            "id": gid,
            "vid": vid,
            "u": uscc,
            "fen": amount,
            "st": status,
            "now": NOW,
            "corrects": corrects,
        },
    )


def _ledger(engine: Engine, *, correction: str | None) -> None:
    """Grants of v1 to A and B (A's paid); with ``correction``, v2's difference on top of
    A's grant, in that status."""
    with engine.begin() as conn:
        _version(conn, 1, 1)
        _version(conn, 2, 2)
        _version(conn, 3, 3)  # for the grants the tests add
        _version(conn, 4, 4)
        _grant(conn, 1, 1, A, status="paid")
        _grant(conn, 2, 1, B)
        if correction is not None:
            _grant(conn, 3, 2, A, status=correction, corrects=1, amount=1200)


def _downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
        conn.commit()


def _schema(engine: Engine) -> set[tuple[str, str, str]]:
    """Every trigger and index on SQLite, with its text (PostgreSQL: its indexes)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(
                text(
                    "SELECT type, name, sql FROM sqlite_master"
                    " WHERE type IN ('trigger', 'index') AND sql IS NOT NULL"
                )
            )
        else:
            rows = conn.execute(
                text(
                    "SELECT 'index', indexname, indexdef FROM pg_indexes"
                    " WHERE schemaname = 'public'"
                )
            )
        return {(t, n, s) for t, n, s in rows}


def _columns(engine: Engine, table: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text(f"SELECT * FROM {table} WHERE 1 = 0")).keys())


def _assert_counts_follow_the_grants(engine: Engine) -> None:
    with session_factory(engine)() as s:
        kept = counts.stored(s, "grant")
        assert kept == counts.recount(s, "grant")


@pytest.mark.parametrize("correction", [None, "withdrawn", "superseded"])
def test_down_to_0026_and_up_again_keeps_the_ledger_and_its_schema(
    tmp_path: Path, correction: str | None
) -> None:
    for backend in _each_backend(tmp_path):
        with fresh_database(backend, tmp_path) as engine:
            _ledger(engine, correction=correction)
            before = _schema(engine)
            _downgrade(engine, "0026")
            assert current(engine) == "0026"
            assert "corrects_grant_id" not in _columns(engine, "grants")
            assert "grants" not in _columns(engine, "api_idempotency")
            with engine.begin() as conn:
                # Every grant is kept, a correction no longer live as an ordinary one.
                rows = conn.execute(text("SELECT id, status FROM grants ORDER BY id")).all()
                assert [r.id for r in rows] == ([1, 2] if correction is None else [1, 2, 3])
                # 0015/0023's rule is back: one live grant of the policy and period.
                with pytest.raises(Exception, match=ONCE_REFUSED), conn.begin_nested():
                    _grant(conn, 4, 3, A)
                # The counters' triggers still fire: a grant is counted.
                conn.execute(text("UPDATE grants SET status = 'superseded' WHERE id = 2"))
            _assert_counts_follow_the_grants(engine)

            upgrade(engine)
            assert current(engine) == head_revision()
            assert _schema(engine) == before
            _models_schema(engine)
            with engine.begin() as conn:
                # The head's rules hold again: a correction is not the policy's one grant,
                # and a grant has one live correction.
                _grant(conn, 5, 3, A, corrects=1, amount=300)
                with pytest.raises(Exception, match=CORRECTED_REFUSED), conn.begin_nested():
                    _grant(conn, 6, 4, A, corrects=1, amount=300)
                with pytest.raises(Exception, match=ONCE_REFUSED), conn.begin_nested():
                    _grant(conn, 7, 4, A)
            _assert_counts_follow_the_grants(engine)


@pytest.mark.parametrize("status", ["provisional", "in_batch", "paid"])
def test_a_live_correction_refuses_the_downgrade_and_nothing_changes(
    tmp_path: Path, status: str
) -> None:
    for backend in _each_backend(tmp_path):
        with fresh_database(backend, tmp_path) as engine:
            _ledger(engine, correction=status)
            # The later revisions go down first (0029, on its own); 0028 is what refuses.
            _downgrade(engine, "0028")
            before = _schema(engine)
            with pytest.raises(RuntimeError) as refused:
                _downgrade(engine, "0026")
            said = str(refused.value)
            assert "1 live correction grant" in said
            assert f"grant 3 (p-refund {A} 2026, {status}) corrects grant 1" in said
            assert "one live grant" in said and "Nothing was changed" in said
            assert current(engine) == "0028"
            assert _schema(engine) == before
            assert "corrects_grant_id" in _columns(engine, "grants")
            assert "grants" in _columns(engine, "api_idempotency")
            _assert_counts_follow_the_grants(engine)
            # Withdrawn (a correction made in error, its money not sent), it goes down.
            with engine.begin() as conn:
                conn.execute(text("UPDATE grants SET status = 'withdrawn' WHERE id = 3"))
            _downgrade(engine, "0026")
            assert current(engine) == "0026"
            upgrade(engine)
            assert _schema(engine) == before


def test_0027_alone_goes_down_and_up(tmp_path: Path) -> None:
    for backend in _each_backend(tmp_path):
        with fresh_database(backend, tmp_path) as engine:
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO api_idempotency (id, principal, idempotency_key, method,"
                        " path, body_sha256, status, headers, body, created_at, grants) VALUES"
                        " (1, 'officer', 'k1', 'POST', '/api/x', :h, 200, '{}', :b, :now,"
                        " '[\"officer=310101\"]')"
                    ),
                    {"h": "0" * 64, "b": b"\x00answer", "now": NOW},
                )
            before = _schema(engine)
            _downgrade(engine, "0027")
            _downgrade(engine, "0026")
            assert "grants" not in _columns(engine, "api_idempotency")
            with engine.connect() as conn:
                row = conn.execute(text("SELECT principal, body FROM api_idempotency")).one()
                assert (row.principal, bytes(row.body)) == ("officer", b"\x00answer")
            upgrade(engine)
            assert _schema(engine) == before
            _models_schema(engine)


def test_down_to_0025_and_up_again_on_each_database(tmp_path: Path) -> None:
    """0026's downgrade copied ``entitlements`` in a batch, which SQLite refused (a
    trigger of another table names it: 'no such table: main.entitlements', found by
    qa11): it drops the column in place now, and the schema comes back as it was."""
    for backend in _each_backend(tmp_path):
        with fresh_database(backend, tmp_path) as engine:
            _ledger(engine, correction=None)
            before = _schema(engine)
            _downgrade(engine, "0025")
            assert current(engine) == "0025"
            assert "review_criteria" not in _columns(engine, "entitlements")
            upgrade(engine)
            assert _schema(engine) == before
            _models_schema(engine)
            _assert_counts_follow_the_grants(engine)


def test_0029_alone_goes_down_and_up(tmp_path: Path) -> None:
    """0029 (what an idempotent answer's access rested on) drops its column and adds it
    back; the rows kept and the 0027 roles stay."""
    for backend in _each_backend(tmp_path):
        with fresh_database(backend, tmp_path) as engine:
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO api_idempotency (id, principal, idempotency_key, method,"
                        " path, body_sha256, status, headers, body, created_at, grants,"
                        " relies) VALUES (1, 'park', 'k1', 'POST', '/api/x', :h, 200, '[]',"
                        " :b, :now, :g, :r)"
                    ),
                    {
                        "h": "0" * 64,
                        "b": b"answer",
                        "now": NOW,
                        "g": '["park_operator=张江"]',
                        "r": '[["enterprise", "X"]]',
                    },
                )
            before = _schema(engine)
            _downgrade(engine, "0028")
            assert current(engine) == "0028"
            assert "relies" not in _columns(engine, "api_idempotency")
            with engine.connect() as conn:
                row = conn.execute(text("SELECT principal, grants FROM api_idempotency")).one()
                assert (row.principal, row.grants) == ("park", '["park_operator=张江"]')
            upgrade(engine)
            assert current(engine) == head_revision()
            assert _schema(engine) == before
            _models_schema(engine)

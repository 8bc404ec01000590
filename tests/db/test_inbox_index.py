"""The outbox's USCC index holds inbox rows only (migration 0014): every query by USCC
reads an enterprise's inbox, and each bulk grant's external-channel rows (email, the log)
no longer add an entry to it. The inbox's queries must name the index's predicate as its
own text, or neither database can use a partial index for them."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import Engine, inspect, select, text

from huiqi.accounts.testing import enterprise
from huiqi.db.engine import session_factory, transaction
from huiqi.db.migrate import upgrade
from huiqi.db.testing import fresh_database
from huiqi.delivery import inbox, notify
from huiqi.delivery.channels import INBOX
from huiqi.delivery.models import INBOX_ROWS, Notification

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import uscc


def _plan(engine: Engine, code: str) -> str:
    query = select(Notification.id).where(Notification.uscc == code, text(INBOX_ROWS))
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            return str(conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all())
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # usable at all, not chosen
        return str(conn.exec_driver_sql(f"EXPLAIN {sql}").all())


def test_the_uscc_index_is_partial_on_inbox_rows_and_the_inbox_query_uses_it(
    engine: Engine,
) -> None:
    assert f"'{INBOX}'" in INBOX_ROWS
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("notifications")}
    assert "ix_notifications_uscc" not in indexes
    assert indexes["ix_notifications_inbox_uscc"]["column_names"] == ["uscc"]
    assert "ix_notifications_inbox_uscc" in _plan(engine, uscc(1))


def test_the_migration_keeps_an_existing_outbox_readable(tmp_path: Path) -> None:
    for backend in ("sqlite", "postgresql"):
        from huiqi.db.testing import postgres_server_url

        if backend == "postgresql" and postgres_server_url() is None:
            continue
        with fresh_database(backend, tmp_path, revision="0013") as engine:
            factory = session_factory(engine)
            code = uscc(3)
            with transaction(factory) as s:
                notify.enqueue(
                    s,
                    uscc=code,
                    kind="granted",
                    subject="s",
                    body="b",
                    dedupe_key="k",
                    channels=["log"],
                )
            upgrade(engine, "head")
            assert "ix_notifications_inbox_uscc" in _plan(engine, code)
            with factory() as s:
                rows = inbox.inbox(s, code, actor=enterprise(code))
                assert [(r.channel, r.subject) for r in rows] == [(INBOX, "s")]
                assert s.scalar(select(Notification.id).where(Notification.channel == "log"))

"""Rows inserted as tuples (``insert_tuples``: PostgreSQL's COPY text written by huiqi,
SQLite's executemany) read back exactly as given, whatever their text holds."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from huiqi.db.bulk import COPY_FROM, bulk_insert, copy_field, insert_tuples
from huiqi.db.engine import transaction
from huiqi.delivery.models import Notification, table_of

# Any text a field may hold (no NUL: PostgreSQL's text cannot), with the characters
# COPY's text format escapes made likely.
texts = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
    | st.sampled_from(["\\", "\t", "\n", "\r", "N", "惠"]),
    max_size=30,
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(bodies=st.lists(texts, min_size=1, max_size=5), subject=texts)
def test_rows_as_tuples_read_back_exactly(
    sessions: sessionmaker[Session], bodies: list[str], subject: str
) -> None:
    at = dt.datetime(2026, 12, 1, 13, 52, 9, 123456)
    n = COPY_FROM + 3  # the bulk routes
    rows = [
        (f"91310115MA1K{i:06d}", bodies[i % len(bodies)], None if i % 4 else subject, f"k:{i}")
        for i in range(n)
    ]
    table = table_of(Notification)
    with transaction(sessions) as s:
        s.execute(delete(table))
        insert_tuples(
            s,
            table,
            ("uscc", "body", "last_error", "dedupe_key"),
            rows,
            constants={
                "channel": "inbox",
                "kind": "granted",
                "subject": subject,
                "status": "sent",
                "attempts": 0,
                "created_at": at,
                "sent_at": None,
            },
        )
    with sessions() as s:
        got = s.execute(
            select(
                table.c.uscc,
                table.c.body,
                table.c.last_error,
                table.c.dedupe_key,
                table.c.subject,
                table.c.created_at,
                table.c.sent_at,
                table.c.attempts,
            ).order_by(table.c.id)
        ).all()
    assert [tuple(r) for r in got] == [(*r, subject, at, None, 0) for r in rows]


def test_rows_that_exist_are_skipped_when_asked(sessions: sessionmaker[Session]) -> None:
    table = table_of(Notification)
    fixed = {"channel": "inbox", "kind": "k", "subject": "s", "status": "sent", "attempts": 0}
    rows = [(f"u{i}", "b", f"key:{i}") for i in range(COPY_FROM)]
    columns = ("uscc", "body", "dedupe_key")
    with transaction(sessions) as s:
        insert_tuples(s, table, columns, rows[:10], constants=fixed)
        insert_tuples(s, table, columns, rows, constants=fixed, ignore_conflicts_on=["dedupe_key"])
    with sessions() as s:
        keys = s.scalars(select(table.c.dedupe_key).order_by(table.c.id)).all()
    assert keys == [r[2] for r in rows]


@pytest.mark.parametrize("route", ["tuples", "dicts"])
def test_a_key_met_twice_raises_integrity_error_on_every_route(
    sessions: sessionmaker[Session], route: str
) -> None:
    """A duplicate key in a bulk insert is SQLAlchemy's IntegrityError on both databases,
    which sends a delivery chunk to its careful path; PostgreSQL's COPY through the raw
    connection raised psycopg's own UniqueViolation, which nobody caught."""
    table = table_of(Notification)
    fixed = {"channel": "inbox", "kind": "k", "subject": "s", "status": "sent", "attempts": 0}
    rows = [(f"u{i}", "b", f"key:{i}") for i in range(COPY_FROM)]
    rows.append(rows[7])  # the key met twice
    columns = ("uscc", "body", "dedupe_key")
    with transaction(sessions) as s:
        s.execute(delete(table))
    with sessions() as s, pytest.raises(IntegrityError):
        if route == "tuples":
            insert_tuples(s, table, columns, rows, constants=fixed)
        else:
            bulk_insert(s, table, [dict(zip(columns, r, strict=True)) | fixed for r in rows])


def test_copy_text_fields() -> None:
    assert [copy_field(v) for v in (None, True, 7, "a\tb\\c\nd\r", dt.date(2026, 1, 2))] == [
        "\\N",
        "t",
        "7",
        "a\\tb\\\\c\\nd\\r",
        "2026-01-02",
    ]
    with pytest.raises(TypeError):
        copy_field(1.5)

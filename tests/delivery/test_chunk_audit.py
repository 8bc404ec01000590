"""A bulk-granted chunk is one audit event with a digest over its grants: `audit verify`
recomputes it, and a grant's and an enterprise's trail still show the event."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import helpers as h
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import ADMIN, OFFICER
from huiqi.db.engine import transaction
from huiqi.delivery import service as ledger
from huiqi.delivery.chunkaudit import KIND, member_line, runs
from huiqi.delivery.models import Event, Grant
from huiqi.delivery.notice import grant_notice
from huiqi.delivery.publish import publish


def _publish(sessions: sessionmaker[Session], tmp_path: Path, n: int, chunk: int) -> int:
    settings_, _ = h.numbered_store(tmp_path / "data", n)
    pv, rep = publish(
        settings_,
        sessions,
        h.policy_yaml("chunked", budget=10**10),
        actor=OFFICER,
        filename="chunked.yaml",
        chunk=chunk,
    )
    assert rep.granted == n
    return pv.id


def test_each_chunk_is_one_event_whose_digest_covers_its_grants(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _publish(sessions, tmp_path, 25, chunk=10)
    with sessions() as s:
        events = list(s.scalars(select(Event).where(Event.kind == KIND).order_by(Event.id)))
        grants = s.execute(
            select(Grant.id, Grant.uscc, Grant.requested_fen, Grant.amount_fen).order_by(Grant.id)
        ).all()
        assert s.scalar(select(func.count()).where(Event.kind == "grant")) == 0
        assert ledger.verify_audit(s, actor=ADMIN).ok
    assert [e.data["grants"] for e in events if e.data] == [10, 10, 5]
    members = iter(grants)
    for e in events:
        assert e.data is not None and e.uscc is None
        digest = hashlib.sha256()
        taken = [next(members) for _ in range(e.data["grants"])]
        for g in taken:
            digest.update(f"{g[0]},{g[1]},{g[2]},{g[3]}\n".encode())
        assert e.data["members_sha256"] == digest.hexdigest()
        assert e.data["grant_ids"] == [[taken[0][0], taken[-1][0]]]
        assert e.data["total_fen"] == sum(g[3] for g in taken)


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE grants SET amount_fen = amount_fen + 1 WHERE id = :g",
        "UPDATE grants SET requested_fen = requested_fen + 1 WHERE id = :g",
        "UPDATE grants SET uscc = '91310000000000000X' WHERE id = :g",
        "DELETE FROM grants WHERE id = :g",
    ],
)
def test_verify_finds_a_chunk_member_changed_or_removed(
    sessions: sessionmaker[Session], tmp_path: Path, tamper: str
) -> None:
    _publish(sessions, tmp_path, 12, chunk=5)
    with sessions() as s:
        target = s.scalars(select(Grant.id).order_by(Grant.id)).all()[6]  # the second chunk
        holder = s.scalar(select(Event).where(Event.kind == KIND).order_by(Event.id).offset(1))
        assert holder is not None
    with transaction(sessions) as s:
        s.execute(text(tamper), {"g": target})
    with sessions() as s:
        report = ledger.verify_audit(s, actor=ADMIN)
    assert not report.ok and report.broken_id == holder.id
    assert report.problem is not None and report.problem.startswith(f"grant chunk {holder.entity}:")


def test_a_grants_and_an_enterprises_trail_show_the_chunk_event(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _publish(sessions, tmp_path, 9, chunk=4)
    with sessions() as s:
        grant_id, uscc = s.execute(
            select(Grant.id, Grant.uscc).order_by(Grant.id).offset(5).limit(1)
        ).one()
        holder = s.scalar(select(Event).where(Event.kind == KIND).order_by(Event.id).offset(1))
        assert holder is not None
        by_grant = ledger.audit_log(s, actor=ADMIN, entity=f"grant:{grant_id}")
        by_uscc = ledger.audit_log(s, actor=ADMIN, uscc=uscc)
        notice = grant_notice(s, actor=ADMIN, grant_id=grant_id)
    assert [e.id for e in by_grant] == [holder.id]
    assert holder.id in [e.id for e in by_uscc]
    assert (notice.event_id, notice.event_hash) == (holder.id, holder.hash)


@given(st.sets(st.integers(min_value=1, max_value=10_000), max_size=300))
def test_runs_cover_exactly_the_ids(ids: set[int]) -> None:
    out = runs(ids)
    assert [i for a, b in out for i in range(a, b + 1)] == sorted(ids)
    assert all(b1 + 1 < a2 for (_, b1), (a2, _) in itertools.pairwise(out))


@given(
    st.integers(min_value=1, max_value=2**62),
    st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=18, max_size=18),
    st.integers(min_value=0, max_value=2**62),
    st.integers(min_value=0, max_value=2**62),
)
def test_member_lines_differ_when_any_field_differs(
    grant_id: int, uscc: str, requested: int, amount: int
) -> None:
    line = member_line(grant_id, uscc, requested, amount)
    assert line.endswith(b"\n") and line.count(b",") == 3
    assert line != member_line(grant_id, uscc, requested, amount + 1)
    assert line != member_line(grant_id + 1, uscc, requested, amount)

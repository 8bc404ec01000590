"""An eligible enterprise whose amount formula gives 0 (no floor) gets no grant, offer or
application and no message: its record is ``zero_amount``, counted and listed as such
(huiqi.delivery.zero). Before, it became a 0.00 "granted" grant and the enterprise was
told it had been granted 0.00 yuan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import factories as make
import helpers as h
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import OFFICER, enterprise
from huiqi.db.engine import transaction
from huiqi.delivery import claims, counts, dashboard, zero
from huiqi.delivery import service as ledger
from huiqi.delivery.models import (
    Application,
    Entitlement,
    Event,
    Grant,
    Notification,
    PolicyVersion,
)
from huiqi.delivery.publish import deliver, publish_text

# 1,000 yuan per insured person beyond the first: an enterprise with one gets 0.00.
BEYOND_FIRST = "insured_employees * 1000 - 1000"


def _store(tmp_path: Path, n: int) -> tuple[dict[str, int], object]:
    people = {h.uscc(i): 1 + i % 3 for i in range(n)}
    settings_, _ = h.build_store(tmp_path / "data", people)
    return people, settings_


@pytest.mark.parametrize(
    "extra",
    [
        {},  # the bulk path
        {"cap": 5000, "cap_group": "zero-caps"},  # one by one (a shared cap)
        {"budget": 100_000},  # bulk, first come under a budget
        {"exclusivity_group": "zero-group"},  # bulk, with exclusivity slots
    ],
    ids=["bulk", "one-by-one", "budget", "exclusive"],
)
def test_an_eligible_zero_amount_is_recorded_never_granted_or_notified(
    sessions: sessionmaker[Session], tmp_path: Path, extra: dict[str, object]
) -> None:
    people, settings_ = _store(tmp_path, 9)
    text = h.policy_yaml("zero-auto", formula=BEYOND_FIRST, **extra)  # type: ignore[arg-type]
    pv, _ = publish_text(sessions, text, "z.yaml", actor=OFFICER)
    rep = deliver(settings_, sessions, pv.id, actor=OFFICER)  # type: ignore[arg-type]
    zeros = {c for c, n in people.items() if n == 1}
    paid = {c: (n - 1) * 1000_00 for c, n in people.items() if n > 1}
    assert zeros and rep.refused.get("zero_amount") == len(zeros)
    assert rep.granted == len(paid) and rep.granted_fen == sum(paid.values())
    with sessions() as s:
        grants = s.execute(select(Grant.uscc, Grant.amount_fen)).all()
        assert {c: a for c, a in grants} == paid
        records = s.execute(
            select(Entitlement.uscc, Entitlement.status, Entitlement.status_reason)
        ).all()
        got = {c: (st, why) for c, st, why in records}
        assert {c for c, (st, _) in got.items() if st == "zero_amount"} == zeros
        assert all(got[c][1] == zero.REASON for c in zeros)
        told = set(s.scalars(select(Notification.uscc).distinct()).all())
        assert told == set(paid)
        events = s.execute(select(Event.uscc, Event.kind).where(Event.kind == "zero_amount"))
        assert {u for u, _ in events} == zeros
        committed = s.scalar(select(PolicyVersion.committed_fen).where(PolicyVersion.id == pv.id))
        assert committed == (sum(paid.values()) if "budget" in extra else 0)
        assert counts.stored(s, "record") == counts.recount(s, "record")
        totals = dashboard.totals(s, actor=OFFICER, kind="record", by=("status",))
        assert {t.status: t.n for t in totals}["zero_amount"] == len(zeros)
        listed = ledger.list_records(s, actor=OFFICER, status="zero_amount", limit=100)
        assert {r.uscc for r in listed} == zeros
    # Exactly once: a second delivery decides nothing again.
    again = deliver(settings_, sessions, pv.id, actor=OFFICER)  # type: ignore[arg-type]
    assert again.new_records == 0 and again.granted == 0
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Entitlement)) == len(people)


@pytest.mark.parametrize("mode", ["confirm", "apply"])
def test_an_eligible_zero_amount_is_neither_offered_nor_invited_to_apply(
    sessions: sessionmaker[Session], tmp_path: Path, mode: str
) -> None:
    people, settings_ = _store(tmp_path, 6)
    text = h.policy_yaml("zero-offer", delivery=mode, formula=BEYOND_FIRST)
    pv, _ = publish_text(sessions, text, "z.yaml", actor=OFFICER)
    rep = deliver(settings_, sessions, pv.id, actor=OFFICER)  # type: ignore[arg-type]
    zeros = {c for c, n in people.items() if n == 1}
    assert rep.refused.get("zero_amount") == len(zeros)
    assert rep.offered + rep.applications == len(people) - len(zeros)
    with sessions() as s:
        rows = s.execute(select(Entitlement.uscc, Entitlement.status)).all()
        statuses = {c: st for c, st in rows}
        assert {c for c, st in statuses.items() if st == "zero_amount"} == zeros
        told = set(s.scalars(select(Notification.uscc).distinct()).all())
        assert not told & zeros


def test_claiming_an_offer_whose_amount_became_zero_grants_nothing(
    sessions: sessionmaker[Session],
) -> None:
    """An open offer refreshed to 0 by new data: the claim is refused, not a 0.00 grant."""
    with transaction(sessions) as s:
        pv = make.policy_version(s, delivery="confirm")
        ent = make.entitlement(s, pv, status="offered", computed_fen=0)
        ent.mode, ent.expires_on = "confirm", dt.date(2026, 12, 31)
        ent_id, code = ent.id, ent.uscc
    result = claims.claim(
        sessions, actor=enterprise(code), entitlement_id=ent_id, today=dt.date(2026, 6, 1)
    )
    assert result.grant_id is None and result.status == "zero_amount"
    with sessions() as s:
        assert s.scalar(select(Grant).where(Grant.entitlement_id == ent_id)) is None
        assert s.get_one(Entitlement, ent_id).status == "zero_amount"
        kinds = s.scalars(select(Notification.kind).where(Notification.uscc == code)).all()
        assert "granted" not in kinds


@pytest.mark.parametrize("extra", [{}, {"budget": 100_000}], ids=["plain", "budget"])
def test_a_zero_amount_that_new_data_make_positive_is_granted_on_the_next_delivery(
    sessions: sessionmaker[Session], tmp_path: Path, extra: dict[str, object]
) -> None:
    """The 0 was what one snapshot's data gave: when a later snapshot gives an amount, the
    next delivery grants it (once), from that snapshot's evaluation, with its message."""
    a, b = h.uscc(1), h.uscc(2)
    settings_, _ = h.build_store(tmp_path / "data", {a: 1, b: 2})
    text = h.policy_yaml("zero-later", formula=BEYOND_FIRST, **extra)  # type: ignore[arg-type]
    pv, _ = publish_text(sessions, text, "z.yaml", actor=OFFICER)
    deliver(settings_, sessions, pv.id, actor=OFFICER)  # type: ignore[arg-type]
    _, later = h.build_store(tmp_path / "data", {a: 4, b: 2})
    rep = deliver(settings_, sessions, pv.id, actor=OFFICER)  # type: ignore[arg-type]
    assert (rep.granted, rep.granted_fen, rep.new_records) == (1, 3000_00, 0)
    with sessions() as s:
        ent = s.scalars(select(Entitlement).where(Entitlement.uscc == a)).one()
        assert (ent.status, ent.computed_fen, ent.snapshot_id) == ("granted", 3000_00, later)
        assert ent.status_reason is None
        grants = s.execute(select(Grant.uscc, Grant.amount_fen, Grant.snapshot_id)).all()
        assert sorted(grants) == sorted([(a, 3000_00, later), (b, 1000_00, rep.snapshot_id - 1)])
        told = s.scalars(select(Notification.kind).where(Notification.uscc == a)).all()
        assert set(told) == {"granted"}
        committed = s.scalar(select(PolicyVersion.committed_fen).where(PolicyVersion.id == pv.id))
        assert committed == (4000_00 if extra else 0)
        assert counts.stored(s, "record") == counts.recount(s, "record")
        assert counts.stored(s, "grant") == counts.recount(s, "grant")
    again = deliver(settings_, sessions, pv.id, actor=OFFICER)  # type: ignore[arg-type]
    assert again.granted == 0


def _notes(s: Session, code: str) -> list[tuple[str, str, str]]:
    """The enterprise's messages (one row per message, the first channel's)."""
    rows = s.execute(
        select(Notification.kind, Notification.subject, Notification.body, Notification.dedupe_key)
        .where(Notification.uscc == code)
        .order_by(Notification.id)
    ).all()
    seen: dict[str, tuple[str, str, str]] = {}
    for kind, subject, body, key in rows:
        seen.setdefault(key.rsplit(":", 1)[0], (kind, subject, body))
    return list(seen.values())


@pytest.mark.parametrize("mode", ["confirm", "apply"])
def test_an_open_offer_whose_amount_new_data_make_zero_is_withdrawn_not_updated_to_zero(
    sessions: sessionmaker[Session], tmp_path: Path, mode: str
) -> None:
    """An unclaimed offer (or unsubmitted application) refreshed to 0 by new data was told
    "updated to 0.00元, please confirm" although a claim of it is refused: it is withdrawn
    as ``zero_amount`` now, with a message saying nothing is offered and why, no claim."""
    a = h.uscc(1)
    settings_, _ = h.build_store(tmp_path / "data", {a: 3})
    text = h.policy_yaml("zero-open", delivery=mode, formula=BEYOND_FIRST)
    pv, _ = publish_text(sessions, text, "z.yaml", actor=OFFICER)
    deliver(settings_, sessions, pv.id, actor=OFFICER)  # type: ignore[arg-type]
    _, later = h.build_store(tmp_path / "data", {a: 1})
    rep = deliver(settings_, sessions, pv.id, actor=OFFICER)  # type: ignore[arg-type]
    assert rep.refreshed == 1 and rep.offered + rep.applications == 0
    with sessions() as s:
        ent = s.scalars(select(Entitlement).where(Entitlement.uscc == a)).one()
        assert (ent.status, ent.computed_fen, ent.snapshot_id) == ("zero_amount", 0, later)
        assert ent.status_reason and "withdrawn" in ent.status_reason
        kinds = [k for k, _, _ in _notes(s, a)]
        assert kinds == ["offer" if mode == "confirm" else "application", "zero_amount"]
        _, subject, body = _notes(s, a)[-1]
        assert "目前没有可" in subject and "0.00元" not in subject
        assert "由2,000.00元变为0元" in body and "无需任何操作" in body
        assert "一键确认" not in body and "提交" not in body and str(pv.valid_to) not in body
        events = s.execute(
            select(Event.kind, Event.data).where(Event.uscc == a, Event.kind == "zero_amount")
        ).all()
        assert [d["from_fen"] for _, d in events] == [2000_00]
        assert counts.stored(s, "record") == counts.recount(s, "record")
    if mode == "confirm":
        with pytest.raises(claims.ClaimError, match="zero_amount"):
            claims.claim(sessions, actor=enterprise(a), entitlement_id=ent.id)
    # Exactly once: the same data decide nothing again and tell nothing again.
    again = deliver(settings_, sessions, pv.id, actor=OFFICER)  # type: ignore[arg-type]
    assert again.refreshed == 0
    with sessions() as s:
        assert len(_notes(s, a)) == 2
        assert s.scalar(select(func.count()).select_from(Grant)) == 0


@pytest.mark.parametrize("mode", ["confirm", "apply"])
def test_a_zero_amount_of_a_confirm_or_apply_version_is_offered_once_new_data_give_an_amount(
    sessions: sessionmaker[Session], tmp_path: Path, mode: str
) -> None:
    """A confirm or apply version's ``zero_amount`` record stayed zero for the version
    whatever later data gave, while an auto version re-grants: a later snapshot that gives
    an amount now offers it (or pre-fills the application), once, from that snapshot."""
    a, b = h.uscc(1), h.uscc(2)
    settings_, _ = h.build_store(tmp_path / "data", {a: 1, b: 2})
    text = h.policy_yaml("zero-reoffer", delivery=mode, formula=BEYOND_FIRST)
    pv, _ = publish_text(sessions, text, "z.yaml", actor=OFFICER)
    deliver(settings_, sessions, pv.id, actor=OFFICER)  # type: ignore[arg-type]
    _, later = h.build_store(tmp_path / "data", {a: 4, b: 2})
    rep = deliver(settings_, sessions, pv.id, actor=OFFICER)  # type: ignore[arg-type]
    assert (rep.offered + rep.applications, rep.new_records) == (1, 0)
    open_status = "offered" if mode == "confirm" else "application_open"
    with sessions() as s:
        ent = s.scalars(select(Entitlement).where(Entitlement.uscc == a)).one()
        assert (ent.status, ent.computed_fen, ent.snapshot_id) == (open_status, 3000_00, later)
        assert ent.status_reason is None
        assert [k for k, _, _ in _notes(s, a)] == ["offer" if mode == "confirm" else "application"]
        assert "3,000.00" in _notes(s, a)[0][2]
        assert counts.stored(s, "record") == counts.recount(s, "record")
        if mode == "apply":
            form = s.scalars(select(Application).where(Application.entitlement_id == ent.id)).one()
            assert form.prefilled["estimated_fen"] == 3000_00
    again = deliver(settings_, sessions, pv.id, actor=OFFICER)  # type: ignore[arg-type]
    assert again.offered + again.applications == 0
    with sessions() as s:
        assert len(_notes(s, a)) == 1
    if mode == "confirm":
        got = claims.claim(sessions, actor=enterprise(a), entitlement_id=ent.id)
        assert (got.status, got.amount_fen) == ("granted", 3000_00)
        with sessions() as s:
            grant = s.scalars(select(Grant).where(Grant.uscc == a)).one()
            assert grant.snapshot_id == later


def test_an_offer_withdrawn_at_zero_is_offered_again_when_the_amount_returns(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Offered, withdrawn at 0, offered again: each change told once, the last offer
    claimable for the amount of the data it came from."""
    a = h.uscc(1)
    settings_, _ = h.build_store(tmp_path / "data", {a: 2})
    text = h.policy_yaml("zero-round", delivery="confirm", formula=BEYOND_FIRST)
    pv, _ = publish_text(sessions, text, "z.yaml", actor=OFFICER)
    deliver(settings_, sessions, pv.id, actor=OFFICER)  # type: ignore[arg-type]
    h.build_store(tmp_path / "data", {a: 1})
    deliver(settings_, sessions, pv.id, actor=OFFICER)  # type: ignore[arg-type]
    h.build_store(tmp_path / "data", {a: 5})
    rep = deliver(settings_, sessions, pv.id, actor=OFFICER)  # type: ignore[arg-type]
    assert rep.offered == 1
    with sessions() as s:
        ent = s.scalars(select(Entitlement).where(Entitlement.uscc == a)).one()
        assert (ent.status, ent.computed_fen) == ("offered", 4000_00)
        assert [k for k, _, _ in _notes(s, a)] == ["offer", "zero_amount", "offer"]
    got = claims.claim(sessions, actor=enterprise(a), entitlement_id=ent.id)
    assert (got.status, got.amount_fen) == ("granted", 4000_00)

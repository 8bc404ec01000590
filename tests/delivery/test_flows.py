"""The delivery flows end to end on SQLite and PostgreSQL: publish, grant, offer, claim,
apply, approve, reject, exclusivity, review flags, expiry and recomputation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from helpers import build_store, policy_yaml, uscc
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.testing import FINANCE, OFFICER, SCHEDULER, enterprise
from huiqi.db.engine import transaction
from huiqi.delivery import applications as apps
from huiqi.delivery import sharing
from huiqi.delivery.claims import ClaimError, claim
from huiqi.delivery.disburse import export_batch
from huiqi.delivery.explanations import of_grant
from huiqi.delivery.lifecycle import expire_offers
from huiqi.delivery.models import (
    BatchItem,
    Entitlement,
    Event,
    Grant,
    Notification,
    PolicyVersion,
)
from huiqi.delivery.publish import deliver, publish_text
from huiqi.delivery.recompute import recompute
from huiqi.delivery.review import resolve_flag
from huiqi.errors import PolicyError


def publish(settings, factory, text: str, *, name: str = "p.yaml"):  # type: ignore[no-untyped-def]
    pv, _ = publish_text(factory, text, name, actor=OFFICER)
    return pv, deliver(settings, factory, pv.id, actor=OFFICER)


def records(factory: sessionmaker[Session], pv_id: int) -> dict[str, Entitlement]:
    with factory() as s:
        rows = s.scalars(select(Entitlement).where(Entitlement.policy_version_id == pv_id)).all()
    return {e.uscc: e for e in rows}


def test_auto_policy_grants_every_eligible_enterprise_with_its_explanation(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a, b, c = uscc(1), uscc(2), uscc(3)
    settings, sid = build_store(tmp_path, {a: 2, b: 0, c: 5})
    pv, rep = publish(settings, sessions, policy_yaml("auto-one", per_person=1000))
    assert (rep.matched, rep.granted, rep.granted_fen) == (2, 2, 700_000)
    with sessions() as s:
        grants = {g.uscc: g for g in s.scalars(select(Grant))}
        assert set(grants) == {a, c}
        g = grants[c]
        assert (g.amount_fen, g.status, g.snapshot_id, g.content_hash) == (
            500_000,
            "granted",
            sid,
            pv.content_hash,
        )
        # The stored explanation is the trace's ledger form: per-enterprise parts only,
        # stored once in the record and read through the grant.
        assert g.explanation is None
        explanation = of_grant(s, g)
        assert explanation["criteria"] == [
            {"id": "insured", "state": "met", "values": {"insured_employees__2025": 5}},
            {"id": "district", "state": "met", "values": {"district_code": None}},
        ]
        assert "fields" not in explanation and explanation["amount"]["amount_fen"] == 500_000
        inbox = s.scalars(
            select(Notification).where(Notification.uscc == c, Notification.channel == "inbox")
        ).all()
        assert [n.kind for n in inbox] == ["granted"]
        assert "5,000.00" in inbox[0].subject
        events = list(s.scalars(select(Event).order_by(Event.id)))
        # The chunk's two grants share one audit event, which names them.
        assert [e.kind for e in events] == ["publish", "grants_made"]
        assert events[1].data is not None and events[1].data["grants"] == 2


@pytest.mark.parametrize("cap_group", [None, "shared"])
def test_a_capped_auto_grant_tells_the_enterprise_the_capped_amount(
    sessions: sessionmaker[Session], tmp_path: Path, cap_group: str | None
) -> None:
    """The 'granted' message states what the grant gives (5,000.00 under a cap of 5,000
    yuan), not the uncapped computation (8,000.00); in bulk and one by one (a cap group)."""
    a = uscc(1)
    settings, _ = build_store(tmp_path, {a: 8})
    text = policy_yaml("capped-note", per_person=1000, cap=5000, cap_group=cap_group)
    publish(settings, sessions, text)
    with sessions() as s:
        grant = s.scalars(select(Grant).where(Grant.uscc == a)).one()
        assert grant.amount_fen == 500_000
        inbox = s.scalars(
            select(Notification).where(Notification.uscc == a, Notification.channel == "inbox")
        ).all()
        assert [n.kind for n in inbox] == ["granted"]
        assert "5,000.00" in inbox[0].subject and "8,000.00" not in inbox[0].subject
        assert "已获得5,000.00元" in inbox[0].body


def test_a_pro_rata_enterprise_is_told_provisional_then_its_allocated_amount(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Publishing a pro-rata policy must not tell an enterprise it 'has received' the full
    computed amount (8,000.00) when the budget (2,000 yuan for 10,000 claimed) will cut
    it; the allocation then tells each enterprise its allocated amount (1,600.00)."""
    a, b = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path, {a: 8, b: 2})
    text = policy_yaml("pool-note", per_person=1000, budget=2000, budget_mode="pro_rata")
    pv, _ = publish(settings, sessions, text)

    def inbox(s: Session) -> list[Notification]:
        return list(
            s.scalars(
                select(Notification)
                .where(Notification.uscc == a, Notification.channel == "inbox")
                .order_by(Notification.id)
            )
        )

    with sessions() as s:
        first = inbox(s)
        assert len(first) == 1
        assert "已获得" not in first[0].subject + first[0].body
        assert "按比例分配" in first[0].body
    with sessions.begin() as s:
        sharing.allocate_pro_rata(s, pv.id, actor=OFFICER)
    with sessions() as s:
        grant = s.scalars(select(Grant).where(Grant.uscc == a)).one()
        assert grant.amount_fen == 160_000
        after = inbox(s)
        assert len(after) == 2 and "1,600.00" in after[1].subject


def test_claiming_a_pro_rata_offer_does_not_promise_the_computed_amount(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a = uscc(1)
    settings, _ = build_store(tmp_path, {a: 8})
    text = policy_yaml(
        "pool-offer", delivery="confirm", per_person=1000, budget=2000, budget_mode="pro_rata"
    )
    pv, _ = publish(settings, sessions, text)
    offer = records(sessions, pv.id)[a]
    claim(sessions, actor=enterprise(a), entitlement_id=offer.id, today=dt.date(2026, 6, 1))
    with sessions() as s:
        told = s.scalars(
            select(Notification).where(
                Notification.uscc == a,
                Notification.channel == "inbox",
                Notification.kind == "granted",
            )
        ).one()
        assert "8,000.00 元，将按批次拨付" not in told.body and "按比例分配" in told.body


def test_publishing_twice_creates_nothing_new(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, _ = build_store(tmp_path, {uscc(i): 1 for i in range(5)})
    text = policy_yaml("twice")
    pv1, first = publish(settings, sessions, text)
    pv2, second = publish(settings, sessions, text)
    assert pv1.id == pv2.id
    assert (first.new_records, second.new_records, second.granted) == (5, 0, 0)
    # Regression: the second publish said "granted 0" and nothing of the five it had found.
    assert "5 matched, 5 new records; granted 5" in first.summary()
    assert "5 matched, 0 new records (5 recorded by an earlier delivery);" in second.summary()


def test_changed_text_under_the_same_version_is_refused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, _ = build_store(tmp_path, {uscc(1): 1})
    publish(settings, sessions, policy_yaml("changed", per_person=1000))
    with pytest.raises(
        PolicyError, match="already published with different content; raise 'version'"
    ):
        publish(settings, sessions, policy_yaml("changed", per_person=2000))


def test_first_come_budget_in_bulk_stops_at_the_budget(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, _ = build_store(tmp_path, {uscc(i): 1 for i in range(3)})
    pv, rep = publish(settings, sessions, policy_yaml("budget", per_person=1000, budget=2000))
    assert (rep.granted, rep.refused) == (2, {"budget_exhausted": 1})
    with sessions() as s:
        assert s.get(PolicyVersion, pv.id).committed_fen == 200_000  # type: ignore[union-attr]
    ents = records(sessions, pv.id)
    assert ents[uscc(2)].status == "budget_exhausted"
    assert "budget of 2,000.00 yuan is spent" in (ents[uscc(2)].status_reason or "")


def test_a_claim_larger_than_what_is_left_says_what_is_left(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A claim refused for budget when money is still left does not say 'the budget is
    spent' (a smaller claim after it is granted): it says how much is left."""
    small, big = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path, {small: 1, big: 5})
    text = policy_yaml("left", delivery="confirm", per_person=1000, budget=3000)
    pv, _ = publish(settings, sessions, text)
    offers = records(sessions, pv.id)
    day = dt.date(2026, 6, 1)
    refused = claim(sessions, actor=enterprise(big), entitlement_id=offers[big].id, today=day)
    assert refused.status == "budget_exhausted"
    assert "is spent" not in (refused.message or "")
    assert "3,000.00 yuan left" in (refused.message or "")
    # The enterprise is told in Chinese (regression: a refusal's English reason was the body
    # of its inbox message and email); the figures stay on the policy page.
    with sessions() as s:
        told = s.scalars(select(Notification).where(Notification.uscc == big)).all()
    bodies = {n.body for n in told if n.kind == "budget_exhausted"}
    assert bodies == {
        "本政策的预算已按申领先后顺序发放完毕，本项未能发放。具体原因和金额请在政策页面查看。"
    }
    ok = claim(sessions, actor=enterprise(small), entitlement_id=offers[small].id, today=day)
    assert ok.status == "granted"


def test_offer_is_claimed_once_only_by_its_enterprise(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a, b = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path, {a: 1, b: 1})
    pv, rep = publish(settings, sessions, policy_yaml("offer", delivery="confirm"))
    assert rep.offered == 2 and rep.granted == 0
    offer = records(sessions, pv.id)[a]
    with pytest.raises(AccessDenied, match="may not claim this offer"):
        claim(sessions, actor=enterprise(b), entitlement_id=offer.id)
    me = enterprise(a)
    first = claim(sessions, actor=me, entitlement_id=offer.id, today=dt.date(2026, 6, 1))
    again = claim(sessions, actor=me, entitlement_id=offer.id, today=dt.date(2026, 6, 1))
    assert first.grant_id == again.grant_id and again.already
    assert first.amount_fen == 100_000


def test_offer_past_its_end_date_expires(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    a, b = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path, {a: 1, b: 1})
    pv, _ = publish(settings, sessions, policy_yaml("late", delivery="confirm"))
    ents = records(sessions, pv.id)
    result = claim(
        sessions, actor=enterprise(a), entitlement_id=ents[a].id, today=dt.date(2027, 1, 1)
    )
    assert (result.status, result.grant_id) == ("expired", None)
    assert expire_offers(sessions, actor=SCHEDULER, today=dt.date(2027, 1, 1)) == 1
    with pytest.raises(ClaimError, match="is 'expired'"):
        claim(sessions, actor=enterprise(b), entitlement_id=ents[b].id)


def test_application_is_prefilled_submitted_and_approved(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a = uscc(1)
    settings, _ = build_store(tmp_path, {a: 4})
    pv, rep = publish(settings, sessions, policy_yaml("apply", delivery="apply", per_person=500))
    assert rep.applications == 1
    ent = records(sessions, pv.id)[a]
    me = enterprise(a)
    with pytest.raises(AccessDenied):
        apps.approve(sessions, ent.id, actor=me)
    assert apps.submit(sessions, ent.id, actor=me).status == "submitted"
    decision = apps.approve(sessions, ent.id, actor=OFFICER)
    assert (decision.status, decision.amount_fen) == ("granted", 200_000)
    with sessions() as s:
        from huiqi.delivery.models import Application

        app = s.scalar(select(Application).where(Application.entitlement_id == ent.id))
        assert app is not None and app.prefilled["fields"] == {
            "insured_employees__2025": 4,
            "district_code": None,
        }


def test_rejection_reason_reaches_the_enterprise(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a = uscc(1)
    settings, _ = build_store(tmp_path, {a: 4})
    pv, _ = publish(settings, sessions, policy_yaml("reject", delivery="apply"))
    ent = records(sessions, pv.id)[a]
    apps.submit(sessions, ent.id, actor=enterprise(a))
    apps.reject(sessions, ent.id, actor=OFFICER, reason="合同未经审计")
    with sessions() as s:
        msgs = s.scalars(
            select(Notification).where(Notification.uscc == a, Notification.kind == "rejected")
        ).all()
    assert msgs and "合同未经审计" in msgs[0].body


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("   ", "a rejection's reason is required"),
        ("合同\x00未经审计", "a rejection's reason cannot contain control characters"),
        ("材料不全\x1b[31m", "a rejection's reason cannot contain control characters"),
        ("理" * (apps.MAX_REASON + 1), f"at most {apps.MAX_REASON} characters"),
    ],
)
def test_rejection_reason_is_cleaned_like_other_free_text(
    sessions: sessionmaker[Session], tmp_path: Path, reason: str, message: str
) -> None:
    """Regression: reject() stored any reason, control characters and all, and sent it to
    the enterprise's inbox; it now goes through clean_text like comments and corrections."""
    a = uscc(1)
    settings, _ = build_store(tmp_path, {a: 4})
    pv, _ = publish(settings, sessions, policy_yaml("reject-clean", delivery="apply"))
    ent = records(sessions, pv.id)[a]
    apps.submit(sessions, ent.id, actor=enterprise(a))
    with pytest.raises(ClaimError, match=message.replace("[", r"\[")):
        apps.reject(sessions, ent.id, actor=OFFICER, reason=reason)
    assert records(sessions, pv.id)[a].status == "submitted"
    decision = apps.reject(sessions, ent.id, actor=OFFICER, reason="  合同未经审计\n请补交  ")
    assert decision.message == "合同未经审计\n请补交"
    assert records(sessions, pv.id)[a].status_reason == "合同未经审计\n请补交"


@pytest.mark.parametrize("order", ["low_first", "high_first"])
def test_exclusivity_group_gives_only_the_highest(
    sessions: sessionmaker[Session], tmp_path: Path, order: str
) -> None:
    """就高不重复 regardless of publish order: one grant in the group, the higher one."""
    a = uscc(1)
    settings, _ = build_store(tmp_path, {a: 1})
    low = policy_yaml("group-low", per_person=1000, exclusivity_group="g", budget=100000)
    high = policy_yaml("group-high", per_person=3000, exclusivity_group="g")
    texts = [low, high] if order == "low_first" else [high, low]
    for text in texts:
        publish(settings, sessions, text)
    with sessions() as s:
        live = s.scalars(select(Grant).where(Grant.status == "granted")).all()
        assert [(g.uscc, g.amount_fen) for g in live] == [(a, 300_000)]
        low_pv = s.scalar(select(PolicyVersion).where(PolicyVersion.policy_id == "group-low"))
        assert low_pv is not None and low_pv.committed_fen == 0
        low_ent = s.scalar(select(Entitlement).where(Entitlement.policy_version_id == low_pv.id))
        assert low_ent is not None and low_ent.status in ("superseded", "excluded")
        assert "就高不重复" in (low_ent.status_reason or "")


@pytest.mark.parametrize("order", ["capped_first", "capped_last"])
def test_exclusivity_compares_the_capped_amounts(
    sessions: sessionmaker[Session], tmp_path: Path, order: str
) -> None:
    """就高不重复 picks the higher amount the enterprise would receive: 3,000 yuan capped at
    1,000 loses to an uncapped 2,000, in either order (the bulk path compared capped
    amounts, the one-by-one path the uncapped ones, so 'capped_last' granted 1,000)."""
    a = uscc(1)
    settings, _ = build_store(tmp_path, {a: 1})
    capped = policy_yaml("group-capped", per_person=3000, cap=1000, exclusivity_group="g")
    plain = policy_yaml("group-plain", per_person=2000, exclusivity_group="g")
    for text in [capped, plain] if order == "capped_first" else [plain, capped]:
        publish(settings, sessions, text)
    with sessions() as s:
        live = s.scalars(select(Grant).where(Grant.status == "granted")).all()
        assert [(g.uscc, g.amount_fen) for g in live] == [(a, 200_000)]


def test_a_paid_group_grant_is_named_with_the_amount_paid(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """When a higher policy of the group arrives after the group's grant was paid, the
    refusal names what was paid (400.00: the rest of a shared 1,000-yuan cap), not the
    amount the slot was taken with (1,000.00)."""
    a = uscc(1)
    settings, _ = build_store(tmp_path, {a: 1})
    publish(settings, sessions, policy_yaml("paid-c", per_person=600, cap=1000, cap_group="c"))
    text = policy_yaml("paid-a", per_person=3000, cap=1000, cap_group="c", exclusivity_group="g")
    held, _ = publish(settings, sessions, text)
    with sessions.begin() as s:
        grant = s.scalars(select(Grant).where(Grant.policy_version_id == held.id)).one()
        assert grant.amount_fen == 40_000
        grant.status = "paid"
    text = policy_yaml("paid-b", per_person=2000, exclusivity_group="g")
    pv, _ = publish(settings, sessions, text)
    reason = records(sessions, pv.id)[a].status_reason or ""
    assert "has already given this enterprise 400.00 yuan" in reason, reason
    assert "its latest grant, under paid-a v1, is paid" in reason, reason


def test_no_longer_eligible_is_flagged_not_revoked(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a, b = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path, {a: 1, b: 1})
    pv, _ = publish(settings, sessions, policy_yaml("flag"))
    build_store(tmp_path, {a: 0, b: 1, uscc(3): 2})  # a loses eligibility, 3 is new
    rep = deliver(settings, sessions, pv.id, actor=OFFICER)
    assert (rep.new_records, rep.flagged) == (1, 1)
    ents = records(sessions, pv.id)
    assert ents[a].status == "granted" and ents[a].review_flag
    assert "no longer eligible" in (ents[a].review_reason or "")
    assert not ents[b].review_flag


def test_a_decided_flag_is_not_raised_again_on_the_same_data(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression (QA): a reviewer kept a flagged record, and the next publish or scheduled
    deliver on the same snapshot flagged it again, refilling the queue with decisions made."""
    a, b = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path, {a: 1, b: 1})
    pv, _ = publish(settings, sessions, policy_yaml("reflag"))
    build_store(tmp_path, {a: 0, b: 1})
    assert deliver(settings, sessions, pv.id, actor=OFFICER).flagged == 1
    record = records(sessions, pv.id)[a].id
    resolve_flag(sessions, record, actor=OFFICER, outcome="keep", reason="数据有误，已核实")
    assert deliver(settings, sessions, pv.id, actor=OFFICER).flagged == 0
    assert not records(sessions, pv.id)[a].review_flag
    build_store(tmp_path, {a: 0, b: 2})  # new data: asked again
    assert deliver(settings, sessions, pv.id, actor=OFFICER).flagged == 1


def members(s: Session, batch_id: int) -> list[int]:
    return list(s.scalars(select(BatchItem.grant_id).where(BatchItem.batch_id == batch_id)))


def test_a_flagged_grant_waits_and_a_withdrawn_one_is_never_exported(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression (QA): grants were exported for payment while flagged 'no longer eligible',
    and seconds after a reviewer decided to withdraw them."""
    a, b, c = uscc(1), uscc(2), uscc(3)
    settings, _ = build_store(tmp_path, {a: 1, b: 1, c: 1})
    pv, _ = publish(settings, sessions, policy_yaml("hold"))
    build_store(tmp_path, {a: 0, b: 0, c: 1})
    assert deliver(settings, sessions, pv.id, actor=OFFICER).flagged == 2
    ents = records(sessions, pv.id)
    with transaction(sessions) as s:
        grant_of = {g.uscc: g.id for g in s.scalars(select(Grant))}
        first = export_batch(s, out_dir=tmp_path / "out", actor=FINANCE)
        assert members(s, first.id) == [grant_of[c]]  # a and b wait
    resolve_flag(sessions, ents[a].id, actor=OFFICER, outcome="keep", reason="已核实")
    decided = resolve_flag(
        sessions, ents[b].id, actor=OFFICER, outcome="withdraw", reason="列入失信名单"
    )
    assert decided.status == "withdrawn" and "never sent for payment" in decided.message
    with transaction(sessions) as s:
        second = export_batch(s, out_dir=tmp_path / "out", actor=FINANCE)
        assert members(s, second.id) == [grant_of[a]]  # b never
    with sessions() as s:
        told = s.scalars(select(Notification).where(Notification.kind == "withdrawn")).all()
    assert [n.uscc for n in told if n.channel == "inbox"] == [b]


def test_recompute_reproduces_the_decision(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    settings, _ = build_store(tmp_path, {uscc(1): 3})
    publish(settings, sessions, policy_yaml("recompute"))
    build_store(tmp_path, {uscc(1): 9})  # later data must not change the recorded decision
    with sessions() as s:
        grant = s.scalars(select(Grant)).one()
    rec = recompute(settings, sessions, grant.id, actor=OFFICER)
    assert rec.same, rec.differences
    assert rec.recomputed_fen == 300_000


def test_audit_log_refuses_updates(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    settings, _ = build_store(tmp_path, {uscc(1): 1})
    publish(settings, sessions, policy_yaml("log"))
    with pytest.raises(Exception, match="append-only"), sessions() as s, s.begin():
        event = s.scalars(select(Event)).first()
        assert event is not None
        event.reason = "rewritten"


def test_an_amount_too_large_to_record_is_never_granted(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Issue 9: one enterprise whose data the database cannot evaluate (2^62 insured
    employees, far outside the field's range, overflows the 64-bit product the range
    allows) is an 'error' row, counted and reported; the others are granted, and it is not."""
    big, small = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path, {big: 2**62, small: 3})
    _pv, rep = publish(
        settings, sessions, policy_yaml("auto-huge", formula="insured_employees * 1000")
    )
    assert (rep.matched, rep.granted, rep.granted_fen) == (1, 1, 300_000)
    assert rep.errors == 1
    assert "errors (not delivered) 1: 1: evaluating this enterprise failed" in rep.summary()
    with sessions() as s:
        assert {g.uscc for g in s.scalars(select(Grant))} == {small}


def test_an_application_not_yet_submitted_cannot_be_rejected(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression (QA): 'huiqi application reject' on an application the enterprise had not
    submitted rejected it, though approving one is refused."""
    a = uscc(1)
    settings, _ = build_store(tmp_path, {a: 4})
    pv, _ = publish(settings, sessions, policy_yaml("unsent", delivery="apply"))
    ent = records(sessions, pv.id)[a]
    with pytest.raises(apps.ApplicationError, match="'application_open'; only submitted ones"):
        apps.reject(sessions, ent.id, actor=OFFICER, reason="材料不全")
    assert records(sessions, pv.id)[a].status == "application_open"


def test_a_withdrawal_after_payment_is_told_and_written_on_the_notice(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression (QA, session 30): a reviewer withdrew a grant already exported for
    payment; the enterprise was told nothing and its award notice still read as valid. A
    grant withdrawn before export had a notice too, for money never to be paid."""
    from huiqi.delivery.notice import NoticeError, grant_notice
    from huiqi.delivery.noticepdf import render_notice

    a, b = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path, {a: 1, b: 1})
    pv, _ = publish(settings, sessions, policy_yaml("late"))
    with transaction(sessions) as s:
        grant_of = {g.uscc: g.id for g in s.scalars(select(Grant))}
        export_batch(s, out_dir=tmp_path / "out", actor=FINANCE, limit=1)  # a's grant only
    build_store(tmp_path, {a: 0, b: 0})
    assert deliver(settings, sessions, pv.id, actor=OFFICER).flagged == 2
    ents = records(sessions, pv.id)
    for code in (a, b):
        resolve_flag(sessions, ents[code].id, actor=OFFICER, outcome="withdraw", reason="虚报数据")
    with sessions() as s:
        told = {
            n.uscc: n
            for n in s.scalars(select(Notification).where(Notification.kind == "withdrawn"))
            if n.channel == "inbox"
        }
        assert set(told) == {a, b}
        assert "部门将与贵企业联系" in told[a].body and "部门将与贵企业联系" not in told[b].body
        notice = grant_notice(s, actor=enterprise(a), grant_id=grant_of[a])
        assert notice.withdrawal == "虚报数据"
        with pytest.raises(NoticeError, match="withdrawn after review before it was paid"):
            grant_notice(s, actor=enterprise(b), grant_id=grant_of[b])
    assert render_notice(notice)[:4] == b"%PDF"


def test_a_grant_kept_after_a_withdrawal_has_a_plain_notice(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression (QA): the notice read the newest ``review_withdraw`` event even when a
    later review kept the grant, so a grant withdrawn and then kept still printed the
    withdrawal. The newest review decision, keep or withdraw, is the one that counts."""
    from huiqi.delivery.notice import grant_notice

    a = uscc(1)
    settings, _ = build_store(tmp_path, {a: 1})
    pv, _ = publish(settings, sessions, policy_yaml("rekept"))
    with transaction(sessions) as s:
        grant_id = s.scalars(select(Grant)).one().id
        export_batch(s, out_dir=tmp_path / "out", actor=FINANCE)
    build_store(tmp_path, {a: 0})
    assert deliver(settings, sessions, pv.id, actor=OFFICER).flagged == 1
    record = records(sessions, pv.id)[a].id
    resolve_flag(sessions, record, actor=OFFICER, outcome="withdraw", reason="虚报数据")
    with sessions() as s:
        assert grant_notice(s, actor=enterprise(a), grant_id=grant_id).withdrawal == "虚报数据"
    build_store(tmp_path, {a: 0})  # a new snapshot: the record is flagged again
    assert deliver(settings, sessions, pv.id, actor=OFFICER).flagged == 1
    resolve_flag(sessions, record, actor=OFFICER, outcome="keep", reason="数据已核实")
    with sessions() as s:
        assert grant_notice(s, actor=enterprise(a), grant_id=grant_id).withdrawal is None


def test_keeping_a_grant_after_a_told_withdrawal_tells_the_enterprise(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression (QA): a reviewer who kept a flagged record sent no message, unlike the
    other decisions. Keeping leaves a record as the enterprise was told, except after a
    withdrawal it was told of ("经复核已撤回", the money already sent): keeping it then
    reverses that, so it is told. A first keep tells nothing (nothing changed for the
    enterprise), and a withdrawal after a keep is told again, not dropped as a repeat."""
    a = uscc(1)
    settings, _ = build_store(tmp_path, {a: 1})
    pv, _ = publish(settings, sessions, policy_yaml("told-kept"))
    with transaction(sessions) as s:
        export_batch(s, out_dir=tmp_path / "out", actor=FINANCE)
    record = records(sessions, pv.id)[a].id

    def decide(outcome: str, reason: str) -> list[tuple[str, str]]:
        build_store(tmp_path, {a: 0})  # a new snapshot: the record is flagged (again)
        assert deliver(settings, sessions, pv.id, actor=OFFICER).flagged == 1
        resolve_flag(sessions, record, actor=OFFICER, outcome=outcome, reason=reason)
        with sessions() as s:
            inbox = s.scalars(
                select(Notification)
                .where(Notification.uscc == a, Notification.channel == "inbox")
                .where(Notification.kind.in_(("withdrawn", "review_kept")))
                .order_by(Notification.id)
            )
            return [(n.kind, n.body) for n in inbox]

    assert decide("keep", "数据晚报") == []  # nothing it was told has changed
    told = decide("withdraw", "虚报数据")
    assert [k for k, _ in told] == ["withdrawn"]
    told = decide("keep", "数据已核实")
    assert [k for k, _ in told] == ["withdrawn", "review_kept"]
    assert "此前的撤回通知不再适用" in told[1][1] and "数据已核实" in told[1][1]
    told = decide("withdraw", "再次核查不符")
    assert [k for k, _ in told] == ["withdrawn", "review_kept", "withdrawn"]
    assert "再次核查不符" in told[2][1]


def test_rating_a_superseded_grant_names_the_grant_that_replaced_it(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression (QA): rating a grant superseded under 就高不重复 was refused with "rate it
    once it is granted", which it never will be."""
    from huiqi.delivery.ratings import RatingError, rate

    a = uscc(1)
    settings, _ = build_store(tmp_path, {a: 1})
    publish(settings, sessions, policy_yaml("sup-low", per_person=1000, exclusivity_group="g"))
    publish(settings, sessions, policy_yaml("sup-high", per_person=3000, exclusivity_group="g"))
    with sessions() as s:
        by_status = {g.status: g.id for g in s.scalars(select(Grant))}
    old, new = by_status["superseded"], by_status["granted"]
    with pytest.raises(RatingError) as refused, transaction(sessions) as s:
        rate(s, actor=enterprise(a), stars=4, grant_id=old)
    assert str(refused.value) == (
        f"grant {old} was superseded by a higher benefit of its group (就高不重复) and is never"
        f" paid: rate grant {new} instead"
    )


def test_claiming_an_automatic_grant_says_it_was_granted_automatically(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression (QA): 'huiqi claim' on a 免申即享 grant answered 'already claimed'."""
    a = uscc(1)
    settings, _ = build_store(tmp_path, {a: 1})
    pv, _ = publish(settings, sessions, policy_yaml("auto-claim"))
    got = claim(sessions, actor=enterprise(a), entitlement_id=records(sessions, pv.id)[a].id)
    assert got.grant_id is not None and "granted automatically (免申即享)" in got.message

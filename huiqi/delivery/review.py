"""Resolving review flags: an officer decides on a record flagged after a data change.

A new snapshot or policy version in which an enterprise no longer qualifies flags its
record (``flags.flag_for_review``, with the conditions it fails) and never revokes it. A policy reviewer whose scope
covers the policy then decides, with a reason:

- *keep*: the offer, application or grant stands; the flag is cleared. The enterprise
  is told only where keeping changes what it was told (see :func:`_tell_kept`).
- *top-up*: for a record that 就高不重复 excluded because a lower policy of its group was
  already sent for payment, the higher policy grants the difference
  (:mod:`huiqi.delivery.topup`).
- *correct*: for a record that a newer version of its policy excluded behind an earlier
  version's grant and that would give another amount, the newer version's amount is
  delivered once: in place of an earlier grant never sent for payment, or as the
  difference on top of one sent (:mod:`huiqi.delivery.version_fix`).
- *withdraw*: an open offer is withdrawn and an open application (申报) is closed, and the
  enterprise is told why. So is a grant never sent for payment: its record is withdrawn,
  which keeps it out of every disbursement export. A grant in a batch or paid is not
  undone: the ledger has no transition that revokes it (money batched or paid is
  recovered outside huiqi), so the decision is recorded on the record and in the audit
  log, and the grant stays as it is.

While a record is flagged, its grant waits: no export takes it until a reviewer keeps it.

Every decision is one audit event (``review_keep``, ``review_withdraw``, ``review_top_up``
or ``review_correct``, with the officer as its actor); the record keeps the decision and
its reason in ``review_reason`` (which the enterprise reads too, so it names no officer).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import Actor, require_policy_scope, require_role
from huiqi.accounts.roles import Role
from huiqi.db.engine import transaction
from huiqi.delivery import budget as budgets
from huiqi.delivery import notify, topup, version_fix
from huiqi.delivery.audit import record_event
from huiqi.delivery.channels import INBOX
from huiqi.delivery.disburse import live_item
from huiqi.delivery.freetext import is_blank
from huiqi.delivery.models import (
    Application,
    BatchItem,
    Entitlement,
    Event,
    Grant,
    Notification,
    PolicyVersion,
    utcnow,
)
from huiqi.delivery.statuses import GAVE_NOTHING, GrantStatus, RecordStatus
from huiqi.delivery.versions import policy_ref
from huiqi.errors import HuiqiError, NotFoundError, StateConflict

MAX_REASON = 2000
DECISIONS = (
    "review_keep",
    "review_withdraw",
    "review_top_up",
    "review_correct",
)  # the audit events' kinds
# What a withdrawal changes: an offer not yet claimed, an application not yet decided.
WITHDRAWABLE = (RecordStatus.OFFERED, RecordStatus.APPLICATION_OPEN, RecordStatus.SUBMITTED)


class ReviewError(HuiqiError):
    """A review flag cannot be resolved as asked (no reason, an unknown decision...)."""


class ReviewConflict(ReviewError, StateConflict):
    """The record is not (or no longer) flagged: the flag was decided already. A refused
    decision exits 4 on the command line, as a refused claim or approval does."""

    exit_code = 4


class Outcome(StrEnum):
    KEEP = "keep"
    WITHDRAW = "withdraw"
    TOP_UP = "top-up"
    CORRECT = "correct"


@dataclass(frozen=True)
class ReviewDecision:
    record_id: int
    outcome: str
    status: str  # the record's status after the decision
    grant_id: int | None
    message: str


def parse_outcome(text: str) -> Outcome:
    try:
        return Outcome(text.strip())
    except ValueError:
        raise ReviewError(
            f"'{text}' is not a decision on a flag; use keep, withdraw, top-up or correct"
        ) from None


def require_reviewer(actor: Actor) -> None:
    """Refuse an actor who may resolve no review flag at all: one without the policy
    reviewer's role in any scope. :func:`resolve_flag` checks the record's own scope; the
    API asks this first, so that such a caller is refused (403) before its decision's
    body is read (400 for an unknown decision told a finance officer to fix the body)."""
    require_role(actor, "resolve review flags", Role.POLICY_REVIEWER)


def resolve_flag(
    factory: sessionmaker[Session],
    record_id: int,
    *,
    actor: Actor,
    outcome: Outcome | str,
    reason: str,
) -> ReviewDecision:
    """Keep or withdraw a record flagged for review, with a reason (one audit event).

    Only a policy reviewer whose scope covers the record's policy may decide.
    """
    decided = parse_outcome(outcome) if isinstance(outcome, str) else outcome
    reason = reason.strip()
    if is_blank(reason):  # a zero-width space alone, which strip() keeps, says nothing
        raise ReviewError("give the reason for this decision; it is kept in the audit log")
    if len(reason) > MAX_REASON:
        raise ReviewError(f"the reason is {len(reason)} characters; at most {MAX_REASON}")
    with transaction(factory) as s:
        ent = s.execute(
            select(Entitlement).where(Entitlement.id == record_id).with_for_update()
        ).scalar_one_or_none()
        pv = s.get(PolicyVersion, ent.policy_version_id) if ent is not None else None
        if ent is None or pv is None:
            raise NotFoundError(f"no delivery record {record_id}")
        require_policy_scope(actor, policy_ref(pv), "resolve review flags", Role.POLICY_REVIEWER)
        if not ent.review_flag:
            raise ReviewConflict(
                f"record {record_id} is not flagged for review (it may be decided already)"
            )
        # Locks in the ledger's order: records, then grants, then the group's slot, the cap
        # group and the budget row last (huiqi.delivery.grantmaker), as a correction of an
        # earlier version takes them (huiqi.delivery.version_fix): else the two deadlock.
        grant = s.scalar(
            select(Grant)
            .where(Grant.entitlement_id == ent.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if decided is Outcome.KEEP:
            message = f"kept after review: {reason}"
            _tell_kept(s, ent, pv, reason)
        elif decided is Outcome.TOP_UP:
            try:
                grant, note = topup.grant_top_up(s, ent, pv, actor=actor, reason=reason)
            except topup.TopUpError as refused:
                # The transaction is rolled back with it: nothing reserved stays.
                raise ReviewConflict(str(refused)) from None
            message = f"topped up after review: {reason}; {note}"
        elif decided is Outcome.CORRECT:
            try:
                grant, note = version_fix.grant_correction(s, ent, pv, actor=actor, reason=reason)
            except version_fix.CorrectionError as refused:
                raise ReviewConflict(str(refused)) from None
            message = f"corrected after review: {reason}; {note}"
        else:
            message = _withdraw(s, ent, pv, grant, actor=actor, reason=reason)
        ent.review_flag = False
        ent.review_reason = message
        # The conditions were the flag's question, now answered (its audit event keeps them).
        ent.review_criteria = None
        ent.updated_at = utcnow()
        record_event(
            s,
            actor=actor,
            kind=f"review_{decided.value.replace('-', '_')}",
            uscc=ent.uscc,
            policy_version_id=pv.id,
            entity=f"entitlement:{ent.id}",
            reason=reason,
            data={"status": str(ent.status), "grant_id": grant.id if grant else None},
        )
        return ReviewDecision(
            ent.id, decided.value, str(ent.status), grant.id if grant else None, message
        )


def _withdraw(
    s: Session,
    ent: Entitlement,
    pv: PolicyVersion,
    grant: Grant | None,
    *,
    actor: Actor,
    reason: str,
) -> str:
    """Withdraw what can be withdrawn: an open offer or application, or a grant never sent
    for payment (held back from every export); of a grant in a batch or paid, only record
    the decision."""
    # A provisional grant (a budget shared pro rata, not yet allocated) has not left either
    # (QA, qa6: it was kept as though paid, then allocated and exported).
    if grant is not None and (
        grant.status not in (GrantStatus.GRANTED, GrantStatus.PROVISIONAL)
        or s.scalar(select(exists().where(BatchItem.grant_id == grant.id, live_item())))
    ):
        _tell_withdrawn(s, ent, pv, reason, kept=True)
        return _kept_by_the_ledger(reason, f"grant {grant.id} ({grant.status})")
    if grant is None and ent.status in GAVE_NOTHING:
        return (
            f"withdrawal decided after review: {reason}; the record gave the enterprise nothing,"
            " so there is nothing to recover"
        )
    if grant is None and ent.status not in WITHDRAWABLE:
        return _kept_by_the_ledger(reason, f"the record ({ent.status})")
    if grant is not None:
        on_top = version_fix.live_correction_of(s, grant)
        if on_top is not None:
            raise ReviewConflict(
                f"record {ent.id}: grant {grant.id} cannot be withdrawn while the correction"
                f" granted on top of it (grant {on_top.id}, record {on_top.entitlement_id})"
                " is live: the total the enterprise receives counts both; withdraw the later"
                " correction first, or keep this record"
            )
        # Never exported: the money has not left. The record is withdrawn, which keeps
        # the grant out of every disbursement export (huiqi.delivery.disburse), and so is
        # the grant: what it held is given back.
        _release(s, ent, pv, grant)
        ent.status, ent.status_reason = RecordStatus.WITHDRAWN, reason
        _tell_withdrawn(s, ent, pv, reason)
        return f"withdrawn after review: {reason}; grant {grant.id} is never sent for payment"
    if ent.status != RecordStatus.OFFERED:
        app = s.scalar(select(Application).where(Application.entitlement_id == ent.id))
        if app is not None:
            app.decided_at, app.decided_by = utcnow(), actor.username
            app.decision, app.reason = "withdrawn", reason
    ent.status, ent.status_reason = RecordStatus.WITHDRAWN, reason
    _tell_withdrawn(s, ent, pv, reason)
    return f"withdrawn after review: {reason}"


def _release(s: Session, ent: Entitlement, pv: PolicyVersion, grant: Grant) -> None:
    """Withdraw a grant never sent for payment: its amount goes back to the budget and to
    the enterprise's cap group, and it no longer counts as the enterprise's grant of the
    policy for the period (``tables.LIVE_GRANT``), so a later version, or another policy of
    its group, may grant the enterprise again. Its exclusivity slot goes back to the
    group's grants that stay live (a difference withdrawn: the grant it added to, which
    was sent for payment), and is freed only when none is left.

    The slot is taken before the cap group and the budget row, the ledger's lock order."""
    if pv.exclusivity_group:
        topup.hand_back_slot(s, pv.exclusivity_group, ent, grant)
    if pv.cap_group:
        budgets.release_cap(s, pv.cap_group, ent.uscc, ent.benefit_period, grant.amount_fen)
    if pv.budget_fen is not None and grant.status == GrantStatus.GRANTED:
        # A provisional grant holds none of the budget yet (budgets.give_back's terms).
        budgets.release(s, pv.id, grant.amount_fen)
    grant.status = GrantStatus.WITHDRAWN


def _kept_by_the_ledger(reason: str, subject: str) -> str:
    """The decision's message when what was given cannot be taken back by huiqi."""
    return (
        f"withdrawal decided after review: {reason}; {subject} is not revoked by huiqi"
        " (the ledger has no revocation), recover it through the department's procedure"
    )


def _earlier_decisions(s: Session, ent: Entitlement) -> list[tuple[int, str]]:
    """The record's earlier review decisions (event id, kind), the newest first."""
    rows = s.execute(
        select(Event.id, Event.kind)
        .where(Event.entity == f"entitlement:{ent.id}", Event.kind.in_(DECISIONS))
        .order_by(Event.id.desc())
    ).all()
    return [(i, k) for i, k in rows]


def _withdrawn_key(s: Session, ent: Entitlement, pv: PolicyVersion) -> str:
    """The withdrawal message's dedupe key: the first one keeps the key it always had; a
    record withdrawn again after a later review kept it gets a key of its own, or the
    outbox would drop that message as a repeat and leave the enterprise believing the
    grant stands."""
    key = f"withdrawn:{pv.id}:{ent.uscc}:{ent.benefit_period}"
    earlier = len(_earlier_decisions(s, ent))
    return f"{key}:{earlier}" if earlier else key


def _tell_kept(s: Session, ent: Entitlement, pv: PolicyVersion, reason: str) -> None:
    """Tell the enterprise that a withdrawal it was told of no longer applies.

    Keeping a record usually leaves the enterprise exactly where it was told it stood: a
    flag is an officer's question, never told to the enterprise (``flag_for_review``
    sends nothing), so its grant, offer or application is as its last message said, and
    a message would only announce a review it never heard of. Keep sends nothing then.

    The exception is a record whose previous review *withdrew* it while the money had
    already left (a grant in a batch or paid, which huiqi cannot take back): the record
    stays open, the enterprise was told "「…」经复核已撤回 … 部门将与贵企业联系", and a
    later snapshot may flag it again. Keeping it then reverses what the enterprise was
    told (its grant notice reads as valid again, :mod:`huiqi.delivery.notice`), so it
    is told, once per withdrawal reversed.
    """
    earlier = _earlier_decisions(s, ent)
    if not earlier or earlier[0][1] != "review_withdraw":
        return
    told = s.scalar(
        select(
            exists().where(
                Notification.dedupe_key.like(
                    f"withdrawn:{pv.id}:{ent.uscc}:{ent.benefit_period}:%"
                ),
                Notification.channel == INBOX,
            )
        )
    )
    if not told:
        return
    notify.enqueue(
        s,
        uscc=ent.uscc,
        kind="review_kept",
        subject=f"「{pv.title_zh}」经复核予以保留",
        body=f"经复核，贵企业的「{pv.title_zh}」予以保留，此前的撤回通知不再适用。原因：{reason}",
        dedupe_key=f"review_kept:{ent.id}:{earlier[0][0]}",
    )


def _tell_withdrawn(
    s: Session, ent: Entitlement, pv: PolicyVersion, reason: str, *, kept: bool = False
) -> None:
    """Tell the enterprise. ``kept``: the money was already sent for payment or paid, which
    huiqi cannot take back: the department will be in touch (the enterprise was told
    nothing, and its award notice still read as valid; QA, session 30)."""
    body = f"根据最新数据，贵企业已不再符合条件。原因：{reason}"
    if kept:
        body += "。已发放的资金由主管部门按规定程序处理，部门将与贵企业联系。"
    notify.enqueue(
        s,
        uscc=ent.uscc,
        kind="withdrawn",
        subject=f"「{pv.title_zh}」经复核已撤回" if kept else f"「{pv.title_zh}」已撤回",
        body=body,
        dedupe_key=_withdrawn_key(s, ent, pv),
    )

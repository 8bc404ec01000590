"""An enterprise takes back the application (申报) it submitted, before an officer decides.

Withdrawing returns the record to ``application_open``: it leaves the reviewers' queue
(only ``submitted`` applications are decided), the form is the enterprise's again, and it
may submit it again while the version is published (a retired version's open forms are
closed by retirement, as every other). One submitted under a version retired since
(retiring leaves submitted applications to be decided) could never be submitted again:
withdrawing closes it for good (``withdrawn``). The record's ``status_reason`` says that and when
it was withdrawn until it is submitted again; the withdrawal is one audit event
(``application_withdraw``, the enterprise's user as its actor, its reason if it gave one)
and one message in the enterprise's inbox.

The state change is one conditional UPDATE (``… WHERE status = 'submitted'``) on the row
that :func:`huiqi.delivery.applications._load` locked: of a withdrawal and an officer's
decision racing, the first to lock the row wins and the second finds the application in
a state it refuses (an approval or rejection of an application no longer submitted; a
withdrawal of one decided already).
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from huiqi import clock
from huiqi.accounts.access import Actor, require_own_enterprise
from huiqi.db.engine import transaction
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery import notify
from huiqi.delivery.applications import (
    WITHDRAWN_NOTE,
    ApplicationError,
    Decision,
    ReasonRefused,
    _load,
)
from huiqi.delivery.audit import record_event
from huiqi.delivery.claims import refuse_other_policy
from huiqi.delivery.freetext import clean_text
from huiqi.delivery.models import Entitlement, Event, utcnow
from huiqi.delivery.statuses import RecordStatus, VersionStatus

MAX_REASON = 1000
KIND = "application_withdraw"  # the audit event's kind
# What withdraw() says when it changed nothing (Decision.message), for the pages to tell apart.
ALREADY = "already withdrawn; nothing to do"
NOT_SUBMITTED = "not submitted; nothing to withdraw"
NOTE = WITHDRAWN_NOTE


def withdrawn_note(reason: str | None, day: str) -> str:
    """The record's status reason after a withdrawal: 'withdrawn by the enterprise on
    2026-06-01: reason' (what, when, why)."""
    return f"{NOTE} {day}" + (f": {reason}" if reason else "")


def is_withdrawn_note(text: str | None) -> bool:
    return bool(text) and str(text).startswith(NOTE)


def withdraw(
    factory: sessionmaker[Session],
    entitlement_id: int,
    *,
    actor: Actor,
    reason: str | None = None,
    policy_id: str | None = None,
) -> Decision:
    """The enterprise (or its park operator) withdraws its submitted application before it
    is decided; ``reason`` is optional free text. Withdrawing an application that is open
    (never submitted, or withdrawn already) changes nothing and says so. ``policy_id``: the
    policy the form was shown for (a record of another policy is refused)."""
    why = clean_text(reason, "the reason", ReasonRefused, max_length=MAX_REASON, field="reason")
    with transaction(factory) as s:
        ent, app, pv = _load(
            s,
            entitlement_id,
            lambda ent, _: require_own_enterprise(s, actor, ent.uscc, "withdraw this application"),
        )
        refuse_other_policy(ent.id, pv.policy_id, policy_id, "an application", ApplicationError)
        if ent.status in (RecordStatus.APPLICATION_OPEN, RecordStatus.WITHDRAWN) and (
            is_withdrawn_note(ent.status_reason)
        ):
            return Decision(ent.id, ent.status, None, None, ALREADY)
        if ent.status == RecordStatus.APPLICATION_OPEN:
            return Decision(ent.id, ent.status, None, None, NOT_SUBMITTED)
        if ent.status != RecordStatus.SUBMITTED:
            raise ApplicationError(
                f"application {ent.id} is '{ent.status}' and cannot be withdrawn: only a"
                " submitted application not yet decided can be"
            )
        # Under a retired version the form cannot be submitted again: it is closed for good.
        reopen = pv.status != VersionStatus.RETIRED
        to = RecordStatus.APPLICATION_OPEN if reopen else RecordStatus.WITHDRAWN
        now = utcnow()
        note = withdrawn_note(why, clock.today().isoformat())
        result = s.execute(
            update(Entitlement)
            .where(Entitlement.id == ent.id, Entitlement.status == RecordStatus.SUBMITTED)
            .values(status=to, status_reason=note, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        changed = int(getattr(result, "rowcount", 0) or 0)
        if changed != 1:  # the row lock makes this unreachable; the database has the last word
            raise ApplicationError(f"application {ent.id} was decided meanwhile; reload it")
        s.expire(ent)
        app.submitted_at = None
        if not reopen:
            app.decided_at, app.decided_by, app.decision, app.reason = (
                now,
                actor.username,
                "withdrawn",
                note,
            )
        earlier = _withdrawals(s, app.id)
        record_event(
            s,
            actor=actor,
            kind=KIND,
            uscc=ent.uscc,
            policy_version_id=pv.id,
            entity=f"application:{app.id}",
            reason=why or reasons.WITHDRAWN_BY_ENTERPRISE(),
            data={"was": str(RecordStatus.SUBMITTED)},
        )
        notify.enqueue(
            s,
            uscc=ent.uscc,
            kind="application_withdrawn",
            subject=f"「{pv.title_zh}」申报已撤回",
            body="贵企业已撤回提交的申报"
            + (f"（原因：{why}）" if why else "")
            + ("。申报期内可重新提交。" if reopen else "。该政策已停止受理，不能再次提交。"),
            dedupe_key=f"application_withdrawn:{app.id}:{earlier}",
        )
        return Decision(ent.id, str(to), None, None, "withdrawn")


def _withdrawals(s: Session, application_id: int) -> int:
    """How many times the application was withdrawn before: each withdrawal's message has
    a key of its own, or the outbox would drop the second as a repeat."""
    return int(
        s.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.kind == KIND, Event.entity == f"application:{application_id}")
        )
        or 0
    )

"""申报: pre-filled applications that an enterprise submits and an officer decides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import Actor, require_own_enterprise, require_policy_scope, require_role
from huiqi.accounts.roles import Role
from huiqi.db.engine import transaction
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery import notify
from huiqi.delivery.audit import record_event
from huiqi.delivery.claims import (
    ClaimError,
    criterion_labels,
    find_entitlement,
    refuse_other_policy,
)
from huiqi.delivery.freetext import clean_text
from huiqi.delivery.grantmaker import make_grant
from huiqi.delivery.models import Application, Entitlement, PolicyVersion, utcnow
from huiqi.delivery.outcome_text import refused_body_zh
from huiqi.delivery.required_documents import missing_documents
from huiqi.delivery.retirement import retired_note
from huiqi.delivery.statuses import DeliveryMode, MatchStatus, RecordStatus, VersionStatus
from huiqi.delivery.versions import policy_ref
from huiqi.errors import NotFoundError
from huiqi.money import format_yuan as yuan_text

# How an enterprise's withdrawal starts the record's status reason (huiqi.delivery.withdrawal).
WITHDRAWN_NOTE = "withdrawn by the enterprise on"
MAX_REASON = 1000  # a rejection's reason, as the enterprise reads it in its inbox


class ApplicationError(ClaimError):
    """An application cannot be submitted or decided as asked (its kind or its status)."""


class ReasonRefused(ApplicationError):
    """A rejection's reason cannot be used (missing, too long, control characters): the
    officer's input, not the application's state (HTTP 400 where the others are 409)."""


@dataclass(frozen=True)
class Decision:
    entitlement_id: int
    status: str
    grant_id: int | None
    amount_fen: int | None
    message: str


def _load(
    s: Session, entitlement_id: int, allowed: Callable[[Entitlement, PolicyVersion], None]
) -> tuple[Entitlement, Application, PolicyVersion]:
    """The application of a record, locked; ``allowed`` (which raises AccessDenied) is asked
    first, so that nothing about another's record (its kind, its status) is told."""
    ent = find_entitlement(s, entitlement_id=entitlement_id)
    # Locked and read again: find_entitlement put the record in the session as it was
    # before the lock, and a plain select of it would keep that stale status (a withdrawal
    # and an approval racing both went through on PostgreSQL: test_withdrawal).
    ent = s.execute(
        select(Entitlement)
        .where(Entitlement.id == ent.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    pv = s.get(PolicyVersion, ent.policy_version_id)
    # A record that is no application is not found as one (404), as attaching to it is
    # (delivery.attachments): regression (QA), submitting, withdrawing or deciding it was
    # a 409, as if an application were there in a state that did not allow it.
    if pv is None:
        raise NotFoundError(f"record {entitlement_id} is not an application (申报)")
    allowed(ent, pv)
    app = s.scalar(select(Application).where(Application.entitlement_id == ent.id))
    if app is None or ent.mode != DeliveryMode.APPLY:
        raise NotFoundError(f"record {entitlement_id} is not an application (申报)")
    return ent, app, pv


def _not_decided(ent: Entitlement) -> ApplicationError:
    """The refusal to decide an application that is not submitted; one the enterprise
    withdrew says so (its form is open again, for it to submit or not)."""
    if ent.status_reason and ent.status_reason.startswith(WITHDRAWN_NOTE):
        return ApplicationError(
            f"application {ent.id} was withdrawn by the enterprise; only submitted ones are"
            " decided (it is decided once the enterprise submits it again)"
        )
    return ApplicationError(
        f"application {ent.id} is '{ent.status}'; only submitted ones are decided"
    )


ALREADY_SUBMITTED = "already submitted"  # submit's message when it changed nothing


def submit(
    factory: sessionmaker[Session],
    entitlement_id: int,
    *,
    actor: Actor,
    attest: bool = False,
    policy_id: str | None = None,
) -> Decision:
    """The enterprise checks its pre-filled form and submits it; ``policy_id``: the policy
    the form was shown for (a record of another policy is refused)."""
    with transaction(factory) as s:
        ent, app, pv = _load(
            s,
            entitlement_id,
            lambda ent, _: require_own_enterprise(s, actor, ent.uscc, "submit this application"),
        )
        refuse_other_policy(ent.id, pv.policy_id, policy_id, "an application", ApplicationError)
        if ent.status == RecordStatus.SUBMITTED:
            return Decision(ent.id, ent.status, None, None, ALREADY_SUBMITTED)
        if pv.status == VersionStatus.RETIRED:
            raise ApplicationError(
                f"application {ent.id} can no longer be submitted: {retired_note(s, pv)}"
            )
        if ent.status != RecordStatus.APPLICATION_OPEN:
            why = f": {ent.status_reason}" if ent.status_reason else ""
            raise ApplicationError(
                f"application {ent.id} is '{ent.status}' and cannot be submitted{why}"
            )
        missing = missing_documents(s, app.id, pv)
        if missing:
            names = ", ".join(d.label.zh for d in missing)
            raise ApplicationError(
                f"application {ent.id} lacks documents its policy requires: {names}; attach"
                " each, naming the document it is (the upload form's document, or"
                f" 'huiqi application attach {ent.id} FILE --document {missing[0].label.zh}'),"
                " then submit"
            )
        to_attest = app.prefilled.get("to_attest", [])
        if to_attest and not attest:
            raise ApplicationError(
                f"confirm the commitments (告知承诺) on: {', '.join(to_attest)}",
                to_attest=tuple(to_attest),
                labels=criterion_labels(pv, to_attest),
            )
        app.attested = to_attest
        app.submitted_at = utcnow()
        ent.status = RecordStatus.SUBMITTED
        if ent.status_reason and ent.status_reason.startswith(WITHDRAWN_NOTE):
            ent.status_reason = None  # submitted again: the withdrawal is history (audit log)
        record_event(
            s,
            actor=actor,
            kind="submit",
            uscc=ent.uscc,
            policy_version_id=pv.id,
            entity=f"application:{app.id}",
            reason=reasons.SUBMITTED(),
        )
        return Decision(ent.id, ent.status, None, None, "submitted")


def approve(factory: sessionmaker[Session], entitlement_id: int, *, actor: Actor) -> Decision:
    """An officer approves a submitted application: it becomes a grant (budget, cap, group permitting)."""
    with transaction(factory) as s:
        ent, app, pv = _load(
            s,
            entitlement_id,
            lambda _, pv: require_policy_scope(
                actor, policy_ref(pv), "approve applications", Role.POLICY_REVIEWER
            ),
        )
        if ent.status != RecordStatus.SUBMITTED:
            raise _not_decided(ent)
        if ent.review_flag:
            raise ApplicationError(
                f"application {ent.id} is flagged for review: {ent.review_reason}; resolve the"
                f" flag first ('huiqi review keep {ent.id} --reason …' or withdraw)"
            )
        if ent.match_status != MatchStatus.ELIGIBLE:
            raise ApplicationError(
                f"application {ent.id} was a near miss on the data; update the data (new snapshot)"
                " before approving, so the grant stays reproducible"
            )
        app.decided_at, app.decided_by, app.decision = utcnow(), actor.username, "approved"
        out = make_grant(s, pv, ent, actor=actor)
        if out.grant is None:
            app.decision = out.status
            app.reason = out.reason
        notify.enqueue(
            s,
            uscc=ent.uscc,
            kind="approved" if out.grant else out.status,
            subject=f"「{pv.title_zh}」申报{'已批准' if out.grant else '未能发放'}",
            body=(
                f"批准金额 {yuan_text(out.grant.amount_fen)} 元。"
                if out.grant
                else refused_body_zh(out.status)
            ),
            dedupe_key=f"decision:{pv.id}:{ent.uscc}:{ent.benefit_period}",
        )
        return Decision(
            ent.id,
            ent.status,
            out.grant.id if out.grant else None,
            out.grant.amount_fen if out.grant else None,
            out.reason or out.status,
        )


def require_decider(actor: Actor) -> None:
    """Refuse an actor who may decide no application at all (no policy reviewer's role in
    any scope): the API asks this before it reads a rejection's body, so that such a
    caller is refused (403), not told to fix the body (400). Each decision checks the
    policy's scope itself."""
    require_role(actor, "decide applications", Role.POLICY_REVIEWER)


def reject(
    factory: sessionmaker[Session], entitlement_id: int, *, actor: Actor, reason: str
) -> Decision:
    """An officer rejects an application with a reason the enterprise sees: free text,
    cleaned as every other (stripped, at most ``MAX_REASON`` characters, no control
    characters other than newline and tab)."""
    text = clean_text(
        reason,
        "a rejection's reason",
        ReasonRefused,
        required=True,
        max_length=MAX_REASON,
        field="reason",
    )
    assert text is not None  # required
    reason = text
    with transaction(factory) as s:
        ent, app, pv = _load(
            s,
            entitlement_id,
            lambda _, pv: require_policy_scope(
                actor, policy_ref(pv), "reject applications", Role.POLICY_REVIEWER
            ),
        )
        # Only what the enterprise submitted is decided, as for approval: a form it has not
        # sent yet is its own to complete (and an officer's rejection would shut it out).
        if ent.status != RecordStatus.SUBMITTED:
            raise _not_decided(ent)
        app.decided_at, app.decided_by, app.decision, app.reason = (
            utcnow(),
            actor.username,
            "rejected",
            reason,
        )
        ent.status, ent.status_reason = RecordStatus.REJECTED, reason
        record_event(
            s,
            actor=actor,
            kind="reject",
            uscc=ent.uscc,
            policy_version_id=pv.id,
            entity=f"application:{app.id}",
            reason=reason,
        )
        notify.enqueue(
            s,
            uscc=ent.uscc,
            kind="rejected",
            subject=f"「{pv.title_zh}」申报未通过",
            body=f"原因：{reason}",
            dedupe_key=f"decision:{pv.id}:{ent.uscc}:{ent.benefit_period}",
        )
        return Decision(ent.id, ent.status, None, None, reason)

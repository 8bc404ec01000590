"""直达快享: an enterprise confirms an offer with one call and receives the grant.

A claim locks its delivery record (SELECT … FOR UPDATE on PostgreSQL; SQLite's
BEGIN IMMEDIATE serialises writers), so 200 simultaneous claims of one offer
make one grant; claiming again returns the same grant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi import clock
from huiqi.accounts.access import Actor, require_own_enterprise
from huiqi.db.engine import transaction
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery import notify
from huiqi.delivery.audit import record_event
from huiqi.delivery.grantmaker import make_grant
from huiqi.delivery.models import Entitlement, Grant, PolicyVersion
from huiqi.delivery.outcome_text import refused_body_zh
from huiqi.delivery.retirement import retired_note
from huiqi.delivery.statuses import DeliveryMode, GrantStatus, RecordStatus, VersionStatus
from huiqi.errors import NotFoundError, StateConflict
from huiqi.money import format_yuan as yuan_text
from huiqi.policies.loader import parse_policy


class ClaimError(StateConflict):
    """The offer cannot be claimed (expired, retired, commitments not given...); a record
    that is no offer is a NotFoundError.

    ``to_attest``: the attested criteria the enterprise must confirm first, when that is
    the reason (a shell says how: the CLI's ``--attest``, the portal's check boxes);
    ``labels``: their labels (Chinese, English), for a page that names them.
    On the command line a refused claim, submission or decision exits 4, as the README's
    exit codes say (a refusal of the request, not an error of huiqi's)."""

    exit_code = 4

    def __init__(
        self,
        message: str,
        *,
        to_attest: tuple[str, ...] = (),
        labels: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(message)
        self.to_attest = to_attest
        self.labels = labels


@contextmanager
def attest_hint(how: str) -> Iterator[None]:
    """Inside it, a refusal for want of the enterprise's commitments (告知承诺) ends with
    ``how`` the shell confirms them (the API's body, the CLI's option); the bare refusal
    names no way."""
    try:
        yield
    except ClaimError as exc:
        if not exc.to_attest:
            raise
        raise type(exc)(
            f"{exc.message}; {how}", to_attest=exc.to_attest, labels=exc.labels
        ) from None


def criterion_labels(pv: PolicyVersion, ids: list[str]) -> tuple[tuple[str, str], ...]:
    """The (Chinese, English) labels of a version's criteria ``ids`` (the ledger keeps a
    criterion's id and state, the version its label)."""
    policy, _ = parse_policy(pv.source_yaml, f"{pv.policy_id}@{pv.version}")
    labels = {c.id: (c.label.zh, c.label.en) for c in policy.criteria}
    return tuple(labels.get(i, (i, i)) for i in ids)


@dataclass(frozen=True)
class ClaimResult:
    entitlement_id: int
    status: str
    grant_id: int | None
    amount_fen: int | None
    message: str
    already: bool = False


def find_entitlement(
    session: Session,
    *,
    entitlement_id: int | None = None,
    policy_id: str | None = None,
    uscc: str | None = None,
) -> Entitlement:
    """Look a delivery record up by id, or by (policy id, USCC) for the newest version."""
    if entitlement_id is not None:
        ent = session.get(Entitlement, entitlement_id)
    else:
        ent = session.scalar(
            select(Entitlement)
            .join(PolicyVersion, PolicyVersion.id == Entitlement.policy_version_id)
            .where(PolicyVersion.policy_id == policy_id, Entitlement.uscc == uscc)
            .order_by(PolicyVersion.version.desc())
        )
    if ent is None:
        what = f"id {entitlement_id}" if entitlement_id is not None else f"{policy_id} for {uscc}"
        raise NotFoundError(f"no offer or delivery record {what}")
    return ent


def refuse_other_policy(
    record_id: int,
    held: str,
    wanted: str | None,
    what: str,
    error: type[ClaimError] = ClaimError,
) -> None:
    """Refuse a record named with one policy (``wanted``) that belongs to another
    (``held``): a page of policy A posting a record of policy B said it was claimed or
    submitted for A. ``what``: "an offer", "an application"."""
    if wanted is not None and held != wanted:
        raise error(
            f"record {record_id} is {what} of {held}, not of {wanted}; reload the policy's page"
        )


def claim(
    factory: sessionmaker[Session],
    *,
    actor: Actor,
    entitlement_id: int | None = None,
    policy_id: str | None = None,
    uscc: str | None = None,
    attest: bool = False,
    today: dt.date | None = None,
) -> ClaimResult:
    """Confirm an offer (直达快享). Idempotent: a second claim returns the same grant."""
    day = today or clock.today()
    with transaction(factory) as s:
        if entitlement_id is None:
            entitlement_id = find_entitlement(s, policy_id=policy_id, uscc=uscc).id
        # Lock the record in the same read: concurrent claims of one offer queue here.
        ent = s.execute(
            select(Entitlement)
            .where(Entitlement.id == entitlement_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if ent is None:
            raise NotFoundError(f"no offer or delivery record id {entitlement_id}")
        require_own_enterprise(s, actor, ent.uscc, "claim this offer")
        if policy_id is not None:
            # The version is read once: the identity map serves the later s.get.
            named = s.get(PolicyVersion, ent.policy_version_id)
            refuse_other_policy(ent.id, named.policy_id if named else "", policy_id, "an offer")
        # An offer still 'offered' has no grant (granting moves it on): look only otherwise.
        grant = (
            None
            if ent.status == RecordStatus.OFFERED
            else s.scalar(select(Grant).where(Grant.entitlement_id == ent.id))
        )
        if grant is not None:
            # An automatic grant (免申即享) or an approved application was never claimed:
            # say how it was granted rather than "already claimed" (QA).
            how = {
                DeliveryMode.AUTO: "granted automatically (免申即享); nothing to claim",
                DeliveryMode.APPLY: "granted on its application; nothing to claim",
            }.get(DeliveryMode(ent.mode), "already claimed")
            return ClaimResult(ent.id, ent.status, grant.id, grant.amount_fen, how, already=True)
        if ent.mode != DeliveryMode.CONFIRM:
            # A record that is no offer is not found as one (404), as a record that is no
            # application is not found as one (delivery.applications): regression (qa5),
            # claiming an application was a 409, as if an offer were there in a state that
            # did not allow it. Said after the access check: only to its enterprise.
            raise NotFoundError(
                f"record {ent.id} is not an offer (直达快享) to claim: it is an application"
                " (申报); submit it instead"
                if ent.mode == DeliveryMode.APPLY
                else f"record {ent.id} is not an offer (直达快享) to claim: it is delivered"
                " automatically (免申即享), with nothing to claim"
            )
        if ent.status != RecordStatus.OFFERED:
            raise ClaimError(
                f"offer {ent.id} is '{ent.status}': {ent.status_reason or 'it cannot be claimed'}"
            )
        pv = s.get(PolicyVersion, ent.policy_version_id)
        assert pv is not None
        if pv.status == VersionStatus.RETIRED:
            raise ClaimError(f"offer {ent.id} can no longer be claimed: {retired_note(s, pv)}")
        to_attest = [
            c["id"] for c in ent.explanation.get("criteria", []) if c["state"] == "to_confirm"
        ]
        if to_attest and not attest:
            raise ClaimError(
                f"this offer needs the enterprise's commitment (告知承诺) on: {', '.join(to_attest)};"
                " confirm them to claim",
                to_attest=tuple(to_attest),
                labels=criterion_labels(pv, to_attest),
            )
        if ent.expires_on is not None and day > ent.expires_on:
            ent.status = RecordStatus.EXPIRED
            ent.status_reason = f"the offer ended on {ent.expires_on}"
            record_event(
                s,
                actor=actor,
                kind="expired",
                uscc=ent.uscc,
                policy_version_id=pv.id,
                entity=f"entitlement:{ent.id}",
                reason=ent.status_reason,
            )
            return ClaimResult(ent.id, ent.status, None, None, ent.status_reason)
        record_event(
            s,
            actor=actor,
            kind="claim",
            uscc=ent.uscc,
            policy_version_id=pv.id,
            entity=f"entitlement:{ent.id}",
            reason=reasons.CONFIRMED(),
            data={"attested": to_attest},
        )

        def tell(grant: Grant) -> None:
            amount = yuan_text(grant.amount_fen)
            body = (
                f"您已确认领取「{pv.title_zh}」，测算金额 {amount} 元；本政策预算按比例分配，"
                "实际金额在申请期结束后确定并另行通知。"
                if grant.status == GrantStatus.PROVISIONAL
                else f"您已确认领取「{pv.title_zh}」，金额 {amount} 元，将按批次拨付。"
            )
            notify.enqueue_quietly(
                s,
                uscc=ent.uscc,
                kind="granted",
                subject=f"「{pv.title_zh}」已确认领取 {amount} 元"
                if grant.status != GrantStatus.PROVISIONAL
                else f"「{pv.title_zh}」已确认领取，待按比例分配",
                body=body,
                dedupe_key=f"granted:{pv.id}:{ent.uscc}:{ent.benefit_period}",
            )

        # The notification goes in with the grant, before the policy's budget row is locked.
        out = make_grant(s, pv, ent, actor=actor, known_new=True, on_granted=tell)
        if out.grant is not None:
            return ClaimResult(
                ent.id, ent.status, out.grant.id, out.grant.amount_fen, out.reason or "granted"
            )
        notify.enqueue_quietly(
            s,
            uscc=ent.uscc,
            kind=out.status,
            subject=f"「{pv.title_zh}」未能发放",
            body=refused_body_zh(out.status),
            dedupe_key=f"{out.status}:{pv.id}:{ent.uscc}:{ent.benefit_period}",
        )
        return ClaimResult(ent.id, ent.status, None, None, out.reason or out.status)

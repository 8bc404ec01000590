"""Re-payment: a grant whose payment failed (the bank's result: a wrong or closed account)
is released by a finance officer, once its cause is addressed, to be paid in a later batch.

Releasing makes the grant ``granted`` again, so the next ``huiqi disburse export`` takes it
into a new batch; its failed item stays in the old batch with the bank's reason. One audit
event, ``repayment_released``, with the officer's reason and the failed batch. A grant is
never paid twice: only a grant whose newest item failed is released, and the database
allows a grant one live batch item (not yet settled, or paid) at most.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.roles import Role
from huiqi.delivery.audit import record_event
from huiqi.delivery.freetext import clean_text
from huiqi.delivery.models import BatchItem, Grant
from huiqi.delivery.statuses import GrantStatus, PaymentResult
from huiqi.errors import HuiqiError, NotFoundError, StateConflict

MAX_REASON = 1000


class RepaymentError(StateConflict):
    """A grant cannot be released for re-payment (not failed, paid, still in a batch...)."""


class RepaymentReasonError(HuiqiError):
    """The reason for paying again cannot be used (missing, too long, control characters):
    the officer's input, not the grant's state (HTTP 400 where RepaymentError is 409)."""


def newest_item(session: Session, grant_id: int) -> BatchItem | None:
    """The grant's newest batch item: its live one, or the one whose payment failed last."""
    return session.scalars(
        select(BatchItem).where(BatchItem.grant_id == grant_id).order_by(BatchItem.id.desc())
    ).first()


def release_for_repayment(session: Session, *, actor: Actor, grant_id: int, reason: str) -> Grant:
    """Release a grant whose payment failed, so that the next export pays it again.

    ``reason``: what was done about the failure (e.g. "bank account corrected by the
    enterprise on 2026-12-01"), kept in the audit log.

    Raises:
        NotFoundError: no such grant.
        RepaymentError: the grant's payment did not fail (paid, in a batch, not exported,
            released already).
        RepaymentReasonError: no reason was given, or one that cannot be kept.
    """
    require_role(actor, "release a failed payment for re-payment", Role.FINANCE_OFFICER)
    why = clean_text(
        reason,
        "the reason for paying again",
        RepaymentReasonError,
        required=True,
        max_length=MAX_REASON,
        field="reason",
    )
    grant = session.scalars(
        select(Grant)
        .where(Grant.id == grant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if grant is None:
        raise NotFoundError(
            f"no grant {grant_id}; 'huiqi grants --status payment_failed' lists them"
        )
    item = newest_item(session, grant_id)
    if grant.status != GrantStatus.PAYMENT_FAILED or item is None:
        raise RepaymentError(_not_failed(grant, item))
    assert item.result == PaymentResult.FAILED
    grant.status = GrantStatus.GRANTED
    record_event(
        session,
        actor=actor,
        kind="repayment_released",
        uscc=grant.uscc,
        policy_version_id=grant.policy_version_id,
        entity=f"grant:{grant.id}",
        reason=why,
        data={
            "failed_batch_id": item.batch_id,
            "failure": item.reason,
            "amount_fen": grant.amount_fen,
        },
    )
    session.flush()
    return grant


def _not_failed(grant: Grant, item: BatchItem | None) -> str:
    where = f" in batch {item.batch_id}" if item is not None else ""
    if grant.status == GrantStatus.PAID:
        return f"grant {grant.id} is paid{where}; a paid grant is never paid again"
    if grant.status == GrantStatus.IN_BATCH:
        return (
            f"grant {grant.id} is{where} awaiting its payment result; import the result"
            " ('huiqi disburse results FILE') before paying it again"
        )
    if grant.status == GrantStatus.GRANTED:
        return (
            f"grant {grant.id} is granted and not in a batch"
            f"{' (released for re-payment already)' if item is not None else ''};"
            " 'huiqi disburse export' takes it into the next batch"
        )
    return (
        f"grant {grant.id} is {grant.status}; only a grant whose payment failed"
        " is released for re-payment"
    )

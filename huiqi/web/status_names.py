"""What the pages call each status of the ledger, in the catalogue (one place).

A record's status says what was decided; a grant's status says where the money is. The
two are named apart so that a page never says money went out (已拨付) before it did: a
grant ``granted`` is approved and waits for payment (已批准，待拨付), ``in_batch`` is in a
payment file (已批准，拨付中), only ``paid`` is paid. Every status of
``huiqi.delivery.statuses`` has a name here (a test keeps it so); a code never reaches a
page as it is.
"""

from __future__ import annotations

from huiqi.web.i18n import N_

RECORD_STATUS = {
    "granted": N_("granted"),
    "offered": N_("offered"),
    "claimed": N_("claimed"),
    "expired": N_("expired"),
    "application_open": N_("application open"),
    "submitted": N_("submitted"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    # Both ways a record is excluded: the policy granted the enterprise already for the
    # period (under any version), or its group gives it a higher amount (就高不重复).
    "excluded": N_(
        "not granted: another grant of this policy or of its exclusivity group (就高不重复)"
        " covers the period"
    ),
    "superseded": N_("superseded"),
    "withdrawn": N_("withdrawn"),
    "budget_exhausted": N_("not granted: the budget is spent"),
    "capped": N_("not granted: the cap is reached"),
    "zero_amount": N_("eligible, amount 0: nothing to grant"),
    "pending_allocation": N_("waiting for the budget's allocation"),
    "pending": N_("being decided"),
}

GRANT_STATUS = {
    "provisional": N_("provisional: waiting for the budget's allocation"),
    "granted": N_("approved, awaiting payment"),
    "in_batch": N_("approved, payment in progress"),
    "paid": N_("paid"),
    "payment_failed": N_("payment failed"),
    "superseded": N_("superseded"),
    "withdrawn": N_("withdrawn after review: not paid"),
}


def record_status_name(status: str) -> str:
    """The catalogue's message for a record's status (the code itself when unknown)."""
    return RECORD_STATUS.get(status, status)


def grant_status_name(status: str) -> str:
    """The catalogue's message for a grant's status (the code itself when unknown)."""
    return GRANT_STATUS.get(status, status)


# What each kind of inbox message is about. The messages themselves are written once, in
# Chinese, as they are sent by mail and SMS; a page in another language says what each
# one is, above the text as it was sent.
MESSAGE_KIND = {
    "granted": N_("Grant notice"),
    "provisional": N_("Provisional grant: waiting for the budget's allocation"),
    "offer": N_("Offer to confirm (one click)"),
    "application": N_("Application prepared for you"),
    "offer_amount": N_("The amount of your offer changed"),
    "application_estimate": N_("The estimate of your application changed"),
    "correction_decided": N_("Your data correction was decided"),
    # The enterprise took back its submitted application (huiqi.delivery.withdrawal).
    "application_withdrawn": N_("Application withdrawn by your enterprise"),
    # A withdrawal the enterprise was told of, reversed by a later review (delivery.review).
    "review_kept": N_("Kept after review: the earlier withdrawal no longer applies"),
    "paid": N_("Money paid"),
    "payment_failed": N_("Payment failed: check your bank account"),
    # 就高不重复 (huiqi.delivery.grantmaker, huiqi.delivery.outranked).
    "superseded": N_("Replaced by a higher grant of its exclusivity group (就高不重复)"),
    "outranked": N_("No longer offered: its exclusivity group already grants you more"),
}


def message_kind_name(kind: str) -> str:
    """What an inbox message of this kind is about: its own name, else its record status's
    (approved, rejected, withdrawn, …), else a service-desk reply, else a plain message."""
    if kind in MESSAGE_KIND:
        return MESSAGE_KIND[kind]
    if kind in RECORD_STATUS:
        return RECORD_STATUS[kind]
    return N_("Service desk") if kind.startswith("desk_") else N_("Message")

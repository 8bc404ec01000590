"""What the pages call each kind of audit event, in the catalogue (one place).

The log stores a kind as a code (``grant``, ``user_changed``); a page shows its name in
the page's language, with the code beside it for an officer who searches by it. Every
kind of ``huiqi.delivery.event_kinds`` has a name here (a test keeps it so); a kind the
log holds from before, and no longer written, is shown as its code.
"""

from __future__ import annotations

from huiqi.web.i18n import N_

EVENT_NAMES = {
    # accounts and sign-in
    "admin_init": N_("First administrator created"),
    "user_added": N_("User added"),
    "user_changed": N_("User changed"),
    "user_disabled": N_("User disabled"),
    "user_enabled": N_("User enabled"),
    "login": N_("Signed in"),
    "login_failed": N_("Sign-in refused"),
    "logout": N_("Signed out"),
    "token_created": N_("API token created"),
    "token_revoked": N_("API token revoked"),
    # policies
    "draft_save": N_("Policy draft saved"),
    "draft_delete": N_("Policy draft deleted"),
    "draft_publish": N_("Policy draft published"),
    "publish": N_("Policy version published"),
    "retire": N_("Policy version retired"),
    "retire_withdraw": N_("Open offer withdrawn: version retired"),
    # delivery
    "grant": N_("Grant made"),
    "provisional_grant": N_("Provisional grant: waiting for the budget's allocation"),
    "grants_made": N_("Grants made automatically (免申即享)"),
    "allocated": N_("Budget allocated to a provisional grant"),
    "offer": N_("Offered for one-click confirmation (直达快享)"),
    "application": N_("Pre-filled application prepared"),
    "offer_amount": N_("Amount of an open offer changed"),
    "application_estimate": N_("Estimate of an open application changed"),
    "claim": N_("Offer confirmed by the enterprise"),
    "expired": N_("Offer expired unclaimed"),
    "superseded": N_("Superseded by a higher grant (就高不重复)"),
    "outranked": N_("Not offered: its exclusivity group gives more (就高不重复)"),
    "review_flag": N_("Flagged for review"),
    "review_closed": N_("Review flag closed: nothing left to decide"),
    "repayment_released": N_("Repayment released"),
    "budget_exhausted": N_("Not granted: the budget is spent"),
    "capped": N_("Not granted: the cap is reached"),
    "excluded": N_("Not granted: already granted for the period (就高不重复)"),
    "zero_amount": N_("Eligible, amount 0: nothing granted"),
    "review_keep": N_("Review: kept"),
    "review_withdraw": N_("Review: withdrawn"),
    "review_top_up": N_("Review: topped up"),
    "review_correct": N_("Review: corrected to the newer version's amount"),
    # applications
    "submit": N_("Application submitted"),
    "reject": N_("Application rejected"),
    "application_withdraw": N_("Application withdrawn by the enterprise"),
    "attach": N_("Attachment added"),
    "detach": N_("Attachment removed"),
    "attachment_read": N_("Attachment opened"),
    "rate": N_("Rated by the enterprise"),
    # money
    "batch_exported": N_("Disbursement batch exported"),
    "batch_download": N_("Disbursement file downloaded"),
    "payment_results": N_("Payment results recorded"),
    "paid": N_("Paid"),
    "payment_failed": N_("Payment failed"),
    # data
    "data_import": N_("Data imported"),
    "correction_requested": N_("Data correction requested"),
    "correction_accepted": N_("Data correction accepted"),
    "correction_rejected": N_("Data correction rejected"),
    # the service desk
    "desk_filed": N_("Request filed"),
    "desk_acknowledged": N_("Request acknowledged"),
    "desk_replied": N_("Request answered"),
    "desk_transferred": N_("Request transferred"),
    "desk_rated": N_("Answer rated"),
    "desk_reopened": N_("Request reopened"),
    "desk_closed": N_("Request closed"),
    "desk_withdrawn": N_("Request withdrawn by the enterprise"),
    "desk_dept_closed": N_("Request closed by the department"),
    "desk_reminded": N_("Reminder sent"),
    "desk_escalated": N_("Request escalated"),
    "desk_category_set": N_("Request category set"),
    "desk_route_added": N_("Routing rule added"),
    "desk_route_disabled": N_("Routing rule disabled"),
    # complaints
    "complaints_imported": N_("Complaints imported"),
    "complaints_detected": N_("Complaint detection run"),
    "complainant_professional": N_("Complainant judged professional"),
    "complainant_not_professional": N_("Complainant judged not professional"),
}


def event_name(kind: str) -> str:
    """The catalogue's name of an event kind (the code itself when it has none)."""
    return EVENT_NAMES.get(kind, kind)

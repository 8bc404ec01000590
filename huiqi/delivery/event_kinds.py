"""Every kind of audit event huiqi writes, in one place.

The writers (``record_event`` and ``record_events`` across the packages) name their
kind where they write it; this list is what a page names and an officer filters by. A
test scans the package's source for every writer and fails when one writes a kind that
is not here, and another fails when a kind here has no name on the pages
(``huiqi.web.event_names``): a new kind of event cannot be added without its name.

The kinds that a writer builds from a value (``f"review_{outcome}"``, a record's status)
are listed from that value's own list, so that a new outcome or step is a new kind here.
"""

from __future__ import annotations

from huiqi.delivery.statuses import RecordStatus
from huiqi.desk.models import STEP_KINDS

# Kinds a writer builds as prefix + value: the prefix and every value it may take.
FAMILIES: dict[str, tuple[str, ...]] = {
    # an officer's decision on a flagged record (huiqi.delivery.review.Outcome, '-' as '_')
    "review_": ("keep", "withdraw", "top_up", "correct"),
    # a steward's decision on a correction request (huiqi.delivery.corrections)
    "correction_": ("accepted", "rejected"),
    # an officer's decision on a complainant (huiqi.complaints.service)
    "complainant_": ("professional", "not_professional"),
    # a step of a service-desk request (huiqi.desk.handling.step, huiqi.desk.models)
    "desk_": STEP_KINDS,
}

# A record refused a grant, written with its status as the kind (huiqi.delivery.grantmaker,
# huiqi.delivery.auto, huiqi.delivery.once, huiqi.delivery.zero).
REFUSED_STATUSES: tuple[str, ...] = (
    RecordStatus.BUDGET_EXHAUSTED.value,
    RecordStatus.CAPPED.value,
    RecordStatus.EXCLUDED.value,
    RecordStatus.ZERO_AMOUNT.value,
)

_WRITTEN: tuple[str, ...] = (
    # accounts and sign-in (huiqi.accounts)
    "admin_init",
    "user_added",
    "user_changed",
    "user_disabled",
    "user_enabled",
    "login",
    "login_failed",
    "logout",
    "token_created",
    "token_revoked",
    # policies: drafts, versions, jobs (huiqi.delivery.drafts, versions, publishjob)
    "draft_save",
    "draft_delete",
    "draft_publish",
    "publish",
    "retire",
    "retire_withdraw",
    # delivery: records and grants
    "grant",
    "provisional_grant",
    "grants_made",
    "allocated",
    "offer",
    "application",
    "offer_amount",
    "application_estimate",
    "claim",
    "expired",
    "superseded",
    "outranked",
    "review_flag",
    "review_closed",
    "repayment_released",
    # applications (huiqi.delivery.applications, withdrawal, attachments)
    "submit",
    "reject",
    "application_withdraw",
    "attach",
    "detach",
    "attachment_read",
    "rate",
    # money (huiqi.delivery.disburse, batchfiles, payments)
    "batch_exported",
    "batch_download",
    "payment_results",
    "paid",
    "payment_failed",
    # data (huiqi.profiles, huiqi.delivery.corrections)
    "data_import",
    "correction_requested",
    # the service desk's set-up and complaints (huiqi.desk, huiqi.complaints)
    "desk_category_set",
    "desk_route_added",
    "desk_route_disabled",
    "complaints_imported",
    "complaints_detected",
)

KINDS: tuple[str, ...] = tuple(
    dict.fromkeys(
        _WRITTEN
        + REFUSED_STATUSES
        + tuple(prefix + value for prefix, values in FAMILIES.items() for value in values)
    )
)

"""The statuses of delivery records, grants, applications and batches, as enums.

Each is a ``StrEnum``, so it is stored and compared as its text value.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TypeVar

from huiqi.errors import HuiqiError

E = TypeVar("E", bound=StrEnum)


class RecordStatus(StrEnum):
    """A delivery record's status (``entitlements.status``)."""

    GRANTED = "granted"
    OFFERED = "offered"
    CLAIMED = "claimed"
    EXPIRED = "expired"
    APPLICATION_OPEN = "application_open"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXCLUDED = "excluded"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"  # an officer withdrew it after a review flag
    BUDGET_EXHAUSTED = "budget_exhausted"
    CAPPED = "capped"
    # Eligible, but the amount formula gives 0: nothing to grant, offer or apply for; the
    # record lets officers see and count it (huiqi.delivery.zero).
    ZERO_AMOUNT = "zero_amount"
    PENDING_ALLOCATION = "pending_allocation"
    PENDING = "pending"  # inserted, about to be granted or refused in the same transaction


# A record in one of these statuses gave the enterprise nothing (such as a new version's
# record excluded behind the earlier version's grant): withdrawing it has nothing to undo,
# and nothing is to be recovered from the enterprise (huiqi.delivery.review).
GAVE_NOTHING = (
    RecordStatus.EXCLUDED,
    RecordStatus.EXPIRED,
    RecordStatus.REJECTED,
    RecordStatus.SUPERSEDED,
    RecordStatus.BUDGET_EXHAUSTED,
    RecordStatus.CAPPED,
    RecordStatus.ZERO_AMOUNT,
)


class GrantStatus(StrEnum):
    PROVISIONAL = "provisional"
    GRANTED = "granted"
    IN_BATCH = "in_batch"
    PAID = "paid"
    PAYMENT_FAILED = "payment_failed"
    SUPERSEDED = "superseded"
    # Withdrawn after review before it was sent for payment: it never will be, and it no
    # longer counts (budget, cap, exclusivity, one grant per policy and period).
    WITHDRAWN = "withdrawn"


# A pro-rata version's grants that say nothing of whether its allocation was made: those
# waiting for it, and those undone (superseded or withdrawn), which hold none of its budget.
# Any other grant of the version was allocated (QA, qa6: a withdrawn or superseded
# provisional grant read as an allocation made, and refused the allocation of the rest).
NOT_ALLOCATED = (GrantStatus.PROVISIONAL, GrantStatus.SUPERSEDED, GrantStatus.WITHDRAWN)


class NotificationStatus(StrEnum):
    """An outbox row's status; inbox rows are sent when they are written."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender; taken over when its lease runs out
    SENT = "sent"
    FAILED = "failed"


class BatchStatus(StrEnum):
    EXPORTED = "exported"
    SETTLED = "settled"  # a result recorded for every grant in it


class PaymentResult(StrEnum):
    """A row of the bank's payment result file."""

    PAID = "paid"
    FAILED = "failed"


class VersionStatus(StrEnum):
    PUBLISHED = "published"
    RETIRED = "retired"  # no longer matched or offered; what was granted stays granted


class BudgetMode(StrEnum):
    FIRST_COME = "first_come"  # granted in USCC order until the budget is spent
    PRO_RATA = "pro_rata"  # everyone provisional, then shared in proportion


class DeliveryMode(StrEnum):
    AUTO = "auto"  # 免申即享
    CONFIRM = "confirm"  # 直达快享
    APPLY = "apply"  # 申报


class MatchStatus(StrEnum):
    ELIGIBLE = "eligible"
    NEAR_MISS = "near_miss"
    NEEDS_DATA = "needs_data"
    NOT_ELIGIBLE = "not_eligible"


class UnknownStatus(HuiqiError):
    """A status filter names no status of its kind."""


def _words(name: str) -> str:
    """A class name as words: GrantStatus -> grant status."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


def parse_status(kind: type[E], text: str) -> E:
    """``text`` as a member of ``kind``, or a clear error listing the valid values."""
    try:
        return kind(text.strip())
    except ValueError:
        raise UnknownStatus(
            f"'{text}' is not a {_words(kind.__name__)}; use one of:"
            f" {', '.join(m.value for m in kind)}"
        ) from None

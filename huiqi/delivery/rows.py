"""The typed rows the ledger's read operations return (``huiqi.delivery.service``):
plain frozen values, safe to render, serialise (``--json``, the API) or compare."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


def shown_estimate(match_status: str, fen: int | None) -> int | None:
    """The amount a record or an application shows. A near miss's formula may give nothing
    on today's data, when the criterion it misses is what makes the amount (R&D that did
    not grow has no increase to pay 10 % of): it has no estimate yet, never '0.00 yuan'."""
    return None if match_status == "near_miss" and not fen else fen


@dataclass(frozen=True)
class RecordRow:
    id: int
    uscc: str
    policy_id: str
    version: int
    title_zh: str
    mode: str
    status: str
    # As it is now: 'not_eligible' while a later snapshot's re-match has flagged the record,
    # else its match at delivery, 'eligible' or 'near_miss' (listing_queries.match_now).
    match_status: str
    amount_fen: int | None
    expires_on: dt.date | None
    review_flag: bool
    reason: str | None
    updated_at: dt.datetime
    # What the record's live grant gives, where it has one: less than ``amount_fen`` under
    # a cap, a shared cap or a 就高不重复 top-up (the difference only).
    granted_fen: int | None = None
    # For a record flagged as no longer eligible, the conditions its enterprise fails on
    # the snapshot that flagged it (huiqi.delivery.lost_criteria); None for a flag raised
    # before they were recorded, for other flags and once the flag is decided.
    review_criteria: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount_fen", shown_estimate(self.match_status, self.amount_fen))

    @property
    def conditions_incomplete(self) -> bool:
        """Whether the flag's conditions are in their stored form, a criterion without
        its labels, which its version completes (``huiqi.delivery.flag_view``)."""
        stored = self.review_criteria
        if not isinstance(stored, dict):
            return False
        return any("label" not in c for c in stored.get("criteria") or ())


@dataclass(frozen=True)
class GrantRow:
    id: int
    uscc: str
    policy_id: str
    version: int
    benefit_period: str
    amount_fen: int
    requested_fen: int
    status: str
    created_at: dt.datetime
    paid_at: dt.datetime | None


@dataclass(frozen=True)
class ApplicationRow:
    record_id: int
    application_id: int
    uscc: str
    policy_id: str
    version: int
    status: str
    match_status: str
    estimated_fen: int | None
    to_attest: list[str]
    submitted_at: dt.datetime | None
    decision: str | None
    reason: str | None
    decidable: bool

    def __post_init__(self) -> None:
        estimate = shown_estimate(self.match_status, self.estimated_fen)
        object.__setattr__(self, "estimated_fen", estimate)


@dataclass(frozen=True)
class VersionRow:
    id: int
    policy_id: str
    version: int
    title_zh: str
    delivery: str
    level: str
    region: str
    department: str | None
    content_hash: str
    budget_fen: int | None
    committed_fen: int
    status: str
    published_at: dt.datetime
    published_by: str


@dataclass(frozen=True)
class EventRow:
    id: int
    chain: int
    seq: int
    at: dt.datetime
    actor: str
    kind: str
    uscc: str | None
    entity: str | None
    reason: str | None
    data: dict[str, Any] | None


@dataclass(frozen=True)
class BatchRow:
    id: int
    created_at: dt.datetime
    created_by: str
    status: str
    grants: int
    total_fen: int
    csv_path: str | None
    xlsx_path: str | None

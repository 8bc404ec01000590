"""The typed rows the ledger's read operations return (``huiqi.delivery.service``):
plain frozen values, safe to render, serialise (``--json``, the API) or compare."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


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

"""The API's types for the portal's services beyond the ledger's listings: "my data" and
correction requests, ratings, near misses, the review queue and the dashboard's totals.

Each ``XPublic`` is read from the service's frozen row (``from_attributes``); amounts are
integer fen with the exact yuan text beside them (``amounts.yuan``), figures exact
decimals written as text, never floats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, computed_field

from huiqi.web.api.amounts import yuan, yuan_of
from huiqi.web.api.fields import NotBlank, NotBoolean, RequestBody
from huiqi.web.api.schemas import TextPublic
from huiqi.web.api.times import Utc


class _Row(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class HeldValuePublic(_Row):
    field: str
    label_zh: str
    label_en: str
    type: str
    year: int | None
    value: Any
    unit: str | None
    source: str
    source_zh: str
    source_en: str
    open_request: int | None
    value_zh: str | None = None
    value_en: str | None = None
    correctable: bool = True


class HeldCertificatePublic(_Row):
    field: str
    label_zh: str
    label_en: str
    valid_from: dt.date
    valid_to: dt.date
    source: str


class MyDataPublic(_Row):
    uscc: str
    name: str | None
    snapshot_id: int
    values: list[HeldValuePublic]
    certificates: list[HeldCertificatePublic]


Text = Annotated[str, Field(max_length=2000)]


class CorrectionCreate(RequestBody):
    """A value reported as wrong: the field, its year (yearly fields), the right value."""

    uscc: Annotated[str | None, Field(max_length=18)] = None
    field: Annotated[str, Field(max_length=64)]
    year: Annotated[int | None, Field(ge=1900, le=2200), NotBoolean] = None
    value: Annotated[
        str | StrictInt | StrictBool, Field(description="as text, a whole number or true/false")
    ]
    comment: Text | None = None


class CorrectionDecide(RequestBody):
    accept: StrictBool
    reason: Text


class CorrectionPublic(_Row):
    id: int
    uscc: str
    field: str
    label_zh: str
    year: int | None
    source: str
    held_value: Any
    proposed_value: Any
    comment: str | None
    status: str
    reason: str | None
    requested_by: str
    requested_at: Utc
    decided_by: str | None
    decided_at: Utc | None


class RatingCreate(RequestBody):
    """Rate a grant (``grant_id``) or a decision without a grant (``entitlement_id``)."""

    stars: Annotated[int, Field(ge=1, le=5), NotBoolean]
    comment: Text | None = None
    grant_id: Annotated[int | None, Field(ge=1, le=2**62), NotBoolean] = None
    entitlement_id: Annotated[int | None, Field(ge=1, le=2**62), NotBoolean] = None


class RatingPublic(_Row):
    id: int
    uscc: str
    policy_id: str
    version: int
    title_zh: str
    grant_id: int | None
    entitlement_id: int | None
    stars: int
    comment: str | None
    rated_by: str
    created_at: Utc


class GapPublic(_Row):
    field: str
    label_zh: str
    label_en: str
    year: int | None
    actual: Decimal
    required: Decimal
    op: str
    unit: str | None
    source: str
    # How far the figure must move to meet the threshold, in its unit (exact): short by
    # it (>=, >) or over by it (<=, <); beyond: by more than it (a strict comparison of
    # a figure that is not a whole count).
    shortfall: Decimal = Field(validation_alias="needed")
    direction: Literal["short", "over"]
    beyond: bool


class NearMissHeldPublic(_Row):
    """What the enterprise holds that makes a near miss give less, or nothing."""

    kind: Literal["granted", "outranked", "capped", "replaces", "group"]
    obtainable: bool  # replaces: yes, its amount; group: only if it gives more; else no
    period: str
    policy_id: str
    title_zh: str
    amount_fen: int
    group: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def amount_yuan(self) -> str | None:
        return yuan(self.amount_fen)


class NearMissPublic(_Row):
    policy_id: str
    version: int
    title_zh: str
    title_en: str
    delivery: str
    criterion_id: str
    criterion_zh: str
    criterion_en: str
    gap: GapPublic | None  # None: an attainable qualification, no figure
    text_zh: str
    text_en: str
    met: int
    total: int
    amount_fen: int | None  # what it could receive given the grants it holds
    held: NearMissHeldPublic | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def amount_yuan(self) -> str | None:
        return yuan(self.amount_fen)


class ApplicationPublic(_Row):
    # The record's id is the application's number everywhere (the API's
    # /applications/{id}/approve, the CLI, the pages); the form's own row id is not shown,
    # so it cannot be taken for it (an officer approved the wrong enterprise's that way).
    record_id: int
    uscc: str
    policy_id: str
    version: int
    status: str
    match_status: str
    estimated_fen: int | None
    to_attest: list[str]
    submitted_at: Utc | None
    decision: str | None
    reason: str | None
    decidable: bool

    @computed_field  # type: ignore[prop-decorator]
    @property
    def estimated_yuan(self) -> str | None:
        return yuan(self.estimated_fen)


class RejectRequest(RequestBody):
    reason: Annotated[str, Field(min_length=1, max_length=1000), NotBlank]


class ReviewRequest(RequestBody):
    """An officer's decision on a record flagged for review."""

    decision: Literal["keep", "withdraw", "top-up", "correct"]
    reason: Annotated[str, Field(min_length=1, max_length=2000), NotBlank]


class ReviewPublic(_Row):
    record_id: int
    outcome: str
    status: str
    grant_id: int | None
    message: str


class TotalPublic(_Row):
    policy_id: str | None
    title: TextPublic | None = Field(
        default=None,
        description="the policy's title (zh, en) as the catalogue names it, when grouped by"
        " policy; its newest version's for a policy every version of which is retired",
    )
    status: str | None
    district: str | None
    department: str | None
    month: str | None
    n: int
    amount_fen: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def amount_yuan(self) -> str:
        return yuan_of(self.amount_fen)


class ModeSharePublic(_Row):
    policies: int = Field(description="in force: each policy's newest published version")
    auto: int = Field(description="免申即享")
    confirm: int = Field(description="直达快享")
    apply: int = Field(description="申报")
    share: Decimal | None = Field(description="(auto + confirm) / policies, 0–1")


class BudgetUsePublic(_Row):
    policy_id: str
    version: int
    title_zh: str
    budget_fen: int
    committed_fen: int
    used: Decimal | None = Field(description="committed / budget, 0–1")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def budget_yuan(self) -> str:
        return yuan_of(self.budget_fen)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def committed_yuan(self) -> str:
        return yuan_of(self.committed_fen)


class ConversionPublic(_Row):
    policy_id: str
    title_zh: str = Field(description="the Chinese title of the policy's newest version")
    claimed: int
    waiting: int = Field(description="offers not yet claimed")
    expired: int
    rate: Decimal | None = Field(description="claimed / (claimed + waiting + expired)")


class TimeToMoneyPublic(_Row):
    payments: int = Field(description="the newest payments the figures are over")
    median_days: Decimal | None
    p90_days: Decimal | None


class IndicatorsPublic(_Row):
    modes: ModeSharePublic
    budgets: list[BudgetUsePublic]
    conversion: list[ConversionPublic]
    time_to_money: TimeToMoneyPublic


class AttachmentPublic(_Row):
    id: int
    record_id: int
    uscc: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    created_at: Utc
    # Which of the policy's listed documents (申报材料) the file is, by its Chinese name.
    document: str | None = None

"""The API's response types (``XPublic``): what callers see, amounts in fen with the
exact yuan text beside them (``amounts.yuan``: "1234.00"; nothing is a float)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from huiqi.catalogue.service import PolicyCard
from huiqi.delivery.applications import Decision
from huiqi.delivery.claims import ClaimResult
from huiqi.delivery.rows import GrantRow, RecordRow
from huiqi.web.api.amounts import yuan, yuan_of
from huiqi.web.api.fields import RequestBody
from huiqi.web.api.times import Utc
from huiqi.web.error_codes import ErrorCode


class TextPublic(BaseModel):
    zh: str
    en: str


class SourcePublic(BaseModel):
    document: str
    article: str | None
    url: str | None
    issued: dt.date | None


class CriterionLabelPublic(BaseModel):
    id: str
    label: TextPublic
    attested: bool


class DocumentLabelPublic(BaseModel):
    zh: str
    en: str | None  # a document may be named in Chinese only


class DocumentPublic(BaseModel):
    """One material the applicant attaches to an application (申报材料)."""

    label: DocumentLabelPublic
    required: bool


class PolicyPublic(BaseModel):
    policy_id: str
    version: int
    title: TextPublic
    summary: TextPublic | None
    department: TextPublic
    contact: str | None
    level: str
    region: str
    district: TextPublic | None
    mode: str
    valid_from: dt.date
    valid_to: dt.date
    max_fen: int | None
    max_yuan: str | None
    source: SourcePublic

    @classmethod
    def of(cls, card: PolicyCard) -> PolicyPublic:
        return cls(
            policy_id=card.policy_id,
            version=card.version,
            title=TextPublic(zh=card.title.zh, en=card.title.en),
            summary=TextPublic(zh=card.summary.zh, en=card.summary.en) if card.summary else None,
            department=TextPublic(zh=card.department.zh, en=card.department.en),
            contact=card.contact,
            level=card.level,
            region=card.region,
            district=TextPublic(zh=card.district.zh, en=card.district.en)
            if card.district
            else None,
            mode=card.delivery,
            valid_from=card.valid_from,
            valid_to=card.valid_to,
            max_fen=card.max_fen,
            max_yuan=yuan(card.max_fen),
            source=SourcePublic(
                document=card.source.document,
                article=card.source.article,
                url=card.source.url,
                issued=card.source.issued,
            ),
        )


class PolicyDetailPublic(PolicyPublic):
    amount_formula: str
    criteria: list[CriterionLabelPublic]
    tags: list[str]
    # The materials to attach to an application (申报 policies only; empty otherwise).
    documents: list[DocumentPublic]

    @classmethod
    def detail(cls, card: PolicyCard) -> PolicyDetailPublic:
        base = PolicyPublic.of(card).model_dump()
        return cls(
            **base,
            amount_formula=card.amount_formula,
            criteria=[
                CriterionLabelPublic(
                    id=c.id, label=TextPublic(zh=c.label.zh, en=c.label.en), attested=c.attested
                )
                for c in card.criteria
            ],
            tags=list(card.tags),
            documents=[
                DocumentPublic(
                    label=DocumentLabelPublic(zh=d.label.zh, en=d.label.en), required=d.required
                )
                for d in card.documents
            ],
        )


class MePublic(BaseModel):
    username: str
    roles: list[str]
    enterprise: str | None


class FlagGapPublic(BaseModel):
    """A failing threshold: the enterprise's figure against it, exact, in the field's unit
    (yuan for money, per cent for a ratio), as an explanation's ``gap``."""

    field: str
    year: int | None
    unit: str | None
    op: str
    actual: str
    required: str
    shortfall: str
    direction: str = Field(description="short: the figure must rise; over: come down")
    beyond: bool = Field(description="it must move by more than the shortfall (> or <)")
    text: TextPublic  # the figure, the threshold and the distance
    label: TextPublic  # the figure's
    figures: TextPublic  # the figure and the threshold, without the distance


class FlagCriterionPublic(BaseModel):
    """A criterion the enterprise fails (not_met) or lacks data for (unknown), as its
    trace has it: labels, rule, the values read (column -> value) and their fields."""

    id: str
    label: str
    label_en: str
    expression: str | None
    state: str
    values: dict[str, Any]
    fields: dict[str, Any]
    gap: FlagGapPublic | None = None
    zero_divisor: TextPublic | None = None
    withheld: list[str] = Field(
        [], description="columns read whose personal value (a founder's) is not shown"
    )


class FlagConditionsPublic(BaseModel):
    """Why a record is flagged as no longer eligible, as found when it was flagged."""

    snapshot_id: int
    status: str = Field(
        description="the enterprise's match on that snapshot: not_eligible, needs_data,"
        " near_miss, or absent (no longer in the snapshot: no criteria)"
    )
    criteria: list[FlagCriterionPublic]
    version: int | None = Field(
        None,
        description="the newer version of the policy whose criteria these are, when it is not"
        " the record's own: the newest version found the enterprise no longer eligible and"
        " flagged what an earlier version still holds for it",
    )


class RecordPublic(BaseModel):
    id: int
    uscc: str
    policy_id: str
    version: int
    title_zh: str
    mode: str
    status: str
    match_status: str = Field(
        description="eligible or near_miss as matched at delivery; not_eligible while a later"
        " snapshot's re-match has flagged the record as no longer eligible (review_flag)"
    )
    amount_fen: int | None
    amount_yuan: str | None
    expires_on: dt.date | None
    review_flag: bool
    reason: str | None
    updated_at: Utc
    granted_fen: int | None = Field(
        None,
        description="what the record's live grant gives, where it has one: less than"
        " amount_fen under a cap or for a 就高不重复 top-up (the difference only)",
    )
    granted_yuan: str | None = None
    review_criteria: FlagConditionsPublic | None = Field(
        None,
        description="for a record flagged as no longer eligible, the conditions its"
        " enterprise fails on the snapshot that flagged it; null for a flag raised before"
        " they were recorded (the conditions were not recorded), for other flags, and once"
        " the flag is decided",
    )

    @classmethod
    def of(cls, r: RecordRow) -> RecordPublic:
        return cls(
            id=r.id,
            uscc=r.uscc,
            policy_id=r.policy_id,
            version=r.version,
            title_zh=r.title_zh,
            mode=r.mode,
            status=r.status,
            match_status=r.match_status,
            amount_fen=r.amount_fen,
            amount_yuan=yuan(r.amount_fen),
            expires_on=r.expires_on,
            review_flag=r.review_flag,
            reason=r.reason,
            updated_at=r.updated_at,
            granted_fen=r.granted_fen,
            granted_yuan=yuan(r.granted_fen),
            review_criteria=(
                None
                if r.review_criteria is None
                else FlagConditionsPublic.model_validate(r.review_criteria)
            ),
        )


class GrantPublic(BaseModel):
    id: int
    uscc: str
    policy_id: str
    version: int
    benefit_period: str
    amount_fen: int
    amount_yuan: str
    status: str
    created_at: Utc
    paid_at: Utc | None

    @classmethod
    def of(cls, g: GrantRow) -> GrantPublic:
        return cls(
            id=g.id,
            uscc=g.uscc,
            policy_id=g.policy_id,
            version=g.version,
            benefit_period=g.benefit_period,
            amount_fen=g.amount_fen,
            amount_yuan=yuan_of(g.amount_fen),
            status=g.status,
            created_at=g.created_at,
            paid_at=g.paid_at,
        )


class ClaimRequest(RequestBody):
    # JSON true/false only: "yes", 1 or "0" are a 422 naming the field, never a guess.
    attest: StrictBool = False


class WithdrawRequest(RequestBody):
    """Why the enterprise takes back what it sent (optional; the audit log keeps it)."""

    reason: Annotated[str | None, Field(max_length=1000)] = None


class DecisionPublic(BaseModel):
    record_id: int
    status: str
    grant_id: int | None
    amount_fen: int | None
    amount_yuan: str | None
    message: str

    @classmethod
    def of(cls, d: Decision | ClaimResult) -> DecisionPublic:
        return cls(
            record_id=d.entitlement_id,
            status=d.status,
            grant_id=d.grant_id,
            amount_fen=d.amount_fen,
            amount_yuan=yuan(d.amount_fen),
            message=d.message,
        )


class ClaimPublic(DecisionPublic):
    """A claim's outcome: a decision's, and whether the grant was there already."""

    already: bool

    @classmethod
    def of(cls, d: Decision | ClaimResult) -> ClaimPublic:
        assert isinstance(d, ClaimResult)
        return cls(**DecisionPublic.of(d).model_dump(), already=d.already)


class MessagePublic(BaseModel):
    # Read from the notification's own attributes, which have the same names.
    model_config = ConfigDict(from_attributes=True)

    id: int
    uscc: str
    kind: str
    subject: str
    body: str
    created_at: Utc
    read_at: Utc | None


class ErrorPublic(BaseModel):
    """A refusal (docs/api.md "Status codes"): ``code`` is for a program, stable and the
    same in every language; ``error`` (a title) and ``detail`` are for a person."""

    error: str = Field(description="a title for the refusal")
    code: ErrorCode = Field(description="what kind of refusal, for a program to test")
    field: str | None = Field(
        description="the request's field (body field or query parameter) the refusal is"
        " about, or null when it is about no single one"
    )
    detail: str = Field(description="what is wrong and what to do")

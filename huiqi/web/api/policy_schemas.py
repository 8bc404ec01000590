"""The console API's types for policies, drafts, versions and simulations (``XPublic``;
amounts in fen with the exact yuan text beside them, ``amounts.yuan``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, Field

from huiqi.delivery.drafts import DraftView
from huiqi.delivery.models import PolicyVersion
from huiqi.delivery.policy_lines import PolicyLine, VersionLine
from huiqi.matching.simulate import Simulation
from huiqi.web.api.amounts import yuan, yuan_of
from huiqi.web.api.fields import NotBlank, NotBoolean, RequestBody
from huiqi.web.api.times import Utc


class DraftSave(RequestBody):
    text: str = Field(max_length=200_000, description="the policy's YAML")


class RetireRequest(RequestBody):
    reason: Annotated[
        str, Field(min_length=1, max_length=500, description="why, for the audit log"), NotBlank
    ]


class VersionPublic(BaseModel):
    id: int
    policy_id: str
    version: int
    status: str
    published_at: Utc
    published_by: str
    budget_fen: int | None
    budget_yuan: str | None
    committed_fen: int
    committed_yuan: str
    content_hash: str

    @classmethod
    def of(cls, v: VersionLine | PolicyVersion, policy_id: str | None = None) -> VersionPublic:
        return cls(
            id=v.id,
            policy_id=policy_id or str(getattr(v, "policy_id", "")),
            version=v.version,
            status=v.status,
            published_at=v.published_at,
            published_by=v.published_by,
            budget_fen=v.budget_fen,
            budget_yuan=yuan(v.budget_fen),
            committed_fen=v.committed_fen,
            committed_yuan=yuan_of(v.committed_fen),
            content_hash=v.content_hash,
        )


class ProblemPublic(BaseModel):
    severity: str
    message: str
    line: int | None
    column: int | None
    field: str | None


class CasePublic(BaseModel):
    name: str
    ok: bool
    message: str


class LintPublic(BaseModel):
    ok: bool
    errors: int
    passed: int
    failed: int
    problems: list[ProblemPublic]
    cases: list[CasePublic]

    @classmethod
    def of(cls, lint: dict[str, Any]) -> LintPublic:
        return cls.model_validate(lint)


class DraftPublic(BaseModel):
    policy_id: str
    saved: bool
    base_version: int | None
    published_version: int | None
    text: str
    author: str | None
    updated_at: Utc | None
    lint: LintPublic | None

    @classmethod
    def of(cls, view: DraftView) -> DraftPublic:
        d = view.draft
        return cls(
            policy_id=view.policy_id,
            saved=d is not None,
            base_version=d.base_version if d else None,
            published_version=view.published.version if view.published else None,
            text=view.text,
            author=d.author if d else None,
            updated_at=d.updated_at if d else None,
            lint=LintPublic.of(view.lint) if view.lint else None,
        )


class PolicyLinePublic(BaseModel):
    policy_id: str
    title_zh: str
    department: str | None
    delivery: str | None
    level: str
    region: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    status: str
    budget_fen: int | None
    budget_yuan: str | None
    committed_fen: int
    committed_yuan: str
    versions: list[VersionPublic]
    draft_updated_at: Utc | None

    @classmethod
    def of(cls, line: PolicyLine) -> PolicyLinePublic:
        return cls(
            policy_id=line.policy_id,
            title_zh=line.title_zh,
            department=line.department,
            delivery=line.delivery,
            level=line.level,
            region=line.region,
            valid_from=line.valid_from,
            valid_to=line.valid_to,
            status=line.status,
            budget_fen=line.budget_fen,
            budget_yuan=yuan(line.budget_fen),
            committed_fen=line.committed_fen,
            committed_yuan=yuan_of(line.committed_fen),
            versions=[VersionPublic.of(v, line.policy_id) for v in line.versions],
            draft_updated_at=line.draft.updated_at if line.draft else None,
        )


class SimulateRequest(RequestBody):
    """What to simulate: a policy's YAML (``text``), or a policy kept in the ledger
    (``policy_id``: its draft, else its newest published version; with ``version``, that
    published version). One of ``text`` and ``policy_id``."""

    text: str | None = Field(default=None, max_length=200_000, description="a policy's YAML")
    policy_id: str | None = Field(
        default=None, min_length=1, max_length=120, pattern=r"^[a-z][a-z0-9_-]*$"
    )
    version: Annotated[int | None, Field(default=None, ge=1, le=2**31 - 1), NotBoolean]
    snapshot_id: Annotated[int | None, Field(default=None, ge=1, le=2**62), NotBoolean]
    sample: Annotated[
        int,
        Field(default=20, ge=0, le=1000, description="USCCs of those who gain or lose"),
        NotBoolean,
    ]


class BucketPublic(BaseModel):
    key: str | None
    label_zh: str
    label_en: str
    eligible: int
    needs_data: int
    amount_fen: int
    amount_yuan: str


class CriterionCountPublic(BaseModel):
    id: str
    label_zh: str
    label_en: str
    near_misses: int


class ComparisonPublic(BaseModel):
    version: int
    content_hash: str
    eligible_before: int
    eligible_fen_before: int
    eligible_yuan_before: str
    gained: int
    lost: int
    amount_changed: int
    gained_sample: list[str]
    lost_sample: list[str]


class SimulationPublic(BaseModel):
    """What the console's simulation shows (``matching.simulate.Simulation``)."""

    policy_id: str
    version: int
    snapshot_id: int
    enterprises: int
    eligible: int
    near_miss: int
    needs_data: int
    not_eligible: int
    errors: int
    total_fen: int
    total_yuan: str
    budget_fen: int | None
    budget_yuan: str | None
    over_budget: bool
    budget_left_fen: int | None
    budget_left_yuan: str | None
    near_misses: list[CriterionCountPublic]
    breakdowns: dict[str, list[BucketPublic]]
    comparison: ComparisonPublic | None
    seconds: float

    @classmethod
    def of(cls, sim: Simulation) -> SimulationPublic:
        c = sim.comparison
        return cls(
            policy_id=sim.policy_id,
            version=sim.version,
            snapshot_id=sim.snapshot_id,
            enterprises=sim.enterprises,
            eligible=sim.eligible,
            near_miss=sim.near_miss,
            needs_data=sim.needs_data,
            not_eligible=sim.not_eligible,
            errors=sim.errors,
            total_fen=sim.total_fen,
            total_yuan=yuan_of(sim.total_fen),
            budget_fen=sim.budget_fen,
            budget_yuan=yuan(sim.budget_fen),
            over_budget=sim.over_budget,
            budget_left_fen=sim.budget_left_fen,
            budget_left_yuan=yuan(sim.budget_left_fen),
            near_misses=[CriterionCountPublic.model_validate(n.__dict__) for n in sim.near_misses],
            breakdowns={
                name: [
                    BucketPublic(**b.__dict__, amount_yuan=yuan_of(b.amount_fen)) for b in buckets
                ]
                for name, buckets in sim.breakdowns.items()
            },
            comparison=None
            if c is None
            else ComparisonPublic(
                version=c.version,
                content_hash=c.content_hash,
                eligible_before=c.eligible_before,
                eligible_fen_before=c.eligible_fen_before,
                eligible_yuan_before=yuan_of(c.eligible_fen_before),
                gained=c.gained,
                lost=c.lost,
                amount_changed=c.amount_changed,
                gained_sample=list(c.gained_sample),
                lost_sample=list(c.lost_sample),
            ),
            seconds=sim.seconds,
        )

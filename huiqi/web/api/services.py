"""``/api/v1`` for the portal's services: an enterprise's data and its correction requests,
ratings and near misses; the officers' review queue, correction queue and dashboard totals.
Each endpoint calls one service function, which checks access."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from huiqi.accounts.roles import POLICY_ROLES, Role
from huiqi.catalogue.service import Bilingual, policy_titles
from huiqi.db.engine import reading, transaction
from huiqi.delivery import applications
from huiqi.delivery import service as ledger
from huiqi.delivery.corrections import (
    decide_correction,
    list_corrections,
    request_correction,
    require_steward,
)
from huiqi.delivery.dashboard import totals
from huiqi.delivery.indicators import indicators
from huiqi.delivery.known_policies import require_published
from huiqi.delivery.listing_access import READ_ALL
from huiqi.delivery.ratings import rate
from huiqi.delivery.review import require_reviewer, resolve_flag
from huiqi.matching.mydata import my_data
from huiqi.matching.nearmiss import near_misses
from huiqi.web.api.schemas import DecisionPublic, TextPublic
from huiqi.web.api.service_schemas import (
    ApplicationPublic,
    CorrectionCreate,
    CorrectionDecide,
    CorrectionPublic,
    IndicatorsPublic,
    MyDataPublic,
    NearMissPublic,
    RatingCreate,
    RatingPublic,
    RejectRequest,
    ReviewPublic,
    ReviewRequest,
    TotalPublic,
)
from huiqi.web.api.v1 import ERRORS, EXPLAIN_READERS, POLICY_IDS, Limit, Page, Uscc
from huiqi.web.deps import (
    ApiWriter,
    AppSettings,
    Factory,
    SignedIn,
    Who,
    actor_of,
    checked_first,
    role_gate,
)
from huiqi.web.portal import enterprise_of

router = APIRouter(prefix="/api/v1", responses=ERRORS)
Id = Annotated[int, Path(ge=1, le=2**62)]
Short = Annotated[str | None, Query(max_length=200)]
Month = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
Dimension = Literal["policy", "status", "district", "department", "month"]
# Deciders, refused (403) before their decision's body is validated when their role may
# not decide at all (a finance officer's invalid review decision read 400).
Reviewer = Annotated[Who, checked_first(require_reviewer)]
# Who reads the dashboards (huiqi.delivery.dashboard, .indicators), refused before the query.
DASHBOARD_READERS = (*sorted(POLICY_ROLES), Role.FINANCE_OFFICER, Role.ADMIN)
Decider = Annotated[Who, checked_first(applications.require_decider)]
Steward = Annotated[Who, checked_first(require_steward)]
PORTAL_ROLES = (Role.ENTERPRISE, Role.PARK_OPERATOR)  # an enterprise and its park's operator


@router.get(
    "/my-data",
    tags=["enterprise"],
    dependencies=[role_gate("see the data held about an enterprise", *PORTAL_ROLES)],
)
def get_my_data(
    settings: AppSettings, factory: Factory, who: SignedIn, uscc: Uscc = None
) -> MyDataPublic:
    """Every value huiqi holds about the enterprise, with its source registry and year."""
    code = enterprise_of(who, uscc)
    with reading(factory) as s:
        data = my_data(settings, s, actor=actor_of(who), uscc=code)
    return MyDataPublic.model_validate(data)


@router.post(
    "/corrections",
    tags=["enterprise"],
    dependencies=[role_gate("report a held value as wrong", *PORTAL_ROLES)],
)
def create_correction(
    settings: AppSettings, factory: Factory, who: ApiWriter, body: CorrectionCreate
) -> CorrectionPublic:
    """Report a held value as wrong: a correction request to the field's source registry."""
    code = enterprise_of(who, body.uscc)
    with transaction(factory) as s:
        row = request_correction(
            settings,
            s,
            actor=actor_of(who),
            uscc=code,
            field=body.field,
            year=body.year,
            value=body.value,
            comment=body.comment,
        )
    return CorrectionPublic.model_validate(row)


@router.get(
    "/corrections",
    tags=["officer"],
    dependencies=[role_gate("read correction requests", *PORTAL_ROLES, Role.DATA_STEWARD)],
)
def corrections(
    settings: AppSettings,
    factory: Factory,
    who: SignedIn,
    uscc: Uscc = None,
    status: Literal["open", "accepted", "rejected"] | None = None,
    source: Short = None,
    after_id: Page = 0,
    limit: Limit = 100,
) -> list[CorrectionPublic]:
    """Correction requests: a data steward's queue, or an enterprise's own."""
    with reading(factory) as s:
        rows = list_corrections(
            s,
            actor=actor_of(who),
            settings=settings,
            uscc=uscc or None,
            status=status,
            source=source or None,
            after_id=after_id,
            limit=limit,
        )
    return [CorrectionPublic.model_validate(r) for r in rows]


@router.post("/corrections/{request_id}/decide", tags=["officer"])
def decide(
    factory: Factory, who: Steward, request_id: Id, body: CorrectionDecide
) -> CorrectionPublic:
    """A data steward accepts or rejects an open request, with a reason the enterprise reads."""
    with transaction(factory) as s:
        row = decide_correction(
            s, actor=actor_of(who), request_id=request_id, accept=body.accept, reason=body.reason
        )
    return CorrectionPublic.model_validate(row)


@router.post(
    "/ratings",
    tags=["enterprise"],
    dependencies=[role_gate("rate a grant or a decision", Role.ENTERPRISE, Role.PARK_OPERATOR)],
)
def create_rating(factory: Factory, who: ApiWriter, body: RatingCreate) -> RatingPublic:
    """Rate a grant or a decision without a grant, 1–5 stars with a comment; once."""
    with transaction(factory) as s:
        row = rate(
            s,
            actor=actor_of(who),
            stars=body.stars,
            comment=body.comment,
            grant_id=body.grant_id,
            entitlement_id=body.entitlement_id,
        )
    return RatingPublic.model_validate(row)


@router.get("/near-misses", tags=["enterprise"], dependencies=[EXPLAIN_READERS])
def get_near_misses(
    settings: AppSettings, factory: Factory, who: SignedIn, uscc: Uscc = None
) -> list[NearMissPublic]:
    """The policies the enterprise misses by one figure, with the gap (computed now)."""
    code = enterprise_of(who, uscc)
    with reading(factory) as s:
        found = near_misses(settings, s, actor=actor_of(who), uscc=code)
    return [NearMissPublic.model_validate(n) for n in found]


@router.get(
    "/applications",
    tags=["officer"],
    dependencies=[role_gate("read applications", *PORTAL_ROLES, Role.POLICY_REVIEWER, *READ_ALL)],
)
def list_applications(
    factory: Factory,
    who: SignedIn,
    uscc: Uscc = None,
    policy_id: Short = None,
    status: Short = None,
    after_id: Page = 0,
    limit: Limit = 100,
) -> list[ApplicationPublic]:
    """Pre-filled applications (申报) and their review state (``status=submitted``: the queue)."""
    with reading(factory) as s:
        rows = ledger.list_applications(
            s,
            actor=actor_of(who),
            uscc=uscc or None,
            policy_id=policy_id or None,
            status=status or None,
            after_id=after_id,
            limit=limit,
        )
        if not rows:  # a mistyped policy id is a 404, not an empty list
            require_published(s, policy_id or None, hint=POLICY_IDS)
    return [ApplicationPublic.model_validate(r) for r in rows]


@router.post("/applications/{record_id}/approve", tags=["officer"])
def approve(factory: Factory, who: Decider, record_id: Id) -> DecisionPublic:
    """Approve a submitted application: it becomes a grant (budget, cap, group permitting)."""
    return DecisionPublic.of(applications.approve(factory, record_id, actor=actor_of(who)))


@router.post("/applications/{record_id}/reject", tags=["officer"])
def reject(factory: Factory, who: Decider, record_id: Id, body: RejectRequest) -> DecisionPublic:
    """Reject an application with a reason the enterprise reads."""
    decision = applications.reject(factory, record_id, actor=actor_of(who), reason=body.reason)
    return DecisionPublic.of(decision)


@router.post("/records/{record_id}/review", tags=["officer"])
def review_flag(
    factory: Factory, who: Reviewer, record_id: Id, body: ReviewRequest
) -> ReviewPublic:
    """Resolve a review flag: keep the record, or withdraw it (an open offer is withdrawn, an
    open application closed, a grant not yet sent for payment withdrawn; one in a batch or
    paid is not undone, the decision is recorded), top it up (a record 就高不重复
    excluded behind a lower grant already sent for payment: the higher policy grants the
    difference), or correct it (a record a newer version of its policy excluded behind an
    earlier version's grant: the newer amount is granted in place of an earlier grant not
    yet sent for payment, or as the difference on top of one sent; less than was sent is
    refused, 409)."""
    decision = resolve_flag(
        factory, record_id, actor=actor_of(who), outcome=body.decision, reason=body.reason
    )
    return ReviewPublic.model_validate(decision)


@router.get(
    "/dashboard/indicators",
    tags=["officer"],
    dependencies=[role_gate("read the dashboards' indicators", *DASHBOARD_READERS)],
)
def dashboard_indicators(factory: Factory, who: SignedIn) -> IndicatorsPublic:
    """The headline indicators over the policies the officer reads: the share of 免申即享 and
    直达快享 among the policies in force, each budget's use, the claim conversion of
    one-click offers, and the time from eligibility to money (newest payments)."""
    with reading(factory) as s:
        return IndicatorsPublic.model_validate(indicators(s, actor=actor_of(who)))


@router.get(
    "/dashboard/totals",
    tags=["officer"],
    dependencies=[role_gate("read the dashboards' totals", *DASHBOARD_READERS)],
)
def dashboard_totals(
    factory: Factory,
    who: SignedIn,
    kind: Literal["grant", "record"] = "grant",
    by: Annotated[list[Dimension] | None, Query(max_length=5)] = None,
    policy_id: Short = None,
    status: Short = None,
    district: Short = None,
    month_from: Month = None,
    month_to: Month = None,
) -> list[TotalPublic]:
    """How many grants or records and how much money, grouped ``by`` policy, status,
    district, department or month, over the policies the officer reads."""
    with reading(factory) as s:
        rows = totals(
            s,
            actor=actor_of(who),
            kind=kind,
            by=tuple(by or ("policy", "status")),
            policy_id=policy_id or None,
            status=status or None,
            district=district or None,
            month_from=month_from,
            month_to=month_to,
        )
        if not rows:  # a mistyped policy id is a 404, not an empty list
            require_published(s, policy_id or None, hint=POLICY_IDS)
        # The counters keep policy ids; a chart names each policy by its title.
        titles = policy_titles(s, {r.policy_id for r in rows if r.policy_id is not None})
    return [
        TotalPublic.model_validate(r).model_copy(
            update={"title": _text(titles.get(r.policy_id)) if r.policy_id else None}
        )
        for r in rows
    ]


def _text(title: Bilingual | None) -> TextPublic | None:
    return None if title is None else TextPublic(zh=title.zh, en=title.en)

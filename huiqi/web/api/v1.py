"""``/api/v1``: the catalogue (anyone), and an enterprise's records, grants, claims,
inbox and explanations (a bearer API token, or the session cookie with the CSRF
header for writes). Each endpoint calls one service function, which checks access."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import Response
from pydantic import AfterValidator

from huiqi.accounts.roles import POLICY_ROLES, Role
from huiqi.catalogue.service import get_policy, list_policies
from huiqi.db.engine import reading, transaction
from huiqi.delivery import applications, withdrawal
from huiqi.delivery import inbox as enterprise_inbox
from huiqi.delivery import service as ledger
from huiqi.delivery.claims import attest_hint, claim
from huiqi.delivery.known_policies import require_published
from huiqi.delivery.listing_access import READ_ALL
from huiqi.profiles.uscc import USCCError
from huiqi.profiles.uscc import validate as validate_uscc
from huiqi.web.api.schemas import (
    ClaimPublic,
    ClaimRequest,
    DecisionPublic,
    ErrorPublic,
    GrantPublic,
    MePublic,
    MessagePublic,
    PolicyDetailPublic,
    PolicyPublic,
    RecordPublic,
    WithdrawRequest,
)
from huiqi.web.deps import ApiWriter, AppSettings, Factory, SignedIn, actor_of, role_gate
from huiqi.web.filters import parse_filter
from huiqi.web.portal import enterprise_of, explain_policy
from huiqi.web.views.notice import notice_response

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorPublic} for code in (400, 401, 403, 404, 409, 429, 503)
}
router = APIRouter(prefix="/api/v1", responses=ERRORS)

Text = Annotated[str | None, Query(max_length=200)]
# Where a caller who filtered by an unknown policy id finds the ids.
POLICY_IDS = "GET /api/v1/policies lists the policy ids"


def _uscc(text: str | None) -> str | None:
    """A USCC as stored (upper case), whichever case it was typed in; empty: none. One
    that cannot be a USCC is a 422 naming the parameter and saying what is wrong with it
    (QA: ``/records?uscc=abc`` answered an officer ``[]`` and an enterprise "may not read
    this enterprise's records", as if the typo were a code of another enterprise)."""
    code = (text or "").strip().upper()
    if not code:
        return None
    try:
        return validate_uscc(code, prefixes=None)
    except USCCError as exc:
        raise ValueError(str(exc)) from None


Uscc = Annotated[
    str | None,
    Query(max_length=18, description="the enterprise (default: your own)"),
    AfterValidator(_uscc),
]
Page = Annotated[int, Query(ge=0, le=2**62, description="the last id of the previous page")]
Limit = Annotated[int, Query(ge=1, le=1000)]
# A listing newest first: the next page is before_id=<the last id of this one> (a keyset).
Before = Annotated[
    int | None, Query(ge=1, le=2**62, description="the last id of the previous page: older items")
]
Id = Annotated[int, Path(ge=1, le=2**62)]
# The portal's writes: for an enterprise and its park operator (the service checks which).
ENTERPRISE_SIDE = role_gate("act for an enterprise", Role.ENTERPRISE, Role.PARK_OPERATOR)
# The ledger's listings and a grant's notice: the enterprise, its park, policy officers in
# their scope, and the city-wide readers (huiqi.delivery.listing_access), refused by role
# before the query is read.
LEDGER_READERS = role_gate(
    "read delivery records",
    Role.ENTERPRISE,
    Role.PARK_OPERATOR,
    *sorted(POLICY_ROLES),
    *READ_ALL,
)
# One enterprise's explanations and near misses: the enterprise, its park, policy officers.
EXPLAIN_READERS = role_gate(
    "see an enterprise's eligibility", Role.ENTERPRISE, Role.PARK_OPERATOR, *sorted(POLICY_ROLES)
)


@router.get("/policies", tags=["catalogue"])
def policies(
    factory: Factory,
    q: Text = None,
    department: Text = None,
    level: Text = None,
    district: Text = None,
    mode: Text = None,
    deadline_after: Text = None,
    amount_min: Text = None,
    subunits: bool = False,
) -> list[PolicyPublic]:
    """Published policies; ``q`` searches Chinese by character pairs ("研发" finds 研发费用).
    ``department`` is one issuing department, named exactly; ``subunits=true`` adds its
    sub-units (上海市人力资源和社会保障局（市就业促进中心）)."""
    chosen = parse_filter(
        q=q,
        department=department,
        level=level,
        district=district,
        mode=mode,
        deadline_after=deadline_after,
        amount_min=amount_min,
        subunits=subunits,
    )
    with reading(factory) as s:
        return [PolicyPublic.of(c) for c in list_policies(s, filters=chosen)]


@router.get("/policies/{policy_id}", tags=["catalogue"])
def policy(factory: Factory, policy_id: str) -> PolicyDetailPublic:
    """One published policy: criteria, amount formula, source document."""
    with reading(factory) as s:
        return PolicyDetailPublic.detail(get_policy(s, policy_id))


@router.get("/me", tags=["account"])
def me(who: SignedIn) -> MePublic:
    """Who the credential stands for."""
    actor = actor_of(who)
    return MePublic(
        username=actor.username, roles=[str(g) for g in actor.grants], enterprise=who.enterprise
    )


@router.get("/records", tags=["enterprise"], dependencies=[LEDGER_READERS])
def records(
    factory: Factory,
    who: SignedIn,
    uscc: Uscc = None,
    status: Text = None,
    policy_id: Text = None,
    flagged: Annotated[
        bool | None, Query(description="only records flagged (or not) for review")
    ] = None,
    after_id: Page = 0,
    limit: Limit = 100,
) -> list[RecordPublic]:
    """Delivery records you may see (offers, applications, grants, refusals); ``flagged=true``:
    the review queue of records flagged after a data change or a new policy version."""
    with reading(factory) as s:
        rows = ledger.list_records(
            s,
            actor=actor_of(who),
            uscc=uscc or None,
            status=status or None,
            policy_id=policy_id or None,
            flagged=flagged,
            after_id=after_id,
            limit=limit,
        )
        if not rows:  # a mistyped policy id is a 404, not an empty list
            require_published(s, policy_id or None, hint=POLICY_IDS)
    return [RecordPublic.of(r) for r in rows]


@router.get("/grants", tags=["enterprise"], dependencies=[LEDGER_READERS])
def grants(
    factory: Factory,
    who: SignedIn,
    uscc: Uscc = None,
    status: Text = None,
    policy_id: Text = None,
    after_id: Page = 0,
    limit: Limit = 100,
) -> list[GrantPublic]:
    """Grants you may see, with amount and payment status."""
    with reading(factory) as s:
        rows = ledger.list_grants(
            s,
            actor=actor_of(who),
            uscc=uscc or None,
            status=status or None,
            policy_id=policy_id or None,
            after_id=after_id,
            limit=limit,
        )
        if not rows:  # a mistyped policy id is a 404, not an empty list
            require_published(s, policy_id or None, hint=POLICY_IDS)
    return [GrantPublic.of(g) for g in rows]


@router.get(
    "/grants/{grant_id}/notice.pdf",
    tags=["enterprise"],
    dependencies=[LEDGER_READERS],
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the notice (PDF)"}},
)
def grant_notice_pdf(factory: Factory, who: SignedIn, grant_id: Id) -> Response:
    """The grant's notice (惠企政策资金兑现告知书) as a PDF: enterprise, policy, amount, the
    criteria that held, and a verification line (grant id and its audit event's hash).
    For the enterprise, its park operator, and officers whose scope covers the policy."""
    return notice_response(factory, actor_of(who), grant_id)


@router.post("/records/{record_id}/claim", tags=["enterprise"], dependencies=[ENTERPRISE_SIDE])
def claim_offer(
    factory: Factory,
    who: ApiWriter,
    record_id: Id,
    body: Annotated[ClaimRequest | None, Body()] = None,
) -> ClaimPublic:
    """Confirm an offer (直达快享) with one call; a second call returns the same grant.
    ``attest: true`` confirms the commitments (告知承诺) the offer asks for."""
    attest = bool(body and body.attest)
    with attest_hint('send the body {"attest": true} to confirm them'):
        result = claim(factory, actor=actor_of(who), entitlement_id=record_id, attest=attest)
    return ClaimPublic.of(result)


@router.post("/records/{record_id}/submit", tags=["enterprise"], dependencies=[ENTERPRISE_SIDE])
def submit_application(
    factory: Factory,
    who: ApiWriter,
    record_id: Id,
    body: Annotated[ClaimRequest | None, Body()] = None,
) -> DecisionPublic:
    """Submit a pre-filled application (申报); ``attest`` confirms its commitments (告知承诺)."""
    attest = bool(body and body.attest)
    with attest_hint('send the body {"attest": true} to confirm them'):
        decision = applications.submit(factory, record_id, actor=actor_of(who), attest=attest)
    return DecisionPublic.of(decision)


@router.post("/records/{record_id}/withdraw", tags=["enterprise"], dependencies=[ENTERPRISE_SIDE])
def withdraw_application(
    factory: Factory,
    who: ApiWriter,
    record_id: Id,
    body: Annotated[WithdrawRequest | None, Body()] = None,
) -> DecisionPublic:
    """Withdraw a submitted application (申报) before it is decided, with an optional
    ``reason``: it leaves the reviewers' queue and may be submitted again; a second call,
    or one for a form never submitted, changes nothing and says so."""
    reason = body.reason if body else None
    decision = withdrawal.withdraw(factory, record_id, actor=actor_of(who), reason=reason)
    return DecisionPublic.of(decision)


@router.get(
    "/inbox",
    tags=["enterprise"],
    dependencies=[role_gate("read this inbox", Role.ENTERPRISE, Role.PARK_OPERATOR)],
)
def inbox(
    factory: Factory,
    who: SignedIn,
    uscc: Uscc = None,
    unread_only: bool = False,
    limit: Limit = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> list[MessagePublic]:
    """An enterprise's in-app messages, newest first; the next page is
    ``before_id=<the last id of this one>`` (a keyset)."""
    code = enterprise_of(who, uscc)
    with reading(factory) as s:
        rows = enterprise_inbox.inbox(
            s,
            code,
            actor=actor_of(who),
            unread_only=unread_only,
            limit=limit,
            before_id=before_id,
        )
        return [MessagePublic.model_validate(n) for n in rows]


@router.post("/inbox/{message_id}/read", tags=["enterprise"], dependencies=[ENTERPRISE_SIDE])
def mark_read(factory: Factory, who: ApiWriter, message_id: Id, uscc: Uscc = None) -> MessagePublic:
    """Mark one message read (the first time is kept)."""
    code = enterprise_of(who, uscc)
    with transaction(factory) as s:
        return MessagePublic.model_validate(
            enterprise_inbox.mark_read(s, message_id, code, actor=actor_of(who))
        )


@router.get("/policies/{policy_id}/explain", tags=["enterprise"], dependencies=[EXPLAIN_READERS])
def explain(
    settings: AppSettings, factory: Factory, who: SignedIn, policy_id: str, uscc: Uscc = None
) -> dict[str, Any]:
    """Criterion by criterion, whether the enterprise qualifies: each value with its source
    and year, and the amount's computation (the trace's JSON form)."""
    code = enterprise_of(who, uscc)
    trace = explain_policy(settings, factory, actor=actor_of(who), uscc=code, policy_id=policy_id)
    return trace.explanation

"""Data-correction requests: an enterprise reports a value huiqi holds about it as wrong.

Data already held by government is never asked for again, so a wrong value must be
fixable where it comes from. The enterprise (or its park operator) names the field, the
year for a yearly field, the value it believes right and a comment; huiqi records the
value it held (from the snapshot) and routes the request to the owning registry, the
field's ``source`` in the data dictionary. A data steward accepts or rejects it with a
reason; the enterprise is told through the notification outbox. Every step is an audit
event. Accepting a request records the decision: the corrected value reaches huiqi with
the registry's next import, like every other value.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import duckdb
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from huiqi.accounts.access import AccessDenied, Actor, acts_for, require_role
from huiqi.accounts.roles import Role
from huiqi.config import Settings
from huiqi.db.clock import utcnow
from huiqi.delivery import notify
from huiqi.delivery.audit import record_event
from huiqi.delivery.feedback_models import CorrectionRequest
from huiqi.delivery.freetext import clean_text, is_blank
from huiqi.delivery.models import DirectoryEntry
from huiqi.engine.trace import jsonable
from huiqi.errors import HuiqiError, NotFoundError, StateConflict, StoreError
from huiqi.matching.answers import check_answer, question_of
from huiqi.matching.mydata import held_value, read_profile
from huiqi.matching.visibility import acts_for_enterprise, require_sees_enterprise
from huiqi.profiles.coderules import code_named
from huiqi.profiles.dictionary import load_dictionary
from huiqi.profiles.directory import identities
from huiqi.profiles.store import ProfileStore
from huiqi.profiles.uscc import validate

STATUSES = ("open", "accepted", "rejected")
MAX_TEXT = 2000
MAX_LIMIT = 10_000
FIRST_YEAR, LAST_YEAR = 1990, 2100
_CHINA = dt.timedelta(hours=8)  # what "today" is: the day in China (timestamps are UTC)


class CorrectionError(HuiqiError):
    """A correction request that cannot be recorded or decided as asked."""


class CorrectionConflict(CorrectionError, StateConflict):
    """A request about a value that has one open already, or a decision on a decided one."""


@dataclass(frozen=True)
class CorrectionRow:
    id: int
    uscc: str
    field: str
    label_zh: str
    year: int | None
    source: str  # the owning registry
    held_value: Any  # JSON form, None: nothing held
    proposed_value: Any  # JSON form
    comment: str | None
    status: str
    reason: str | None
    requested_by: str
    requested_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None


def _row(r: CorrectionRequest, *, steward: bool = True) -> CorrectionRow:
    """The request as shown; who decided it only to a data steward (``steward``)."""
    f = load_dictionary().get(r.field)
    return CorrectionRow(
        id=r.id,
        uscc=r.uscc,
        field=r.field,
        label_zh=f.label.zh if f else r.field,
        year=r.year,
        source=r.source,
        held_value=None if r.held_value is None else json.loads(r.held_value),
        proposed_value=json.loads(r.proposed_value),
        comment=r.comment,
        status=r.status,
        reason=r.reason,
        requested_by=r.requested_by,
        requested_at=r.requested_at,
        decided_by=r.decided_by if steward else None,
        decided_at=r.decided_at,
    )


def _text(value: Any, what: str, *, required: bool, field: str) -> str | None:
    return clean_text(
        value, what, CorrectionError, required=required, max_length=MAX_TEXT, field=field
    )


def check_request(
    field: Any, year: Any, value: Any, *, today: dt.date | None = None
) -> tuple[str, int | None, Any]:
    """The field, year and proposed value checked against the dictionary (typed value).

    A year after ``today``'s (China's date), or a date (a qualification's: the day it was
    obtained) after ``today``, is refused: no registry holds such a value to correct.
    Raises CorrectionError saying what is wrong and what is expected.
    """
    day = today or (utcnow() + _CHINA).date()
    d = load_dictionary()
    f = d.get(field) if isinstance(field, str) else None
    if f is None:
        raise CorrectionError(f"{field!r} is not a field of the data dictionary", field="field")
    if f.key or f.derived:
        what = "the identifier" if f.key else "derived by huiqi from other fields"
        raise CorrectionError(
            f"'{f.name}' is {what}: report the field it comes from instead", field="field"
        )
    if f.yearly:
        if isinstance(year, bool) or not isinstance(year, int):
            raise CorrectionError(
                f"'{f.name}' is held per year: give the year (such as 2025)", field="year"
            )
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise CorrectionError(
                f"the year is between {FIRST_YEAR} and {LAST_YEAR}, not {year}", field="year"
            )
        if year > day.year:
            raise CorrectionError(
                f"the year {year} has not come yet: give a year up to {day.year}", field="year"
            )
    elif year is not None:
        raise CorrectionError(f"'{f.name}' is not held per year: give no year", field="year")
    if value is None or (isinstance(value, str) and is_blank(value)):  # a zero-width space too
        raise CorrectionError("give the value you believe is right", field="value")
    if f.type == "enum" and f.codes and isinstance(value, str):
        # Every text an import reads as a code (有限责任公司, its national code 159, 'a' for
        # A) is read here too; the import's own reading, so that the two cannot differ.
        value = code_named(d.codelist(f.codes), value.strip()) or value
    try:
        typed = check_answer(question_of(f), value)
    except ValueError as exc:
        raise CorrectionError(f"'{f.name}': {exc}", field="value") from None
    if isinstance(typed, dt.date) and typed > day:
        raise CorrectionError(
            f"'{f.name}': {typed} is after today, {day}: give the date it took effect",
            field="value",
        )
    return f.name, year if f.yearly else None, typed


def request_correction(
    settings: Settings,
    session: Session,
    *,
    actor: Actor,
    uscc: str,
    field: str,
    value: Any,
    year: int | None = None,
    comment: str | None = None,
    snapshot_id: int | None = None,
) -> CorrectionRow:
    """Report a held value as wrong; the request goes to the field's source registry."""
    code = validate(uscc.strip().upper(), prefixes=None)
    require_sees_enterprise(
        settings,
        session,
        actor,
        code,
        f"request corrections of {code}'s data",
        snapshot_id=snapshot_id,
    )
    name, year, typed = check_request(field, year, value)
    note = _text(comment, "the comment", required=False, field="comment")
    pending = session.scalar(
        select(CorrectionRequest.id).where(
            CorrectionRequest.uscc == code,
            CorrectionRequest.field == name,
            CorrectionRequest.year == year
            if year is not None
            else CorrectionRequest.year.is_(None),
            CorrectionRequest.status == "open",
        )
    )
    if pending is not None:
        raise CorrectionConflict(
            f"request {pending} about this value is still open: wait for its decision"
        )
    d = load_dictionary()
    f = d.field(name)
    try:
        sid: int | None
        sid, prof = read_profile(settings, code, snapshot_id)
        held = held_value(prof, f, year)
    except NotFoundError:
        sid, held = None, None  # nothing held: the request says so
    if held is not None and _same(held, jsonable(typed)):
        when = f" ({year})" if year is not None else ""
        raise CorrectionError(
            f"huiqi holds {held} for '{name}'{when} already: give the value you believe is"
            " right, if it differs",
            field="value",
        )
    request = CorrectionRequest(
        uscc=code,
        field=name,
        year=year,
        source=f.source,
        held_value=None if held is None else json.dumps(held, ensure_ascii=False),
        proposed_value=json.dumps(jsonable(typed), ensure_ascii=False),
        comment=note,
        snapshot_id=sid,
        status="open",
        requested_by=actor.username,
    )
    session.add(request)
    session.flush()
    record_event(
        session,
        actor=actor,
        kind="correction_requested",
        uscc=code,
        entity=f"correction:{request.id}",
        reason=note,
        data={
            "field": name,
            "year": year,
            "source": f.source,
            "held": held,
            "proposed": jsonable(typed),
        },
    )
    return _row(request)


def _same(held: Any, proposed: Any) -> bool:
    """Whether the proposed value is the one held (numbers compared as numbers: a held
    '2010000.00' is a proposed 2010000)."""
    if isinstance(held, bool) or isinstance(proposed, bool):
        return bool(held == proposed)
    try:
        return Decimal(str(held)) == Decimal(str(proposed))
    except (InvalidOperation, ValueError):
        return bool(held == proposed)


def list_corrections(
    session: Session,
    *,
    actor: Actor,
    settings: Settings | None = None,
    uscc: str | None = None,
    status: str | None = None,
    source: str | None = None,
    after_id: int = 0,
    limit: int = 50,
) -> list[CorrectionRow]:
    """Correction requests in id order (keyset pages): a data steward sees every registry's
    queue (``source``) and who decided each; an enterprise its own; a park operator its
    park's enterprises', with ``settings`` also those the latest snapshot places in its
    park before the ledger has delivered to them (as :func:`request_correction` lets it
    report them)."""
    if status is not None and status not in STATUSES:
        raise CorrectionError(
            f"status is one of {', '.join(STATUSES)}, not {status!r}", field="status"
        )
    query = select(CorrectionRequest)
    if not actor.has(Role.DATA_STEWARD):
        clauses: list[Any] = []
        own = [s for s in actor.scopes(Role.ENTERPRISE) if s]
        if own:
            clauses.append(CorrectionRequest.uscc.in_(own))
        parks = [p for p in actor.scopes(Role.PARK_OPERATOR) if p]
        if parks:
            clauses.append(
                CorrectionRequest.uscc.in_(
                    select(DirectoryEntry.uscc).where(DirectoryEntry.park.in_(parks))
                )
            )
            if settings is not None:
                clauses.append(
                    CorrectionRequest.uscc.in_(_undelivered_in(settings, session, parks))
                )
        if not clauses:
            raise AccessDenied(
                f"{actor.describe()} may not read correction requests; allowed: data stewards,"
                " the enterprise itself, its park operator"
            )
        code = uscc.strip().upper() if uscc else None
        if code and not (
            acts_for(session, actor, code)
            if settings is None
            else acts_for_enterprise(settings, session, actor, code, None)
        ):
            raise AccessDenied(f"{actor.describe()} may not read {uscc}'s correction requests")
        query = query.where(or_(*clauses))
    if uscc:
        query = query.where(CorrectionRequest.uscc == uscc.strip().upper())
    if status:
        query = query.where(CorrectionRequest.status == status)
    if source:
        query = query.where(CorrectionRequest.source == source)
    query = (
        query.where(CorrectionRequest.id > after_id)
        .order_by(CorrectionRequest.id)
        .limit(max(1, min(limit, MAX_LIMIT)))
    )
    steward = actor.has(Role.DATA_STEWARD)
    return [_row(r, steward=steward) for r in session.scalars(query)]


def _undelivered_in(settings: Settings, session: Session, parks: list[str]) -> list[str]:
    """The enterprises with correction requests that the ledger's directory does not hold
    (nothing delivered to them yet) and the latest snapshot places in one of ``parks``."""
    outside = list(
        session.scalars(
            select(CorrectionRequest.uscc)
            .distinct()
            .where(CorrectionRequest.uscc.not_in(select(DirectoryEntry.uscc)))
        )
    )
    if not outside:
        return []
    try:
        found = identities(settings, ProfileStore(settings).latest_snapshot(), outside)
    except (StoreError, duckdb.Error):
        return []  # no data to say which park they are in
    return [e.uscc for e in found if e.park in parks]


def require_steward(actor: Actor) -> None:
    """Refuse an actor who may not decide correction requests (the API asks this before it
    reads a decision's body: 403 for the role, not 400 for the body)."""
    require_role(actor, "decide correction requests", Role.DATA_STEWARD)


def decide_correction(
    session: Session, *, actor: Actor, request_id: int, accept: bool, reason: str
) -> CorrectionRow:
    """A data steward accepts or rejects an open request with a reason the enterprise reads;
    decided once (a second decision is refused, even by a concurrent steward)."""
    require_steward(actor)
    why = _text(reason, "the reason", required=True, field="reason")
    status = "accepted" if accept else "rejected"
    decided = session.execute(
        update(CorrectionRequest)
        .where(CorrectionRequest.id == request_id, CorrectionRequest.status == "open")
        .values(status=status, reason=why, decided_by=actor.username, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    request = session.get(CorrectionRequest, request_id, populate_existing=True)
    if request is None:
        raise NotFoundError(f"no correction request {request_id}")
    if decided.rowcount != 1:  # type: ignore[attr-defined]
        raise CorrectionConflict(f"correction request {request_id} is already {request.status}")
    record_event(
        session,
        actor=actor,
        kind=f"correction_{status}",
        uscc=request.uscc,
        entity=f"correction:{request.id}",
        reason=why,
        data={"field": request.field, "year": request.year, "source": request.source},
    )
    d = load_dictionary()
    f = d.get(request.field)
    label = f.label.zh if f else request.field
    year = f"（{request.year}年）" if request.year else ""
    verdict = "已受理更正" if accept else "未予更正"
    # Accepting records the decision; the value itself comes with the registry's next
    # import, so the enterprise is told when to look for it.
    registry = d.registries.get(request.source)
    when = (
        f"新的数值将随{registry.zh if registry else request.source}下次报送的数据生效，"
        "届时可在“我的数据”中查看。"
        if accept
        else ""
    )
    notify.enqueue(
        session,
        uscc=request.uscc,
        kind="correction_decided",
        subject=f"数据更正申请：{label}{year}{verdict}",
        body=f"您对「{label}」{year}的更正申请{verdict}。{when}说明：{why}",
        dedupe_key=f"correction:{request.id}",
    )
    return _row(request)

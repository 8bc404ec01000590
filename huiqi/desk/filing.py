"""Filing a request: the enterprise (or its park operator, on its behalf) asks for help.

The request is checked (category, text, the policy or grant it concerns), routed to its
owning department (:mod:`huiqi.desk.routing`), given its deadlines in working days from
the day it is filed in China (:mod:`huiqi.desk.workdays`), and its files are kept with
their sniffed types (:mod:`huiqi.delivery.filetypes`). Audit event ``desk_filed``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, acts_for, require_own_enterprise
from huiqi.accounts.roles import Role
from huiqi.config import Settings
from huiqi.db.clock import utcnow
from huiqi.delivery import directory, idempotency
from huiqi.delivery.audit import record_event
from huiqi.delivery.filetypes import AttachmentError, safe_filename, sniff
from huiqi.delivery.freetext import clean_text
from huiqi.delivery.models import Grant, PolicyVersion
from huiqi.desk.categories import get_category
from huiqi.desk.errors import DeskError
from huiqi.desk.models import DeskAttachment, DeskCategory, DeskRequest, DeskStep
from huiqi.desk.queries import full_row
from huiqi.desk.routing import Router
from huiqi.desk.rows import AttachmentRow, RequestRow
from huiqi.desk.workdays import add_working_days, china_date, is_provisional
from huiqi.errors import NotFoundError, StoreError
from huiqi.profiles.store import ProfileStore
from huiqi.profiles.uscc import USCCError, validate

MAX_TEXT = 4000
MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
FILES = "files"  # the request's field its files come in (the API's part, the form's input)


def check_uscc(uscc: object) -> str:
    if not isinstance(uscc, str):
        raise DeskError("the enterprise is its 18-character USCC", field="uscc")
    try:
        return validate(uscc, prefixes=None)
    except USCCError as exc:
        raise DeskError(str(exc), field="uscc") from None


def check_text(text: object) -> str:
    found = clean_text(
        text, "the request's text", DeskError, required=True, max_length=MAX_TEXT, field="text"
    )
    assert found is not None
    return found


def deadlines(cat: DeskCategory, filed_on: dt.date) -> tuple[dt.date, dt.date]:
    """(acknowledge by, answer by) for a request of ``cat`` filed on ``filed_on``."""
    return add_working_days(filed_on, cat.ack_days), add_working_days(filed_on, cat.answer_days)


def check_key(key: object) -> str | None:
    """An idempotency key: 1 to 64 visible ASCII characters; none (or empty) is no key."""
    return idempotency.check_key(key, DeskError)


def _filed_before(session: Session, actor: Actor, key: str | None) -> RequestRow | None:
    """The request ``actor`` filed with ``key`` already, in full; None when there is none."""
    if key is None:
        return None
    req = session.scalar(
        select(DeskRequest).where(
            DeskRequest.filed_by == actor.username, DeskRequest.idempotency_key == key
        )
    )
    if req is None:
        return None
    return full_row(session, req, officer=False)


def _concerns(session: Session, code: str, policy_id: object, grant_id: object) -> None:
    if policy_id is not None:
        if not isinstance(policy_id, str) or not policy_id.strip():
            raise DeskError(
                "the policy is named by its id (as in the catalogue)", field="policy_id"
            )
        found = session.scalar(
            select(PolicyVersion.id).where(PolicyVersion.policy_id == policy_id).limit(1)
        )
        if found is None:
            raise NotFoundError(
                f"policy '{policy_id}' is not published; the catalogue lists what is"
            )
    if grant_id is not None:
        grant = session.get(Grant, grant_id) if isinstance(grant_id, int) else None
        if grant is None or grant.uscc != code:
            record = _records_grant(session, code, grant_id)
            if record is not None:
                # The number on an enterprise's record list, not its grant's: say which.
                raise NotFoundError(
                    f"no grant {grant_id} of enterprise {code}; {grant_id} is its delivery"
                    f" record, whose grant is {record}"
                )
            raise NotFoundError(f"no grant {grant_id} of enterprise {code}")


def _records_grant(session: Session, code: str, record_id: object) -> int | None:
    """The grant of the enterprise's delivery record ``record_id``, if it has one."""
    if not isinstance(record_id, int):
        return None
    return session.scalar(
        select(Grant.id).where(Grant.entitlement_id == record_id, Grant.uscc == code).limit(1)
    )


def _require_filer(session: Session, actor: Actor, code: str, settings: Settings | None) -> None:
    """The enterprise itself, or the operator of its park: by the ledger's directory, or by
    the profile data when the ledger has delivered nothing to it yet (the rule of
    ``huiqi.matching.visibility``). Then the directory learns the enterprise from the data,
    so that the operator reads and lists the request as it does its park's others."""
    member, snapshot_id = None, None
    if (
        settings is not None
        and actor.has(Role.PARK_OPERATOR)
        and not acts_for(session, actor, code)
    ):
        from huiqi.matching.visibility import park_member  # reads the profile store

        try:
            snapshot_id = ProfileStore(settings).latest_snapshot()
        except StoreError:
            snapshot_id = None  # no data: the ledger's directory alone says
        if snapshot_id is not None:
            member = park_member(settings, actor, code, snapshot_id)
    if member is None or snapshot_id is None:
        require_own_enterprise(session, actor, code, f"file requests for {code}")
        return
    directory.refresh(session, [member], snapshot_id)


def file_request(
    session: Session,
    *,
    actor: Actor,
    uscc: str,
    category: str,
    text: str,
    policy_id: str | None = None,
    grant_id: int | None = None,
    files: Sequence[tuple[str | None, bytes]] = (),
    now: dt.datetime | None = None,
    settings: Settings | None = None,
    idempotency_key: str | None = None,
) -> RequestRow:
    """File a request for ``uscc``; it goes to one department with its deadlines. With
    ``settings`` (every shell gives them), a park operator files for the enterprises the
    profile data puts in its park, delivered to or not.

    With ``idempotency_key``, a request this account already filed with the same key is
    returned as it is and nothing is filed (a form sent twice, an API call retried); the
    database's unique index decides between two submissions that race."""
    key = check_key(idempotency_key)
    code = check_uscc(uscc)
    # Access first: an account that can no longer file for the enterprise (a park operator
    # whose park it left) is refused, not answered with what it filed before.
    _require_filer(session, actor, code, settings)
    again = _filed_before(session, actor, key)
    if again is not None:
        return again
    cat = get_category(session, category)
    body = check_text(text)
    _concerns(session, code, policy_id, grant_id)
    if len(files) > MAX_FILES:
        raise _of_files(AttachmentError(f"at most {MAX_FILES} files go with a request", "too_many"))
    at = now or utcnow()
    try:
        with session.begin_nested():
            req = new_request(session, cat, code, body, at, filed_by=actor.username)
            req.policy_id, req.grant_id, req.idempotency_key = policy_id, grant_id, key
            session.flush()
    except IntegrityError:
        again = _filed_before(session, actor, key)  # filed by a submission that raced this
        if again is None:
            raise
        return again
    try:
        kept = [_attach(session, req, name, content, actor.username) for name, content in files]
    except AttachmentError as exc:
        _of_files(exc)
        raise
    filed_step(session, req, actor.username, {"files": len(kept)})
    # In full, as it reads back and as a retry with the same key answers it: the answer
    # had no steps, its "filed" step missing until the request was read again.
    return full_row(session, req, officer=False)


def new_request(
    session: Session,
    cat: DeskCategory,
    code: str,
    body: str,
    at: dt.datetime,
    *,
    filed_by: str,
    channel: str = "portal",
    hotline_id: str | None = None,
    router: Router | None = None,
) -> DeskRequest:
    """A routed request with its deadlines, added to the session (not yet flushed)."""
    department, route_id = (router or Router(session)).route(cat.code, body)
    filed_on = china_date(at)
    ack_due, answer_due = deadlines(cat, filed_on)
    req = DeskRequest(
        uscc=code,
        category=cat.code,
        text=body,
        department=department,
        route_id=route_id,
        status="open",
        channel=channel,
        hotline_id=hotline_id,
        filed_by=filed_by,
        filed_at=at,
        filed_on=filed_on,
        ack_due=ack_due,
        answer_due=answer_due,
        reopened=0,
    )
    session.add(req)
    return req


def filed_step(session: Session, req: DeskRequest, by: str, extra: dict[str, object]) -> None:
    """The ``filed`` history row and audit event ``desk_filed`` (``by``: who filed)."""
    session.add(DeskStep(request_id=req.id, kind="filed", actor=by, text=None, at=req.filed_at))
    record_event(
        session,
        actor=by,
        kind="desk_filed",
        uscc=req.uscc,
        entity=f"desk_request:{req.id}",
        data={
            "category": req.category,
            "department": req.department,
            "route_id": req.route_id,
            "channel": req.channel,
            "policy_id": req.policy_id,
            "grant_id": req.grant_id,
            "ack_due": req.ack_due.isoformat(),
            "answer_due": req.answer_due.isoformat(),
            **({"deadline_provisional": True} if is_provisional(req.answer_due) else {}),
            **extra,
        },
    )


def _of_files(exc: AttachmentError) -> AttachmentError:
    """A refused file of a request is about the request's field ``files`` (the API's and
    the portal form's part), not an application's upload's ``file``."""
    exc.field = FILES
    return exc


def _attach(
    session: Session, req: DeskRequest, name: str | None, content: bytes, actor: str
) -> AttachmentRow:
    if not content:
        raise AttachmentError("the file is empty", "empty")
    if len(content) > MAX_BYTES:
        raise AttachmentError(
            f"the file is {len(content):,} bytes; at most {MAX_BYTES:,} bytes are accepted",
            "too_big",
        )
    kind = sniff(content)
    att = DeskAttachment(
        request_id=req.id,
        filename=safe_filename(name, kind),
        content_type=kind.content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by=actor,
    )
    session.add(att)
    session.flush()
    return AttachmentRow(att.id, att.filename, att.content_type, att.size, att.sha256)

"""Attachments of a pre-filled application (申报): the enterprise adds and removes files
while its application is open (not yet submitted); it and the officers who review the
policy's applications list and download them.

Files are kept in the database (``application_attachments``), not under the data
directory: the file, its SHA-256 and its audit event are written in one transaction, so
a failed upload leaves nothing behind and a committed one is never missing its file;
every ``huiqi serve`` worker (and a second machine on PostgreSQL) reads the same files;
the ledger's backup holds the evidence of its applications; and no user-supplied name
ever reaches a file system. The size limit (default 10 MB, ``HUIQI_WEB_MAX_UPLOAD_MB``
in the portal) and the count per application bound what the database holds.

An upload may carry an idempotency key (:mod:`huiqi.delivery.idempotency`; the portal's
form always does): the same account uploading again with the same key (a double click, a
retried call) gets the file stored the first time, and nothing is stored or recorded.
The key is kept with the file, so once that file is removed the key stores again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huiqi.accounts.access import AccessDenied, Actor, acts_for, in_policy_scope
from huiqi.accounts.roles import Role
from huiqi.delivery.audit import record_event
from huiqi.delivery.claims import find_entitlement
from huiqi.delivery.filetypes import (
    AttachmentConflict,
    AttachmentError,
    AttachmentTooLarge,
    safe_filename,
    sniff,
)
from huiqi.delivery.idempotency import check_key as _check_key
from huiqi.delivery.models import Application, Attachment, Entitlement, PolicyVersion
from huiqi.delivery.required_documents import UnknownDocument, resolve_document
from huiqi.delivery.statuses import DeliveryMode, RecordStatus
from huiqi.delivery.versions import policy_ref
from huiqi.errors import NotFoundError

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 20  # per application


@dataclass(frozen=True)
class AttachmentRow:
    id: int
    record_id: int
    uscc: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    created_at: dt.datetime
    # The policy's listed document the file is (its Chinese name), or None.
    document: str | None = None


def _row(a: Attachment, record_id: int) -> AttachmentRow:
    return AttachmentRow(
        a.id,
        record_id,
        a.uscc,
        a.filename,
        a.content_type,
        a.size,
        a.sha256,
        a.uploaded_by,
        a.created_at,
        a.document,
    )


def _document(pv: PolicyVersion, document: str | None) -> str | None:
    """The listed document the file is tagged with (``required_documents``), or refused."""
    try:
        return resolve_document(pv, document)
    except UnknownDocument as exc:
        raise AttachmentError(str(exc), "document") from None


def _application(
    s: Session,
    record_id: int,
    *,
    lock: bool = False,
    allowed: Callable[[Entitlement, PolicyVersion], None] | None = None,
) -> tuple[Entitlement, Application, PolicyVersion]:
    """The application of a record; ``allowed`` (raising AccessDenied) is asked before the
    record's kind is told, so that another's record stays as unknown as a missing one."""
    ent = find_entitlement(s, entitlement_id=record_id)
    if lock:
        ent = s.execute(
            select(Entitlement)
            .where(Entitlement.id == ent.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one()
    pv = s.get(PolicyVersion, ent.policy_version_id)
    if pv is None:
        raise NotFoundError(f"record {record_id} is not an application (申报)")
    if allowed is not None:
        allowed(ent, pv)
    app = s.scalar(select(Application).where(Application.entitlement_id == ent.id))
    if app is None or ent.mode != DeliveryMode.APPLY:
        raise NotFoundError(f"record {record_id} is not an application (申报)")
    return ent, app, pv


def _require_reader(
    s: Session, actor: Actor, ent: Entitlement, pv: PolicyVersion, what: str | None = None
) -> None:
    """The enterprise (or its park operator) and the reviewers of the policy's applications.

    ``what`` is the refused read as the caller asked for it (an attachment's id): a refusal
    names only the id the caller gave, never the application behind it, which is another
    enterprise's record (docs/api.md: a 403 for another's record tells nothing about it)."""
    if acts_for(s, actor, ent.uscc) or actor.has(Role.ADMIN):
        return
    if in_policy_scope(actor, policy_ref(pv), Role.POLICY_REVIEWER):
        return
    what = what or f"read the attachments of application {ent.id}"
    raise AccessDenied(
        f"{actor.describe()} may not {what}; allowed: the enterprise itself, its park"
        " operator, reviewers whose scope covers the policy"
    )


def _require_open(ent: Entitlement) -> None:
    if ent.status != RecordStatus.APPLICATION_OPEN:
        raise AttachmentConflict(
            f"application {ent.id} is '{ent.status}': attachments change only before it is"
            " submitted",
            "not_open",
        )


def _attacher(session: Session, actor: Actor) -> Callable[[Entitlement, PolicyVersion], None]:
    def attacher(ent: Entitlement, _: PolicyVersion) -> None:
        if not acts_for(session, actor, ent.uscc):
            raise AccessDenied(
                f"{actor.describe()} may not attach files to application {ent.id}; allowed:"
                " the enterprise itself, its park operator"
            )

    return attacher


def check_key(key: object) -> str | None:
    """An upload's idempotency key (1 to 64 visible ASCII characters), None for none;
    AttachmentError (code ``bad_key``) for anything else."""
    return _check_key(key, lambda message: AttachmentError(message, "bad_key"))


def _uploaded_before(
    session: Session, actor: Actor, key: str | None, app: Application, ent: Entitlement
) -> AttachmentRow | None:
    """The file ``actor`` uploaded to this application with ``key`` already; None when there
    is none. A key sent before with a file for another application is refused: it is not a
    repeat of that upload, and storing this file would hide the mistake."""
    if key is None:
        return None
    found = session.scalar(
        select(Attachment).where(
            Attachment.uploaded_by == actor.username, Attachment.idempotency_key == key
        )
    )
    if found is None:
        return None
    if found.application_id != app.id:
        raise AttachmentConflict(
            f"the idempotency key {key!r} was sent before with a file for another"
            " application; send a new random key with each upload",
            "key_reused",
        )
    return _row(found, ent.id)


def check_attachable(
    session: Session,
    *,
    actor: Actor,
    record_id: int,
    idempotency_key: str | None = None,
    document: str | None = None,
) -> AttachmentRow | None:
    """Refuse, as ``add_attachment`` would, an actor who may not attach files to this
    application (AccessDenied), a record that is not one (NotFoundError) or an application
    no longer open (AttachmentConflict): asked before an upload is read, so that a refused
    caller's file is never read.

    With ``idempotency_key``, the file this actor already uploaded to the application with
    that key, if any (the upload is a repeat and need not be read: it is answered with
    this file, even once the application is submitted); None otherwise. A ``document``
    the policy does not list is refused here too, before the file is read."""
    ent, app, pv = _application(session, record_id, allowed=_attacher(session, actor))
    again = _uploaded_before(session, actor, check_key(idempotency_key), app, ent)
    if again is not None:
        return again
    _require_open(ent)
    _document(pv, document)
    return None


def add_attachment(
    session: Session,
    *,
    actor: Actor,
    record_id: int,
    filename: str | None,
    content: bytes,
    max_bytes: int = MAX_BYTES,
    idempotency_key: str | None = None,
    document: str | None = None,
) -> AttachmentRow:
    """Attach a file to the enterprise's open application: its type sniffed from the
    content (PDF, PNG, JPEG, xlsx, docx), at most ``max_bytes``, kept under a safe name
    with its SHA-256; audit event ``attach``.

    With ``idempotency_key``, a file this account already uploaded to the application with
    the same key is returned as it is and nothing is stored (a form sent twice, an API call
    retried); the database's unique index decides between two uploads that race. The same
    key sent with a file for another application is refused (AttachmentConflict).

    ``document``: which of the policy's listed materials the file is (its Chinese or
    English name; kept as the Chinese one), so that the checklist counts it; a name the
    policy does not list is refused (AttachmentError, code ``document``)."""
    ent, app, pv = _application(session, record_id, lock=True, allowed=_attacher(session, actor))
    key = check_key(idempotency_key)
    again = _uploaded_before(session, actor, key, app, ent)
    if again is not None:
        return again
    _require_open(ent)
    listed = _document(pv, document)
    if len(content) > max_bytes:
        raise AttachmentTooLarge(
            f"the file is {len(content):,} bytes; at most {max_bytes:,} bytes"
            f" ({max_bytes / 1024 / 1024:g} MB) are accepted"
        )
    kind = sniff(content)
    count = session.scalar(select(func.count()).where(Attachment.application_id == app.id))
    if (count or 0) >= MAX_FILES:
        raise AttachmentConflict(
            f"application {ent.id} has {MAX_FILES} attachments already; remove one first",
            "too_many",
        )
    attachment = Attachment(
        application_id=app.id,
        uscc=ent.uscc,
        filename=safe_filename(filename, kind),
        content_type=kind.content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by=actor.username,
        idempotency_key=key,
        document=listed,
    )
    try:
        with session.begin_nested():
            session.add(attachment)
            session.flush()
    except IntegrityError:
        again = _uploaded_before(session, actor, key, app, ent)  # stored by a racing upload
        if again is None:
            raise
        return again
    record_event(
        session,
        actor=actor,
        kind="attach",
        uscc=ent.uscc,
        policy_version_id=pv.id,
        entity=f"application:{app.id}",
        data={
            "attachment_id": attachment.id,
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
            **({"document": listed} if listed else {}),
        },
    )
    return _row(attachment, ent.id)


def list_attachments(session: Session, *, actor: Actor, record_id: int) -> list[AttachmentRow]:
    """The files attached to an application, oldest first."""
    ent, app, _ = _application(
        session, record_id, allowed=lambda ent, pv: _require_reader(session, actor, ent, pv)
    )
    rows = session.scalars(
        select(Attachment).where(Attachment.application_id == app.id).order_by(Attachment.id)
    )
    return [_row(a, ent.id) for a in rows]


def _may_read(s: Session, actor: Actor, ent: Entitlement, pv: PolicyVersion) -> bool:
    try:
        _require_reader(s, actor, ent, pv)
    except AccessDenied:
        return False
    return True


READERS = (Role.ENTERPRISE, Role.PARK_OPERATOR, Role.POLICY_REVIEWER, Role.ADMIN)


def attachments_by_record(
    session: Session, *, actor: Actor, record_ids: Sequence[int]
) -> dict[int, list[AttachmentRow]]:
    """The files of several applications at once (a review queue), by record id: only
    those of applications the actor may read (the others are left out)."""
    if not actor.has(*READERS):
        raise AccessDenied(
            f"{actor.describe()} may not read application attachments; allowed: "
            + ", ".join(map(str, READERS))
        )
    if not record_ids:
        return {}
    rows = session.execute(
        select(Attachment, Entitlement, PolicyVersion)
        .join(Application, Application.id == Attachment.application_id)
        .join(Entitlement, Entitlement.id == Application.entitlement_id)
        .join(PolicyVersion, PolicyVersion.id == Entitlement.policy_version_id)
        .where(Entitlement.id.in_(sorted(set(record_ids))))
        .order_by(Attachment.id)
    ).all()
    out: dict[int, list[AttachmentRow]] = {}
    readable: dict[int, bool] = {}
    for a, ent, pv in rows:
        if ent.id not in readable:
            readable[ent.id] = _may_read(session, actor, ent, pv)
        if readable[ent.id]:
            out.setdefault(ent.id, []).append(_row(a, ent.id))
    return out


def _attachment(
    session: Session, attachment_id: int, *, lock: bool = False
) -> tuple[Attachment, Entitlement, PolicyVersion]:
    found = session.get(Attachment, attachment_id)
    if found is None:
        raise NotFoundError(f"no attachment {attachment_id}")
    app = session.get(Application, found.application_id)
    assert app is not None  # a foreign key
    ent, _, pv = _application(session, app.entitlement_id, lock=lock)
    return found, ent, pv


def get_attachment(
    session: Session, *, actor: Actor, attachment_id: int
) -> tuple[AttachmentRow, bytes]:
    """One attachment and its content, for the enterprise or a reviewer in scope. An
    official's read of an enterprise's document is an audit event (``attachment_read``,
    in the caller's transaction); the enterprise's and its park's own reads are not."""
    found, ent, pv = _attachment(session, attachment_id)
    _require_reader(session, actor, ent, pv, f"read attachment {attachment_id}")
    row = _row(found, ent.id)
    if not acts_for(session, actor, ent.uscc):
        record_event(
            session,
            actor=actor,
            kind="attachment_read",
            uscc=ent.uscc,
            policy_version_id=pv.id,
            entity=f"application:{found.application_id}",
            data={"attachment_id": row.id, "filename": row.filename, "sha256": row.sha256},
        )
    return row, bytes(found.content)


def remove_attachment(session: Session, *, actor: Actor, attachment_id: int) -> AttachmentRow:
    """The enterprise removes a file from its application before submitting it; audit
    event ``detach`` (with the file's SHA-256, so the trail says what was removed)."""
    found, ent, pv = _attachment(session, attachment_id, lock=True)
    if not acts_for(session, actor, ent.uscc):
        raise AccessDenied(
            f"{actor.describe()} may not remove attachment {attachment_id}; allowed:"
            " the enterprise itself, its park operator"
        )
    _require_open(ent)
    row = _row(found, ent.id)
    session.delete(found)
    record_event(
        session,
        actor=actor,
        kind="detach",
        uscc=ent.uscc,
        policy_version_id=pv.id,
        entity=f"application:{found.application_id}",
        data={"attachment_id": row.id, "filename": row.filename, "sha256": row.sha256},
    )
    return row

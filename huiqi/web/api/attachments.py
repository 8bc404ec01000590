"""``/api/v1`` for the attachments of a pre-filled application (申报): upload (multipart,
field ``file``), list, download, remove. ``delivery.attachments`` checks who may do what
and sniffs what a file is; the declared content type is never trusted."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from huiqi.db.engine import reading, transaction
from huiqi.delivery.attachments import (
    READERS,
    get_attachment,
    list_attachments,
    remove_attachment,
)
from huiqi.web.api.service_schemas import AttachmentPublic
from huiqi.web.api.v1 import ENTERPRISE_SIDE, ERRORS
from huiqi.web.attaching import attach, may_attach
from huiqi.web.deps import ApiWriter, Factory, SignedIn, Web, actor_of, role_gate
from huiqi.web.uploads import download, multipart_body, read_bounded, refuse_too_large

router = APIRouter(prefix="/api/v1", responses=ERRORS)
Id = Annotated[int, Path(ge=1, le=2**62)]
# The enterprise, its park, reviewers in scope and administrators (huiqi.delivery.attachments).
ATTACHMENT_READERS = role_gate("read attachments", *READERS)


@router.post(
    "/records/{record_id}/attachments",
    tags=["enterprise"],
    dependencies=[ENTERPRISE_SIDE],
    openapi_extra=multipart_body({"file": "PDF, PNG, JPEG, xlsx or docx"}),
    responses={413: ERRORS[400]},
)
async def upload(
    request: Request,
    factory: Factory,
    web: Web,
    who: ApiWriter,
    record_id: Id,
    document: Annotated[str | None, Query(max_length=200)] = None,
) -> AttachmentPublic:
    """Attach a file (multipart, field ``file``) to your open application (before it is
    submitted); at most ``HUIQI_WEB_MAX_UPLOAD_MB`` (default 10 MB); the type is read from
    the content. Who may attach is checked before the upload is read: 403/404 first, then
    413 for a file above the limit.

    With an ``Idempotency-Key`` header (:mod:`huiqi.web.idempotent`, as every write), a
    call repeated with the same key by the same account answers the file stored the first
    time and stores nothing; the key with another file or application is a 422. The key is
    also kept with the file (a key the store forgot, sent for another application: 409).

    ``?document=`` names which of the policy's listed materials the file is (its Chinese
    or English name, as ``GET /api/v1/policies/{id}`` lists them under ``documents``), so
    that the application's required documents count it; a name the policy does not list
    is a 400 before the upload is read. An application is not submitted while a required
    document has no file."""
    limit, actor = web.max_upload_bytes, actor_of(who)
    key = request.headers.get("idempotency-key")
    first = await may_attach(factory, actor=actor, record_id=record_id, key=key, document=document)
    if first is not None:  # a repeat: answered as the first upload was
        return AttachmentPublic.model_validate(first)
    refuse_too_large(request, limit)
    form = await request.form(max_files=1, max_fields=5)
    try:
        name, content = await read_bounded(form.get("file"), limit)
    finally:
        await form.close()
    row = await attach(
        factory,
        actor=actor,
        record_id=record_id,
        filename=name,
        content=content,
        max_bytes=limit,
        key=key,
        document=document,
    )
    return AttachmentPublic.model_validate(row)


@router.get(
    "/records/{record_id}/attachments", tags=["enterprise"], dependencies=[ATTACHMENT_READERS]
)
def attachments(factory: Factory, who: SignedIn, record_id: Id) -> list[AttachmentPublic]:
    """The files attached to an application (the enterprise; reviewers in scope)."""
    with reading(factory) as s:
        rows = list_attachments(s, actor=actor_of(who), record_id=record_id)
    return [AttachmentPublic.model_validate(r) for r in rows]


@router.get(
    "/attachments/{attachment_id}",
    tags=["enterprise"],
    dependencies=[ATTACHMENT_READERS],
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "the file"}},
)
def attachment(factory: Factory, who: SignedIn, attachment_id: Id) -> Response:
    """One attached file, with the type sniffed when it was uploaded."""
    with transaction(factory) as s:  # an official's read is an audit event
        row, content = get_attachment(s, actor=actor_of(who), attachment_id=attachment_id)
    return download(content, row.content_type, row.filename, row.id)


@router.delete("/attachments/{attachment_id}", tags=["enterprise"], dependencies=[ENTERPRISE_SIDE])
def remove(factory: Factory, who: ApiWriter, attachment_id: Id) -> AttachmentPublic:
    """Remove a file from your application while it is not yet submitted."""
    with transaction(factory) as s:
        row = remove_attachment(s, actor=actor_of(who), attachment_id=attachment_id)
    return AttachmentPublic.model_validate(row)

"""``/api/v1`` for the attachments of a pre-filled application (申报): upload (multipart,
field ``file``), list, download, remove. ``delivery.attachments`` checks who may do what
and sniffs what a file is; the declared content type is never trusted."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from huiqi.db.engine import reading, transaction
from huiqi.delivery.attachments import (
    AttachmentRow,
    add_attachment,
    get_attachment,
    list_attachments,
    remove_attachment,
)
from huiqi.web.api.service_schemas import AttachmentPublic
from huiqi.web.api.v1 import ERRORS
from huiqi.web.deps import ApiWriter, Factory, SignedIn, Web, actor_of
from huiqi.web.uploads import download, read_upload, refuse_oversized

router = APIRouter(prefix="/api/v1", responses=ERRORS)
Id = Annotated[int, Path(ge=1, le=2**62)]


@router.post("/records/{record_id}/attachments", tags=["enterprise"])
async def upload(
    request: Request,
    factory: Factory,
    web: Web,
    who: ApiWriter,
    record_id: Id,
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG, xlsx or docx")],
) -> AttachmentPublic:
    """Attach a file to your open application (before it is submitted); at most
    ``HUIQI_WEB_MAX_UPLOAD_MB`` (default 10 MB); the type is read from the content."""
    limit = web.max_upload_bytes
    refuse_oversized(request, limit)
    name, content = await read_upload(file, limit)

    def attach() -> AttachmentRow:
        with transaction(factory) as s:
            return add_attachment(
                s,
                actor=actor_of(who),
                record_id=record_id,
                filename=name,
                content=content,
                max_bytes=limit,
            )

    return AttachmentPublic.model_validate(await run_in_threadpool(attach))


@router.get("/records/{record_id}/attachments", tags=["enterprise"])
def attachments(factory: Factory, who: SignedIn, record_id: Id) -> list[AttachmentPublic]:
    """The files attached to an application (the enterprise; reviewers in scope)."""
    with reading(factory) as s:
        rows = list_attachments(s, actor=actor_of(who), record_id=record_id)
    return [AttachmentPublic.model_validate(r) for r in rows]


@router.get(
    "/attachments/{attachment_id}",
    tags=["enterprise"],
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "the file"}},
)
def attachment(factory: Factory, who: SignedIn, attachment_id: Id) -> Response:
    """One attached file, with the type sniffed when it was uploaded."""
    with reading(factory) as s:
        row, content = get_attachment(s, actor=actor_of(who), attachment_id=attachment_id)
    return download(content, row.content_type, row.filename, row.id)


@router.delete("/attachments/{attachment_id}", tags=["enterprise"])
def remove(factory: Factory, who: ApiWriter, attachment_id: Id) -> AttachmentPublic:
    """Remove a file from your application while it is not yet submitted."""
    with transaction(factory) as s:
        row = remove_attachment(s, actor=actor_of(who), attachment_id=attachment_id)
    return AttachmentPublic.model_validate(row)

"""Attachments of a pre-filled application (申报) from the policy page: upload, download,
remove. ``delivery.attachments`` decides who may do what and whether a file is accepted;
a refusal comes back to the policy page, worded next to the file field."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.db.engine import transaction
from huiqi.delivery.attachments import check_key, get_attachment, remove_attachment
from huiqi.delivery.filetypes import AttachmentError
from huiqi.errors import HuiqiError
from huiqi.web.attaching import attach, may_attach
from huiqi.web.deps import CsrfRefused, Factory, SignedIn, Web, actor_of
from huiqi.web.i18n import N_
from huiqi.web.uploads import download, read_upload, refuse_oversized
from huiqi.web.views.forms import FORM_EXPIRED, Form, csrf_fields, form_id, local_path

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]

# What the policy page says next to the file field, by the refusal's code.
ERRORS = {
    "missing": N_("Choose a file to attach."),
    "empty": N_("The file is empty."),
    "too_big": N_("The file is larger than %(mb)s MB."),
    "wrong_type": N_(
        "Only PDF, PNG, JPEG, Excel (xlsx) and Word (docx) files are accepted; the file's"
        " content decides, not its name."
    ),
    "too_many": N_("This application holds as many files as it may; remove one first."),
    # Shown only if the page still offers the form; a page of an application no longer
    # open says so with its status (_attachments.html).
    "not_open": N_("The application is no longer open: its files can no longer change."),
    "document": N_("Choose one of the documents the policy lists, or 'another file'."),
    "key_reused": N_(
        "This form was already used to attach a file to another application; reload the page"
        " and choose the file again."
    ),
}


def _back(policy_id: str, uscc: str | None, **query: str) -> RedirectResponse:
    params = ([f"uscc={quote(uscc)}"] if uscc else []) + [
        f"{k}={quote(v, safe='')}" for k, v in query.items()
    ]
    suffix = ("?" + "&".join(params)) if params else ""
    return RedirectResponse(f"/policies/{quote(policy_id)}{suffix}#attachments", status_code=303)


@router.post("/policies/{policy_id}/attachments")
async def upload_page(
    request: Request, factory: Factory, web: Web, who: SignedIn, policy_id: str
) -> Response:
    """Attach a file to the enterprise's open application, then show the page again.

    The application is named in the form's address (``?record_id=``), not among its
    fields, so that who may attach is checked before the upload is read, as the API
    does: a refused user's file is never read. The form's one-time ``idempotency_key``
    makes a form sent twice store one file, the second answered as the first."""
    limit, actor = web.max_upload_bytes, actor_of(who)
    uscc = request.query_params.get("uscc") or None
    record_id = form_id(request.query_params.get("record_id"))
    if record_id is None:
        raise HuiqiError("the form names no application; reload the page")

    try:
        await may_attach(factory, actor=actor, record_id=record_id)
        refuse_oversized(request, limit)
    except AttachmentError as exc:
        return _back(policy_id, uscc, attach_error=exc.code)
    form = await request.form(max_files=1, max_fields=20)
    try:
        fields = csrf_fields(request, form)
        if fields.get("record_id") not in (None, str(record_id)):
            raise HuiqiError("the form names two applications; reload the page")
        try:
            key = check_key(fields.get("idempotency_key"))
        except AttachmentError:  # the page writes 32 hex characters: this form is not its own
            raise CsrfRefused(FORM_EXPIRED) from None
        name, content = await read_upload(form.get("file"), limit)
        await attach(
            factory,
            actor=actor,
            record_id=record_id,
            filename=name,
            content=content,
            max_bytes=limit,
            key=key,
            document=fields.get("document") or None,
        )
    except AttachmentError as exc:
        # The file cannot come back, but the document it was chosen for does: the form
        # shown again keeps that choice rather than the first one still missing.
        chosen = fields.get("document")
        kept = {} if chosen is None else {"document": str(chosen)[:200]}
        return _back(policy_id, uscc, attach_error=exc.code, **kept)
    finally:
        await form.close()
    return _back(policy_id, uscc, attached="1")


@router.get("/attachments/{attachment_id}")
def download_page(factory: Factory, who: SignedIn, attachment_id: Id) -> Response:
    with transaction(factory) as s:  # an official's read is an audit event
        row, content = get_attachment(s, actor=actor_of(who), attachment_id=attachment_id)
    return download(content, row.content_type, row.filename, row.id)


@router.post("/attachments/{attachment_id}/remove")
def remove_page(factory: Factory, who: SignedIn, attachment_id: Id, form: Form) -> Response:
    with transaction(factory) as s:
        remove_attachment(s, actor=actor_of(who), attachment_id=attachment_id)
    return RedirectResponse(local_path(form.get("next"), "/home"), status_code=303)

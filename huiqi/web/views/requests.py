"""The enterprise's requests (诉求) in the portal: file one (with files), follow it, read
the answer, rate it. Each page calls :mod:`huiqi.desk` service functions, which check
that the visitor is the enterprise or its park operator."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from huiqi.catalogue.service import policy_titles
from huiqi.db.engine import reading, transaction
from huiqi.delivery.filetypes import AttachmentError
from huiqi.desk import closing
from huiqi.desk.categories import list_categories
from huiqi.desk.errors import DeskError
from huiqi.desk.filing import MAX_FILES, check_key, file_request
from huiqi.desk.queries import get_attachment, get_request, list_requests
from huiqi.desk.rating import rate
from huiqi.errors import HuiqiError, NotFoundError
from huiqi.web.deps import AppSettings, CsrfRefused, Factory, SignedIn, Web, Who, actor_of
from huiqi.web.errors import status_of
from huiqi.web.i18n import N_
from huiqi.web.portal import asked_enterprise
from huiqi.web.render import page, page_url
from huiqi.web.uploads import download, refuse_oversized
from huiqi.web.views.forms import FORM_EXPIRED, Form, csrf_fields, form_id

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]
STARS = (5, 4, 3, 2, 1)
PAGE = 500  # the newest requests the page lists (a park's may be many more)
STATUS_NAMES = {
    "open": N_("Waiting to be acknowledged"),
    "acknowledged": N_("Being handled"),
    "answered": N_("Answered"),
    "reopened": N_("Reopened"),
    "closed": N_("Closed"),
    "withdrawn": N_("Withdrawn"),
}
STEP_NAMES = {
    "filed": N_("Filed"),
    "acknowledged": N_("Acknowledged"),
    "replied": N_("Answered"),
    "transferred": N_("Transferred"),
    "rated": N_("Rated"),
    "reopened": N_("Reopened"),
    "closed": N_("Closed"),
    # Who withdrew follows the step's name: the enterprise, or its park operator.
    "withdrawn": N_("Withdrawn"),
    "dept_closed": N_("Closed by the department"),
    "reminded": N_("Deadline reminder"),
    "escalated": N_("Escalated as overdue"),
}
FILE_ERRORS = {
    "empty": N_("The file is empty."),
    "too_big": N_("A file is larger than 10 MB."),
    "wrong_type": N_(
        "Only PDF, PNG, JPEG, Excel (xlsx) and Word (docx) files are accepted; the file's"
        " content decides, not its name."
    ),
    "too_many": N_("At most 5 files go with a request."),
}
CHANNEL_NAMES = {"portal": N_("online"), "hotline": N_("12345 hotline")}
NAMES = {"status_names": STATUS_NAMES, "step_names": STEP_NAMES, "channel_names": CHANNEL_NAMES}


def _requests_page(
    request: Request,
    factory: Factory,
    who: Who,
    uscc: str,
    form: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    code = (uscc or "").strip().upper() or who.enterprise
    with reading(factory) as s:
        try:
            rows = list_requests(s, actor=actor_of(who), uscc=code, limit=PAGE, newest_first=True)
        except HuiqiError:
            if request.method != "POST":
                raise
            # A USCC typed into the refused form (mistyped, or not of the park): the form
            # says why beside it, above the requests the visitor may read (it was a 403).
            rows = list_requests(
                s, actor=actor_of(who), uscc=who.enterprise, limit=PAGE, newest_first=True
            )
        categories = list_categories(s)
    context: dict[str, Any] = {
        "rows": rows,
        "categories": categories,
        "form": {"uscc": code or "", **form},
        "errors": errors,
        "filed": request.query_params.get("filed"),
        "max_files": MAX_FILES,
        # The form's one-time key: sent twice (a double click, the browser resending the
        # POST), it files one request, and the second answer shows that one.
        "idempotency_key": secrets.token_hex(16),
        **NAMES,
    }
    if request.method == "POST":  # a refused filing: its language link opens this list again
        context["here"] = page_url("/requests", uscc=uscc, policy=form.get("policy_id"))
    return page(request, "requests.html", context, status_code=status_code)


@router.get("/requests")
def requests_page(
    request: Request,
    factory: Factory,
    who: SignedIn,
    uscc: str = "",
    policy: str = "",
    grant: str = "",
) -> Response:
    """The enterprise's requests, and the form to file a new one (about ``policy`` or
    ``grant`` when named: a failed payment's message links here with its grant)."""
    asked_enterprise(uscc[:40])  # a code that cannot be one is said as such (it was a 403)
    shown = {"policy_id": policy[:120], "grant_id": grant[:19] if grant.isdigit() else ""}
    return _requests_page(request, factory, who, uscc[:18], shown, {})


def _field_of(exc: HuiqiError) -> str:
    text = str(exc)
    for key, words in (
        ("category", "categor"),
        ("policy_id", "policy"),
        ("grant_id", "grant"),
        ("uscc", "USCC"),
    ):
        if words in text:
            return key
    return "text"


@router.post("/requests")
async def file_page(
    request: Request, factory: Factory, web: Web, who: SignedIn, settings: AppSettings
) -> Response:
    """File the request, then show it; a refusal is worded next to its field."""
    limit = 10 * 1024 * 1024
    refuse_oversized(request, limit * MAX_FILES)
    form = await request.form(max_files=MAX_FILES + 1, max_fields=20)
    try:
        fields = csrf_fields(request, form)
        try:
            key = check_key(fields.get("idempotency_key"))
        except DeskError:  # the page writes 32 hex characters: this form is not its own
            raise CsrfRefused(FORM_EXPIRED) from None
        files = []
        for upload in form.getlist("files"):
            if isinstance(upload, UploadFile) and (upload.filename or upload.size):
                files.append((upload.filename, await upload.read(limit + 1)))
    finally:
        await form.close()
    shown = {k: fields.get(k, "") for k in ("category", "text", "policy_id", "grant_id")}
    grant = fields.get("grant_id", "").strip()
    grant_id = form_id(grant)
    errors: dict[str, str] = {}
    if not fields.get("category", "").strip():
        errors["category"] = N_("Choose the category of your request.")
    elif not (fields.get("uscc", "").strip() or who.enterprise):
        # A park operator who left it empty read "'' has 0 characters; a USCC has exactly 18".
        errors["uscc"] = N_(
            "Enter the USCC of the enterprise of your park that the request is for."
        )
    elif grant and grant_id is None:
        errors["grant_id"] = (
            N_("No grant has a number that long: copy it from your grants page.")
            if grant.isdigit() and len(grant) > 18
            else N_("A grant is named by its number.")
        )
    else:

        def filing() -> int:
            with transaction(factory) as s:
                return file_request(
                    s,
                    actor=actor_of(who),
                    uscc=fields.get("uscc") or who.enterprise or "",
                    category=fields.get("category", ""),
                    text=fields.get("text", ""),
                    policy_id=fields.get("policy_id", "").strip() or None,
                    grant_id=grant_id,
                    files=files,
                    settings=settings,
                    idempotency_key=key,
                ).id

        try:
            made = await run_in_threadpool(filing)
        except AttachmentError as exc:
            errors["files"] = FILE_ERRORS.get(exc.code, str(exc))
        except (DeskError, NotFoundError) as exc:
            errors[_field_of(exc)] = str(exc)
        else:
            return RedirectResponse(f"/requests/{made}?filed=1", status_code=303)
    return _requests_page(
        request, factory, who, fields.get("uscc", ""), shown, errors, status_code=400
    )


def _request_page(
    request: Request,
    factory: Factory,
    who: Who,
    request_id: int,
    form: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    with reading(factory) as s:
        row = get_request(s, actor=actor_of(who), request_id=request_id)
        # The policy by its title, not its id (qa9: the page read "政策 jd-rd-…-2026").
        titles = policy_titles(s, [row.policy_id] if row.policy_id else [])
    context: dict[str, Any] = {
        "r": row,
        "policy_title": titles.get(row.policy_id or ""),
        "form": form,
        "errors": errors,
        "stars": STARS,
        "filed": request.query_params.get("filed"),
        "rated": request.query_params.get("rated"),
        "withdrawn": request.query_params.get("withdrawn"),
        **NAMES,
    }
    return page(request, "request.html", context, status_code=status_code)


@router.get("/requests/{request_id}")
def request_page(request: Request, factory: Factory, who: SignedIn, request_id: Id) -> Response:
    """One request: its status, deadlines, history and answer, and the rating form."""
    return _request_page(request, factory, who, request_id, {}, {})


@router.post("/requests/{request_id}/rate")
def rate_page(
    request: Request, factory: Factory, who: SignedIn, request_id: Id, form: Form
) -> Response:
    errors: dict[str, str] = {}
    status = 400
    stars = int(form["stars"]) if form.get("stars", "") in {"1", "2", "3", "4", "5"} else None
    if stars is None:
        errors["stars"] = N_("Choose from 1 to 5 stars.")
    else:
        try:
            with transaction(factory) as s:
                rate(
                    s,
                    actor=actor_of(who),
                    request_id=request_id,
                    stars=stars,
                    comment=form.get("comment") or None,
                )
        except DeskError as exc:
            errors["comment" if "comment" in str(exc) else "stars"] = str(exc)
            status = status_of(exc)  # 409 when already rated or not answered: as the API
    if errors:
        shown = {k: form.get(k, "") for k in ("stars", "comment")}
        return _request_page(request, factory, who, request_id, shown, errors, status_code=status)
    return RedirectResponse(f"/requests/{request_id}?rated=1", status_code=303)


@router.get("/request-files/{attachment_id}")
def request_file(factory: Factory, who: SignedIn, attachment_id: Id) -> Response:
    """A file filed with a request, for those who may read the request."""
    with transaction(factory) as s:  # an official's read is an audit event
        row, content = get_attachment(s, actor=actor_of(who), attachment_id=attachment_id)
    return download(content, row.content_type, row.filename, row.id)


@router.post("/requests/{request_id}/withdraw")
def withdraw_page(
    request: Request, factory: Factory, who: SignedIn, request_id: Id, form: Form
) -> Response:
    """Withdraw the request before it is answered (an optional reason)."""
    try:
        with transaction(factory) as s:
            closing.withdraw(
                s, actor=actor_of(who), request_id=request_id, reason=form.get("reason") or None
            )
    except DeskError as exc:
        shown, errors = {"reason": form.get("reason", "")}, {"withdraw": str(exc)}
        return _request_page(request, factory, who, request_id, shown, errors, status_of(exc))
    return RedirectResponse(f"/requests/{request_id}?withdrawn=1", status_code=303)

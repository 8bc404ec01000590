"""The complaints office's own pages beside its review queue: importing a complaint
system's export (as ``huiqi complaints import`` and ``POST /api/v1/complaints/import``),
with each rejected row's line, column and reason; and the complaints about one
enterprise, grouped to answer once ("about us", ``GET /api/v1/complaints/about-us``),
paged by the same keyset (``after``: the last group's id).

Each page calls one service function of :mod:`huiqi.complaints.intake` or
:mod:`huiqi.complaints.service`, which checks the role; the console's page check
(``console_pages``) refuses other roles (403) before anything else is read. The report
of an import answers its POST by a GET (``render.page(shown_by_get=True)``), so that
going back and forward never imports the file again.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from huiqi.complaints import intake, service
from huiqi.db.engine import reading, transaction
from huiqi.delivery.filetypes import AttachmentError
from huiqi.errors import HuiqiError, NotFoundError
from huiqi.web.console_pages import require_page
from huiqi.web.deps import AppSettings, Factory, SignedIn, Who, actor_of
from huiqi.web.errors import status_of
from huiqi.web.i18n import N_
from huiqi.web.render import page
from huiqi.web.uploads import SLACK, declared_length, read_upload
from huiqi.web.views.forms import csrf_fields

router = APIRouter(include_in_schema=False)
IMPORT = "/console/complaints/import"
ABOUT = "/console/complaints/about"
MAPPING_BYTES = 64 * 1024  # a mapping file is a few lines of YAML
SHOWN_REJECTS = 200  # the report's first rejected rows (the API's answer has them all)
ABOUT_PAGE = 50  # answer groups per page of "about us"


def _import_page(
    request: Request,
    who: Who,
    *,
    report: intake.ImportReport | None = None,
    file: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    require_page(actor_of(who), IMPORT)
    context: dict[str, Any] = {
        "report": report,
        "file": file,
        "rejects": report.rejects[:SHOWN_REJECTS] if report else [],
        "error": error,
        "max_mb": f"{request.app.state.web.max_upload_bytes / 1024 / 1024:g}",
    }
    # A report answers a POST: shown by a GET, as a refusal is (render.page).
    shown = report is not None and request.method == "POST"
    return page(
        request,
        "console_complaints_import.html",
        context,
        status_code=status_code,
        shown_by_get=shown or None,
    )


@router.get(IMPORT)
def import_form(request: Request, who: SignedIn) -> Response:
    """The form that imports a complaint system's export."""
    return _import_page(request, who)


@router.post(IMPORT)
async def import_upload(
    request: Request, settings: AppSettings, factory: Factory, who: SignedIn
) -> Response:
    """Import the uploaded export (and its optional mapping), then show the report."""
    actor, limit = actor_of(who), request.app.state.web.max_upload_bytes
    require_page(actor, IMPORT)
    intake.require_importer(actor)  # a refused user's file is never read
    declared = declared_length(request)
    if declared is not None and declared > limit + MAPPING_BYTES + SLACK:
        return _import_page(request, who, error=_too_big(limit), status_code=413)
    form = await request.form(max_files=2, max_fields=5)
    try:
        csrf_fields(request, form)
        try:
            name, content = await read_upload(form.get("file"), limit)
        except AttachmentError:
            error = N_("Choose the complaint system's export to import.")
            return _import_page(request, who, error=error, status_code=400)
        if len(content) > limit:
            return _import_page(request, who, error=_too_big(limit), status_code=413)
        mapping = None
        sent = form.get("mapping")
        if isinstance(sent, UploadFile) and sent.filename:
            mapping = await sent.read(MAPPING_BYTES + 1)
            if len(mapping) > MAPPING_BYTES:
                error = N_("The mapping file is too large: a mapping is a few lines of YAML.")
                return _import_page(request, who, error=error, status_code=413)
    finally:
        await form.close()

    def run() -> intake.ImportReport:
        with transaction(factory) as s:
            return intake.import_uploaded_complaints(
                settings, s, actor=actor, filename=name, content=content, mapping=mapping
            )

    try:
        report = await run_in_threadpool(run)
    except HuiqiError as exc:  # a file or mapping that cannot be read, said why
        return _import_page(request, who, error=str(exc), status_code=status_of(exc))
    return _import_page(request, who, report=report, file=name)


def _too_big(limit: int) -> str:
    # The steward's import page's words (web/import_texts.py translates them).
    return (
        f"the file is larger than {limit:,} bytes ({limit / 1024 / 1024:g} MB), the most this"
        " site takes; split it into smaller files and import each (an import adds and changes"
        " only its own rows), or have it imported on the server"
    )


Uscc = Annotated[str, Query(max_length=40)]
After = Annotated[int | None, Query(ge=1, le=2**62)]


@router.get(ABOUT)
def about_enterprise(
    request: Request, factory: Factory, who: SignedIn, uscc: Uscc = "", after: After = None
) -> Response:
    """The complaints about one enterprise, grouped to answer once, a page at a time."""
    actor = actor_of(who)
    require_page(actor, ABOUT)
    asked = uscc.strip().upper()
    groups: list[service.EnterpriseComplaint] = []
    error, status = None, 200
    if asked:
        try:
            with reading(factory) as s:
                groups = service.enterprise_complaints(
                    s, actor=actor, uscc=asked, limit=ABOUT_PAGE + 1, after_id=after
                )
        except NotFoundError as exc:  # a cursor that is not a group about it
            error, status = str(exc), 404
        except HuiqiError as exc:  # not a credit code, said why
            error, status = str(exc), status_of(exc)
    more = len(groups) > ABOUT_PAGE
    groups = groups[:ABOUT_PAGE]
    context: dict[str, Any] = {
        "uscc": asked,
        "groups": groups,
        "after": after,
        "next_after": groups[-1].id if more else None,
        "error": error,
    }
    return page(request, "console_complaints_about.html", context, status_code=status)

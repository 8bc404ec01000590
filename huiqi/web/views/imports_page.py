"""The data steward's imports: the history of imports, one import's report with its
rejects and downloads, and a form that imports a registry file (as ``huiqi import``).

Each page calls one service function (``profiles.service``: ``list_imports``,
``read_import``, ``import_report_file``, ``import_files``), which checks the steward's
role; ``import_files`` records the import in the audit log. An import is named by its
reference (a snapshot id, or the folder of an import that accepted no row), never by a
path. The upload is bounded by ``HUIQI_WEB_MAX_UPLOAD_MB`` and imported inline: a
file of that size imports in seconds (larger registry files go through ``huiqi
import``). A file the importer refuses (a header no mapping fits, an empty file, an
encoding it cannot read) comes back to the form with the importer's message.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from huiqi.accounts.access import AccessDenied
from huiqi.delivery.filetypes import AttachmentError
from huiqi.errors import HuiqiError
from huiqi.profiles import service as profiles
from huiqi.profiles.mapping_finder import all_mappings
from huiqi.web.console_pages import require_page
from huiqi.web.deps import AppSettings, Factory, SignedIn, Web, Who, actor_of
from huiqi.web.errors import status_of
from huiqi.web.i18n import N_
from huiqi.web.importing import (
    REF_CHARS,
    REF_PATTERN,
    UploadRefused,
    import_committed,
    upload_fields,
)
from huiqi.web.render import page
from huiqi.web.uploads import SLACK, declared_length, read_upload
from huiqi.web.views.forms import csrf_fields

router = APIRouter(include_in_schema=False)
PATH = "/console/imports"
# A snapshot id or a not-imported report's folder name; the service looks it up.
Ref = Annotated[str, Path(min_length=1, max_length=REF_CHARS, pattern=REF_PATTERN)]


def _page(
    request: Request,
    settings: AppSettings,
    who: Who,
    *,
    error: str | None = None,
    kept: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_of(who)
    require_page(actor, PATH)
    context: dict[str, Any] = {
        "entries": profiles.list_imports(settings, actor=actor),
        "mappings": sorted(all_mappings(settings.mappings_dir).values(), key=lambda m: m.name),
        "error": error,
        "kept": kept or {},
        "max_mb": f"{request.app.state.web.max_upload_bytes / 1024 / 1024:g}",
    }
    return page(request, "console_imports.html", context, status_code=status_code)


@router.get(PATH)
def imports_history(request: Request, settings: AppSettings, who: SignedIn) -> Response:
    """The imports, newest first, and the form that imports a file."""
    return _page(request, settings, who)


@router.post(PATH)
async def import_page(
    request: Request, settings: AppSettings, factory: Factory, web: Web, who: SignedIn
) -> Response:
    """Import the uploaded registry file, then show its report."""
    actor, limit = actor_of(who), web.max_upload_bytes
    require_page(actor, PATH)  # a refused user's file is never read
    declared = declared_length(request)
    if declared is not None and declared > limit + SLACK:
        return _too_big(request, settings, who, limit)
    form = await request.form(max_files=1, max_fields=20)
    try:
        fields = csrf_fields(request, form)
        kept = {k: fields.get(k, "")[:200] for k in ("mapping", "sheet")}
        try:
            name, content = await read_upload(form.get("file"), limit)
        except AttachmentError:
            error = N_("Choose a registry file to import.")
            return _page(request, settings, who, error=error, kept=kept, status_code=400)
        if len(content) > limit:
            return _too_big(request, settings, who, limit, kept)
        try:
            upload = upload_fields(settings, name, fields)
        except UploadRefused as exc:
            return _page(request, settings, who, error=exc.message, kept=kept, status_code=400)

        try:
            ref = await run_in_threadpool(
                import_committed, settings, factory, actor=actor, upload=upload, content=content
            )
        except AccessDenied:
            raise
        except HuiqiError as exc:
            status = status_of(exc)
            return _page(request, settings, who, error=exc.message, kept=kept, status_code=status)
    finally:
        await form.close()
    return RedirectResponse(f"{PATH}/{ref}?imported=1", status_code=303)


def _too_big(
    request: Request,
    settings: AppSettings,
    who: Who,
    limit: int,
    kept: dict[str, str] | None = None,
) -> Response:
    error = (
        f"the file is larger than {limit:,} bytes ({limit / 1024 / 1024:g} MB), the most this"
        " site takes; split it into smaller files and import each (an import adds and changes"
        " only its own rows), or have it imported on the server"
    )
    return _page(request, settings, who, error=error, kept=kept, status_code=413)


@router.get(PATH + "/{ref}")
def import_report(request: Request, settings: AppSettings, who: SignedIn, ref: Ref) -> Response:
    """One import's report: counts, what was read how, the first rejects, downloads."""
    actor = actor_of(who)
    require_page(actor, PATH)
    found = profiles.read_import(settings, actor=actor, ref=ref)
    context = {"d": found, "r": found.report, "imported": request.query_params.get("imported")}
    return page(request, "console_import.html", context)


def _download(settings: AppSettings, who: Who, ref: str, name: str) -> Response:
    path = profiles.import_report_file(settings, actor=actor_of(who), ref=ref, name=name)
    filename = f"import-{ref}-{name}"
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=filename)


@router.get(PATH + "/{ref}/rejects.csv")
def rejects_file(settings: AppSettings, who: SignedIn, ref: Ref) -> Response:
    return _download(settings, who, ref, "rejects.csv")


@router.get(PATH + "/{ref}/normalised.csv")
def normalised_file(settings: AppSettings, who: SignedIn, ref: Ref) -> Response:
    return _download(settings, who, ref, "normalised.csv")

"""``/api/v1/snapshots`` and ``/api/v1/imports``: the data steward's work: the data
snapshots, the history of imports, one import's report with its first rejects, the files
it left (``rejects.csv``, ``normalised.csv``), and the upload that imports a registry
file (as ``huiqi import``). The same service calls as the console's imports page
(``profiles.service``: ``list_snapshots``, ``list_imports``, ``read_import``,
``import_report_file``, ``import_files``), which check the role; the upload goes through
the same steps as the page's form (:mod:`huiqi.web.importing`): a mapping by one of its
names, never a path, the file's own name made safe, at most ``HUIQI_WEB_MAX_UPLOAD_MB``.

An import is named by its reference (a snapshot's id, or the folder of an import that
accepted no row), looked up by the service, never joined onto a path."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from huiqi.accounts.roles import POLICY_ROLES, Role
from huiqi.profiles import service as profiles
from huiqi.web.api.imports_schemas import (
    ImportDetailPublic,
    ImportEntryPublic,
    SnapshotPublic,
)
from huiqi.web.api.v1 import ERRORS
from huiqi.web.deps import ApiWriter, AppSettings, Factory, SignedIn, Web, actor_of, role_gate
from huiqi.web.importing import REF_CHARS, REF_PATTERN, SUFFIXES, import_committed, upload_fields
from huiqi.web.uploads import multipart_body, read_bounded, refuse_too_large

router = APIRouter(prefix="/api/v1", responses=ERRORS, tags=["data"])
Ref = Annotated[
    str,
    Path(
        min_length=1,
        max_length=REF_CHARS,
        pattern=REF_PATTERN,
        description="a snapshot id, or the ref the history gives an import that made none",
    ),
]
UPLOAD = {"file": f"the registry file: {', '.join(SUFFIXES)}"}
UPLOAD_TEXTS = {
    "mapping": "the mapping's name (market, tax, …; one not known is refused naming them);"
    " none: detected from the header",
    "sheet": "a workbook's sheet (default: the first)",
}


@router.get(
    "/snapshots",
    dependencies=[
        role_gate("list data snapshots", Role.DATA_STEWARD, Role.ADMIN, *sorted(POLICY_ROLES))
    ],
)
def snapshots(settings: AppSettings, who: SignedIn) -> list[SnapshotPublic]:
    """Data snapshots, one per import, oldest first (data stewards, policy officers,
    admins): what each matching and simulation reads."""
    return [SnapshotPublic.of(s) for s in profiles.list_snapshots(settings, actor=actor_of(who))]


@router.get("/imports", dependencies=[role_gate("list imports", Role.DATA_STEWARD)])
def imports(settings: AppSettings, who: SignedIn) -> list[ImportEntryPublic]:
    """The imports, newest first (the newest 500; data stewards): each snapshot, and each
    import that accepted no row and so made none."""
    return [ImportEntryPublic.of(e) for e in profiles.list_imports(settings, actor=actor_of(who))]


@router.get("/imports/{ref}", dependencies=[role_gate("read import reports", Role.DATA_STEWARD)])
def import_report(settings: AppSettings, who: SignedIn, ref: Ref) -> ImportDetailPublic:
    """One import's report (data stewards): counts, what was read how, the first 50
    rejects (file, line, column, field, value, reason), and the files it left; 404 for no
    such import, or a snapshot made otherwise (no report)."""
    return ImportDetailPublic.of(profiles.read_import(settings, actor=actor_of(who), ref=ref))


@router.get(
    "/imports/{ref}/files/{name}",
    dependencies=[role_gate("download import reports", Role.DATA_STEWARD)],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "the file (UTF-8 CSV)"}},
)
def import_file(
    settings: AppSettings,
    who: SignedIn,
    ref: Ref,
    name: Literal["rejects.csv", "normalised.csv"],
) -> Response:
    """A file the import left (data stewards): ``rejects.csv`` (every refused row whole,
    with its line, column, field and reason) or ``normalised.csv`` (cells read otherwise
    than written); 404 when the import left none."""
    path = profiles.import_report_file(settings, actor=actor_of(who), ref=ref, name=name)
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=f"import-{ref}-{name}")


@router.post(
    "/imports",
    responses={413: ERRORS[400]},
    openapi_extra=multipart_body(UPLOAD, texts=UPLOAD_TEXTS),
    dependencies=[role_gate("import registry files", Role.DATA_STEWARD)],
)
async def upload(
    request: Request, settings: AppSettings, factory: Factory, web: Web, who: ApiWriter
) -> ImportDetailPublic:
    """Import a registry file (multipart: ``file``, optional ``mapping`` and ``sheet``; as
    ``huiqi import``, an audit event ``data_import``): 200 with its report, rows rejected
    or not (a file whose every row is refused makes no snapshot; its ``ref`` still opens
    the report); 403 before the upload is read for anyone but a data steward; 413 above
    ``HUIQI_WEB_MAX_UPLOAD_MB``; 422 with no file; 400 for a file type the importer does not
    read, an unknown mapping, or a file it cannot read at all (the importer's message)."""
    actor = actor_of(who)
    profiles.require_importer(actor)
    refuse_too_large(request, web.max_upload_bytes)
    form = await request.form(max_files=1, max_fields=5)
    try:
        name, content = await read_bounded(form.get("file"), web.max_upload_bytes)
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
    finally:
        await form.close()
    chosen = upload_fields(settings, name, fields)
    ref = await run_in_threadpool(
        import_committed, settings, factory, actor=actor, upload=chosen, content=content
    )
    return ImportDetailPublic.of(profiles.read_import(settings, actor=actor, ref=ref))

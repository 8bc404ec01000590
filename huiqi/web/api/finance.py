"""``/api/v1/finance``: disbursement batches (list, export a new one, download its files),
the upload of the finance system's payment results, and the release of a failed payment
for re-payment, for finance officers. The same service calls as the console's finance
page (``delivery.service.list_batches``, ``delivery.disburse.export_batch``,
``delivery.batchfiles``) and ``huiqi disburse repay`` (``delivery.repayment``), which
check the role."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from huiqi.accounts.roles import Role
from huiqi.db.engine import reading, transaction
from huiqi.delivery import service as ledger
from huiqi.delivery.batchfiles import (
    KINDS,
    apply_uploaded_results,
    batch_file,
    require_results_uploader,
)
from huiqi.delivery.disburse import export_batch
from huiqi.delivery.models import Batch
from huiqi.delivery.payments import ResultReport
from huiqi.delivery.repayment import MAX_REASON, release_for_repayment
from huiqi.delivery.rows import BatchRow
from huiqi.web.api.amounts import yuan_of
from huiqi.web.api.fields import NotBlank, RequestBody
from huiqi.web.api.times import Utc
from huiqi.web.api.v1 import ERRORS, Before
from huiqi.web.deps import ApiWriter, AppSettings, Factory, SignedIn, Web, actor_of, role_gate
from huiqi.web.uploads import multipart_body, read_bounded, refuse_too_large

# A write's 413 is declared with the others' (huiqi.web.error_schema); a read reads no body.
router = APIRouter(prefix="/api/v1/finance", responses=ERRORS, tags=["finance"])
Id = Annotated[int, Path(ge=1, le=2**62)]


class BatchPublic(BaseModel):
    id: int
    created_at: Utc
    created_by: str
    status: str
    grants: int
    total_fen: int
    total_yuan: str
    files: list[str]  # what GET .../files/{kind} can download: csv, xlsx

    @classmethod
    def of(cls, b: BatchRow | Batch) -> BatchPublic:
        kinds = {"csv": b.csv_path, "xlsx": b.xlsx_path}
        return cls(
            id=b.id,
            created_at=b.created_at,
            created_by=b.created_by,
            status=str(b.status),
            grants=b.grants,
            total_fen=b.total_fen,
            total_yuan=yuan_of(b.total_fen),
            files=[k for k, path in kinds.items() if path and FilePath(path).is_file()],
        )


class RowErrorPublic(BaseModel):
    line: int | None
    column: int | None
    field: str | None
    message: str


class PaymentResultsPublic(BaseModel):
    file: str
    rows: int
    paid: int
    failed: int
    unchanged: int
    errors: list[RowErrorPublic]

    @classmethod
    def of(cls, r: ResultReport) -> PaymentResultsPublic:
        errors = [
            RowErrorPublic(
                line=e.location.line if e.location else None,
                column=e.location.column if e.location else None,
                field=e.location.field if e.location else None,
                message=e.message,
            )
            for e in r.errors
        ]
        return cls(
            file=r.file,
            rows=r.rows,
            paid=r.paid,
            failed=r.failed,
            unchanged=r.unchanged,
            errors=errors,
        )


@router.get(
    "/batches",
    dependencies=[role_gate("list disbursement batches", Role.FINANCE_OFFICER, Role.ADMIN)],
)
def batches(
    factory: Factory,
    who: SignedIn,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Before = None,
) -> list[BatchPublic]:
    """Disbursement batches, newest first (finance officers and admins); the next page is
    ``before_id=<the last id of this one>`` (a keyset)."""
    with reading(factory) as s:
        rows = ledger.list_batches(s, actor=actor_of(who), limit=limit, before_id=before_id)
        return [BatchPublic.of(b) for b in rows]


@router.post(
    "/batches", dependencies=[role_gate("export disbursement batches", Role.FINANCE_OFFICER)]
)
def export(settings: AppSettings, factory: Factory, who: ApiWriter) -> BatchPublic:
    """Export every granted, unbatched grant as a new batch, with its CSV and xlsx file (as
    ``huiqi disburse export``); 409 when there is nothing to pay."""
    with transaction(factory) as s:
        batch = export_batch(s, out_dir=settings.data_dir / "disbursements", actor=actor_of(who))
        return BatchPublic.of(batch)


@router.get(
    "/batches/{batch_id}/files/{kind}",
    dependencies=[role_gate("download disbursement batches", Role.FINANCE_OFFICER)],
    response_class=Response,
    responses={200: {"content": {t: {} for t in KINDS.values()}, "description": "the file"}},
)
def download(
    factory: Factory, who: SignedIn, batch_id: Id, kind: Literal["csv", "xlsx"]
) -> Response:
    """A batch's file for the finance system: ``csv`` (UTF-8 with BOM) or ``xlsx``; each
    download is an audit event."""
    with transaction(factory) as s:
        name, content = batch_file(s, actor=actor_of(who), batch_id=batch_id, kind=kind)
    return Response(
        content,
        media_type=KINDS[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# What the file holds (huiqi.delivery.payments): an integrator had only "results: .csv or
# .xlsx" here and in docs/api.md, not its columns (QA).
RESULTS_FILE = (
    "the finance system's results: .csv (UTF-8 or GBK) or .xlsx, a header row, then a row per"
    " grant: grant_id, result (paid or failed, or 成功/失败), reason (required when failed),"
    " batch_id (as exported; required for a grant paid again after a failure, which was in"
    " several batches), optional paid_date (e.g. 2026-03-31) and amount_yuan (must equal the"
    " exported amount)"
)


@router.post(
    "/payments",
    openapi_extra=multipart_body({"file": RESULTS_FILE}),
    dependencies=[role_gate("record payment results", Role.FINANCE_OFFICER)],
)
async def upload_results(
    request: Request, factory: Factory, web: Web, who: ApiWriter
) -> PaymentResultsPublic:
    """Apply the finance system's payment results (multipart, field ``file``; as ``huiqi
    disburse results``): 200 with the rows applied and each row refused (line, column,
    reason); 403 before the upload is read for anyone but a finance officer; 413 above
    ``HUIQI_WEB_MAX_UPLOAD_MB``; 400 when the file cannot be read at all."""
    actor = actor_of(who)
    require_results_uploader(actor)
    refuse_too_large(request, web.max_upload_bytes)
    form = await request.form(max_files=1, max_fields=5)
    try:
        name, content = await read_bounded(form.get("file"), web.max_upload_bytes)
    finally:
        await form.close()

    def apply() -> ResultReport:
        with transaction(factory) as s:
            return apply_uploaded_results(s, actor=actor, filename=name, content=content)

    return PaymentResultsPublic.of(await run_in_threadpool(apply))


class RepayRequest(RequestBody):
    reason: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_REASON,
            description="what was done about the failure (e.g. the corrected account), for the audit log",
        ),
        NotBlank,
    ]


class RepaidPublic(BaseModel):
    grant_id: int
    status: str
    amount_fen: int
    amount_yuan: str


@router.post(
    "/grants/{grant_id}/repay",
    dependencies=[role_gate("release a failed payment for re-payment", Role.FINANCE_OFFICER)],
)
def repay(factory: Factory, who: ApiWriter, grant_id: Id, body: RepayRequest) -> RepaidPublic:
    """Release a grant whose payment failed, once its cause is addressed, so that the next
    export pays it again (as ``huiqi disburse repay``; an audit event); 409 when its payment
    did not fail (a paid grant is never paid again), 404 for no such grant."""
    with transaction(factory) as s:
        grant = release_for_repayment(s, actor=actor_of(who), grant_id=grant_id, reason=body.reason)
        return RepaidPublic(
            grant_id=grant.id,
            status=grant.status,
            amount_fen=grant.amount_fen,
            amount_yuan=yuan_of(grant.amount_fen),
        )

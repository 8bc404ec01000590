"""The officer console's finance page: disbursement batches (list, export a new one,
download its files), the upload of the finance system's payment results, and the grants
whose payment failed, each released for re-payment with a reason.

Each action is one service call (``delivery.service.list_batches``,
``delivery.disburse.export_batch``, ``delivery.batchfiles``,
``delivery.repayment.release_for_repayment``), which checks the role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from huiqi.accounts.roles import Role
from huiqi.db.engine import reading, transaction
from huiqi.delivery import service as ledger
from huiqi.delivery.batchfiles import KINDS, apply_uploaded_results, batch_file
from huiqi.delivery.disburse import NothingToPay, export_batch
from huiqi.delivery.filetypes import AttachmentError
from huiqi.delivery.payments import ResultReport, failure_reasons
from huiqi.delivery.repayment import release_for_repayment
from huiqi.delivery.statuses import GrantStatus
from huiqi.errors import ImportFileError
from huiqi.web.deps import AppSettings, Factory, SignedIn, Web, Who, actor_of
from huiqi.web.i18n import N_
from huiqi.web.render import page
from huiqi.web.uploads import read_upload, refuse_oversized
from huiqi.web.views.forms import Form, csrf_fields

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]
BATCHES = 100  # the newest batches on the page
FAILED = 200  # the grants whose payment failed, oldest first


def _page(
    request: Request,
    factory: Factory,
    who: Who,
    *,
    report: ResultReport | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with reading(factory) as s:
        batches = ledger.list_batches(s, actor=actor_of(who), limit=BATCHES)
        failed = ledger.list_grants(
            s, actor=actor_of(who), status=GrantStatus.PAYMENT_FAILED, limit=FAILED
        )
        why = failure_reasons(s, actor=actor_of(who), grant_ids=[g.id for g in failed])
    context: dict[str, Any] = {
        # An admin lists the batches; only a finance officer acts on them (the services
        # refuse anyone else), so only a finance officer is offered the links and forms.
        "pays": actor_of(who).has(Role.FINANCE_OFFICER),
        "batches": batches,
        "failed": failed,
        "why": why,
        "report": report,
        "error": error,
        "done": request.query_params.get("done"),
        "done_id": request.query_params.get("id", "")[:20],
    }
    return page(request, "console_finance.html", context, status_code=status_code)


@router.get("/console/finance")
def finance(request: Request, factory: Factory, who: SignedIn) -> Response:
    return _page(request, factory, who)


@router.post("/console/finance/batches")
def export(
    request: Request, settings: AppSettings, factory: Factory, who: SignedIn, form: Form
) -> Response:
    """Export every granted, unbatched grant as a new batch (as ``huiqi disburse export``)."""
    try:
        with transaction(factory) as s:
            batch = export_batch(
                s, out_dir=settings.data_dir / "disbursements", actor=actor_of(who)
            )
            batch_id = batch.id
    except NothingToPay:
        return RedirectResponse("/console/finance?done=nothing", status_code=303)
    return RedirectResponse(f"/console/finance?done=exported&id={batch_id}", status_code=303)


@router.post("/console/finance/grants/{grant_id}/repay")
def repay(factory: Factory, who: SignedIn, grant_id: Id, form: Form) -> Response:
    """Release a grant whose payment failed for the next batch (as ``huiqi disburse repay``)."""
    with transaction(factory) as s:
        release_for_repayment(
            s, actor=actor_of(who), grant_id=grant_id, reason=form.get("reason", "")
        )
    return RedirectResponse(f"/console/finance?done=repay&id={grant_id}", status_code=303)


@router.get("/console/finance/batches/{batch_id}.{kind}")
def download(factory: Factory, who: SignedIn, batch_id: Id, kind: str) -> Response:
    with transaction(factory) as s:
        name, content = batch_file(s, actor=actor_of(who), batch_id=batch_id, kind=kind)
    return Response(
        content,
        media_type=KINDS[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/console/finance/payments")
async def upload_results(request: Request, factory: Factory, web: Web, who: SignedIn) -> Response:
    """Apply the finance system's payment results (as ``huiqi disburse results``)."""
    limit = web.max_upload_bytes
    refuse_oversized(request, limit)
    form = await request.form(max_files=1, max_fields=20)
    try:
        csrf_fields(request, form)
        actor = actor_of(who)
        try:
            name, content = await read_upload(form.get("file"), limit)
        except AttachmentError:  # no file chosen
            return _page(
                request, factory, who, error=N_("Choose the payment result file."), status_code=400
            )
        if len(content) > limit:
            error = f"the file is larger than {limit:,} bytes"
            return _page(request, factory, who, error=error, status_code=400)

        def apply() -> ResultReport:
            with transaction(factory) as s:
                return apply_uploaded_results(s, actor=actor, filename=name, content=content)

        try:
            report = await run_in_threadpool(apply)
        except ImportFileError as exc:
            return _page(request, factory, who, error=exc.message, status_code=400)
    finally:
        await form.close()
    return _page(
        request,
        factory,
        who,
        report=report,
        status_code=400 if report.errors and not report.applied else 200,
    )

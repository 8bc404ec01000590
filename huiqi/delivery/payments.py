"""Payment results: read back what the finance system paid for an exported batch.

The file (CSV or xlsx) has a header row and, per grant, ``grant_id`` and
``result`` (``paid``/``failed``, or 成功/失败), with ``reason`` required for a
failure and ``paid_date`` (from the batch's export to today, in China) and
``amount_yuan`` optional (an amount must equal what was exported), and ``batch_id`` (as
exported), which names the batch a row answers for: a grant paid again after a failure
(``huiqi.delivery.repayment``) has been in more than one batch, and a row for it must say
which. A row that contradicts a recorded result is refused, saying what can be done; a row
repeating it changes nothing, so a file can be imported again safely. Bad rows
are reported with their line and column and the good ones are kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.roles import Role
from huiqi.delivery import counts, notify
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery.audit import record_event
from huiqi.delivery.models import Batch, BatchItem, Grant, PolicyVersion, utcnow
from huiqi.delivery.paymentrows import (
    RESULTS,
    RowError,
    check_paid_on,
    contradiction,
    grant_id_of,
    item_of,
    paid_date,
    reported_both_ways,
)
from huiqi.delivery.resultfile import Broken, cell_text, header_columns, read_table
from huiqi.delivery.statuses import BatchStatus, GrantStatus, PaymentResult
from huiqi.errors import ImportFileError, ImportRowError, Location
from huiqi.money import format_yuan, parse_yuan
from huiqi.profiles.totalsrow import not_a_row_of
from huiqi.wording import counted

MAX_ID = 2**62  # the largest grant id a row may name (ids are 64-bit integers)


@dataclass
class ResultReport:
    """What an import of payment results did, row by row."""

    file: str
    rows: int = 0
    paid: int = 0
    failed: int = 0
    unchanged: int = 0
    errors: list[ImportRowError] = field(default_factory=list)

    @property
    def applied(self) -> int:
        return self.paid + self.failed

    def summary(self) -> str:
        return reasons.PAYMENT_RESULTS(
            file=self.file,
            rows=counted(self.rows, "row"),
            paid=f"{self.paid:,}",
            failed=f"{self.failed:,}",
            unchanged=f"{self.unchanged:,}",
            errors=counted(len(self.errors), "error"),
        )

    def __str__(self) -> str:
        return "\n".join([self.summary(), *(f"  {err}" for err in self.errors)])


def import_payment_results(
    session: Session, path: Path, *, actor: Actor, shown_as: str | None = None
) -> ResultReport:
    """Apply a finance system's payment results (CSV or xlsx) to batched grants.

    Columns: ``grant_id``, ``result`` (paid | failed), ``reason`` (required when
    failed), optional ``paid_date`` and ``amount_yuan`` (checked against the
    batch when present). Bad rows are reported with file, line and column and
    skipped; good rows are applied. A result already recorded is left as it is,
    so importing the same file again changes nothing; a result that contradicts
    the recorded one (paid then failed, or failed then paid) is an error for an
    officer to resolve, and so is every row of a grant the file itself reports both
    paid and failed (none is applied). Each enterprise paid, or not paid, is told.

    ``shown_as``: the file's name as its uploader chose it, which the report and the
    audit log say (an upload is read from a temporary copy whose path means nothing).

    Raises:
        ImportFileError: the file cannot be read or lacks the required columns.
    """
    require_role(actor, "record payment results", Role.FINANCE_OFFICER)
    header, reader = read_table(path)
    cols = header_columns(path, header, reader)
    rows = list(reader)  # read twice: once for the grants reported both ways
    report = ResultReport(file=shown_as or str(path))
    told: list[notify.Message] = []
    seen: dict[int, int] = {}
    both_ways = reported_both_ways(rows, cols)
    batches: set[int] = set()
    for line, values in rows:
        if isinstance(values, Broken):
            report.rows += 1
            where = Location(file=str(path), line=line)
            report.errors.append(ImportRowError(values.problem, location=where))
            continue
        cells = {k: values[i] if i < len(values) else None for k, i in cols.items()}
        if all(cell_text(v) == "" for v in values):
            continue
        report.rows += 1
        try:
            outcome = _apply_row(session, path, line, cells, seen, both_ways, actor.username, told)
        except RowError as err:
            column = cols[err.column] + 1 if err.column in cols else None
            location = Location(file=str(path), line=line, column=column, field=err.column)
            report.errors.append(ImportRowError(err.message, location=location))
            continue
        kind, batch_id = outcome
        batches.add(batch_id)
        setattr(report, kind, getattr(report, kind) + 1)
    if report.rows == 0:
        # A header alone, or the wrong file exported from the bank's system: nothing was
        # recorded, and a finance officer must not read it as done.
        raise ImportFileError(
            "the file has a header but no result row; export the bank's results again, one"
            " row per grant (grant_id, result, and reason when failed)",
            location=Location(file=str(path)),
        )
    # The enterprise learns what became of its money: paid, or not paid and why (an
    # account frozen or closed is the enterprise's to put right before it is paid again).
    notify.enqueue_many(session, told)
    for batch_id in batches:
        open_items = session.scalar(
            select(func.count())
            .select_from(BatchItem)
            .where(BatchItem.batch_id == batch_id, BatchItem.result.is_(None))
        )
        batch = session.get(Batch, batch_id)
        if batch is not None and not open_items:
            batch.status = BatchStatus.SETTLED
    record_event(
        session,
        actor=actor,
        kind="payment_results",
        entity=f"file:{shown_as or path.name}"[:64],
        reason=report.summary(),
        data={"paid": report.paid, "failed": report.failed, "errors": len(report.errors)},
    )
    counts.compact(session)
    session.flush()
    return report


def _not_a_result(text: str) -> str | None:
    """Why a row whose cell holds ``text`` is no payment result: a total word (合计) or a
    note or signature below the table (注：…, 制表人：…); else None."""
    return not_a_row_of(text, "a payment result", read="read")


def _no_grant_id(cells: dict[str, Any]) -> str:
    """Why a row without a grant id is refused: a sheet's total row (合计 in another cell)
    is said to be one, never a grant id that "is not a whole number"."""
    for value in cells.values():
        text = cell_text(value)
        said = _not_a_result(text) if text else None
        if said is not None:
            return said
    return (
        "the grant id is empty: write the grant's number as the batch file has it"
        " (column grant_id, 补贴编号)"
    )


def _apply_row(
    session: Session,
    path: Path,
    line: int,
    cells: dict[str, Any],
    seen: dict[int, int],
    both_ways: dict[int, list[int]],
    actor: str,
    told: list[notify.Message],
) -> tuple[str, int]:
    """Validate and apply one row; return ('paid'|'failed'|'unchanged', batch id)."""
    raw_id = cell_text(cells["grant_id"])
    if not raw_id:
        raise RowError("grant_id", _no_grant_id(cells))
    grant_id = grant_id_of(raw_id)
    if grant_id is None and raw_id.isascii() and raw_id.isdigit():
        # A whole number beyond any id (20 digits): it names no grant, as 999999 does not.
        raise RowError("grant_id", f"unknown grant {raw_id[:40]}")
    if grant_id is None:
        # 合计 or 制表人：… in the grant id's own column (QA, qa5): said as what it is.
        said = _not_a_result(raw_id)
        raise RowError("grant_id", said or f"grant id '{raw_id[:40]}' is not a whole number")
    if not 1 <= grant_id <= MAX_ID:
        raise RowError("grant_id", f"unknown grant {grant_id}")
    raw_result = cell_text(cells["result"])
    result = RESULTS.get(raw_result.lower())
    if result is None:
        # The Chinese words too: a file with Chinese headers is written in Chinese.
        raise RowError("result", f"result '{raw_result}' is not one of {', '.join(RESULTS)}")
    reason = cell_text(cells.get("reason"))
    if result == PaymentResult.FAILED and not reason:
        raise RowError("reason", "a failed payment needs a reason (the bank's message)")
    paid_on = paid_date(cells.get("paid_date")) if result == PaymentResult.PAID else None
    if grant_id in both_ways:
        raise RowError(
            "result",
            f"grant {grant_id} is reported both paid and failed in this file (lines"
            f" {', '.join(map(str, both_ways[grant_id]))}); none of its rows is applied: ask"
            " the finance system which is right and import that row alone",
        )
    if grant_id in seen:
        raise RowError("grant_id", f"grant {grant_id} already appears on line {seen[grant_id]}")
    grant = session.scalars(
        select(Grant)
        .where(Grant.id == grant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if grant is None:
        raise RowError("grant_id", f"unknown grant {grant_id}")
    item = item_of(session, grant_id, cell_text(cells.get("batch_id")))
    if item is None:
        if grant.status not in (GrantStatus.GRANTED, GrantStatus.PROVISIONAL):
            # Superseded (就高不重复) or otherwise never payable: exporting cannot help.
            raise RowError(
                "grant_id",
                f"grant {grant_id} is {grant.status} and was never exported; it is not to be paid",
            )
        raise RowError(
            "grant_id", f"grant {grant_id} is not in any disbursement batch; export it first"
        )
    if paid_on is not None:
        check_paid_on(session, paid_on, item.batch_id)
    raw_amount = cell_text(cells.get("amount_yuan"))
    if raw_amount:
        try:
            amount = parse_yuan(raw_amount, allow_negative=False)
        except ValueError as err:
            raise RowError("amount_yuan", str(err)) from None
        if amount != item.amount_fen:
            raise RowError(
                "amount_yuan",
                f"amount {format_yuan(amount, grouping=False)} yuan differs from the {format_yuan(item.amount_fen, grouping=False)} yuan"
                f" exported for grant {grant_id} in batch {item.batch_id}",
            )
    recorded = item.result
    if recorded == result:
        seen[grant_id] = line
        return "unchanged", item.batch_id
    if recorded is not None:
        raise RowError("result", contradiction(grant, item.batch_id, recorded))
    if grant.status != GrantStatus.IN_BATCH:
        raise RowError(
            "grant_id", f"grant {grant_id} is {grant.status}, not in_batch; cannot record payment"
        )
    # Only a row that answers for the grant holds its place: a refused row before it (a
    # wrong amount, say) must not cost the file's correct row for the same grant.
    seen[grant_id] = line
    item.result = result
    item.reason = reason or None
    data = {
        "batch_id": item.batch_id,
        "amount_fen": item.amount_fen,
        "file": path.name,
        "line": line,
    }
    if result == PaymentResult.PAID:
        grant.status = GrantStatus.PAID
        grant.paid_at = dt.datetime.combine(paid_on, dt.time()) if paid_on else utcnow()
        data["paid_at"] = grant.paid_at.isoformat()
    else:
        grant.status = GrantStatus.PAYMENT_FAILED
    told.append(payment_message(session, grant, item.batch_id, result, reason))
    record_event(
        session,
        actor=actor,
        kind="paid" if result == PaymentResult.PAID else "payment_failed",
        uscc=grant.uscc,
        policy_version_id=grant.policy_version_id,
        entity=f"grant:{grant.id}",
        reason=reason or None,
        data=data,
    )
    return result, item.batch_id


def payment_message(
    session: Session, grant: Grant, batch_id: int, result: str, reason: str
) -> notify.Message:
    """The enterprise's inbox message about a payment result (once per grant and batch)."""
    pv = session.get(PolicyVersion, grant.policy_version_id)
    title = pv.title_zh if pv is not None else grant.policy_id
    amount = format_yuan(grant.amount_fen)
    if result == PaymentResult.PAID:
        return notify.Message(
            uscc=grant.uscc,
            kind="paid",
            subject=f"「{title}」资金 {amount} 元已拨付",
            body=f"「{title}」的资金 {amount} 元已拨付至贵企业账户，请注意查收。",
            dedupe_key=f"paid:{grant.id}:{batch_id}",
        )
    return notify.Message(
        uscc=grant.uscc,
        kind="payment_failed",
        subject=f"「{title}」资金 {amount} 元拨付未成功",
        body=(
            f"「{title}」的资金 {amount} 元拨付未成功，银行反馈：{reason}。"
            f"收款账户须由主管部门更正：请在门户“诉求”页就本笔资金（发放编号 {grant.id}）"
            "提出诉求，说明正确的收款账户；主管部门核实并更正后，资金将重新拨付。"
        ),
        dedupe_key=f"payment_failed:{grant.id}:{batch_id}",
    )


def failure_reasons(session: Session, *, actor: Actor, grant_ids: list[int]) -> dict[int, str]:
    """The bank's reason for each of these grants' last failed payment (finance officers
    and admins: the people who pay again), by grant id."""
    require_role(actor, "read why payments failed", Role.FINANCE_OFFICER, Role.ADMIN)
    found: dict[int, str] = {}
    for start in range(0, len(grant_ids), 500):
        rows = session.execute(
            select(BatchItem.grant_id, BatchItem.reason)
            .where(
                BatchItem.grant_id.in_(grant_ids[start : start + 500]),
                BatchItem.result == PaymentResult.FAILED,
            )
            .order_by(BatchItem.id)
        ).all()
        found.update({int(g): str(r or "") for g, r in rows})  # the last one wins
    return found

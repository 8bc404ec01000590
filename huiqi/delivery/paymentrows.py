"""One row of a payment-results file, checked: its grant id, result, paid date and batch
read from the cells, and why a row that contradicts what is recorded is refused
(``huiqi.delivery.payments`` applies the rows)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.delivery.models import Batch, BatchItem, Grant
from huiqi.delivery.resultfile import Broken, cell_text
from huiqi.delivery.statuses import GrantStatus, PaymentResult

RESULTS = {
    "paid": PaymentResult.PAID,
    "failed": PaymentResult.FAILED,
    "成功": PaymentResult.PAID,
    "失败": PaymentResult.FAILED,
}


class RowError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


# Year first, as registry imports read dates: 2026-03-31, 2026/3/31 (a Chinese-locale
# Excel's writing), 2026.3.31, 2026年3月31日, 20260331; a midnight time may follow.
PAID_DATE = re.compile(
    r"(\d{4})(?:([-/.])(\d{1,2})\2(\d{1,2})|年(\d{1,2})月(\d{1,2})日?|(\d{2})(\d{2}))"
    r"(?:[ T]0?0:00(?::00)?)?"
)


def paid_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    found = PAID_DATE.fullmatch(cell_text(value))
    try:
        if found is None:
            raise ValueError(value)
        year, _, m1, d1, m2, d2, m3, d3 = found.groups()
        return dt.date(int(year), int(m1 or m2 or m3), int(d1 or d2 or d3))
    except ValueError:
        raise RowError(
            "paid_date",
            f"paid date '{value}' is not a date; write it year first, e.g. 2026-03-31,"
            " 2026/3/31 or 2026年3月31日",
        ) from None


CHINA = dt.timedelta(hours=8)  # paid dates are dates in China; timestamps are UTC


def check_paid_on(session: Session, paid_on: dt.date, batch_id: int) -> None:
    """A payment is made after its batch was exported and not after today (in China): a
    paid date of 2020 or 2030 was recorded as it came and skewed time-to-money."""
    batch = session.get(Batch, batch_id)
    exported = (batch.created_at + CHINA).date() if batch is not None else None
    if exported is not None and paid_on < exported:
        raise RowError(
            "paid_date",
            f"paid date {paid_on} is before batch {batch_id} was exported ({exported});"
            " check the date the bank paid",
        )
    # The bank's calendar, not huiqi.clock's: a result is checked against real dates
    # (its batch's export time is one), whatever day a training environment fixes.
    today = (dt.datetime.now(dt.UTC) + CHINA).date()
    if paid_on > today:
        raise RowError(
            "paid_date",
            f"paid date {paid_on} is in the future (today is {today}); a result"
            " is recorded once the bank has paid",
        )


def grant_id_of(text: str) -> int | None:
    """A grant id as a results file writes it, or None: ASCII digits only ('²' is a digit
    to str.isdigit), and no more than an id column holds."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 19 else None


def reported_both_ways(rows: list[tuple[int, Any]], cols: dict[str, int]) -> dict[int, list[int]]:
    """The grants that rows of the file report both paid and failed (a failure with its
    reason), with those rows' lines: a file that contradicts itself about a grant says
    nothing sure of it."""
    results: dict[int, dict[str, list[int]]] = {}
    for line, values in rows:
        if isinstance(values, Broken):
            continue
        cells = {k: values[i] if i < len(values) else None for k, i in cols.items()}
        grant_id = grant_id_of(cell_text(cells.get("grant_id")))
        result = RESULTS.get(cell_text(cells.get("result")).lower())
        if grant_id is None or result is None:
            continue
        if result == PaymentResult.FAILED and not cell_text(cells.get("reason")):
            continue
        by_result = results.setdefault(grant_id, {})
        by_result.setdefault(result, []).append(line)
    return {
        grant: sorted(line for lines in by_result.values() for line in lines)
        for grant, by_result in results.items()
        if len(by_result) > 1
    }


def item_of(session: Session, grant_id: int, raw_batch: str) -> BatchItem | None:
    """The batch item a row answers for: the named batch's, or the grant's only one."""
    items = session.scalars(
        select(BatchItem).where(BatchItem.grant_id == grant_id).order_by(BatchItem.id)
    ).all()
    if raw_batch:
        if not (raw_batch.isascii() and raw_batch.isdigit()) or len(raw_batch) > 19:
            raise RowError("batch_id", f"batch id '{raw_batch[:40]}' is not a whole number")
        named = [i for i in items if i.batch_id == int(raw_batch)]
        if items and not named:
            raise RowError(
                "batch_id",
                f"grant {grant_id} is not in batch {raw_batch}; it is in batch"
                f" {', '.join(str(i.batch_id) for i in items)}",
            )
        return named[0] if named else None
    if len(items) > 1:
        raise RowError(
            "batch_id",
            f"grant {grant_id} was paid again after a failure and is in batches"
            f" {', '.join(str(i.batch_id) for i in items)}; give the batch_id column"
            " (as exported) so that the row says which payment it answers for",
        )
    return items[0] if items else None


def contradiction(grant: Grant, batch_id: int, recorded: str) -> str:
    """Why a result contradicting the recorded one is refused, and what can be done."""
    grant_id = grant.id
    if recorded == PaymentResult.PAID:
        return (
            f"grant {grant_id} is already recorded as paid in batch {batch_id}; a payment"
            " is never undone or made twice here: money the bank returned is recovered"
            " through the department's procedure, outside huiqi"
        )
    if grant.status != GrantStatus.PAYMENT_FAILED:
        return (
            f"grant {grant_id}'s payment in batch {batch_id} is already recorded as failed,"
            f" and the grant was released for re-payment since (it is {grant.status} now);"
            " the re-payment's result names its own batch"
        )
    return (
        f"grant {grant_id}'s payment in batch {batch_id} is already recorded as failed;"
        " to pay it, release it once the cause is addressed ('huiqi disburse repay"
        f" {grant_id} --reason …') and export it in a new batch"
    )

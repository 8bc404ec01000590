"""Delivery records: the row each enterprise gets per version, its message, and the report of a run."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi.db.bulk import bulk_insert
from huiqi.delivery.derive import of_version
from huiqi.delivery.models import (
    Entitlement,
    Grant,
    PolicyVersion,
    table_of,
    utcnow,
)
from huiqi.delivery.statuses import DeliveryMode, MatchStatus, RecordStatus
from huiqi.engine import ResultRow
from huiqi.money import format_yuan as yuan_text
from huiqi.wording import counted

CHUNK = 5_000


OPEN_STATUSES = (
    RecordStatus.GRANTED,
    RecordStatus.OFFERED,
    RecordStatus.APPLICATION_OPEN,
    RecordStatus.SUBMITTED,
    RecordStatus.PENDING_ALLOCATION,
)


@dataclass
class DeliveryReport:
    policy_version_id: int
    policy_id: str
    version: int
    delivery: str
    snapshot_id: int
    matched: int = 0
    new_records: int = 0
    granted: int = 0
    granted_fen: int = 0
    offered: int = 0
    applications: int = 0
    provisional: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    flagged: int = 0
    # Flags of older versions on records that gave nothing, closed: this version delivers
    # instead (huiqi.delivery.flag_closing).
    flags_closed: int = 0
    # Open offers given the amount this snapshot's data give (huiqi.delivery.offer_refresh).
    refreshed: int = 0
    seconds: float = 0.0
    # Enterprises the engine could not evaluate (status 'error'): never delivered.
    errors: int = 0
    error_reasons: dict[str, int] = field(default_factory=dict)
    # Set when nothing was delivered because the policy's window has not opened yet, or
    # has closed.
    opens_on: dt.date | None = None
    closed_on: dt.date | None = None
    # Set when nothing was delivered because a newer version of the policy is published,
    # or because this one is retired.
    replaced_by: int | None = None
    retired: bool = False

    def count_errors(self, reasons: Iterable[str | None]) -> None:
        """Count error rows by reason."""
        for reason in reasons:
            self.errors += 1
            key = reason or "evaluation failed"
            self.error_reasons[key] = self.error_reasons.get(key, 0) + 1

    def merge(self, other: DeliveryReport) -> None:
        """Add another report's counts (one chunk's) to this one."""
        for name in (
            "new_records",
            "granted",
            "granted_fen",
            "offered",
            "applications",
            "provisional",
            "refreshed",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, value in other.refused.items():
            self.refused[key] = self.refused.get(key, 0) + value

    def summary(self) -> str:
        if self.retired:
            return (
                f"{self.policy_id} v{self.version} ({self.delivery}): nothing delivered, the"
                " version is retired; what it delivered before stays"
            )
        if self.replaced_by is not None:
            return (
                f"{self.policy_id} v{self.version} ({self.delivery}): nothing delivered,"
                f" v{self.replaced_by} of the policy is published and delivers instead (its"
                " budget and terms apply); what this version delivered before stays"
            )
        if self.opens_on is not None:
            return (
                f"{self.policy_id} v{self.version} ({self.delivery}): nothing delivered, the"
                f" policy opens on {self.opens_on.isoformat()} (its valid_from); the scheduler's"
                " 'huiqi deliver' delivers it on or after that day"
            )
        if self.closed_on is not None:
            return (
                f"{self.policy_id} v{self.version} ({self.delivery}): nothing delivered, the"
                f" policy closed on {self.closed_on.isoformat()} (its valid_to); what it"
                " delivered before stays. To deliver again, publish a new version whose"
                " window includes today"
            )
        refused = ", ".join(f"{k} {v:,}" for k, v in sorted(self.refused.items())) or "none"
        return (
            f"{self.policy_id} v{self.version} ({self.delivery}) on snapshot {self.snapshot_id}:"
            f" {self.matched:,} matched, {counted(self.new_records, 'new record')}"
            f"{self._before_text()};"
            f" granted {self.granted:,}"
            f" ({yuan_text(self.granted_fen)} yuan), offered {self.offered:,}, applications"
            f" {self.applications:,}, provisional {self.provisional:,}; not granted: {refused};"
            f" flagged for review {self.flagged:,}{self._closed_text()}{self._refreshed_text()}"
            f"{self._errors_text()}"
            f" [{self.seconds:.1f}s]"
        )

    def _before_text(self) -> str:
        # Publishing again (or the scheduler's deliver) finds most matches recorded: say so,
        # or "granted 0, offered 0" reads as if the policy reached nobody.
        before = self.matched - self.new_records
        return f" ({before:,} recorded by an earlier delivery)" if before > 0 else ""

    def _closed_text(self) -> str:
        return (
            f" (older versions' flags closed, nothing left to decide: {self.flags_closed:,})"
            if self.flags_closed
            else ""
        )

    def _refreshed_text(self) -> str:
        return (
            f"; open offers and applications given their new amount {self.refreshed:,}"
            if self.refreshed
            else ""
        )

    def _errors_text(self) -> str:
        if not self.errors:
            return ""
        reasons = "; ".join(f"{n:,}: {r}" for r, n in sorted(self.error_reasons.items()))
        return f"; errors (not delivered) {self.errors:,}: {reasons}"


def message_for(
    pv: PolicyVersion, row: ResultRow, kind: str, granted_fen: int | None = None
) -> tuple[str, str]:
    """Subject and body: the amount, and why — every criterion with its result.

    ``granted_fen``: what a grant actually gives when it differs from the row's computed
    amount (a per-enterprise cap): the message states the granted amount, never more."""
    amount = yuan_text((row.amount_fen or 0) if granted_fen is None else granted_fen)
    # The rows of one delivery share their labels and mostly their states: the list of
    # criteria is written once per pattern, not once per enterprise.
    labelled = row.labelled_states()
    met, why = _criteria_text(labelled)
    total = len(labelled)
    # A commitment (告知承诺) is not unmet: the enterprise gives it when it confirms.
    confirm = sum(state == "to_confirm" for _, state in labelled)
    meets = f"您满足{met}/{total}项条件" + (
        f"，另有{confirm}项由贵企业作出告知承诺即可" if confirm else ""
    )
    if kind == "provisional":
        return (
            f"「{pv.title_zh}」已登记申请金额{amount}元，待按比例分配",
            f"免申即享：您满足全部{total}项条件，按政策测算{amount}元。本政策预算按比例分配，"
            f"实际金额在申请期结束后确定并另行通知，可能低于测算金额。依据：{why}",
        )
    if kind == "granted":
        capped = (
            f"（测算金额{yuan_text(row.amount_fen or 0)}元，按每户上限核定）"
            if granted_fen is not None and granted_fen < (row.amount_fen or 0)
            else ""
        )
        return (
            f"您已获得「{pv.title_zh}」{amount}元",
            f"免申即享：您满足全部{total}项条件，已获得{amount}元{capped}，无需申请。依据：{why}",
        )
    if kind == "offer":
        return (
            f"您可领取「{pv.title_zh}」{amount}元",
            f"直达快享：{meets}，可领取{amount}元，请于{pv.valid_to}前一键确认。条件：{why}",
        )
    if row.status == MatchStatus.ELIGIBLE:
        outlook = f"预计可获{amount}元"
    else:
        missing = "、".join(label for label, state in labelled if state == "not_met")
        outlook = f"尚差一项：{missing}"
    return (
        f"「{pv.title_zh}」申报表已为您预填",
        f"申报：{meets}，{outlook}。申报表已用政府已有数据预填，请核对后提交。条件：{why}",
    )


def granted_messages(
    pv: PolicyVersion,
    rows: Iterable[ResultRow],
    granted: dict[str, int] | None = None,
    kind: str = "granted",
) -> list[tuple[str, str]]:
    """``message_for(pv, row, "granted")`` of many rows (a bulk chunk's winners): each
    message is written once per amount and pattern of criteria, not once per enterprise.
    ``granted``: each USCC's granted amount in fen (after a per-enterprise cap)."""
    written: dict[tuple[Any, ...], tuple[str, str]] = {}
    out = []
    for r in rows:
        given = None if granted is None else granted.get(r.uscc)
        key = (r.amount_fen, given, r.labelled_states())
        message = written.get(key)
        if message is None:
            message = written[key] = message_for(pv, r, kind, given)
        out.append(message)
    return out


_MARKS = {"met": "✓", "not_met": "✗", "unknown": "?", "to_confirm": "☐"}


@functools.lru_cache(maxsize=4096)
def _criteria_text(criteria: tuple[tuple[str, str], ...]) -> tuple[int, str]:
    """How many criteria are met, and each criterion with its mark, for a message."""
    met = sum(state == "met" for _, state in criteria)
    return met, "；".join(f"{_MARKS[state]}{label}" for label, state in criteria)


def record_values(
    pv: PolicyVersion,
    row: ResultRow,
    sid: int,
    status: str,
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The columns of one new delivery record; ``now``: a chunk's one timestamp."""
    now = now or utcnow()
    return {
        "policy_version_id": pv.id,
        "uscc": row.uscc,
        "benefit_period": pv.benefit_period,
        "mode": pv.delivery,
        "match_status": row.status,
        "status": status,
        "computed_fen": row.amount_fen,
        "snapshot_id": sid,
        "last_snapshot_id": sid,
        "explanation": row.ledger,
        "expires_on": pv.valid_to if pv.delivery == DeliveryMode.CONFIRM else None,
        "review_flag": False,
        "status_reason": None,  # every row carries every key: executemany takes the first row's
        "created_at": now,
        "updated_at": now,
    }


# A bulk chunk's records as tuples: the columns that differ between its records …
RECORD_COLUMNS = ("uscc", "match_status", "status", "computed_fen", "explanation", "status_reason")


def record_constants(pv: PolicyVersion, sid: int, now: dt.datetime) -> dict[str, Any]:
    """… and those every record of a chunk shares (as in :func:`record_values`)."""
    return {
        "policy_version_id": pv.id,
        "benefit_period": pv.benefit_period,
        "mode": pv.delivery,
        "snapshot_id": sid,
        "last_snapshot_id": sid,
        "expires_on": pv.valid_to if pv.delivery == DeliveryMode.CONFIRM else None,
        "review_flag": False,
        "created_at": now,
        "updated_at": now,
    }


def max_id(s: Session, model: type[Entitlement] | type[Grant]) -> int:
    return int(s.scalar(select(func.coalesce(func.max(model.id), 0))) or 0)


def ids_of(
    s: Session,
    model: type[Entitlement] | type[Grant],
    pv: PolicyVersion,
    usccs: list[str],
    *,
    after: int,
) -> dict[str, int]:
    """USCC -> id of the rows just inserted (ids above ``after``) for these enterprises.

    Read back by id range rather than RETURNING or a 5,000-value IN list: both made
    the driver do more work than the insert itself.
    """
    wanted = set(usccs)
    rows = s.execute(
        select(model.uscc, model.id).where(
            model.id > after,
            of_version(model.policy_version_id) == pv.id,
            model.benefit_period == pv.benefit_period,
        )
    ).all()
    return {u: i for u, i in rows if u in wanted}


def insert_records(
    s: Session, pv: PolicyVersion, values: list[dict[str, Any]], *, json_text: tuple[str, ...] = ()
) -> dict[str, int]:
    """Insert delivery records in bulk; return USCC -> record id."""
    before = max_id(s, Entitlement)
    bulk_insert(s, table_of(Entitlement), values, json_text=json_text)
    return ids_of(s, Entitlement, pv, [v["uscc"] for v in values], after=before)

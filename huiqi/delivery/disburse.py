"""Disbursement: export batches of granted money for the finance system (what it
paid comes back through ``huiqi.delivery.payments``).

A grant is in one batch at a time: at most one of its ``batch_items`` is live (not yet
settled, or paid: a partial unique index), and items are inserted with ON CONFLICT DO
NOTHING, so when two exports race the loser simply gets fewer (or no) grants, and a paid
grant is never exported again. A grant whose payment failed goes into a later batch once
a finance officer has released it for re-payment (``huiqi.delivery.repayment``); its
failed item stays in its batch with the bank's reason. Amounts leave as yuan strings with
exactly two decimals made from integer fen; they come back parsed the same way.

The export is one audit event, ``batch_exported``, whose data carries a SHA-256
over the batch's members (grant id, USCC, amount, in grant order): the batch's
membership is as tamper-evident as the chain, ``huiqi audit verify`` recomputes it
from ``batch_items``, and a grant's audit trail shows the batches that hold it
(``service.audit_log(entity="grant:N")``). One event per batch instead of one per
grant keeps a 100,000-grant export to one hash and one insert, not 100,000.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, exists, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.roles import Role
from huiqi.delivery import counts
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery.audit import ChainReport, record_event
from huiqi.delivery.batchmove import write_while_moving
from huiqi.delivery.models import (
    Batch,
    BatchItem,
    Entitlement,
    Event,
    Grant,
    PolicyVersion,
)
from huiqi.delivery.statuses import BatchStatus, GrantStatus, PaymentResult, RecordStatus
from huiqi.errors import HuiqiError, StateConflict
from huiqi.fsmode import create_private_file, open_private, private_dir
from huiqi.money import format_yuan
from huiqi.sheetcells import safe_row
from huiqi.xlsxwrite import write_text_workbook

EXPORT_COLUMNS = (
    "batch_id",
    "grant_id",
    "uscc",
    "enterprise_name",
    "bank_account_name",
    "bank_name",
    "bank_account_number",
    "amount_yuan",
    "policy_id",
    "policy_version",
)
_READ_CHUNK = 5_000


def live_item() -> Any:
    """A batch item that still counts (models.LIVE_BATCH_ITEM): not settled, or paid."""
    return or_(BatchItem.result.is_(None), BatchItem.result != PaymentResult.FAILED)


def _take_grants(
    session: Session, batch_id: int, policy_version_id: int | None, limit: int | None
) -> tuple[int, int, int | None, int | None]:
    """Put every granted grant without a live batch item into the batch in one INSERT …
    SELECT; return how many it took, their total in fen, and the first and last grant id.
    Grants go in id order, so racing exports take the unique-index locks in the same order
    and cannot deadlock; the loser's conflicting rows are skipped (ON CONFLICT DO NOTHING),
    so a grant is never in two open batches, nor in any batch once paid."""
    wanted = (
        select(literal(batch_id), Grant.id, Grant.amount_fen)
        .where(
            Grant.status == GrantStatus.GRANTED,
            Grant.amount_fen > 0,
            ~exists().where(BatchItem.grant_id == Grant.id, live_item()),
            # A grant whose record is flagged for review waits for the reviewer; one whose
            # record was withdrawn after review is never paid (huiqi.delivery.review).
            ~exists().where(
                Entitlement.id == Grant.entitlement_id,
                or_(
                    Entitlement.review_flag.is_(True),
                    Entitlement.status == RecordStatus.WITHDRAWN,
                ),
            ),
        )
        .order_by(Grant.id)
    )
    if policy_version_id is not None:
        wanted = wanted.where(Grant.policy_version_id == policy_version_id)
    if limit is not None:
        wanted = wanted.limit(limit)
    table = cast(Table, BatchItem.__table__)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt: Any = dialect.insert(table).from_select(["batch_id", "grant_id", "amount_fen"], wanted)
    session.execute(stmt.on_conflict_do_nothing())
    # Counted afterwards: the drivers' rowcount of INSERT … SELECT is not reliable (-1).
    count, total, first, last = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(BatchItem.amount_fen), 0),
            func.min(BatchItem.grant_id),
            func.max(BatchItem.grant_id),
        ).where(BatchItem.batch_id == batch_id)
    ).one()
    return int(count), int(total), first, last


def export_batch(
    session: Session,
    *,
    out_dir: Path,
    actor: Actor,
    policy_version_id: int | None = None,
    limit: int | None = None,
) -> Batch:
    """Put every granted, unbatched grant (optionally of one version) into a new batch; a
    grant released for re-payment after a failed payment is granted and unbatched again.

    Writes ``batch-<id>.csv`` (UTF-8 with BOM, for Excel) and ``batch-<id>.xlsx``
    into ``out_dir``; bank columns are left empty for the finance system. Grants
    of 0 fen are not exported (nothing to pay). The grants become ``in_batch``.
    With nothing to pay it raises NothingToPay and writes no file.

    Set-based: the batch is filled and its grants moved by statements over the batch's
    id (no parameter per grant, so any number of grants fits), and the files are
    written from rows read in chunks.
    """
    require_role(actor, "export disbursement batches", Role.FINANCE_OFFICER)
    batch = Batch(created_by=actor.username, status=BatchStatus.EXPORTED, grants=0, total_fen=0)
    session.add(batch)
    session.flush()
    count, total, first_id, last_id = _take_grants(session, batch.id, policy_version_id, limit)
    if count == 0:
        raise NothingToPay(
            "nothing to pay: every granted amount is already in a batch or paid (a failed"
            " payment is paid again once released: 'huiqi disburse repay GRANT_ID --reason …')"
        )
    private_dir(out_dir, tighten=False)
    csv_path = out_dir / f"batch-{batch.id:06d}.csv"
    xlsx_path = out_dir / f"batch-{batch.id:06d}.xlsx"
    digest = hashlib.sha256()
    if session.get_bind().dialect.name == "postgresql":
        # The grants are moved chunk by chunk while a thread writes the files.
        moved = write_while_moving(
            session,
            file_parts(session, batch.id, digest),
            lambda rows: _write_files(csv_path, xlsx_path, rows),
        )
        if moved != count:
            csv_path.unlink(missing_ok=True)
            xlsx_path.unlink(missing_ok=True)
            raise _changed(batch.id)
    else:
        mine = select(BatchItem.grant_id).where(BatchItem.batch_id == batch.id)
        result = session.execute(
            update(Grant)
            .where(Grant.id.in_(mine), Grant.status == GrantStatus.GRANTED)
            .values(status=GrantStatus.IN_BATCH)
            .execution_options(synchronize_session=False)
        )
        if cast(Any, result).rowcount != count:
            raise _changed(batch.id)
        _write_files(csv_path, xlsx_path, _file_rows(session, batch.id, digest))
    batch.grants, batch.total_fen = count, total
    batch.csv_path, batch.xlsx_path = str(csv_path), str(xlsx_path)
    record_event(
        session,
        actor=actor,
        kind="batch_exported",
        entity=f"batch:{batch.id}",
        reason=reasons.BATCH_EXPORTED(
            n=batch.grants, amount=format_yuan(batch.total_fen, grouping=False)
        ),
        data={
            "grants": batch.grants,
            "total_fen": batch.total_fen,
            "csv": str(csv_path),
            "first_grant_id": first_id,
            "last_grant_id": last_id,
            "members_sha256": digest.hexdigest(),
        },
    )
    counts.compact(session)
    session.flush()
    return batch


def _changed(batch_id: int) -> HuiqiError:
    return HuiqiError(
        f"batch {batch_id}: some grants changed status while being exported;"
        " nothing was exported, run the export again"
    )


def membership_line(grant_id: int, uscc: str, amount_fen: int) -> bytes:
    """One grant's line in a batch's membership digest (grants in id order)."""
    return f"{grant_id},{uscc},{amount_fen}\n".encode("ascii")


def _file_rows(session: Session, batch_id: int, digest: Any) -> Iterator[list[str]]:
    """The batch's file rows in grant order, read in chunks; each grant's membership line
    goes into ``digest`` (a hashlib object) as its row goes by."""
    for _ids, rows in file_parts(session, batch_id, digest):
        yield from rows


def file_parts(
    session: Session, batch_id: int, digest: Any
) -> Iterator[tuple[list[int], list[list[str]]]]:
    """The batch's file rows in grant order, a chunk at a time with the chunk's grant ids;
    each grant's membership line goes into ``digest`` (a hashlib object) in order."""
    # The grant's own explanation, or else its record's (huiqi.delivery.explanations).
    name = func.coalesce(
        Grant.explanation["name"].as_string(), Entitlement.explanation["name"].as_string()
    )
    query = (
        select(
            BatchItem.grant_id,
            Grant.uscc,
            name,
            BatchItem.amount_fen,
            PolicyVersion.policy_id,
            PolicyVersion.version,
        )
        .join(Grant, Grant.id == BatchItem.grant_id)
        .join(Entitlement, Entitlement.id == Grant.entitlement_id)
        .join(PolicyVersion, PolicyVersion.id == Grant.policy_version_id)
        .where(BatchItem.batch_id == batch_id)
        .order_by(BatchItem.grant_id)
        .execution_options(yield_per=_READ_CHUNK)
    )
    batch = str(batch_id)
    for part in session.execute(query).partitions():
        ids: list[int] = []
        rows: list[list[str]] = []
        for grant_id, uscc, enterprise, amount, policy_id, version in part:
            digest.update(membership_line(grant_id, uscc, amount))
            ids.append(grant_id)
            rows.append(
                [
                    batch,
                    str(grant_id),
                    uscc,
                    enterprise or "",
                    "",
                    "",
                    "",
                    format_yuan(amount, grouping=False),
                    policy_id,
                    str(version),
                ]
            )
        yield ids, rows


class NothingToPay(StateConflict):
    """An export found no granted, unbatched money: no batch and no file is made (a refusal:
    the CLI exits 1 with the message on stderr, so a script sees that no file came)."""


def _write_files(csv_path: Path, xlsx_path: Path, rows: Iterable[list[str]]) -> None:
    """Write the CSV (UTF-8 with BOM, for Excel) and the workbook in one pass over the rows,
    each under a temporary name until both are complete, so a failure leaves neither."""
    csv_tmp = csv_path.with_name(csv_path.name + ".tmp")
    xlsx_tmp = xlsx_path.with_name(xlsx_path.name + ".tmp")
    create_private_file(xlsx_tmp)
    try:
        with open_private(csv_tmp, "w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f, lineterminator="\r\n")
            writer.writerow(EXPORT_COLUMNS)

            def both() -> Iterator[list[str]]:
                for row in rows:
                    cells = safe_row(row)
                    writer.writerow(cells)
                    yield cells

            write_text_workbook(xlsx_tmp, EXPORT_COLUMNS, both(), sheet_name="disbursement")
    except BaseException:
        csv_tmp.unlink(missing_ok=True)
        xlsx_tmp.unlink(missing_ok=True)
        raise
    os.replace(csv_tmp, csv_path)
    os.replace(xlsx_tmp, xlsx_path)


def verify_batch_members(session: Session) -> ChainReport:
    """Recompute each exported batch's membership digest from ``batch_items`` and compare it
    with the one its ``batch_exported`` event recorded (the event itself is covered by the
    chain); stop at the first batch that differs. Events written before the digest was
    recorded are skipped."""
    checked = 0
    exported = session.execute(
        select(Event.id, Event.entity, Event.data)
        .where(Event.kind == "batch_exported")
        .order_by(Event.id)
    ).all()
    for event_id, entity, data in exported:
        want = (data or {}).get("members_sha256")
        if not want or not entity or not entity.startswith("batch:"):
            continue
        batch_id = int(entity.removeprefix("batch:"))
        digest, n = hashlib.sha256(), 0
        members = (
            select(BatchItem.grant_id, Grant.uscc, BatchItem.amount_fen)
            .join(Grant, Grant.id == BatchItem.grant_id)
            .where(BatchItem.batch_id == batch_id)
            .order_by(BatchItem.grant_id)
            .execution_options(yield_per=_READ_CHUNK)
        )
        for grant_id, uscc, amount in session.execute(members):
            digest.update(membership_line(grant_id, uscc, amount))
            n += 1
        checked += 1
        if digest.hexdigest() != want or n != data.get("grants"):
            return ChainReport(
                checked,
                None,
                event_id,
                f"batch {batch_id}: its grants or amounts differ from what its export"
                f" recorded in event {event_id} ({n} grant(s) now, {data.get('grants')} then)",
            )
    return ChainReport(checked)

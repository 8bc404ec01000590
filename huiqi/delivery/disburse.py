"""Disbursement: export batches of granted money for the finance system (what it
paid comes back through ``huiqi.delivery.payments``).

A grant enters at most one batch: ``batch_items.grant_id`` is unique and items
are inserted with ON CONFLICT DO NOTHING, so when two exports race the loser
simply gets fewer (or no) grants. Amounts leave as yuan strings with exactly
two decimals made from integer fen; they come back parsed the same way.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any, cast

from openpyxl import Workbook
from sqlalchemy import Table, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.roles import Role
from huiqi.delivery.audit import record_event
from huiqi.delivery.models import Batch, BatchItem, Grant, PolicyVersion
from huiqi.delivery.statuses import BatchStatus, GrantStatus
from huiqi.errors import HuiqiError
from huiqi.fsmode import private_dir, write_private_bytes
from huiqi.money import format_yuan
from huiqi.sheetcells import safe_row

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
_INSERT_CHUNK = 500


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write_private_bytes(tmp, data)
    os.replace(tmp, path)


def _claim_items(session: Session, batch_id: int, grants: list[Grant]) -> set[int]:
    """Insert batch items; return the grant ids this batch got (others were taken)."""
    table = cast(Table, BatchItem.__table__)
    ins: Any = (
        postgresql.insert(table)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(table)
    )
    got: set[int] = set()
    # Grants go in id order, so racing exports take the unique-index locks in the
    # same order and cannot deadlock; the loser's conflicting rows are skipped.
    for start in range(0, len(grants), _INSERT_CHUNK):
        rows = [
            {"batch_id": batch_id, "grant_id": g.id, "amount_fen": g.amount_fen}
            for g in grants[start : start + _INSERT_CHUNK]
        ]
        stmt = ins.values(rows).on_conflict_do_nothing().returning(table.c.grant_id)
        got.update(session.execute(stmt).scalars())
    return got


def export_batch(
    session: Session,
    *,
    out_dir: Path,
    actor: Actor,
    policy_version_id: int | None = None,
    limit: int | None = None,
) -> Batch:
    """Put every granted, unbatched grant (optionally of one version) into a new batch.

    Writes ``batch-<id>.csv`` (UTF-8 with BOM, for Excel) and ``batch-<id>.xlsx``
    into ``out_dir``; bank columns are left empty for the finance system. Grants
    of 0 fen are not exported (nothing to pay). The grants become ``in_batch``.
    With nothing to pay it raises NothingToPay and writes no file.
    """
    require_role(actor, "export disbursement batches", Role.FINANCE_OFFICER)
    query = (
        select(Grant)
        .where(
            Grant.status == GrantStatus.GRANTED,
            Grant.amount_fen > 0,
            ~exists().where(BatchItem.grant_id == Grant.id),
        )
        .order_by(Grant.id)
    )
    if policy_version_id is not None:
        query = query.where(Grant.policy_version_id == policy_version_id)
    if limit is not None:
        query = query.limit(limit)
    candidates = list(session.scalars(query))
    if not candidates:
        raise NothingToPay("nothing to pay: every granted amount is already in a batch or paid")
    batch = Batch(created_by=actor.username, status=BatchStatus.EXPORTED, grants=0, total_fen=0)
    session.add(batch)
    session.flush()
    got = _claim_items(session, batch.id, candidates)
    grants = [g for g in candidates if g.id in got]
    if not grants:
        raise NothingToPay("nothing to pay: another export took these grants just now")
    if grants:
        moved = session.execute(
            update(Grant)
            .where(Grant.id.in_(got), Grant.status == GrantStatus.GRANTED)
            .values(status=GrantStatus.IN_BATCH)
            .execution_options(synchronize_session="fetch")
        )
        if cast(Any, moved).rowcount != len(grants):
            raise HuiqiError(
                f"batch {batch.id}: some grants changed status while being exported;"
                " nothing was exported, run the export again"
            )
    versions = {
        pv.id: pv
        for pv in session.scalars(
            select(PolicyVersion).where(PolicyVersion.id.in_({g.policy_version_id for g in grants}))
        )
    }
    rows = []
    for g in grants:
        pv = versions[g.policy_version_id]
        name = (g.explanation or {}).get("name")
        rows.append(
            safe_row(
                [
                    str(batch.id),
                    str(g.id),
                    g.uscc,
                    name if isinstance(name, str) else "",
                    "",
                    "",
                    "",
                    format_yuan(g.amount_fen, grouping=False),
                    pv.policy_id,
                    str(pv.version),
                ]
            )
        )
        record_event(
            session,
            actor=actor.username,
            kind="batched",
            uscc=g.uscc,
            policy_version_id=g.policy_version_id,
            entity=f"grant:{g.id}",
            data={"batch_id": batch.id, "amount_fen": g.amount_fen},
        )
    private_dir(out_dir, tighten=False)
    csv_path = out_dir / f"batch-{batch.id:06d}.csv"
    xlsx_path = out_dir / f"batch-{batch.id:06d}.xlsx"
    _write_csv(csv_path, rows)
    _write_xlsx(xlsx_path, rows)
    batch.grants = len(grants)
    batch.total_fen = sum(g.amount_fen for g in grants)
    batch.csv_path, batch.xlsx_path = str(csv_path), str(xlsx_path)
    record_event(
        session,
        actor=actor.username,
        kind="batch_exported",
        entity=f"batch:{batch.id}",
        reason=f"{batch.grants} grant(s), {format_yuan(batch.total_fen, grouping=False)} yuan",
        data={"grants": batch.grants, "total_fen": batch.total_fen, "csv": str(csv_path)},
    )
    session.flush()
    return batch


class NothingToPay(HuiqiError):
    """An export found no granted, unbatched money: no batch and no file is made."""

    exit_code = 0


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(rows)  # every cell already went through safe_row
    _write_atomically(path, buf.getvalue().encode("utf-8-sig"))


def _write_xlsx(path: Path, rows: list[list[str]]) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "disbursement"
    ws.append(list(EXPORT_COLUMNS))
    for row in rows:
        ws.append(row)
    # Every cell is text: amounts stay exact, and nothing is read as a formula.
    for line in ws.iter_rows():
        for cell in line:
            cell.data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    _write_atomically(path, buf.getvalue())

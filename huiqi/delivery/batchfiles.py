"""Disbursement batches in the officer console: a batch's exported file to download, and
a payment-result file uploaded from a browser, applied by ``payments.import_payment_results``.

Finance officers only (each function checks it first); a download and an upload are audit
events (the upload's is ``payment_results``, written by ``import_payment_results``)."""

from __future__ import annotations

import re
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path

from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.roles import Role
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery.audit import record_event
from huiqi.delivery.models import Batch
from huiqi.delivery.payments import ResultReport, import_payment_results
from huiqi.errors import ImportFileError, Location, NotFoundError
from huiqi.fsmode import private_dir, write_private_bytes

KINDS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SUFFIXES = (".csv", ".xlsx")


def batch_file(session: Session, *, actor: Actor, batch_id: int, kind: str) -> tuple[str, bytes]:
    """A batch's exported file (``csv`` or ``xlsx``): its name and content."""
    require_role(actor, "download disbursement batches", Role.FINANCE_OFFICER)
    batch = session.get(Batch, batch_id)
    stored = None if batch is None else batch.csv_path if kind == "csv" else batch.xlsx_path
    if batch is None or kind not in KINDS or not stored or not Path(stored).is_file():
        raise NotFoundError(f"no {kind} file of disbursement batch {batch_id}")
    record_event(
        session,
        actor=actor,
        kind="batch_download",
        entity=f"batch:{batch_id}",
        reason=reasons.BATCH_DOWNLOADED(file=kind, batch=batch_id),
    )
    return Path(stored).name, Path(stored).read_bytes()


def _safe_name(filename: str | None) -> str:
    name = Path(filename or "").name
    stem, dot, suffix = name.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in SUFFIXES:
        raise ImportFileError(
            f"'{name[:80]}' is not a payment result file; upload a .csv or .xlsx file",
            location=Location(file=name[:80] or None),
        )
    return (re.sub(r"[^\w.-]", "_", stem)[:80] or "results") + suffix


def require_results_uploader(actor: Actor) -> None:
    """AccessDenied unless the actor may record payment results (finance officers): the
    API asks it before it reads an uploaded file."""
    require_role(actor, "record payment results", Role.FINANCE_OFFICER)


def apply_uploaded_results(
    session: Session, *, actor: Actor, filename: str | None, content: bytes
) -> ResultReport:
    """Apply an uploaded payment-result file (CSV in UTF-8 or GBK, or xlsx); a file that
    cannot be read at all is an ImportFileError that says so, never a crash."""
    require_results_uploader(actor)
    name = _safe_name(filename)
    with tempfile.TemporaryDirectory(prefix="huiqi-results-") as tmp:
        path = private_dir(Path(tmp)) / name
        write_private_bytes(path, content)
        try:
            report = import_payment_results(session, path, actor=actor, shown_as=name)
        except ImportFileError as exc:  # named by the upload, not the server's temporary copy
            where = replace(exc.location or Location(), file=name)
            raise ImportFileError(exc.message, location=where) from None
        except (
            UnicodeDecodeError,
            zipfile.BadZipFile,
            InvalidFileException,
            OSError,
            KeyError,
            ValueError,
        ) as exc:
            raise ImportFileError(
                f"cannot read '{name}' as a {Path(name).suffix[1:]} file ({type(exc).__name__});"
                " export the results again from the finance system",
                location=Location(file=name),
            ) from None
    report.file = name
    return report

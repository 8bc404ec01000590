"""Profile data operations with access checks: imports, generation, snapshots.

Imports and generated populations change the data that money is decided on, so
only data stewards run them, and each is recorded in the ledger's audit log.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.roles import POLICY_ROLES, Role
from huiqi.config import Settings
from huiqi.profiles.import_history import ImportDetail, ImportEntry, detail, history, report_file
from huiqi.profiles.store import ProfileStore, SnapshotInfo

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from huiqi.profiles.import_report import ImportReport

# The audit log (the ORM) and the importers are imported where used: listing snapshots
# needs neither.

Progress = Callable[[str, int, int], None]


def _record_import(session: Session, actor: Actor, report: ImportReport) -> None:
    from huiqi.delivery.audit import record_event

    record_event(
        session,
        actor=actor,
        kind="data_import",
        # An import that accepted no row made no snapshot: its report's folder names it.
        entity=(
            f"snapshot:{report.snapshot_id}"
            if report.snapshot_id is not None
            else f"import:{report.report_path.parent.name}"
        ),
        reason=report.summary().splitlines()[0][:500],
        data={
            "file": report.file,
            "mapping": report.mapping,
            "sha256": report.sha256,
            "rows_read": report.rows_read,
            "rows_accepted": report.rows_accepted,
            "rows_rejected": report.rows_rejected,
        },
    )


def _follow(settings: Settings, session: Session, reports: Sequence[ImportReport]) -> None:
    """The ledger's directory follows the enterprises the imports moved (park, district)."""
    from huiqi.delivery.directory import follow_import

    for report in reports:
        if report.snapshot_id is not None:  # else the data did not change
            follow_import(session, settings, report.snapshot_id)


def require_importer(actor: Actor) -> None:
    """AccessDenied for anyone but a data steward: asked before an uploaded registry file
    is read (the API's upload), as :func:`import_files` asks it again."""
    require_role(actor, "import registry files", Role.DATA_STEWARD)


def import_files(
    settings: Settings,
    session: Session,
    *,
    actor: Actor,
    files: Sequence[str | os.PathLike[str]],
    mapping: str | None = None,
    sheet: str | None = None,
    progress: Progress | None = None,
) -> list[ImportReport]:
    """Import registry files, one snapshot each that accepts a row (data stewards)."""
    from huiqi.profiles.importer import import_file

    require_importer(actor)
    reports = []
    for path in files:
        report = import_file(settings, path, mapping=mapping, sheet=sheet, progress=progress)
        _record_import(session, actor, report)
        reports.append(report)
    _follow(settings, session, reports)
    return reports


def generate_population(
    settings: Settings,
    session: Session,
    *,
    actor: Actor,
    enterprises: int,
    seed: int,
    formats: tuple[str, ...] = ("parquet",),
    out: Path | None = None,
    do_import: bool = True,
    progress: Progress | None = None,
) -> tuple[Any, list[ImportReport]]:
    """Write registry files for a synthetic population and import them in order (data stewards)."""
    from huiqi.profiles.generate import generate
    from huiqi.profiles.importer import import_file

    require_role(actor, "generate and import a population", Role.DATA_STEWARD)
    out_dir = out or settings.data_dir / "generated"
    if progress:
        progress("generate population", 0, enterprises)
    result = generate(enterprises, seed=seed, out_dir=out_dir, formats=formats, progress=progress)
    reports: list[ImportReport] = []
    if do_import:
        ProfileStore(settings).init()
        # The business registry goes first: it creates the enterprises the others describe.
        names = sorted(result.files, key=lambda m: (m != "market", m))
        files = [(m, result.files[m][formats[0]]) for m in names]
        for i, (mapping, path) in enumerate(files):
            report = import_file(settings, path, mapping=mapping, progress=progress)
            _record_import(session, actor, report)
            reports.append(report)
            if progress:
                progress("import registry files", i + 1, len(files))
        _follow(settings, session, reports)
    return result, reports


def list_snapshots(settings: Settings, *, actor: Actor) -> list[SnapshotInfo]:
    """Data snapshots, one per import (data stewards, policy officers, admins)."""
    require_role(actor, "list data snapshots", Role.DATA_STEWARD, Role.ADMIN, *POLICY_ROLES)
    return ProfileStore(settings).snapshots()


def _steward_snapshots(settings: Settings, actor: Actor, what: str) -> list[SnapshotInfo]:
    # Reports quote the registries' rows (rejects.csv holds each refused row whole): for
    # the data stewards who import them, not for every reader of the snapshot list.
    require_role(actor, what, Role.DATA_STEWARD)
    store = ProfileStore(settings)
    return store.snapshots() if store.exists() else []


def list_imports(settings: Settings, *, actor: Actor) -> list[ImportEntry]:
    """The imports, newest first: each snapshot and each import that accepted no row
    (data stewards)."""
    return history(settings, _steward_snapshots(settings, actor, "list imports"))


def read_import(settings: Settings, *, actor: Actor, ref: str) -> ImportDetail:
    """An import's report and first rejects, by its reference (a snapshot id, or the
    folder of one that made no snapshot; data stewards)."""
    return detail(settings, ref, _steward_snapshots(settings, actor, "read import reports"))


def import_report_file(settings: Settings, *, actor: Actor, ref: str, name: str) -> Path:
    """The path of a file an import left (``rejects.csv``, ``normalised.csv``), looked up
    by the import's reference and the file's name, never joined from them (data stewards)."""
    snapshots = _steward_snapshots(settings, actor, "download import reports")
    return report_file(settings, ref, name, snapshots)

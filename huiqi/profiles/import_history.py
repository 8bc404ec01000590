"""The imports a data steward looks back on: each snapshot's import and each import that
accepted no row, with the report and the files it left (:mod:`huiqi.profiles.import_report`).

An import is named by a reference, never by a path: a snapshot's id (``"12"``), or, for
an import that made no snapshot, the name of its report's folder under
``not-imported/`` (``"20261204T101500123456Z-0123456789ab"``). A reference is checked
against its pattern and then looked up among the folders that exist, so that nothing a
request sends is ever joined onto a path. Access is checked by the callers
(``huiqi.profiles.service``).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huiqi.config import Settings
from huiqi.errors import NotFoundError
from huiqi.profiles.store import SnapshotInfo

NOT_IMPORTED = "not-imported"
# A snapshot id, or the folder importer.not_imported_dir names: time, then the hash's start.
_SNAPSHOT = re.compile(r"[1-9][0-9]{0,17}")
_NOT_IMPORTED = re.compile(r"([0-9]{8}T[0-9]{12}Z)-[0-9a-f]{12}")
# What a report's page downloads, by the name the page gives it.
FILES = {"rejects.csv": "rejects.csv", "normalised.csv": "normalised.csv"}
FIRST_REJECTS = 50  # the rejects a report's page lists; the rest are in rejects.csv
HISTORY = 500  # the newest imports the history lists


@dataclass(frozen=True)
class ImportEntry:
    """One line of the history: an import, whether or not it made a snapshot."""

    ref: str
    snapshot_id: int | None
    at: dt.datetime
    kind: str  # "import", or how else the snapshot was made ("generated", "test")
    registry: str | None  # the mapping's name: market, tax, ...
    file: str | None  # the file's name only, never where it was read from
    rows_read: int | None
    rows_accepted: int | None
    rows_rejected: int | None
    rows_changed: int | None
    reported: bool = True  # False: a snapshot made otherwise than by an import, no report


@dataclass(frozen=True)
class ImportDetail:
    """An import's report (report.json as written) and its first rejects."""

    entry: ImportEntry
    report: dict[str, Any]
    rejects: list[dict[str, str]] = field(default_factory=list)
    files: tuple[str, ...] = ()  # the downloads it has, of FILES


def _name(path: str | None) -> str | None:
    return Path(path).name if path else None


def _read_report(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _count(report: dict[str, Any] | None, key: str, default: int | None = None) -> int | None:
    value = (report or {}).get(key, default)
    return value if isinstance(value, int) else default


def _from_snapshot(settings: Settings, s: SnapshotInfo) -> ImportEntry:
    report = _read_report(settings.imports_dir / str(s.snapshot_id))
    return ImportEntry(
        ref=str(s.snapshot_id),
        snapshot_id=s.snapshot_id,
        at=s.created_at,
        kind=s.kind,
        registry=s.registry or _registry(report or {}),
        file=_name(s.source_file),
        rows_read=s.rows_read,
        rows_accepted=s.rows_accepted,
        rows_rejected=s.rows_rejected,
        rows_changed=_count(report, "rows_changed"),
        reported=report is not None,
    )


def _registry(report: dict[str, Any]) -> str | None:
    """The registry of an import that made no snapshot: the report's, or for a report
    written before it named one, its mapping unless that was a file given by path."""
    for key in ("registry", "mapping"):
        value = report.get(key)
        if isinstance(value, str) and not value.endswith((".yaml", ".yml")):
            return value
    return None


def _from_folder(folder: Path) -> ImportEntry | None:
    matched = _NOT_IMPORTED.fullmatch(folder.name)
    report = _read_report(folder)
    if matched is None or report is None:
        return None
    at = dt.datetime.strptime(matched.group(1), "%Y%m%dT%H%M%S%fZ").replace(tzinfo=dt.UTC)
    return ImportEntry(
        ref=folder.name,
        snapshot_id=None,
        at=at,
        kind="import",
        registry=_registry(report),
        file=_name(report.get("file") if isinstance(report.get("file"), str) else None),
        rows_read=_count(report, "rows_read"),
        rows_accepted=_count(report, "rows_accepted"),
        rows_rejected=_count(report, "rows_rejected"),
        rows_changed=_count(report, "rows_changed"),
    )


def _not_imported(settings: Settings) -> list[Path]:
    root = settings.imports_dir / NOT_IMPORTED
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def _utc(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def history(settings: Settings, snapshots: list[SnapshotInfo]) -> list[ImportEntry]:
    """Every snapshot and every import that made none, newest first (the first HISTORY)."""
    entries = [_from_snapshot(settings, s) for s in snapshots]
    entries += [e for p in _not_imported(settings) if (e := _from_folder(p)) is not None]
    entries.sort(key=lambda e: (_utc(e.at), e.snapshot_id or 0), reverse=True)
    return entries[:HISTORY]


def _folder(settings: Settings, ref: str, snapshots: list[SnapshotInfo]) -> Path:
    """The report folder of ``ref``, found among those that exist; NotFoundError else."""
    gone = NotFoundError(f"no import '{ref[:40]}'; open one from the list of imports")
    if _SNAPSHOT.fullmatch(ref):
        sid = int(ref)
        if not any(s.snapshot_id == sid for s in snapshots):
            raise gone
        return settings.imports_dir / str(sid)
    if _NOT_IMPORTED.fullmatch(ref):
        for folder in _not_imported(settings):
            if folder.name == ref:
                return folder
    raise gone


def detail(settings: Settings, ref: str, snapshots: list[SnapshotInfo]) -> ImportDetail:
    """The report of the import ``ref`` names; NotFoundError when there is none (a
    snapshot not made by an import has no report)."""
    folder = _folder(settings, ref, snapshots)
    report = _read_report(folder)
    if report is None:
        raise NotFoundError(f"import '{ref}' left no report (the snapshot was not imported)")
    snapshot = next((s for s in snapshots if str(s.snapshot_id) == ref), None)
    entry = _from_snapshot(settings, snapshot) if snapshot else _from_folder(folder)
    assert entry is not None  # the folder's name fits and its report was read
    return ImportDetail(
        entry=entry,
        report=report,
        rejects=_first_rejects(folder / "rejects.csv"),
        files=tuple(name for name, file in FILES.items() if (folder / file).is_file()),
    )


def _first_rejects(path: Path) -> list[dict[str, str]]:
    """The first FIRST_REJECTS rows of rejects.csv: file, line, column, field, value, reason."""
    if not path.is_file():
        return []
    rows: list[dict[str, str]] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        for row in reader:
            if len(rows) == FIRST_REJECTS:
                break
            keys = ("file", "line", "column", "field", "value", "reason")
            rows.append(dict(zip(keys, row[:6], strict=False)))
    return rows


def report_file(settings: Settings, ref: str, name: str, snapshots: list[SnapshotInfo]) -> Path:
    """The file ``name`` (one of FILES) that the import ``ref`` left; NotFoundError else."""
    if name not in FILES:
        raise NotFoundError(f"an import leaves {', '.join(FILES)}; there is no '{name[:40]}'")
    path = _folder(settings, ref, snapshots) / FILES[name]
    if not path.is_file():
        raise NotFoundError(f"import '{ref}' left no {name}")
    return path

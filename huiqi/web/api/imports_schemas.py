"""The data steward's API responses: snapshots, the import history, one import's report
and its first rejects. A file is named by its name alone, never by the path it was read
from or written to (a report's JSON holds those paths; they are left out here)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from pydantic import BaseModel

from huiqi.profiles.import_history import ImportDetail, ImportEntry
from huiqi.profiles.import_report import once_named
from huiqi.profiles.store import SnapshotInfo
from huiqi.web.api.times import Utc


def _name(path: str | None) -> str | None:
    return PurePath(path).name if path else None


class SnapshotPublic(BaseModel):
    snapshot_id: int
    created_at: Utc
    kind: str  # "import", "generated", "test"
    registry: str | None
    file: str | None  # the source file's name only
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    frozen: bool

    @classmethod
    def of(cls, s: SnapshotInfo) -> SnapshotPublic:
        return cls(
            snapshot_id=s.snapshot_id,
            created_at=s.created_at,
            kind=s.kind,
            registry=s.registry,
            file=_name(s.source_file),
            rows_read=s.rows_read,
            rows_accepted=s.rows_accepted,
            rows_rejected=s.rows_rejected,
            frozen=s.frozen,
        )


class ImportEntryPublic(BaseModel):
    ref: str  # what GET /api/v1/imports/{ref} takes: a snapshot id, or a report's folder
    snapshot_id: int | None  # None: no row was accepted, no snapshot was made
    at: Utc
    kind: str
    registry: str | None
    file: str | None
    rows_read: int | None
    rows_accepted: int | None
    rows_rejected: int | None
    rows_changed: int | None
    reported: bool  # False: a snapshot not made by an import, with no report

    @classmethod
    def of(cls, e: ImportEntry) -> ImportEntryPublic:
        return cls(
            ref=e.ref,
            snapshot_id=e.snapshot_id,
            at=e.at,
            kind=e.kind,
            registry=e.registry,
            file=e.file,
            rows_read=e.rows_read,
            rows_accepted=e.rows_accepted,
            rows_rejected=e.rows_rejected,
            rows_changed=e.rows_changed,
            reported=e.reported,
        )


class RejectPublic(BaseModel):
    file: str
    line: int | None
    column: str
    field: str
    value: str
    reason: str

    @classmethod
    def of(cls, row: dict[str, str]) -> RejectPublic:
        line = row.get("line", "")
        return cls(
            file=row.get("file", ""),
            line=int(line) if line.isascii() and line.isdigit() else None,
            column=row.get("column", ""),
            field=row.get("field", ""),
            value=row.get("value", ""),
            reason=row.get("reason", ""),
        )


# What a report's JSON holds besides paths, with the type each is shown as; a report
# written by an older version without one of them shows its default.
_TEXTS = ("mapping", "format", "encoding", "sheet", "sha256", "reader")
_COUNTS = (
    "rows_read",
    "rows_accepted",
    "rows_rejected",
    "rows_changed",
    "blanks_kept",
    "uscc_upper_cased",
    "industry_letters_removed",
    "formula_texts_unwrapped",
    "merged_cells_filled",
    "size_class_disagreements",
    "legal_rep_overlaps",
    "shares_at_most_one",
    "no_district",
    "wide_lines",
    "wide_empty_lines",
)
_LISTS = (
    "messages",
    "missing_columns",
    "other_registries",
    "ignored_columns",
    "units_from_headers",
    "units_declared",
    "skipped_above",
    "size_class_messages",
    "legal_rep_messages",
)


class ImportReportPublic(BaseModel):
    mapping: str | None = None
    format: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    sha256: str | None = None
    reader: str | None = None  # "duckdb", or "recovering" (huiqi's own readers)
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_changed: int = 0
    blanks_kept: int = 0
    uscc_upper_cased: int = 0
    industry_letters_removed: int = 0
    formula_texts_unwrapped: int = 0
    merged_cells_filled: int = 0
    size_class_disagreements: int = 0
    legal_rep_overlaps: int = 0
    shares_at_most_one: int = 0  # every share of a relations file <= 1 %: fractions?
    no_district: int = 0
    header_line: int | None = None
    unit_line: int | None = None
    wide_years: list[int] = []  # a wide sheet's years (a column group per year)
    wide_lines: int = 0  # a wide sheet's lines read (its row counts are enterprise-years)
    wide_empty_lines: int = 0  # its lines with no value in any year: no row
    wide_empty_first: list[int] = []  # the first of those, by their line in the file
    messages: list[str] = []  # the first rejects, one line each
    missing_columns: list[str] = []
    other_registries: list[str] = []
    ignored_columns: list[str] = []
    units_from_headers: list[str] = []  # "注册资本（万元） (万元)": read in its header's unit
    units_declared: list[str] = []  # "营业收入 (万元, line 1)": in the unit the sheet declares
    skipped_above: list[str] = []
    size_class_messages: list[str] = []
    legal_rep_messages: list[str] = []
    rejects_by_field: dict[str, int] = {}

    @classmethod
    def of(cls, report: dict[str, Any]) -> ImportReportPublic:
        values: dict[str, Any] = {}
        for key in _TEXTS:
            if isinstance(report.get(key), str):
                values[key] = report[key]
        for key in (*_COUNTS, "header_line", "unit_line"):
            value = report.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                values[key] = value
        for key in _LISTS:
            items = report.get(key)
            if isinstance(items, list):
                values[key] = [str(i) for i in items]
        for key in ("wide_years", "wide_empty_first"):
            numbers = report.get(key)
            if isinstance(numbers, list):
                values[key] = [y for y in numbers if isinstance(y, int)]
        # A report written before the unit was said once: "注册资本（万元） (万元)".
        values["units_from_headers"] = [once_named(u) for u in values.get("units_from_headers", [])]
        by_field = report.get("rejects_by_field")
        if isinstance(by_field, dict):
            values["rejects_by_field"] = {
                str(k): v for k, v in by_field.items() if isinstance(v, int)
            }
        return cls(**values)


class ImportDetailPublic(BaseModel):
    entry: ImportEntryPublic
    report: ImportReportPublic
    rejects: list[RejectPublic]  # the first 50; every one is in rejects.csv
    files: list[str]  # what GET .../files/{name} downloads: rejects.csv, normalised.csv

    @classmethod
    def of(cls, d: ImportDetail) -> ImportDetailPublic:
        return cls(
            entry=ImportEntryPublic.of(d.entry),
            report=ImportReportPublic.of(d.report),
            rejects=[RejectPublic.of(r) for r in d.rejects],
            files=list(d.files),
        )

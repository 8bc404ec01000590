"""Complaints coming in: an export file imported through a mapping, the same file sent
over the API, or complaints filed one by one by another system. Every way in reads the
rows with the same checks (``complaints.reading``), stores each complaint once by its
number, and answers a report with each refused row's line and reason, and each row whose
number is held with other content (``complaints.resent``: the held complaint is kept).

Who may: complaint officers and data stewards (docs/complaints.md). Detection, the review
queue and decisions are in ``complaints.service``.
"""

from __future__ import annotations

import bisect
import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.roles import Role
from huiqi.complaints.mapping import ComplaintMapping
from huiqi.complaints.service import ComplaintError
from huiqi.config import Settings
from huiqi.delivery.audit import record_event
from huiqi.errors import ImportFileError, MappingError


@dataclass(frozen=True)
class ImportReport:
    rows: int
    stored: int
    already_held: int
    # line, reason, ref, and the field and the file's column the reason is about (None for
    # the whole row)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    # Rows whose number is held with other content (line, ref, fields): not stored, the
    # complaint held is kept (they are also counted in already_held).
    changed: list[dict[str, Any]] = field(default_factory=list)
    # Optional fields whose mapped column the file lacks ("phone (联系电话)"): left empty.
    absent: list[str] = field(default_factory=list)


def require_importer(actor: Actor) -> None:
    """AccessDenied unless the actor may import complaints (complaint officers, data
    stewards): the API asks it before it reads an uploaded export."""
    require_role(actor, "import complaints", Role.COMPLAINT_OFFICER, Role.DATA_STEWARD)


def import_complaints(
    settings: Settings, session: Session, *, actor: Actor, path: Path, mapping: Path | None = None
) -> ImportReport:
    """Import a complaint export (CSV in UTF-8/GBK, or .xlsx) through a mapping file; bad
    rows come back with line and reason, good rows are stored (once per complaint number)."""
    require_importer(actor)
    from huiqi.complaints.mapping import load_mapping

    return _import(settings, session, actor=actor, path=Path(path), mapping=load_mapping(mapping))


def _import(
    settings: Settings, session: Session, *, actor: Actor, path: Path, mapping: ComplaintMapping
) -> ImportReport:
    from huiqi.complaints.ledger import as_stored, store_complaints
    from huiqi.complaints.reading import read_complaints
    from huiqi.complaints.resent import changed_duplicates
    from huiqi.profiles.persons import person_key

    read = read_complaints(path, person_key(settings), mapping)
    stored, held = store_complaints(session, read.complaints, imported_by=actor.username)
    # Only where something was already held: a first import compares nothing.
    changed = changed_duplicates(session, as_stored(read.complaints)) if held else []
    record_event(
        session,
        actor=actor,
        kind="complaints_imported",
        entity=f"complaints:{path.name}",
        data={
            "rows": read.rows,
            "stored": stored,
            "held": held,
            "changed": len(changed),
            "rejected": len(read.rejects),
            "absent": read.absent,
        },
    )
    return ImportReport(
        read.rows,
        stored,
        held,
        [
            {"line": r.line, "reason": r.reason, "ref": r.ref, "field": r.field, "column": r.column}
            for r in read.rejects
        ],
        changed,
        read.absent,
    )


UPLOAD_SUFFIXES = (".csv", ".xlsx")


def _upload_name(filename: str | None, content: bytes) -> str:
    """A safe base name for an uploaded export: its own stem, and .csv or .xlsx (from the
    name when it says one of them, else from the content: a zip is a workbook)."""
    name = Path((filename or "").replace("\\", "/")).name
    stem, dot, suffix = name.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in UPLOAD_SUFFIXES:
        stem = name
        suffix = ".xlsx" if content.startswith(b"PK\x03\x04") else ".csv"
    return (re.sub(r"[^\w.-]", "_", stem)[:80].strip(".") or "complaints") + suffix


def import_uploaded_complaints(
    settings: Settings,
    session: Session,
    *,
    actor: Actor,
    filename: str | None,
    content: bytes,
    mapping: bytes | None = None,
) -> ImportReport:
    """``import_complaints`` for a file sent over the API (CSV in UTF-8/GBK, or .xlsx) and
    an optional mapping file's text: both are written to a private scratch folder, read,
    and removed. A file that cannot be read is an ImportFileError (or a MappingError) that
    says why; bad rows are in the report."""
    require_importer(actor)
    from huiqi.complaints.mapping import default_mapping, parse_mapping
    from huiqi.fsmode import private_dir, write_private_bytes

    if mapping is None:
        chosen = default_mapping()
    else:
        try:
            text = mapping.decode("utf-8")
        except UnicodeDecodeError:
            raise MappingError("the mapping file is not UTF-8 text; save it as UTF-8") from None
        chosen = parse_mapping(text, "mapping")
    name = _upload_name(filename, content)
    with tempfile.TemporaryDirectory(prefix="huiqi-complaints-upload-") as tmp:
        folder = private_dir(Path(tmp))
        write_private_bytes(folder / name, content)
        try:
            return _import(settings, session, actor=actor, path=folder / name, mapping=chosen)
        except (ImportFileError, MappingError) as exc:
            # The scratch folder means nothing to the sender: the message names the file.
            raise type(exc)(str(exc).replace(f"{folder}{os.sep}", "")) from None


MAX_FILED = 1000  # complaints in one API call; an export goes through the import


def file_complaints(
    settings: Settings,
    session: Session,
    *,
    actor: Actor,
    complaints: list[dict[str, str | None]],
) -> ImportReport:
    """Complaints sent one by one by another system (each a mapping of the complaint
    fields, ``huiqi.complaints.mapping.FIELDS``, to text), stored exactly as a row of an
    imported export is: the same checks, keyed hashes and masks, and "already held" by
    complaint number. A refused complaint (and one held with other content) is in the
    report by ``item``, its position in the list from 0, and no line: the complaints are
    checked as the lines of a file, but the sender wrote no file (its line was reported
    as the position + 2, a number that named nothing the sender had)."""
    require_role(actor, "file complaints", Role.COMPLAINT_OFFICER, Role.DATA_STEWARD)
    from huiqi.complaints.mapping import FIELDS, default_mapping

    if not complaints or len(complaints) > MAX_FILED:
        raise ComplaintError(f"send 1 to {MAX_FILED:,} complaints, not {len(complaints):,}")
    unknown = sorted({k for c in complaints for k in c} - set(FIELDS))
    if unknown:
        raise ComplaintError(f"unknown complaint fields {unknown}; the fields are {list(FIELDS)}")
    headers = default_mapping().columns
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([headers[f] for f in FIELDS if f in headers])
    # The line each complaint starts on: a text with line breaks spans several lines of
    # the file, so a refused row's line says which complaint it was only through this.
    starts: list[int] = []
    line = 2
    for c in complaints:
        starts.append(line)
        before = out.tell()
        writer.writerow([_one_line_break(c.get(f) or "") for f in FIELDS if f in headers])
        line += out.getvalue()[before:].count("\n")
    report = import_uploaded_complaints(
        settings, session, actor=actor, filename="complaints.csv", content=out.getvalue().encode()
    )

    def item_of(line: int) -> int:
        return bisect.bisect_right(starts, line) - 1

    for r in [*report.rejects, *report.changed]:
        at = r.pop("line", None)
        r.pop("column", None)  # the file's header: the sender named the field
        if isinstance(at, int):
            r["item"] = item_of(at)
        repeated = _REPEATED.fullmatch(str(r.get("reason") or ""))
        if repeated:
            r["reason"] = f"{repeated[1]} is also item {item_of(int(repeated[2]))} of this list"
    return report


# A complaint number on two rows (``complaints.reading``): the earlier row's line.
_REPEATED = re.compile(r"(complaint .*) is already on line (\d+)", re.DOTALL)


def _one_line_break(value: str) -> str:
    """A value with its line breaks written one way ("\\n"): the file's reader ends a row at
    a lone carriage return even inside quotes, which split one complaint in two."""
    return value.replace("\r\n", "\n").replace("\r", "\n")

"""Importing an uploaded registry file, the steps between the form and
``profiles.service.import_files``: the form's fields checked (a file type the importer
reads, a mapping by one of its names, never a path), the upload written to a private
folder of its own under the data directory (the importer reads files), imported, and the
folder removed whatever happens.

The file keeps its name (made safe): the import's report and history show it.
"""

from __future__ import annotations

import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import Actor
from huiqi.config import Settings
from huiqi.db.engine import transaction
from huiqi.errors import HuiqiError
from huiqi.fsmode import private_dir, write_private_bytes
from huiqi.profiles import service as profiles
from huiqi.profiles.mapping_finder import all_mappings
from huiqi.profiles.readers import FORMATS

# What the importer reads (huiqi.profiles.readers): a file Excel saved as "Unicode Text"
# (.txt) was refused here although `huiqi import` reads it.
SUFFIXES = tuple(FORMATS)
UPLOADS = "uploads"  # under the data directory; each upload in a folder of its own
NAME_CHARS = 100
SHEET_CHARS = 100
_UNSAFE = re.compile(r"[^\w.()（）\- ]+")
# An import's reference as a request names it (a snapshot id, or a not-imported report's
# folder): only its characters are checked here; the service looks it up.
REF_PATTERN = r"^[0-9A-Za-z-]+$"
REF_CHARS = 40


class UploadRefused(HuiqiError):
    """An upload form's field the importer cannot be given (HTTP 400)."""


@dataclass(frozen=True)
class Upload:
    name: str  # safe: no folder, no leading dot
    mapping: str | None
    sheet: str | None


def safe_name(sent: str | None) -> str:
    """The file's own name as the browser sent it, without any folder, with characters
    other than letters, digits, CJK, ``.-_()`` and spaces replaced (``_``)."""
    base = PureWindowsPath(PurePosixPath(sent or "").name).name
    base = _UNSAFE.sub("_", base).strip(" .")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        return base[:NAME_CHARS]
    return f"{stem[: NAME_CHARS - len(suffix) - 1]}.{suffix}"


def upload_fields(settings: Settings, filename: str | None, fields: dict[str, str]) -> Upload:
    """The upload's name, mapping and sheet; UploadRefused saying what to choose instead."""
    name = safe_name(filename)
    if not name.lower().endswith(SUFFIXES):
        raise UploadRefused(
            f"'{name[:60] or '(no name)'}' is not a registry file the importer reads; choose a"
            f" {', '.join(SUFFIXES)} file",
            field="file",
        )
    mapping = fields.get("mapping", "").strip() or None
    known = all_mappings(settings.mappings_dir)
    if mapping is not None and mapping not in known:
        raise UploadRefused(
            f"no mapping named '{mapping[:60]}'; choose one of {', '.join(sorted(known))},"
            " or none to detect it from the header",
            field="mapping",
        )
    sheet = fields.get("sheet", "").strip() or None
    if sheet is not None and len(sheet) > SHEET_CHARS:
        raise UploadRefused(f"a sheet's name has at most {SHEET_CHARS} characters", field="sheet")
    if sheet is not None and not name.lower().endswith((".xlsx", ".xls")):
        # A CSV with a sheet named was refused as "no sheet 'x' with data; sheets with
        # data: []", as if the workbook were empty (QA, qa5; the command line says so too).
        raise UploadRefused(
            f"a sheet names one of a workbook's sheets (.xlsx or .xls), and '{name[:60]}' is"
            " no workbook; leave the sheet empty",
            field="sheet",
        )
    return Upload(name=name, mapping=mapping, sheet=sheet)


def _as_uploaded(message: str, path: Path) -> str:
    """The importer's message about the uploaded file, naming the file as the steward
    chose it, not the data directory's folder it was read from, and the form's field
    where the command line's option is named."""
    for where in {str(path.resolve()), str(path)}:
        message = message.replace(where, path.name)
    for option, field in (("--mapping", "Mapping"), ("--sheet", "Sheet")):
        message = message.replace(f"with {option}", f"in the form's {field} field")
    return message


def import_upload(
    settings: Settings, session: Session, *, actor: Actor, upload: Upload, content: bytes
) -> str:
    """Import the uploaded file (``import_files`` checks the role and records it); the
    reference of its report: the snapshot's id, or the folder of an import that made none."""
    folder = settings.data_dir / UPLOADS / secrets.token_hex(8)
    private_dir(folder)
    try:
        path = folder / upload.name
        write_private_bytes(path, content)
        (report,) = profiles.import_files(
            settings,
            session,
            actor=actor,
            files=[path],
            mapping=upload.mapping,
            sheet=upload.sheet,
        )
    except HuiqiError as exc:
        exc.message = _as_uploaded(exc.message, path)
        # str(exc) too, which the API answers (huiqi.web.errors.huiqi_error): it kept the
        # upload folder's path on the server and the CLI's --mapping (QA: only the
        # console's page, which reads .message, had the file's own name).
        exc.args = (_as_uploaded(str(exc), path), *exc.args[1:])
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if report.snapshot_id is not None:
        return str(report.snapshot_id)
    return report.report_path.parent.name


def import_committed(
    settings: Settings,
    factory: sessionmaker[Session],
    *,
    actor: Actor,
    upload: Upload,
    content: bytes,
) -> str:
    """:func:`import_upload` in a transaction of its own (its audit event committed with
    it): what the console's form and the API's upload run, off the event loop."""
    with transaction(factory) as s:
        return import_upload(settings, s, actor=actor, upload=upload, content=content)

"""Bulk import of a 12345-hotline export (CSV in UTF-8 or GBK, or .xlsx) as requests.

The file is read with the registry readers (:mod:`huiqi.profiles.readers`: encoding
detection, line numbers as a person sees them, a broken line costs that line), its
columns found through a mapping file (:mod:`huiqi.desk.hotline_mapping`). Each good row
becomes a request routed and given its deadlines from the time the hotline received it;
each bad row is reported with its line and the reason, and the good rows are kept. A
work order already imported (same ``工单编号``) is counted, not imported twice, so an
export can be imported again after fixing its bad rows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.accounts.access import AccessDenied, Actor
from huiqi.accounts.roles import DESK_ROLES, Role
from huiqi.db.clock import utcnow
from huiqi.delivery.freetext import clean_text
from huiqi.desk.errors import DeskError
from huiqi.desk.filing import MAX_TEXT, check_uscc, filed_step, new_request
from huiqi.desk.hotline_mapping import HotlineMapping, load_hotline_mapping
from huiqi.desk.models import DeskRequest
from huiqi.desk.routing import Router
from huiqi.desk.visibility import desk_departments
from huiqi.desk.workdays import CHINA, CalendarRangeError, covered_years
from huiqi.errors import ImportFileError
from huiqi.profiles.headerfit import with_fitting_header
from huiqi.profiles.mapping import normalise_header
from huiqi.profiles.readers import open_source
from huiqi.profiles.totalsrow import not_a_row_of

_TIME = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_CHUNK = 1000
CLOCK_SKEW = dt.timedelta(minutes=15)  # the hotline's clock may run a little ahead of ours


@dataclass(frozen=True)
class Reject:
    line: int
    reason: str
    # Where in the row: the file's header and the field it feeds ('' for the whole row).
    column: str = ""
    field: str = ""


@dataclass
class HotlineReport:
    file: str
    read: int = 0
    imported: int = 0
    already: int = 0  # work orders imported before
    rejects: list[Reject] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)


def parse_received(text: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """A hotline time (China time: ``2026-02-13 10:05``, ``2026/2/13``, ``2026年2月13日``) as
    naive UTC; DeskError saying what is expected. A time after ``now`` (naive UTC; the
    clock's) is refused: the hotline received the work order before it was exported."""
    m = _TIME.match(text.strip())
    if not m:
        raise DeskError(f"the time {text!r} is not a date and time such as 2026-02-13 10:05")
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    try:
        local = dt.datetime(y, mo, d, h, mi, s, tzinfo=CHINA)
    except ValueError as exc:
        raise DeskError(f"the time {text!r} is not a real date and time ({exc})") from None
    first, last = covered_years()
    if y < first:
        raise DeskError(f"the time {text!r} is before the holiday calendar's {first}–{last}")
    received = local.astimezone(dt.UTC).replace(tzinfo=None)
    clock = now or utcnow()
    if received > clock + CLOCK_SKEW:
        china_now = clock.replace(tzinfo=dt.UTC).astimezone(CHINA)
        raise DeskError(
            f"the time {text!r} is in the future (it is {china_now:%Y-%m-%d %H:%M} in China"
            " now); correct the time the hotline received the work order and import again"
        )
    return received


def _require_importer(actor: Actor) -> None:
    if actor.has(Role.DATA_STEWARD) or (actor.has(*DESK_ROLES) and desk_departments(actor) is None):
        return
    raise AccessDenied(
        f"{actor.describe()} may not import hotline requests; allowed: data stewards,"
        " desk officers with scope *"
    )


class _Row:
    """One row's cells by field, checked one by one."""

    def __init__(self, cells: dict[str, str | None]) -> None:
        self.cells = cells
        self.field = ""  # the field read last: the one a refusal that follows is about

    def text(self, name: str) -> str:
        self.field = name
        value = (self.cells.get(name) or "").strip()
        if not value:
            raise DeskError(f"{name} is empty")
        return value


def import_hotline(
    session: Session,
    *,
    actor: Actor,
    path: Path,
    mapping: HotlineMapping | None = None,
) -> HotlineReport:
    """Import the export at ``path``; return what was read, imported and rejected."""
    _require_importer(actor)
    chosen = mapping or load_hotline_mapping()
    router = Router(session)
    chosen.check_categories(router.categories)  # before any row: a row cannot fix it
    source = open_source(path)
    source, columns = with_fitting_header(
        source, lambda cells: chosen.resolve(str(source.path), cells), ImportFileError
    )
    report = HotlineReport(str(path))
    seen: dict[str, int] = {}
    for batch in source.batches():
        data = batch.to_pydict()
        rows = []
        for i, line in enumerate(data["_line"]):
            cells = {f: data[f"c{pos}"][i] for f, pos in columns.items()}
            rows.append((line, data["_problem"][i], cells))
        known = _known(session, {(c.get("hotline_id") or "").strip() for _, _, c in rows})
        made: list[tuple[DeskRequest, int]] = []
        for line, problem, cells in rows:
            report.read += 1
            if problem is not None:
                report.rejects.append(Reject(line, problem))
                continue
            row = _Row(cells)
            try:
                req = _one(session, chosen, router, actor, row, known, seen, line)
            except (DeskError, CalendarRangeError) as exc:
                header = source.headers[columns[row.field]] if row.field in columns else ""
                report.rejects.append(Reject(line, exc.message, header, row.field))
                continue
            if req is None:
                report.already += 1
            else:
                made.append((req, line))
        session.flush()  # one flush per batch: the ids, in executemany inserts
        for req, line in made:
            filed_step(session, req, actor.username, {"hotline_id": req.hotline_id, "line": line})
            report.ids.append(req.id)
        report.imported += len(made)
        session.flush()
    return report


def _known(session: Session, wanted: set[str]) -> set[str]:
    """The work orders of ``wanted`` imported before (asked in chunks: bound parameters are
    limited)."""
    found: set[str] = set()
    ordered = sorted(wanted)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        query = select(DeskRequest.hotline_id).where(DeskRequest.hotline_id.in_(chunk))
        found.update(h for h in session.scalars(query) if h)
    return found


def _not_an_order(order: str) -> str:
    """Why a work order number cannot be one: a sheet's total row (合计) or a note below
    the table (制表人：…) is said to be one (QA, qa5), else the number's shape."""
    said = not_a_row_of(order, "a request")
    if said is not None:
        return said
    return f"the work order number {order!r} is not 1–64 letters, digits, - or _"


def _one(
    session: Session,
    mapping: HotlineMapping,
    router: Router,
    actor: Actor,
    row: _Row,
    known: set[str],
    seen: dict[str, int],
    line: int,
) -> DeskRequest | None:
    order = row.text("hotline_id")
    if not _ID.match(order):
        raise DeskError(_not_an_order(order))
    if order in known:
        return None
    if order in seen:
        raise DeskError(f"work order {order} is also on line {seen[order]}")
    code = check_uscc(row.text("uscc"))
    label = normalise_header(row.text("category"))
    category = mapping.categories.get(label, label)
    if category not in router.categories:
        raise DeskError(
            f"the category {label!r} is not in mapping {mapping.name}'s categories"
            f" ({', '.join(mapping.categories)}); write one of them, or name it under"
            " 'categories:' in a mapping file of your own (--mapping)"
        )
    body = clean_text(row.text("text"), "the request's text", DeskError, max_length=MAX_TEXT)
    at = parse_received(row.text("received_at"))
    req = new_request(
        session,
        router.categories[category],
        code,
        body or "",
        at,
        filed_by=actor.username,
        channel="hotline",
        hotline_id=order,
        router=router,
    )
    seen[order] = line
    return req

"""Request categories and their deadlines in working days, edited by an admin.

Each category names the department that owns its requests when no routing rule says
otherwise, and how many working days a department has to acknowledge and to answer, and
how many working days before a deadline the sweep reminds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.roles import Role
from huiqi.delivery.audit import record_event
from huiqi.delivery.freetext import clean_text
from huiqi.desk.errors import RoutingError, UnknownCategory
from huiqi.desk.models import DeskCategory
from huiqi.desk.workdays import MAX_DAYS

CODE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True)
class CategoryRow:
    code: str
    label_zh: str
    label_en: str
    department: str
    ack_days: int
    answer_days: int
    remind_days: int


def _row(c: DeskCategory) -> CategoryRow:
    return CategoryRow(
        c.code, c.label_zh, c.label_en, c.department, c.ack_days, c.answer_days, c.remind_days
    )


def list_categories(session: Session) -> list[CategoryRow]:
    """Every category, by code (anyone may read them: the filing form offers them)."""
    return [_row(c) for c in session.scalars(select(DeskCategory).order_by(DeskCategory.code))]


def get_category(session: Session, code: object) -> DeskCategory:
    """The category ``code``, or UnknownCategory naming the categories there are."""
    found = session.get(DeskCategory, code) if isinstance(code, str) else None
    if found is None:
        known = ", ".join(c.code for c in list_categories(session))
        raise UnknownCategory(
            f"{code!r} is not a request category; categories: {known}", field="category"
        )
    return found


def _days(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
        raise RoutingError(f"{what} is a whole number of working days 0–{MAX_DAYS}, not {value!r}")
    return value


def set_category(
    session: Session,
    *,
    actor: Actor,
    code: str,
    label_zh: str,
    label_en: str,
    department: str,
    ack_days: int,
    answer_days: int,
    remind_days: int = 1,
) -> CategoryRow:
    """Add or change a category (admin); audit event ``desk_category_set``."""
    require_role(actor, "edit request categories", Role.ADMIN)
    if not code or set(code) - CODE_CHARS or len(code) > 32:
        raise RoutingError(f"a category code is 1–32 of a-z, 0-9 and _, not {code!r}")
    labels = [
        clean_text(x, what, RoutingError, required=True, max_length=100)
        for x, what in ((label_zh, "the Chinese label"), (label_en, "the English label"))
    ]
    dept = clean_text(department, "the department", RoutingError, required=True, max_length=200)
    ack = _days(ack_days, "the time to acknowledge")
    answer = _days(answer_days, "the time to answer")
    remind = _days(remind_days, "the reminder lead")
    if answer < ack:
        raise RoutingError(
            f"the time to answer ({answer}) is at least the time to acknowledge ({ack})"
        )
    row = session.get(DeskCategory, code) or DeskCategory(code=code)
    row.label_zh, row.label_en = labels[0] or "", labels[1] or ""
    row.department = dept or ""
    row.ack_days, row.answer_days, row.remind_days = ack, answer, remind
    session.add(row)
    session.flush()
    record_event(
        session,
        actor=actor,
        kind="desk_category_set",
        entity=f"desk_category:{code}",
        data={
            "department": row.department,
            "ack_days": ack,
            "answer_days": answer,
            "remind_days": remind,
        },
    )
    return _row(row)

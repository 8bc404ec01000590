"""The desk's figures for the dashboard: volume by category and by department, the share
answered on time, the enterprises' satisfaction, and repeat requests.

* On time: answers given by the answer deadline, over answers given (a reopened request
  counts its last answer). A request reopened after a low rating is not yet answered (its
  first answer is cleared, :func:`huiqi.desk.rating.rate`) until its department answers
  it again, and then counts once, as answered, on time by its new deadline or not. A request its department closed without an answer counts as
  answered (on time when closed by the deadline); one the enterprise withdrew counts in
  neither (:mod:`huiqi.desk.closing`).
* Satisfaction: every rating, its average and its spread by stars; "satisfied" is 4 or 5
  (a reopened request's two answers are rated once each, so both ratings count).
* A repeat request is one filed by an enterprise that filed another of the same category
  in the ``repeat_days`` before it (the same problem asked again is a sign it was not
  solved).

A desk officer or head reads the figures of its departments, ``*`` the whole city's.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.roles import DESK_ROLES
from huiqi.desk.errors import DeskError
from huiqi.desk.models import DeskRating, DeskRequest
from huiqi.desk.visibility import desk_departments

REPEAT_DAYS = 90


@dataclass(frozen=True)
class Volume:
    key: str  # the category code or the department
    requests: int
    open: int  # not yet answered (open, acknowledged, reopened)
    answered: int
    on_time: int


@dataclass(frozen=True)
class DeskStats:
    since: dt.date | None
    until: dt.date | None
    requests: int
    by_category: list[Volume]
    by_department: list[Volume]
    answered: int
    on_time: int
    on_time_rate: Decimal | None  # 0–1, four decimals; None with no answer yet
    ratings: int
    average_stars: Decimal | None  # two decimals
    by_stars: tuple[int, int, int, int, int]
    satisfied_rate: Decimal | None  # share of ratings of 4 or 5
    repeat_requests: int
    repeat_enterprises: int


def _rate(part: int, whole: int, places: str) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _volumes(rows: list[tuple[str, str, bool | None]]) -> list[Volume]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for key, status, on_time in rows:
        c = counts[key]
        c[0] += 1
        c[1] += status in ("open", "acknowledged", "reopened")
        c[2] += on_time is not None
        c[3] += bool(on_time)
    return [Volume(k, *v) for k, v in sorted(counts.items())]


def desk_stats(
    session: Session,
    *,
    actor: Actor,
    since: dt.date | None = None,
    until: dt.date | None = None,
    repeat_days: int = REPEAT_DAYS,
) -> DeskStats:
    """The figures over requests filed (China's date) from ``since`` to ``until``, inclusive."""
    require_role(actor, "read the desk's statistics", *DESK_ROLES)
    if since and until and since > until:
        raise DeskError(f"the period starts ({since}) after it ends ({until})", field="since")
    if isinstance(repeat_days, bool) or not 1 <= repeat_days <= 3660:
        raise DeskError(f"repeat_days is 1–3660, not {repeat_days!r}")
    where: list[ColumnElement[bool]] = []
    depts = desk_departments(actor)
    if depts is not None:
        where.append(DeskRequest.department.in_(depts))
    if since:
        where.append(DeskRequest.filed_on >= since)
    if until:
        where.append(DeskRequest.filed_on <= until)
    rows = session.execute(
        select(
            DeskRequest.uscc,
            DeskRequest.category,
            DeskRequest.department,
            DeskRequest.status,
            DeskRequest.answered_on_time,
            DeskRequest.filed_on,
        ).where(*where)
    ).all()
    stars = [
        0,
        *(
            session.scalar(
                select(func.count())
                .select_from(DeskRating)
                .join(DeskRequest, DeskRequest.id == DeskRating.request_id)
                .where(DeskRating.stars == n, *where)
            )
            or 0
            for n in range(1, 6)
        ),
    ]
    ratings = sum(stars)
    total_stars = sum(n * stars[n] for n in range(1, 6))
    answered = sum(r.answered_on_time is not None for r in rows)
    on_time = sum(bool(r.answered_on_time) for r in rows)
    repeats, repeaters = _repeats(
        [(r.uscc, r.category, r.filed_on) for r in rows], dt.timedelta(days=repeat_days)
    )
    return DeskStats(
        since=since,
        until=until,
        requests=len(rows),
        by_category=_volumes([(r.category, r.status, r.answered_on_time) for r in rows]),
        by_department=_volumes([(r.department, r.status, r.answered_on_time) for r in rows]),
        answered=answered,
        on_time=on_time,
        on_time_rate=_rate(on_time, answered, "0.0001"),
        ratings=ratings,
        average_stars=_rate(total_stars, ratings, "0.01"),
        by_stars=(stars[1], stars[2], stars[3], stars[4], stars[5]),
        satisfied_rate=_rate(stars[4] + stars[5], ratings, "0.0001"),
        repeat_requests=repeats,
        repeat_enterprises=repeaters,
    )


def _repeats(rows: list[tuple[str, str, dt.date]], window: dt.timedelta) -> tuple[int, int]:
    """(requests that repeat an earlier one, enterprises that filed such a request)."""
    by_key: dict[tuple[str, str], list[dt.date]] = defaultdict(list)
    for uscc, category, day in rows:
        by_key[(uscc, category)].append(day)
    repeats, who = 0, set()
    for (uscc, _), days in by_key.items():
        days.sort()
        for earlier, later in itertools.pairwise(days):
            if later - earlier <= window:
                repeats += 1
                who.add(uscc)
    return repeats, len(who)

"""A request reopened after a low rating (1 or 2 stars) in the desk's figures: it is open
until its department answers it again, and once answered again it counts once, as
answered (on time or not by its new deadline)."""

from __future__ import annotations

import datetime as dt

from desk_helpers import BEFORE_FESTIVAL, FINANCE_BUREAU, A, desk_officer, filed
from desk_helpers import enterprise as ent
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import Actor
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.db.engine import transaction
from huiqi.desk.handling import reply
from huiqi.desk.rating import rate
from huiqi.desk.stats import DeskStats, desk_stats

CITY = Actor("centre", (RoleGrant(Role.DESK_HEAD, "*"),))


def _figures(sessions: sessionmaker[Session]) -> tuple[DeskStats, tuple[int, int, int, int]]:
    with sessions() as s:
        stats = desk_stats(s, actor=CITY)
    (volume,) = stats.by_department
    return stats, (volume.requests, volume.open, volume.answered, volume.on_time)


def test_a_reopened_request_is_open_until_answered_again_then_counts_once(
    sessions: sessionmaker[Session],
) -> None:
    one = filed(sessions)
    finance = desk_officer(FINANCE_BUREAU)
    with transaction(sessions) as s:
        reply(s, actor=finance, request_id=one.id, text="已拨付", now=BEFORE_FESTIVAL)
    stats, volume = _figures(sessions)
    assert (stats.answered, stats.on_time, volume) == (1, 1, (1, 0, 1, 1))
    with transaction(sessions) as s:
        rate(s, actor=ent(A), request_id=one.id, stars=1, now=BEFORE_FESTIVAL)  # reopened
    stats, volume = _figures(sessions)
    assert (stats.answered, stats.on_time, stats.on_time_rate, volume) == (0, 0, None, (1, 1, 0, 0))
    with transaction(sessions) as s:
        late = BEFORE_FESTIVAL + dt.timedelta(days=90)
        reply(s, actor=finance, request_id=one.id, text="已补拨", now=late)
    stats, volume = _figures(sessions)
    assert (stats.answered, stats.on_time, volume) == (1, 0, (1, 0, 1, 0))
    with transaction(sessions) as s:
        rate(s, actor=ent(A), request_id=one.id, stars=5)  # closed
    stats, volume = _figures(sessions)
    assert (stats.requests, stats.answered, stats.on_time, volume) == (1, 1, 0, (1, 0, 1, 0))

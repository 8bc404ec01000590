"""What retiring a policy version does to what is still open under it.

A retired version is no longer matched, offered or listed, so nothing open under it can
be acted on any more: retiring withdraws its 直达快享 offers not yet claimed and its 申报
applications not yet submitted (status ``withdrawn``, the reason saying what was retired,
when and why), with one audit event (``retire_withdraw``) and one message to each
enterprise. Applications already submitted wait for an officer's decision as before, and
what was granted stays granted. A claim or a submission under a retired version (one
retired before retiring withdrew, or racing the retirement) is refused, saying the same.

Versions retired before retiring withdrew left their open records open:
:func:`withdraw_left_open` (run by the scheduler's ``huiqi expire``, idempotently) withdraws
them the same way, with the reason and date of the version's own ``retire`` event.

A retired version's review flags on records that gave the enterprise nothing (those it
withdraws among them) leave the officers' queue, each with a ``review_closed`` event
(``flag_closing``); a flag on a grant, or on an application still submitted, stays until
an officer decides it: while it is flagged, its grant waits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from huiqi.delivery import notify
from huiqi.delivery.audit import record_events
from huiqi.delivery.flag_closing import close_left_on_retired
from huiqi.delivery.models import Application, Entitlement, Event, PolicyVersion, utcnow
from huiqi.delivery.statuses import RecordStatus, VersionStatus

CHUNK = 5_000
_CHINA = dt.timedelta(hours=8)  # the day a version was retired, as officers in China say it
# What a retirement withdraws: what the enterprise has not acted on yet.
WITHDRAWN_ON_RETIRE = (RecordStatus.OFFERED, RecordStatus.APPLICATION_OPEN)


def retired_text(pv: PolicyVersion, at: dt.datetime | None, reason: str | None) -> str:
    """'「title」 (policy v2) was retired on 2026-12-02: reason' (what, when, why)."""
    when = f" on {(at + _CHINA):%Y-%m-%d}" if at is not None else ""
    why = f": {reason}" if reason else ""
    return f"「{pv.title_zh}」 ({pv.policy_id} v{pv.version}) was retired{when}{why}"


def retired_note(session: Session, pv: PolicyVersion) -> str:
    """:func:`retired_text` of a retired version, its time and reason read from its
    ``retire`` event."""
    at, reason = _retire_event(session, pv)
    return retired_text(pv, at, reason)


def _retire_event(session: Session, pv: PolicyVersion) -> tuple[dt.datetime | None, str | None]:
    """When ``pv`` was retired and why, from its latest ``retire`` event (None, None
    without one)."""
    row = session.execute(
        select(Event.at, Event.reason)
        .where(Event.kind == "retire", Event.policy_version_id == pv.id)
        .order_by(Event.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else (None, None)


def withdraw_left_open(session: Session, *, actor: str) -> int:
    """Withdraw what is still open under versions already retired (retired before retiring
    withdrew, or reopened since): each as :func:`withdraw_open` with the reason and time of
    the version's ``retire`` event, then close the flags left on their records that gave
    nothing (``flag_closing``). Running it again withdraws nothing more; returns how many
    records it withdrew."""
    left = session.scalars(
        select(PolicyVersion)
        .where(
            PolicyVersion.status == VersionStatus.RETIRED,
            exists().where(
                Entitlement.policy_version_id == PolicyVersion.id,
                Entitlement.status.in_(WITHDRAWN_ON_RETIRE),
            ),
        )
        .order_by(PolicyVersion.id)
    ).all()
    withdrawn = 0
    for pv in left:
        at, reason = _retire_event(session, pv)
        withdrawn += withdraw_open(
            session, pv, actor=actor, reason=reason or "the version was retired", at=at or utcnow()
        )
    close_left_on_retired(session, actor=actor)
    return withdrawn


def withdraw_open(
    session: Session, pv: PolicyVersion, *, actor: str, reason: str, at: dt.datetime
) -> int:
    """Withdraw the version's open offers and unsubmitted applications; return how many."""
    note = retired_text(pv, at, reason)
    # The enterprise's message, in its own language: what, when and why.
    told = f"「{pv.title_zh}」（第{pv.version}版）已于{(at + _CHINA):%Y-%m-%d}停止执行（原因：{reason}），"
    withdrawn = 0
    after = 0
    while True:
        found = session.execute(
            select(Entitlement.id, Entitlement.uscc, Entitlement.status)
            .where(
                Entitlement.policy_version_id == pv.id,
                Entitlement.status.in_(WITHDRAWN_ON_RETIRE),
                Entitlement.id > after,
            )
            .order_by(Entitlement.id)
            .limit(CHUNK)
        ).all()
        rows = [(int(i), str(u), str(status)) for i, u, status in found]
        if not rows:
            return withdrawn
        after = rows[-1][0]
        _withdraw_chunk(session, pv, rows, actor=actor, note=note, told=told)
        withdrawn += len(rows)


def _withdraw_chunk(
    session: Session,
    pv: PolicyVersion,
    rows: list[tuple[int, str, str]],
    *,
    actor: str,
    note: str,
    told: str,
) -> None:
    ids = [r[0] for r in rows]
    now = utcnow()
    session.execute(
        update(Entitlement)
        .where(Entitlement.id.in_(ids), Entitlement.status.in_(WITHDRAWN_ON_RETIRE))
        .values(status=RecordStatus.WITHDRAWN, status_reason=note, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    applications = [i for i, _, status in rows if status == RecordStatus.APPLICATION_OPEN]
    if applications:
        session.execute(
            update(Application)
            .where(Application.entitlement_id.in_(applications))
            .values(decided_at=now, decided_by=actor, decision="withdrawn", reason=note)
            .execution_options(synchronize_session=False)
        )
    record_events(
        session,
        [
            {
                "at": now,
                "actor": actor,
                "kind": "retire_withdraw",
                "uscc": uscc,
                "policy_version_id": pv.id,
                "entity": f"entitlement:{i}",
                "reason": note,
                "data": {"was": str(status)},
            }
            for i, uscc, status in rows
        ],
    )
    notify.enqueue_many(
        session,
        [
            notify.Message(
                uscc=uscc,
                kind="withdrawn",
                subject=f"「{pv.title_zh}」已停止受理",
                body=told
                + (
                    "您尚未确认领取的待领取项已撤回。"
                    if status == RecordStatus.OFFERED
                    else "您尚未提交的预填申报已关闭。"
                ),
                dedupe_key=f"withdrawn:{pv.id}:{uscc}:{pv.benefit_period}",
            )
            for _, uscc, status in rows
        ],
        count=False,
    )

"""Flagging the records of enterprises no longer eligible, with the conditions they fail.

A full delivery (``publish.deliver``) or an incremental one (``incremental``) finds the
open records whose enterprise the new snapshot no longer makes eligible. Nothing is
revoked: each is flagged for an officer's review (``huiqi.delivery.review``), and the
flag records which criteria now fail or lack data, with the enterprise's values against
the thresholds (``lost_criteria``), so that the officer need not look the enterprise up.

Set-based: the conditions come from one trace of each policy version over the flagged
enterprises only (``engine.snapshot_result_rows``: in process for a few, the bulk
backend for many), not from an explanation per record, and neither the tracing nor the
parsing of thresholds happens inside the transaction that flags. The lost records are
traced and flagged a slice (:data:`SLICE`) at a time, each slice in its own transaction:
a trace and a flag's conditions take some 5 KB of memory each, so a snapshot that flags
10^6 records held gigabytes when all were traced before any was flagged. As the
delivery's own chunks, each slice commits alone: the records of a slice a failure left
unflagged still read as not checked against the snapshot (``last_snapshot_id``), so a
delivery run again on it picks them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from huiqi.config import Settings
from huiqi.db.engine import transaction
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery.audit import record_events
from huiqi.delivery.lost_criteria import Conditions, audit_summary, stored_form
from huiqi.delivery.models import Entitlement, utcnow
from huiqi.delivery.records import CHUNK, OPEN_STATUSES
from huiqi.delivery.tables import entitlements
from huiqi.engine import STATUSES, CompiledPolicy, snapshot_result_rows

# (entitlement id, USCC, policy version id)
Lost = tuple[int, str, int]
# How many lost records are traced, then flagged, at a time (memory: about 5 KB each).
SLICE = 50_000


def lost_conditions(
    settings: Settings,
    compiled: Mapping[int, CompiledPolicy],
    lost: list[Lost],
    sid: int,
    judged_by: Mapping[int, int] | None = None,
) -> dict[tuple[int, str], dict[str, Any]]:
    """What each lost record's flag records, by (version id, USCC): one trace of each
    version over its lost enterprises on snapshot ``sid``.

    ``judged_by`` maps a record's version id to the version whose trace judges it, where
    that is another one: an earlier version's record is judged by the policy's newest
    version (``earlier_flags``), and its conditions name that version (``version``), whose
    criteria complete them when they are shown (``flag_view``)."""
    judge = judged_by or {}
    by_version: dict[int, set[str]] = defaultdict(set)
    for _, u, pv_id in lost:
        by_version[judge.get(pv_id, pv_id)].add(u)
    traced: dict[tuple[int, str], dict[str, Any]] = {}
    for pv_id, usccs in by_version.items():
        cp = compiled[pv_id]
        _, traces = snapshot_result_rows(
            settings, cp, snapshot_id=sid, statuses=STATUSES, usccs=sorted(usccs)
        )
        found = {t.uscc: t for t in traces}
        conditions = Conditions(cp)
        for u in usccs:
            traced[pv_id, u] = conditions.detail(found.get(u), sid)
    if not judge:
        return traced
    out: dict[tuple[int, str], dict[str, Any]] = {}
    for _, u, pv_id in lost:
        by = judge.get(pv_id, pv_id)
        detail = traced[by, u]
        if by != pv_id:
            detail = {**detail, "version": compiled[by].policy.version}
        out[pv_id, u] = detail
    return out


def flag_lost(
    settings: Settings,
    factory: sessionmaker[Session],
    compiled: Mapping[int, CompiledPolicy],
    lost: list[Lost],
    sid: int,
    actor: str,
    judged_by: Mapping[int, int] | None = None,
    since: Mapping[int, dt.datetime] | None = None,
) -> int:
    """Flag the ``lost`` records that are still open and unflagged, each with the
    conditions its enterprise fails on snapshot ``sid`` (under the version ``judged_by``
    names for its own, if any: :func:`lost_conditions`); how many were flagged.

    A record is taken while not yet checked against ``sid``; or, for a record whose
    version is in ``since`` (an earlier version's, judged by a newer one:
    ``earlier_flags``), while last written before that time (the newer version's
    publication)."""
    flagged = 0
    for begin in range(0, len(lost), SLICE):
        some = lost[begin : begin + SLICE]
        details = lost_conditions(settings, compiled, some, sid, judged_by)
        with transaction(factory) as s:
            for start in range(0, len(some), CHUNK):
                part = some[start : start + CHUNK]
                # Read again, locked: a reviewer, a claim or another delivery (a full one
                # and an incremental one at once) may have changed a record while the
                # conditions were traced (outside this transaction). On PostgreSQL the lock
                # waits for such a writer and reads its outcome: without it both flagged
                # one record, each with its event (qa8's note).
                still = {
                    i
                    for i, v, seen, written in s.execute(
                        select(
                            Entitlement.id,
                            Entitlement.policy_version_id,
                            Entitlement.last_snapshot_id,
                            Entitlement.updated_at,
                        )
                        .where(
                            Entitlement.id.in_([i for i, _, _ in part]),
                            Entitlement.review_flag.is_(False),
                            Entitlement.status.in_(OPEN_STATUSES),
                        )
                        .with_for_update()
                    )
                    if seen != sid or (v in (since or {}) and written < (since or {})[v])
                }
                chosen = [row for row in part if row[0] in still]
                flag_for_review(s, chosen, sid, actor, details)
                flagged += len(chosen)
    return flagged


def flag_for_review(
    s: Session,
    lost: list[Lost],
    sid: int,
    username: str,
    details: Mapping[tuple[int, str], dict[str, Any]] | None = None,
) -> None:
    """Flag these records (entitlement id, USCC, version id) for an officer's review, with
    an audit event each: the enterprise is no longer eligible on snapshot ``sid``; with
    ``details`` (by version id and USCC), the conditions it fails, kept on the record
    (``review_criteria``, in their stored form: ``lost_criteria.stored_form``) and
    summed up in the event."""
    reason = reasons.NO_LONGER_ELIGIBLE(id=sid)
    found = details or {}
    for start in range(0, len(lost), CHUNK):
        part = lost[start : start + CHUNK]
        now = utcnow()
        s.execute(
            # One statement, a row of parameters per record (each its own conditions).
            update(entitlements)
            .where(entitlements.c.id == bindparam("record"))
            .values(
                review_flag=True,
                review_reason=reason,
                review_criteria=bindparam("criteria", type_=entitlements.c.review_criteria.type),
                last_snapshot_id=sid,
                updated_at=now,
            ),
            [{"record": i, "criteria": _stored(found.get((v, u)))} for i, u, v in part],
        )
        record_events(
            s,
            [
                {
                    "at": now,
                    "actor": username,
                    "kind": "review_flag",
                    "uscc": u,
                    "policy_version_id": pv_id,
                    "entity": f"entitlement:{i}",
                    "reason": reason,
                    "data": _event_data(sid, found.get((pv_id, u))),
                }
                for i, u, pv_id in part
            ],
        )


def _stored(detail: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the record keeps of its conditions: what its version cannot give back."""
    return None if detail is None else stored_form(detail)


def _event_data(sid: int, detail: dict[str, Any] | None) -> dict[str, Any]:
    if detail is None:
        return {"snapshot_id": sid}
    data = {"snapshot_id": sid, "status": detail["status"], "criteria": audit_summary(detail)}
    if "version" in detail:
        # Judged by a newer version of the policy than the record's own (earlier_flags).
        data["version"] = detail["version"]
    return data

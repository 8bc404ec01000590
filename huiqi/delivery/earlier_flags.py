"""Flagging what earlier versions of a policy still hold for an enterprise its newest
version no longer makes eligible.

Only a policy's newest published version delivers (``publish.deliver``, ``incremental``),
and each delivery flags its own version's records. An enterprise that version 1 granted
has, under version 2, a record ``excluded`` behind that grant (``huiqi.delivery.once``):
it gave nothing, so no flag on it asks anything, while the grant that matters sits on
version 1's record, which nothing checked again. When a later snapshot made the
enterprise fail the policy, its version 1 grant stayed unflagged, and the next export
took it (regression: review, session 33).

So each delivery of the newest version also looks, for the enterprises it finds no
longer eligible, at the records of the same policy and benefit period under earlier
versions that are still open: a granted record (the base grant, and a reviewer's
correction on top of it, ``grants.corrects_grant_id``: each of the chain's grants is held
by its own version's record, which is granted or pending allocation while the grant is
live), an offer not yet claimed, an application not yet decided. Each is flagged as the
newest version's own records are (``flags.flag_lost``: the same flag, its conditions
traced once per slice, in the stored form), judged by the newest version: its conditions
are that version's and name it (``version``), so a page completes them from its criteria
(``flag_view``). While flagged, its grant waits (no export takes a flagged record's grant).

Exactly once: a record is taken only while unflagged, open and not yet judged by the
newest version on this snapshot: its ``last_snapshot_id`` is another snapshot, or it was
last written before the newest version was published (version 1's own delivery stamps
its records with the snapshot it ran on, which is often the very snapshot version 2 is
published against: qa9 found a stricter version 2 on the same data left version 1's
grant unflagged, and the next export paid it). Flagging, and an officer's decision on the
flag, write the record after the newest version was published, so running the delivery
again flags nothing twice and writes no second event, and a decision is not asked for
again on the same data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Mapping, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.config import Settings
from huiqi.delivery.flags import Lost, flag_lost
from huiqi.delivery.models import Entitlement, PolicyVersion
from huiqi.delivery.records import CHUNK, OPEN_STATUSES
from huiqi.engine import CompiledPolicy


def flag_earlier(
    settings: Settings,
    factory: sessionmaker[Session],
    compiled: Mapping[int, CompiledPolicy],
    keep: Mapping[int, Container[str]],
    sid: int,
    actor: str,
    *,
    usccs: Sequence[str] | None = None,
) -> int:
    """Flag the open records of earlier versions of the ``compiled`` (newest) versions'
    policies, same benefit period, whose enterprise is not in ``keep`` of that newest
    version (eligible or in error on snapshot ``sid``); only of ``usccs`` where given (an
    incremental delivery's changed enterprises). Returns how many were flagged."""
    lost: list[Lost] = []
    judged_by: dict[int, int] = {}
    since: dict[int, dt.datetime] = {}  # an earlier version: its newest's publication
    with factory() as s:
        newest = s.scalars(select(PolicyVersion).where(PolicyVersion.id.in_(list(compiled)))).all()
        for pv in newest:
            earlier = list(
                s.scalars(
                    select(PolicyVersion.id).where(
                        PolicyVersion.policy_id == pv.policy_id,
                        PolicyVersion.version < pv.version,
                    )
                )
            )
            if not earlier:
                continue  # most policies have one version: nothing more to read
            since.update(dict.fromkeys(earlier, pv.published_at))
            kept = keep.get(pv.id, ())
            for i, u, v in _open_records(s, earlier, pv, sid, usccs):
                if u not in kept:
                    lost.append((i, u, v))
                    judged_by[v] = pv.id
    if not lost:
        return 0
    return flag_lost(settings, factory, compiled, lost, sid, actor, judged_by, since)


def _open_records(
    s: Session,
    versions: list[int],
    newest: PolicyVersion,
    sid: int,
    usccs: Sequence[str] | None,
) -> list[Lost]:
    """The open, unflagged records of ``versions`` for ``newest``'s benefit period that
    ``newest`` has not yet judged on snapshot ``sid`` (of ``usccs``, a chunk at a time,
    where given)."""
    e = Entitlement
    stmt = select(e.id, e.uscc, e.policy_version_id).where(
        e.policy_version_id.in_(versions),
        e.benefit_period == newest.benefit_period,
        e.review_flag.is_(False),
        e.status.in_(OPEN_STATUSES),
        or_(e.last_snapshot_id != sid, e.updated_at < newest.published_at),
    )
    if usccs is None:
        return [(int(i), u, int(v)) for i, u, v in s.execute(stmt)]
    out: list[Lost] = []
    for start in range(0, len(usccs), CHUNK):
        part = list(usccs[start : start + CHUNK])
        out += [(int(i), u, int(v)) for i, u, v in s.execute(stmt.where(e.uscc.in_(part)))]
    return out

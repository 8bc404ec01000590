"""Re-match only the enterprises whose data changed, and deliver what follows.

After an import, most enterprises are as they were: matching every published version
against the whole population again (``publish.deliver``) costs time proportional to
the population. ``deliver_changes`` visits only the enterprises the new snapshot
changed since the last delivery (``engine/single/changes``), evaluates them against
every published version in process (the ``single`` backend: each distinct criterion
once per enterprise), and applies the same delivery rules as a full run, through the
same code: the newly eligible get their grant, offer or pre-filled application (keyed
by version, enterprise and benefit period, and granted once per policy and period
whatever the version, so nothing is delivered twice; only each policy's newest published
version delivers); an offer not yet claimed takes the amount the changed data give
(``offer_refresh``: audited, the enterprise told); records of
enterprises no longer eligible are flagged for an officer's review, never revoked.

The cost is proportional to the changed enterprises (and the versions that have
something for them), not to the population. Above ``BULK_ABOVE`` changed enterprises
a full delivery of each version is cheaper, and is run instead. A version that has
never been delivered is left alone and named in the report: its first delivery is a
whole-population run an officer starts (``huiqi deliver ID``), not a side effect. Where an
earlier version of its policy was delivered, though, the newest version already judges
what those earlier versions hold for the changed enterprises (``earlier_flags``, as its
first delivery will): qa1 found that an enterprise that stopped qualifying while version 2
awaited its first delivery kept its version 1 grant unflagged, and the next export paid
it. A version outside its window (``valid_from`` to ``valid_to``) delivers nothing new
here either, as ``publish.deliver`` (qa1: a closed policy granted a newcomer); what it
delivered is still judged on the changed data and flagged where they no longer support it
(qa10: an unpaid grant of an enterprise that stopped qualifying was otherwise exported).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.roles import Role
from huiqi.config import Settings
from huiqi.db.engine import transaction
from huiqi.delivery import counts, directory, once
from huiqi.delivery import publish as full_delivery
from huiqi.delivery.covered_refresh import close_lost_corrections, refresh_covered
from huiqi.delivery.earlier_flags import flag_earlier
from huiqi.delivery.flags import flag_lost
from huiqi.delivery.models import DeliveryRun, Entitlement, PolicyVersion, utcnow
from huiqi.delivery.publish import deliver, deliver_chunk
from huiqi.delivery.records import CHUNK, OPEN_STATUSES, DeliveryReport
from huiqi.delivery.statuses import DeliveryMode, MatchStatus, VersionStatus
from huiqi.delivery.topup_refresh import refresh_group_set_aside
from huiqi.engine import ERROR, CompiledPolicy, PolicyTrace, get_backend, open_snapshot
from huiqi.engine.single.backend import program_for
from huiqi.engine.single.changes import changed_enterprises
from huiqi.matching.published import compiled_version
from huiqi.profiles.directory import identities
from huiqi.wording import counted

# Above this many changed enterprises, a full delivery of each version is cheaper.
BULK_ABOVE = 200_000


@dataclass
class ChangeReport:
    """What an incremental delivery did."""

    snapshot_id: int
    since: int | None
    changed: int = 0
    versions: int = 0
    full: list[str] = field(default_factory=list)  # versions delivered in full instead
    undelivered: list[str] = field(default_factory=list)  # never delivered: left alone
    replaced: list[str] = field(default_factory=list)  # a newer version is published
    closed: list[str] = field(default_factory=list)  # outside its window: nothing new
    # Never delivered, but judging what its policy's earlier versions hold (earlier_flags).
    judged: list[str] = field(default_factory=list)
    reports: list[DeliveryReport] = field(default_factory=list)
    flagged: int = 0
    refreshed: int = 0  # open offers and applications given the amount the changed data give
    match_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def new_records(self) -> int:
        return sum(r.new_records for r in self.reports)

    def summary(self) -> str:
        since = "never delivered" if self.since is None else f"since snapshot {self.since}"
        lines = [
            f"snapshot {self.snapshot_id} ({since}):"
            f" {counted(self.changed, 'enterprise')} changed, re-matched against"
            f" {counted(self.versions, 'published version')} in"
            f" {self.match_seconds:.2f} s; {counted(self.new_records, 'new record')},"
            f" {self.flagged} flagged for review; {self.seconds:.2f} s in all"
        ]
        if self.refreshed:
            lines.append(f"open offers and applications given their new amount: {self.refreshed}")
        if self.full:
            lines.append(f"delivered in full: {', '.join(self.full)}")
        if self.replaced:
            lines.append(
                f"replaced by a newer published version, left alone: {', '.join(self.replaced)}"
            )
        if self.undelivered:
            lines.append(
                f"never delivered, left alone (deliver them with 'huiqi deliver ID'):"
                f" {', '.join(self.undelivered)}"
            )
        if self.judged:
            lines.append(
                "what earlier versions hold for the changed enterprises judged by the newest"
                f" version: {', '.join(self.judged)}"
            )
        if self.closed:
            lines.append(
                "window closed or not yet open, nothing new delivered (what they hold is"
                f" judged): {', '.join(self.closed)}"
            )
        lines += [f"  {r.summary()}" for r in self.reports if r.new_records or r.errors]
        return "\n".join(lines)


def _last_delivered(session: Session, version_ids: list[int]) -> dict[int, int]:
    """Each version's newest snapshot with a finished delivery run."""
    rows = session.execute(
        select(DeliveryRun.policy_version_id, func.max(DeliveryRun.snapshot_id))
        .where(DeliveryRun.policy_version_id.in_(version_ids), DeliveryRun.finished_at.is_not(None))
        .group_by(DeliveryRun.policy_version_id)
    ).all()
    return {int(v): int(s) for v, s in rows}


def _stand_ins(session: Session, versions: list[PolicyVersion]) -> dict[int, tuple[int, int]]:
    """For each never-delivered version whose policy has a delivered earlier version: that
    earlier version's id and its newest delivered snapshot (the newest such version)."""
    rows = session.execute(
        select(PolicyVersion.id, PolicyVersion.policy_id, PolicyVersion.version)
        .where(PolicyVersion.policy_id.in_({pv.policy_id for pv in versions}))
        .order_by(PolicyVersion.version)
    ).all()
    last = _last_delivered(session, [int(i) for i, _, _ in rows])
    out: dict[int, tuple[int, int]] = {}
    for pv in versions:
        for i, p, n in rows:
            if p == pv.policy_id and n < pv.version and int(i) in last:
                out[pv.id] = (int(i), last[int(i)])  # the newest delivered wins
    return out


def deliver_changes(
    settings: Settings,
    factory: sessionmaker[Session],
    *,
    actor: Actor,
    snapshot_id: int | None = None,
    usccs: list[str] | None = None,
) -> ChangeReport:
    """Re-match the enterprises changed since the last delivery (or ``usccs``) against
    every published version and deliver what follows (the scheduler's job after an
    import: it delivers every published version, so it is the scheduler's alone; a
    policy publisher delivers its own policies in full with ``publish.deliver``)."""
    require_role(actor, "deliver changed enterprises", Role.SCHEDULER)
    started = time.perf_counter()
    snapshot = open_snapshot(settings, snapshot_id)
    sid = snapshot.id
    with factory() as s:
        published = list(
            s.scalars(
                select(PolicyVersion)
                .where(PolicyVersion.status == VersionStatus.PUBLISHED)
                .order_by(PolicyVersion.id)
            )
        )
        # Only each policy's newest published version delivers to newly eligible
        # enterprises; an older one keeps what it delivered (huiqi.delivery.once).
        newest: dict[str, int] = {}
        for pv in published:
            newest[pv.policy_id] = max(newest.get(pv.policy_id, 0), pv.version)
        versions = [pv for pv in published if pv.version == newest[pv.policy_id]]
        replaced = [f"{pv.policy_id} v{pv.version}" for pv in published if pv not in versions]
        # Outside its window a version delivers nothing new (publish.deliver); what it
        # delivered stays, and is still judged on the changed data (flagged, never taken
        # back): qa10 found that an unpaid grant of an enterprise that had stopped
        # qualifying went unflagged once valid_to had passed, and the next export paid it.
        day = full_delivery.today()
        closed = [pv for pv in versions if not pv.valid_from <= day <= pv.valid_to]
        versions = [pv for pv in versions if pv not in closed]
        last = _last_delivered(s, [pv.id for pv in versions])
        held = _last_delivered(s, [pv.id for pv in closed])
        stand_in = _stand_ins(s, [pv for pv in versions if pv.id not in last])
        compiled = {
            pv.id: compiled_version(pv)
            for pv in (*versions, *closed)
            if pv.id in last or pv.id in stand_in or pv.id in held
        }
        modes = {pv.id: (pv.delivery, f"{pv.policy_id} v{pv.version}") for pv in versions}
    seen = {**last, **held, **{v: snap for v, (_, snap) in stand_in.items()}}
    report = ChangeReport(sid, min(seen.values()) if seen else None)
    report.undelivered = [modes[pv.id][1] for pv in versions if pv.id not in last]
    report.judged = [modes[v][1] for v in stand_in]
    report.replaced = replaced
    report.closed = [f"{pv.policy_id} v{pv.version}" for pv in closed]
    behind = [pv.id for pv in versions if pv.id in last]
    program = program_for([compiled[v] for v in (*behind, *stand_in, *held)])
    if usccs is None and seen:
        since = min(seen.values())
        usccs = changed_enterprises(snapshot, since, links=program.links) if since < sid else []
    changed = sorted(set(usccs or []))
    report.changed = len(changed)
    report.versions = len(behind)
    if len(changed) > BULK_ABOVE:
        for pv_id in behind:
            report.full.append(modes[pv_id][1])
            report.reports.append(deliver(settings, factory, pv_id, actor=actor, snapshot_id=sid))
        behind = []  # each full run recorded its own delivery run
    if behind and changed:
        _deliver_changed(settings, factory, report, behind, compiled, modes, changed, actor)
    if stand_in and changed:
        report.flagged += _judge_earlier(
            settings, factory, {v: compiled[v] for v in stand_in}, changed, sid, actor.username
        )
    if held and changed:
        report.flagged += _judge_closed(
            settings, factory, {v: compiled[v] for v in held}, changed, sid, actor.username
        )
    with transaction(factory) as s:
        now = utcnow()
        # The earlier version stands in for the never-delivered newest one: its records
        # were judged on this snapshot (the next run starts from it), while the newest
        # still reads as never delivered, its first delivery the officer's.
        for earlier, _ in stand_in.values():
            s.add(DeliveryRun(policy_version_id=earlier, snapshot_id=sid, finished_at=now))
        for pv_id in held:  # judged on this snapshot, nothing new delivered
            s.add(DeliveryRun(policy_version_id=pv_id, snapshot_id=sid, finished_at=now))
        for pv_id in behind:
            rep = next((r for r in report.reports if r.policy_version_id == pv_id), None)
            s.add(
                DeliveryRun(
                    policy_version_id=pv_id,
                    snapshot_id=sid,
                    started_at=now,
                    finished_at=now,
                    eligible=rep.matched if rep else 0,
                    new_records=rep.new_records if rep else 0,
                    flagged=rep.flagged if rep else 0,
                )
            )
        counts.compact(s)
    report.seconds = time.perf_counter() - started
    return report


def _deliver_changed(
    settings: Settings,
    factory: sessionmaker[Session],
    report: ChangeReport,
    behind: list[int],
    compiled: dict[int, CompiledPolicy],
    modes: dict[int, tuple[str, str]],
    changed: list[str],
    actor: Actor,
) -> None:
    sid = report.snapshot_id
    policies = [compiled[v] for v in behind]
    started = time.perf_counter()
    traces = get_backend("single").trace(
        open_snapshot(settings, sid),
        policies,
        usccs=changed,
        statuses=(MatchStatus.ELIGIBLE, MatchStatus.NEAR_MISS, ERROR),
    )
    report.match_seconds = time.perf_counter() - started
    by_version: dict[int, list[PolicyTrace]] = defaultdict(list)
    keep: set[tuple[int, str]] = set()  # (version, USCC) not to flag: eligible or in error
    version_of = {
        (cp.policy.id, cp.policy.version): v for v, cp in zip(behind, policies, strict=True)
    }
    for t in traces:
        pv_id = version_of[t.policy_id, t.version]
        if t.status in (MatchStatus.ELIGIBLE, ERROR):
            keep.add((pv_id, t.uscc))
        if t.status == ERROR:
            continue
        if t.status == MatchStatus.NEAR_MISS and modes[pv_id][0] != DeliveryMode.APPLY:
            continue
        by_version[pv_id].append(t)
    if by_version:
        known = identities(
            settings, sid, sorted({t.uscc for rows in by_version.values() for t in rows})
        )
        with transaction(factory) as s:
            directory.refresh(s, known, sid)
    for pv_id, rows in by_version.items():
        cp = compiled[pv_id]
        rep = DeliveryReport(pv_id, cp.policy.id, cp.policy.version, modes[pv_id][0], sid)
        rep.matched = sum(1 for t in rows if t.status == MatchStatus.ELIGIBLE)
        for start in range(0, len(rows), CHUNK):
            part = rows[start : start + CHUNK]
            deliver_chunk(factory, pv_id, part, sid, actor.username, rep)
        report.refreshed += rep.refreshed
        report.reports.append(rep)
    report.flagged = _flag_changed(
        settings, factory, {v: compiled[v] for v in behind}, changed, keep, sid, actor.username
    )


def _judge_earlier(
    settings: Settings,
    factory: sessionmaker[Session],
    compiled: dict[int, CompiledPolicy],
    changed: list[str],
    sid: int,
    actor: str,
) -> int:
    """Flag what earlier versions hold for the ``changed`` enterprises that the newest
    versions ``compiled`` (never delivered) do not make eligible on snapshot ``sid``."""
    kept: dict[int, set[str]] = defaultdict(set)
    for version, uscc in _still_eligible(settings, compiled, changed, sid):
        kept[version].add(uscc)
    return flag_earlier(settings, factory, compiled, kept, sid, actor, usccs=changed)


def _judge_closed(
    settings: Settings,
    factory: sessionmaker[Session],
    compiled: dict[int, CompiledPolicy],
    changed: list[str],
    sid: int,
    actor: str,
) -> int:
    """Flag what the versions ``compiled`` (their window closed) hold for the ``changed``
    enterprises that snapshot ``sid`` no longer makes eligible; deliver nothing. Their
    set-aside records still eligible take this snapshot's amount, as a delivery's do
    (qa13: a closed version's top-up paid the difference of the data before)."""
    traces = get_backend("single").trace(
        open_snapshot(settings, sid),
        list(compiled.values()),
        usccs=changed,
        statuses=(MatchStatus.ELIGIBLE, ERROR),
    )
    version_of = {(cp.policy.id, cp.policy.version): v for v, cp in compiled.items()}
    keep = {(version_of[t.policy_id, t.version], t.uscc) for t in traces}
    eligible: dict[int, list[PolicyTrace]] = defaultdict(list)
    for t in traces:
        if t.status == MatchStatus.ELIGIBLE:
            eligible[version_of[t.policy_id, t.version]].append(t)
    for pv_id, rows in eligible.items():
        for start in range(0, len(rows), CHUNK):
            with transaction(factory) as s:
                pv = s.get(PolicyVersion, pv_id)
                assert pv is not None
                part = rows[start : start + CHUNK]
                if once.other_versions_exist(s, pv):
                    refresh_covered(s, pv, part, sid, actor)
                if pv.exclusivity_group:
                    refresh_group_set_aside(s, pv, part, sid, actor)
    return _flag_changed(settings, factory, compiled, changed, keep, sid, actor)


def _still_eligible(
    settings: Settings, compiled: dict[int, CompiledPolicy], changed: list[str], sid: int
) -> set[tuple[int, str]]:
    """(version id, USCC) of the ``changed`` enterprises that the versions ``compiled`` make
    eligible on snapshot ``sid``, or cannot judge (an error is never a lost eligibility)."""
    traces = get_backend("single").trace(
        open_snapshot(settings, sid),
        list(compiled.values()),
        usccs=changed,
        statuses=(MatchStatus.ELIGIBLE, ERROR),
    )
    version_of = {(cp.policy.id, cp.policy.version): v for v, cp in compiled.items()}
    return {
        (version_of[t.policy_id, t.version], t.uscc)
        for t in traces
        if t.status in (MatchStatus.ELIGIBLE, ERROR)
    }


def _flag_changed(
    settings: Settings,
    factory: sessionmaker[Session],
    compiled: dict[int, CompiledPolicy],
    changed: list[str],
    keep: set[tuple[int, str]],
    sid: int,
    actor: str,
) -> int:
    """Flag the open records of changed enterprises that are no longer eligible, each with
    the conditions it now fails (``flags.flag_lost``: traced for the lost ones only)."""
    lost: list[tuple[int, str, int]] = []
    with factory() as s:
        for start in range(0, len(changed), CHUNK):
            part = changed[start : start + CHUNK]
            rows = s.execute(
                select(Entitlement.id, Entitlement.uscc, Entitlement.policy_version_id).where(
                    Entitlement.uscc.in_(part),
                    Entitlement.policy_version_id.in_(list(compiled)),
                    Entitlement.review_flag.is_(False),
                    Entitlement.status.in_(OPEN_STATUSES),
                    # Checked against this snapshot already (delivered, flagged or decided
                    # on it): a reviewer's decision is not asked for again on the same data.
                    Entitlement.last_snapshot_id != sid,
                )
            ).all()
            lost += [(i, u, v) for i, u, v in rows if (v, u) not in keep]
    flagged = flag_lost(settings, factory, compiled, lost, sid, actor)
    # What earlier versions still hold for a changed enterprise the newest no longer keeps.
    kept: dict[int, set[str]] = defaultdict(set)
    for v, u in keep:
        kept[v].add(u)
    # A set-aside record whose enterprise is no longer eligible: no correction is due (qa7).
    close_lost_corrections(factory, list(compiled), kept, sid, actor, usccs=changed)
    return flagged + flag_earlier(settings, factory, compiled, kept, sid, actor, usccs=changed)

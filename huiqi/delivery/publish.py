"""Publish a policy version and deliver it: match, then create delivery records.

``publish`` freezes a version (its text and SHA-256), then ``deliver`` matches it
against a data snapshot and, in chunks of one transaction each, creates the
delivery records: grants for ``auto`` (免申即享), offers for ``confirm`` (直达快享),
pre-filled applications for ``apply`` (申报). Every insert is keyed by
(version, enterprise, benefit period), so a re-run — after a crash, or on a new
snapshot — creates only what is missing. Enterprises that are no longer eligible
keep what they have and are flagged for review, never silently revoked.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from huiqi import clock
from huiqi.accounts.access import Actor, require_policy_scope
from huiqi.accounts.roles import Role
from huiqi.config import Settings
from huiqi.db.engine import transaction
from huiqi.db.statistics import refresh_after_bulk
from huiqi.delivery import counts, directory, once, zero
from huiqi.delivery.audit import savepoint
from huiqi.delivery.auto import grant_in_bulk, grant_one_by_one, regrant_zero
from huiqi.delivery.batchgc import paused_gc
from huiqi.delivery.covered_refresh import close_lost_corrections, refresh_covered
from huiqi.delivery.earlier_flags import flag_earlier
from huiqi.delivery.flag_closing import close_replaced_flags
from huiqi.delivery.flags import flag_lost
from huiqi.delivery.models import (
    DeliveryRun,
    Entitlement,
    PolicyVersion,
    utcnow,
)
from huiqi.delivery.offer_refresh import refresh_offers
from huiqi.delivery.offers import offer_or_prefill, prefill  # noqa: F401 - prefill is part of this module's API
from huiqi.delivery.progress import Progress
from huiqi.delivery.records import CHUNK, OPEN_STATUSES, DeliveryReport
from huiqi.delivery.statuses import DeliveryMode, MatchStatus, VersionStatus
from huiqi.delivery.topup_refresh import refresh_group_set_aside
from huiqi.delivery.versions import (  # noqa: F401 - publish_text, published_versions: API
    compile_version,
    policy_ref,
    publish_text,
    published_versions,
)
from huiqi.delivery.zero_offers import reoffer_zero
from huiqi.engine import ERROR, CompiledPolicy, ResultRow, snapshot_result_rows
from huiqi.errors import NotFoundError, StoreError
from huiqi.policies.loader import read_policy_text
from huiqi.profiles.directory import identities


def deliver_chunk(
    factory: sessionmaker[Session],
    pv_id: int,
    rows: list[ResultRow],
    sid: int,
    username: str,
    rep: DeliveryReport,
) -> None:
    with transaction(factory) as s:
        pv = s.get(PolicyVersion, pv_id)
        assert pv is not None
        # The chunk's records by the range of its USCCs (a list of 5,000 bound values
        # cost more to compile and send than the query itself), narrowed here.
        chunk = {r.uscc for r in rows}
        existing = chunk.intersection(
            s.scalars(
                select(Entitlement.uscc).where(
                    Entitlement.policy_version_id == pv.id,
                    Entitlement.benefit_period == pv.benefit_period,
                    Entitlement.uscc.between(min(chunk), max(chunk)),
                )
            )
        )
        if existing:
            known = [r for r in rows if r.uscc in existing]
            if pv.delivery in (DeliveryMode.CONFIRM, DeliveryMode.APPLY):
                # An unclaimed offer, or an unsubmitted application's estimate, shows what
                # this snapshot's data give.
                rep.refreshed += refresh_offers(s, pv, known, sid, username)
                # An enterprise whose amount was 0 and is no longer: offered now.
                reoffer_zero(s, pv, known, sid, username, rep)
            else:
                # An enterprise whose amount was 0 and is no longer: granted now.
                regrant_zero(s, pv, known, sid, username, rep)
            if once.other_versions_exist(s, pv):
                # A record set aside behind an earlier version's grant: what a correction
                # would pay follows this snapshot's data (qa7).
                refresh_covered(s, pv, known, sid, username)
            if pv.exclusivity_group:
                # A record set aside by its group (就高不重复): what a top-up would pay
                # follows this snapshot's data too (qa11).
                refresh_group_set_aside(s, pv, known, sid, username)
            s.execute(
                update(Entitlement)
                .where(Entitlement.policy_version_id == pv.id, Entitlement.uscc.in_(existing))
                .values(last_snapshot_id=sid)
            )
        fresh = [r for r in rows if r.uscc not in existing] if existing else rows
        if fresh and once.other_versions_exist(s, pv):
            # Enterprises another version of the policy has granted for this period.
            earlier = once.earlier_grants(s, pv, {r.uscc for r in fresh})
            if earlier:
                covered = [r for r in fresh if r.uscc in earlier]
                once.record_covered(s, pv, covered, earlier, sid, username, rep)
                fresh = [r for r in fresh if r.uscc not in earlier]
        # Eligible with an amount of 0: recorded for officers, never granted or offered
        # (the amount compared first: one cheap test per row where none is 0).
        zeros = [r for r in fresh if r.amount_fen == 0 and zero.is_zero(r)]
        if zeros:
            zero.record_zero(s, pv, zeros, sid, username, rep)
            fresh = [r for r in fresh if not zero.is_zero(r)]
        if not fresh:
            return
        if pv.delivery != DeliveryMode.AUTO:
            offer_or_prefill(s, pv, fresh, sid, username, rep)
        elif pv.cap_group:
            # A shared cap is reserved row by row (it spans other policies' grants).
            grant_one_by_one(s, pv, fresh, sid, username, rep)
        else:
            try:
                with savepoint(s):
                    tally = DeliveryReport(
                        rep.policy_version_id, rep.policy_id, rep.version, rep.delivery, sid
                    )
                    slow = grant_in_bulk(s, pv, fresh, sid, username, tally)
            except IntegrityError:
                # A concurrent claim took an exclusivity slot or a record meanwhile: fall
                # back to the careful path for this chunk (same results, row by row).
                grant_one_by_one(s, pv, fresh, sid, username, rep)
                return
            rep.merge(tally)
            grant_one_by_one(s, pv, slow, sid, username, rep)


def _flag_lost(
    settings: Settings,
    factory: sessionmaker[Session],
    cp: CompiledPolicy,
    pv_id: int,
    eligible: set[str],
    sid: int,
    actor: str,
) -> int:
    """Flag records whose enterprise is no longer eligible on this snapshot (never revoke),
    each with the conditions it now fails (``flags.flag_lost``)."""
    with factory() as s:
        candidates = s.execute(
            select(Entitlement.id, Entitlement.uscc).where(
                Entitlement.policy_version_id == pv_id,
                Entitlement.review_flag.is_(False),
                Entitlement.status.in_(OPEN_STATUSES),
                # Checked against this snapshot already (delivered, flagged or decided on
                # it): a reviewer who kept a record is not asked again on the same data
                # (every scheduled deliver re-flagged what had been decided).
                Entitlement.last_snapshot_id != sid,
            )
        ).all()
    lost = [(i, u, pv_id) for i, u in candidates if u not in eligible]
    return flag_lost(settings, factory, {pv_id: cp}, lost, sid, actor)


def deliver(
    settings: Settings,
    factory: sessionmaker[Session],
    pv_id: int,
    *,
    actor: Actor,
    snapshot_id: int | None = None,
    chunk: int = CHUNK,
    on_chunk: Any = None,
    progress: Progress | None = None,
) -> DeliveryReport:
    """Match a published version against a snapshot and create what is missing, telling
    ``progress`` (if given) each phase and chunk."""
    # The collector would walk every trace again and again, and none is garbage.
    with paused_gc():
        report = _deliver(settings, factory, pv_id, actor, snapshot_id, chunk, on_chunk, progress)
    refresh_after_bulk(factory, report.new_records)
    return report


def _deliver(
    settings: Settings,
    factory: sessionmaker[Session],
    pv_id: int,
    actor: Actor,
    snapshot_id: int | None,
    chunk: int,
    on_chunk: Any,
    progress: Progress | None,
) -> DeliveryReport:
    started = time.perf_counter()
    with factory() as s:
        pv = s.get(PolicyVersion, pv_id)
        if pv is None:
            raise NotFoundError(f"no published policy version with id {pv_id}")
        require_policy_scope(
            actor,
            policy_ref(pv),
            f"deliver {pv.policy_id}",
            Role.POLICY_PUBLISHER,
            also=(Role.SCHEDULER,),
        )
        if pv.status == VersionStatus.RETIRED:
            # Retired: no longer matched or offered (huiqi.delivery.retirement).
            return DeliveryReport(
                pv.id, pv.policy_id, pv.version, pv.delivery, snapshot_id or 0, retired=True
            )
        newer = s.scalar(
            select(func.max(PolicyVersion.version)).where(
                PolicyVersion.policy_id == pv.policy_id,
                PolicyVersion.status == VersionStatus.PUBLISHED,
                PolicyVersion.version > pv.version,
            )
        )
        if newer is not None:
            # Only a policy's newest published version delivers: an older one would make
            # grants outside the newer one's budget and terms (and offer again what the
            # newer one refused or an officer rejected).
            return DeliveryReport(
                pv.id, pv.policy_id, pv.version, pv.delivery, snapshot_id or 0, replaced_by=newer
            )
        day = today()
        if not pv.valid_from <= day <= pv.valid_to:
            # No grant, offer or application outside the days the policy can be granted:
            # publishing ahead is allowed, delivering waits for the window; after it closes
            # what was delivered stays, and nothing new is made.
            return DeliveryReport(
                pv.id,
                pv.policy_id,
                pv.version,
                pv.delivery,
                snapshot_id or 0,
                opens_on=pv.valid_from if day < pv.valid_from else None,
                closed_on=pv.valid_to if day > pv.valid_to else None,
            )
        cp = compile_version(pv)
    if progress:
        progress.matching(pv.id, pv.version)
    wanted = [MatchStatus.ELIGIBLE]
    if pv.delivery == DeliveryMode.APPLY:
        wanted.append(MatchStatus.NEAR_MISS)
    # Rows the database could not evaluate ('error') are counted and reported, never delivered.
    sid, found = snapshot_result_rows(
        settings, cp, snapshot_id=snapshot_id, statuses=(*wanted, ERROR)
    )
    rows = [r for r in found if r.status != ERROR]
    rep = DeliveryReport(pv.id, pv.policy_id, pv.version, pv.delivery, sid, matched=len(rows))
    rep.count_errors(r.error for r in found if r.status == ERROR)
    known = identities(settings, sid, [r.uscc for r in rows])
    with transaction(factory) as s:
        directory.refresh(s, known, sid)
        run = DeliveryRun(policy_version_id=pv.id, snapshot_id=sid, eligible=len(rows))
        s.add(run)
        s.flush()
        run_id = run.id
    chunks = (len(rows) + chunk - 1) // chunk
    if progress:
        progress.delivering(rep, 0, chunks)
    for i, start in enumerate(range(0, len(rows), chunk)):
        deliver_chunk(factory, pv.id, rows[start : start + chunk], sid, actor.username, rep)
        if on_chunk:
            on_chunk(i + 1, chunks)
        if progress:
            progress.delivering(rep, i + 1, chunks)
    if progress:
        progress.flagging(rep)
    # An enterprise in error is not known to have lost anything: not flagged.
    kept = {r.uscc for r in found if r.status in (MatchStatus.ELIGIBLE, ERROR)}
    rep.flagged += _flag_lost(settings, factory, cp, pv.id, kept, sid, actor.username)
    # A set-aside record whose enterprise this snapshot no longer makes eligible: no
    # correction is due (qa7).
    close_lost_corrections(factory, [pv.id], {pv.id: kept}, sid, actor.username)
    # What earlier versions still hold (a grant this version's record is excluded behind)
    # for an enterprise this version no longer makes eligible.
    rep.flagged += flag_earlier(settings, factory, {pv.id: cp}, {pv.id: kept}, sid, actor.username)
    rep.seconds = time.perf_counter() - started
    with transaction(factory) as s:
        # This version delivers instead of the older ones: their flags on records that gave
        # nothing ask nothing more (its own records carry the questions still due).
        current = s.get(PolicyVersion, pv.id)
        assert current is not None
        rep.flags_closed = close_replaced_flags(s, current, actor=actor.username)
        finished = s.get(DeliveryRun, run_id)
        assert finished is not None
        run = finished
        run.finished_at = utcnow()
        run.new_records = rep.new_records
        run.flagged = rep.flagged
        counts.compact(s)
    return rep


def publish(
    settings: Settings,
    factory: sessionmaker[Session],
    path_or_text: str,
    *,
    actor: Actor,
    filename: str | None = None,
    snapshot_id: int | None = None,
    chunk: int = CHUNK,
    progress: Progress | None = None,
) -> tuple[PolicyVersion, DeliveryReport]:
    """Publish a policy file (path, or text with ``filename``) and deliver it."""
    if filename is None:
        # A file in GBK or UTF-16 is refused naming the file, as lint refuses it; a byte-order
        # mark is dropped, so the file is the same policy text as without it.
        text, filename = read_policy_text(path_or_text), str(path_or_text)
    else:
        text = path_or_text
    pv, _ = publish_text(factory, text, filename, actor=actor)
    try:
        report = deliver(
            settings,
            factory,
            pv.id,
            actor=actor,
            snapshot_id=snapshot_id,
            chunk=chunk,
            progress=progress,
        )
    except StoreError as exc:
        # The version stays published (re-publishing the same text is a no-op): say so,
        # and how it is delivered once there is data to match.
        raise StoreError(
            f"{pv.policy_id} v{pv.version} is published but not delivered: {exc}; then"
            f" 'huiqi deliver {pv.policy_id}' delivers it"
        ) from exc
    return pv, report


def today() -> dt.date:
    """The day delivery takes as today (a policy delivers only from its valid_from to its
    valid_to): :func:`huiqi.clock.today`."""
    return clock.today()

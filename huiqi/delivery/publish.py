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
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from huiqi.config import Settings
from huiqi.db.bulk import bulk_insert
from huiqi.db.engine import transaction
from huiqi.delivery import notify
from huiqi.delivery.access import Actor, require
from huiqi.delivery.audit import record_event
from huiqi.delivery.grantmaker import make_grant, yuan_text
from huiqi.delivery.models import (
    Application,
    DeliveryRun,
    Entitlement,
    Event,
    ExclusivitySlot,
    Grant,
    PolicyVersion,
    table_of,
    utcnow,
)
from huiqi.engine import CompiledPolicy, ResultRow, compile_policy, snapshot_result_rows
from huiqi.errors import NotFoundError, PolicyError
from huiqi.policies.loader import LoadedPolicy, load_policy_text

CHUNK = 5_000
OPEN_STATUSES = ("granted", "offered", "application_open", "submitted", "pending_allocation")


@dataclass
class DeliveryReport:
    policy_version_id: int
    policy_id: str
    version: int
    delivery: str
    snapshot_id: int
    matched: int = 0
    new_records: int = 0
    granted: int = 0
    granted_fen: int = 0
    offered: int = 0
    applications: int = 0
    provisional: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    flagged: int = 0
    seconds: float = 0.0

    def merge(self, other: DeliveryReport) -> None:
        """Add another report's counts (one chunk's) to this one."""
        for name in (
            "new_records",
            "granted",
            "granted_fen",
            "offered",
            "applications",
            "provisional",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, value in other.refused.items():
            self.refused[key] = self.refused.get(key, 0) + value

    def summary(self) -> str:
        refused = ", ".join(f"{k} {v:,}" for k, v in sorted(self.refused.items())) or "none"
        return (
            f"{self.policy_id} v{self.version} ({self.delivery}) on snapshot {self.snapshot_id}:"
            f" {self.matched:,} matched, {self.new_records:,} new records; granted {self.granted:,}"
            f" ({yuan_text(self.granted_fen)} yuan), offered {self.offered:,}, applications"
            f" {self.applications:,}, provisional {self.provisional:,}; not granted: {refused};"
            f" flagged for review {self.flagged:,} [{self.seconds:.1f}s]"
        )


def compile_version(pv: PolicyVersion) -> CompiledPolicy:
    """Compile a published version from its frozen text, checking its hash first."""
    digest = hashlib.sha256(pv.source_yaml.encode("utf-8")).hexdigest()
    if digest != pv.content_hash:
        raise PolicyError(
            f"published text of {pv.policy_id} v{pv.version} does not match its hash; refusing to use it"
        )
    return compile_policy(load_policy_text(pv.source_yaml, f"{pv.policy_id}@{pv.version}"))


def _version_row(lp: LoadedPolicy, text: str, actor: Actor) -> PolicyVersion:
    p = lp.policy
    fen = lambda v: None if v is None else int(v * 100)  # noqa: E731 - exact: Decimal yuan → fen
    return PolicyVersion(
        policy_id=p.id,
        version=p.version,
        content_hash=lp.source_hash,
        source_yaml=text,
        title_zh=p.title.zh,
        delivery=p.delivery,
        level=p.level,
        region=p.region,
        valid_from=p.valid_from,
        valid_to=p.valid_to,
        benefit_period=p.period,
        budget_fen=fen(p.budget),
        budget_mode=p.budget_mode,
        committed_fen=0,
        per_enterprise_cap_fen=fen(p.per_enterprise_cap),
        cap_group=p.cap_group,
        exclusivity_group=p.exclusivity_group,
        published_by=actor.username,
    )


def publish_text(
    factory: sessionmaker[Session], text: str, filename: str, *, actor: Actor
) -> tuple[PolicyVersion, bool]:
    """Freeze a policy version. Re-publishing identical text is a no-op; changed text needs a new version."""
    require(actor, "policy_officer")
    lp = load_policy_text(text, filename)
    compile_policy(lp)  # refuse a version the engine cannot run before freezing it
    with transaction(factory) as s:
        existing = s.scalar(
            select(PolicyVersion).where(
                PolicyVersion.policy_id == lp.policy.id, PolicyVersion.version == lp.policy.version
            )
        )
        if existing is not None:
            if existing.content_hash != lp.source_hash:
                raise PolicyError(
                    f"{lp.policy.id} v{lp.policy.version} is already published with different"
                    " content; raise 'version' to publish a change"
                )
            return existing, False
        pv = _version_row(lp, text, actor)
        s.add(pv)
        s.flush()
        record_event(
            s,
            actor=actor.username,
            kind="publish",
            policy_version_id=pv.id,
            entity=f"policy_version:{pv.id}",
            reason=f"published {pv.policy_id} v{pv.version}",
            data={"content_hash": pv.content_hash},
        )
        return pv, True


def _message(pv: PolicyVersion, row: ResultRow, kind: str) -> tuple[str, str]:
    """Subject and body: the amount, and why — every criterion with its result."""
    amount = yuan_text(row.amount_fen or 0)
    criteria = row.explanation["criteria"]
    met = sum(c["state"] == "met" for c in criteria)
    total = len(criteria)
    marks = {"met": "✓", "not_met": "✗", "unknown": "?", "to_confirm": "☐"}
    why = "；".join(f"{marks[c['state']]}{c['label']}" for c in criteria)
    if kind == "granted":
        return (
            f"您已获得「{pv.title_zh}」{amount}元",
            f"免申即享：您满足全部{total}项条件，已获得{amount}元，无需申请。依据：{why}",
        )
    if kind == "offer":
        return (
            f"您可领取「{pv.title_zh}」{amount}元",
            f"直达快享：您满足{met}/{total}项条件，可领取{amount}元，请于{pv.valid_to}前一键确认。"
            f"条件：{why}",
        )
    if row.status == "eligible":
        outlook = f"预计可获{amount}元"
    else:
        missing = "、".join(c["label"] for c in criteria if c["state"] == "not_met")
        outlook = f"尚差一项：{missing}"
    return (
        f"「{pv.title_zh}」申报表已为您预填",
        f"申报：您满足{met}/{total}项条件，{outlook}。申报表已用政府已有数据预填，请核对后提交。条件：{why}",
    )


def _entitlement_values(pv: PolicyVersion, row: ResultRow, sid: int, status: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "policy_version_id": pv.id,
        "uscc": row.uscc,
        "benefit_period": pv.benefit_period,
        "mode": pv.delivery,
        "match_status": row.status,
        "status": status,
        "computed_fen": row.amount_fen,
        "snapshot_id": sid,
        "last_snapshot_id": sid,
        "explanation": row.explanation,
        "expires_on": pv.valid_to if pv.delivery == "confirm" else None,
        "review_flag": False,
        "status_reason": None,  # every row carries every key: executemany takes the first row's
        "created_at": now,
        "updated_at": now,
    }


def _max_id(s: Session, model: type[Entitlement] | type[Grant]) -> int:
    return int(s.scalar(select(func.coalesce(func.max(model.id), 0))) or 0)


def _ids_of(
    s: Session,
    model: type[Entitlement] | type[Grant],
    pv: PolicyVersion,
    usccs: list[str],
    *,
    after: int,
) -> dict[str, int]:
    """USCC -> id of the rows just inserted (ids above ``after``) for these enterprises.

    Read back by id range rather than RETURNING or a 5,000-value IN list: both made
    the driver do more work than the insert itself.
    """
    wanted = set(usccs)
    rows = s.execute(
        select(model.uscc, model.id).where(
            model.id > after,
            model.policy_version_id == pv.id,
            model.benefit_period == pv.benefit_period,
        )
    ).all()
    return {u: i for u, i in rows if u in wanted}


def _insert_records(s: Session, pv: PolicyVersion, values: list[dict[str, Any]]) -> dict[str, int]:
    """Insert delivery records with one cached statement; return USCC -> record id."""
    before = _max_id(s, Entitlement)
    bulk_insert(s, table_of(Entitlement), values)
    return _ids_of(s, Entitlement, pv, [v["uscc"] for v in values], after=before)


def _bulk_auto(
    s: Session, pv: PolicyVersion, rows: list[ResultRow], sid: int, actor: str, rep: DeliveryReport
) -> list[ResultRow]:
    """Grant a chunk in bulk; return rows that need the one-by-one path (slot holders)."""
    slow: list[ResultRow] = []
    if pv.exclusivity_group:
        held = set(
            s.scalars(
                select(ExclusivitySlot.uscc).where(
                    ExclusivitySlot.group_name == pv.exclusivity_group,
                    ExclusivitySlot.benefit_period == pv.benefit_period,
                    ExclusivitySlot.uscc.in_([r.uscc for r in rows]),
                )
            )
        )
        slow = [r for r in rows if r.uscc in held]
        rows = [r for r in rows if r.uscc not in held]
    cap = pv.per_enterprise_cap_fen
    amounts = {
        r.uscc: min(r.amount_fen or 0, cap) if cap is not None else (r.amount_fen or 0)
        for r in rows
    }
    provisional = pv.budget_fen is not None and pv.budget_mode == "pro_rata"
    statuses: dict[str, str] = {}
    if pv.budget_fen is not None and not provisional:
        # Lock the version row so concurrent claims and this chunk see one running total.
        locked = s.execute(
            select(PolicyVersion.committed_fen).where(PolicyVersion.id == pv.id).with_for_update()
        ).scalar_one()
        remaining = pv.budget_fen - locked
        for r in rows:
            if amounts[r.uscc] <= remaining:
                statuses[r.uscc] = "granted"
                remaining -= amounts[r.uscc]
            else:
                statuses[r.uscc] = "budget_exhausted"
    else:
        statuses = {r.uscc: "pending_allocation" if provisional else "granted" for r in rows}
    values = []
    for r in rows:
        v = _entitlement_values(pv, r, sid, statuses[r.uscc])
        if statuses[r.uscc] == "budget_exhausted":
            v["status_reason"] = (
                f"the budget of {yuan_text(pv.budget_fen or 0)} yuan is spent; grants are made in USCC order"
            )
        elif amounts[r.uscc] < (r.amount_fen or 0):
            v["status_reason"] = f"capped from {yuan_text(r.amount_fen or 0)} yuan"
        values.append(v)
    if not values:
        return slow
    ids = _insert_records(s, pv, values)
    winners = [r for r in rows if statuses[r.uscc] != "budget_exhausted"]
    if pv.exclusivity_group and winners:
        bulk_insert(
            s,
            table_of(ExclusivitySlot),
            [
                {
                    "group_name": pv.exclusivity_group,
                    "uscc": r.uscc,
                    "benefit_period": pv.benefit_period,
                    "entitlement_id": ids[r.uscc],
                    "amount_fen": amounts[r.uscc],
                }
                for r in winners
            ],
        )
    grant_ids: dict[str, int] = {}
    if winners:
        before = _max_id(s, Grant)
        bulk_insert(
            s,
            table_of(Grant),
            [
                {
                    "entitlement_id": ids[r.uscc],
                    "policy_version_id": pv.id,
                    "uscc": r.uscc,
                    "benefit_period": pv.benefit_period,
                    "requested_fen": r.amount_fen or 0,
                    "amount_fen": amounts[r.uscc],
                    "status": "provisional" if provisional else "granted",
                    "snapshot_id": sid,
                    "content_hash": pv.content_hash,
                    "explanation": r.explanation,
                    "created_at": utcnow(),
                }
                for r in winners
            ],
        )
        grant_ids = _ids_of(s, Grant, pv, [r.uscc for r in winners], after=before)
    total = sum(amounts[r.uscc] for r in winners)
    if pv.budget_fen is not None and not provisional and total:
        done = cast(
            "CursorResult[Any]",
            s.execute(
                update(PolicyVersion)
                .where(
                    PolicyVersion.id == pv.id,
                    PolicyVersion.committed_fen + total <= PolicyVersion.budget_fen,
                )
                .values(committed_fen=PolicyVersion.committed_fen + total)
            ),
        )
        if done.rowcount != 1:  # pragma: no cover - the row lock above makes this impossible
            raise IntegrityError("budget guard", {}, Exception("budget would be exceeded"))
    now = utcnow()
    events = []
    for r in rows:
        st = statuses[r.uscc]
        kind = {"granted": "grant", "pending_allocation": "provisional_grant"}.get(st, st)
        entity = (
            f"grant:{grant_ids[r.uscc]}" if r.uscc in grant_ids else f"entitlement:{ids[r.uscc]}"
        )
        events.append(
            {
                "at": now,
                "actor": actor,
                "kind": kind,
                "uscc": r.uscc,
                "policy_version_id": pv.id,
                "entity": entity,
                "reason": "all criteria met (免申即享)"
                if st != "budget_exhausted"
                else "budget spent",
                "data": {
                    "amount_fen": amounts[r.uscc],
                    "requested_fen": r.amount_fen,
                    "snapshot_id": sid,
                },
            }
        )
    bulk_insert(s, table_of(Event), events)
    messages = []
    for r in winners:
        subject, body = _message(pv, r, "granted")
        messages.append(
            notify.Message(
                uscc=r.uscc,
                kind="granted",
                subject=subject,
                body=body,
                dedupe_key=f"granted:{pv.id}:{r.uscc}:{pv.benefit_period}",
            )
        )
    notify.enqueue_many(s, messages, count=False)
    rep.granted += len(winners)
    rep.granted_fen += total
    rep.provisional += len(winners) if provisional else 0
    rep.new_records += len(values)
    for r in rows:
        if statuses[r.uscc] == "budget_exhausted":
            rep.refused["budget_exhausted"] = rep.refused.get("budget_exhausted", 0) + 1
    return slow


def _one_by_one(
    s: Session, pv: PolicyVersion, rows: list[ResultRow], sid: int, actor: str, rep: DeliveryReport
) -> None:
    for r in rows:
        ent = Entitlement(**_entitlement_values(pv, r, sid, "pending"))
        s.add(ent)
        s.flush()
        rep.new_records += 1
        out = make_grant(s, pv, ent, actor=actor)
        if out.grant is not None:
            rep.granted += 1
            rep.granted_fen += out.grant.amount_fen
            subject, body = _message(pv, r, "granted")
            notify.enqueue_many(
                s,
                [
                    notify.Message(
                        uscc=r.uscc,
                        kind="granted",
                        subject=subject,
                        body=body,
                        dedupe_key=f"granted:{pv.id}:{r.uscc}:{pv.benefit_period}",
                    )
                ],
            )
        else:
            rep.refused[out.status] = rep.refused.get(out.status, 0) + 1


def _offers(
    s: Session, pv: PolicyVersion, rows: list[ResultRow], sid: int, actor: str, rep: DeliveryReport
) -> None:
    status = "offered" if pv.delivery == "confirm" else "application_open"
    values = [_entitlement_values(pv, r, sid, status) for r in rows]
    ids = _insert_records(s, pv, values)
    if pv.delivery == "apply":
        bulk_insert(
            s,
            table_of(Application),
            [{"entitlement_id": ids[r.uscc], "prefilled": prefill(r)} for r in rows],
        )
    kind = "offer" if pv.delivery == "confirm" else "application"
    now = utcnow()
    bulk_insert(
        s,
        table_of(Event),
        [
            {
                "at": now,
                "actor": actor,
                "kind": kind,
                "uscc": r.uscc,
                "policy_version_id": pv.id,
                "entity": f"entitlement:{ids[r.uscc]}",
                "reason": f"{r.status}: offered under {pv.delivery}",
                "data": {"computed_fen": r.amount_fen, "snapshot_id": sid},
            }
            for r in rows
        ],
    )
    notify.enqueue_many(
        s,
        [
            notify.Message(
                uscc=r.uscc,
                kind=kind,
                subject=_message(pv, r, kind)[0],
                body=_message(pv, r, kind)[1],
                dedupe_key=f"{kind}:{pv.id}:{r.uscc}:{pv.benefit_period}",
            )
            for r in rows
        ],
        count=False,
    )
    rep.new_records += len(rows)
    if pv.delivery == "confirm":
        rep.offered += len(rows)
    else:
        rep.applications += len(rows)


def prefill(row: ResultRow) -> dict[str, Any]:
    """An application form filled from data government already holds (never asked again)."""
    fields: dict[str, Any] = {}
    for c in row.explanation["criteria"]:
        fields.update(c["values"])
    fields.update(row.explanation["amount"]["values"])
    return {
        "uscc": row.uscc,
        "name": row.name,
        "fields": fields,
        "criteria": [
            {"id": c["id"], "label": c["label"], "state": c["state"]}
            for c in row.explanation["criteria"]
        ],
        "to_attest": [c["id"] for c in row.explanation["criteria"] if c["state"] == "to_confirm"],
        "estimated_fen": row.amount_fen,
    }


def _deliver_chunk(
    factory: sessionmaker[Session],
    pv_id: int,
    rows: list[ResultRow],
    sid: int,
    actor: str,
    rep: DeliveryReport,
) -> None:
    with transaction(factory) as s:
        pv = s.get(PolicyVersion, pv_id)
        assert pv is not None
        existing = set(
            s.scalars(
                select(Entitlement.uscc).where(
                    Entitlement.policy_version_id == pv.id,
                    Entitlement.benefit_period == pv.benefit_period,
                    Entitlement.uscc.in_([r.uscc for r in rows]),
                )
            )
        )
        if existing:
            s.execute(
                update(Entitlement)
                .where(Entitlement.policy_version_id == pv.id, Entitlement.uscc.in_(existing))
                .values(last_snapshot_id=sid)
            )
        fresh = [r for r in rows if r.uscc not in existing]
        if not fresh:
            return
        if pv.delivery != "auto":
            _offers(s, pv, fresh, sid, actor, rep)
        elif pv.cap_group:
            # A shared cap is reserved row by row (it spans other policies' grants).
            _one_by_one(s, pv, fresh, sid, actor, rep)
        else:
            try:
                with s.begin_nested():
                    tally = DeliveryReport(
                        rep.policy_version_id, rep.policy_id, rep.version, rep.delivery, sid
                    )
                    slow = _bulk_auto(s, pv, fresh, sid, actor, tally)
            except IntegrityError:
                # A concurrent claim took an exclusivity slot or a record meanwhile: fall
                # back to the careful path for this chunk (same results, row by row).
                _one_by_one(s, pv, fresh, sid, actor, rep)
                return
            rep.merge(tally)
            _one_by_one(s, pv, slow, sid, actor, rep)


def _flag_lost(
    factory: sessionmaker[Session], pv_id: int, eligible: set[str], sid: int, actor: str
) -> int:
    """Flag records whose enterprise is no longer eligible on this snapshot (never revoke)."""
    with transaction(factory) as s:
        candidates = s.execute(
            select(Entitlement.id, Entitlement.uscc).where(
                Entitlement.policy_version_id == pv_id,
                Entitlement.review_flag.is_(False),
                Entitlement.status.in_(OPEN_STATUSES),
                Entitlement.snapshot_id != sid,
            )
        ).all()
        lost = [(i, u) for i, u in candidates if u not in eligible]
        reason = f"no longer eligible on snapshot {sid}; kept as granted or offered until an officer reviews it"
        for start in range(0, len(lost), CHUNK):
            part = lost[start : start + CHUNK]
            s.execute(
                update(Entitlement)
                .where(Entitlement.id.in_([i for i, _ in part]))
                .values(review_flag=True, review_reason=reason, updated_at=utcnow())
            )
            now = utcnow()
            bulk_insert(
                s,
                table_of(Event),
                [
                    {
                        "at": now,
                        "actor": actor,
                        "kind": "review_flag",
                        "uscc": u,
                        "policy_version_id": pv_id,
                        "entity": f"entitlement:{i}",
                        "reason": reason,
                        "data": {"snapshot_id": sid},
                    }
                    for i, u in part
                ],
            )
        return len(lost)


def deliver(
    settings: Settings,
    factory: sessionmaker[Session],
    pv_id: int,
    *,
    actor: Actor,
    snapshot_id: int | None = None,
    chunk: int = CHUNK,
    on_chunk: Any = None,
) -> DeliveryReport:
    """Match a published version against a snapshot and create what is missing."""
    require(actor, "policy_officer")
    started = time.perf_counter()
    with factory() as s:
        pv = s.get(PolicyVersion, pv_id)
        if pv is None:
            raise NotFoundError(f"no published policy version with id {pv_id}")
        cp = compile_version(pv)
    statuses = ("eligible", "near_miss") if pv.delivery == "apply" else ("eligible",)
    sid, rows = snapshot_result_rows(settings, cp, snapshot_id=snapshot_id, statuses=statuses)
    rep = DeliveryReport(pv.id, pv.policy_id, pv.version, pv.delivery, sid, matched=len(rows))
    with transaction(factory) as s:
        run = DeliveryRun(policy_version_id=pv.id, snapshot_id=sid, eligible=len(rows))
        s.add(run)
        s.flush()
        run_id = run.id
    for i, start in enumerate(range(0, len(rows), chunk)):
        _deliver_chunk(factory, pv.id, rows[start : start + chunk], sid, actor.username, rep)
        if on_chunk:
            on_chunk(i + 1, (len(rows) + chunk - 1) // chunk)
    rep.flagged = _flag_lost(
        factory, pv.id, {r.uscc for r in rows if r.status == "eligible"}, sid, actor.username
    )
    rep.seconds = time.perf_counter() - started
    with transaction(factory) as s:
        finished = s.get(DeliveryRun, run_id)
        assert finished is not None
        run = finished
        run.finished_at = utcnow()
        run.new_records = rep.new_records
        run.flagged = rep.flagged
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
) -> tuple[PolicyVersion, DeliveryReport]:
    """Publish a policy file (path, or text with ``filename``) and deliver it."""
    if filename is None:
        from pathlib import Path

        path = Path(path_or_text)
        text, filename = path.read_text(encoding="utf-8"), str(path)
    else:
        text = path_or_text
    pv, _ = publish_text(factory, text, filename, actor=actor)
    return pv, deliver(settings, factory, pv.id, actor=actor, snapshot_id=snapshot_id, chunk=chunk)


def published_versions(factory: sessionmaker[Session]) -> Sequence[PolicyVersion]:
    with factory() as s:
        return s.scalars(select(PolicyVersion).order_by(PolicyVersion.id)).all()


def today() -> dt.date:
    return dt.date.today()

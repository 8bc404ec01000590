"""Complaint operations with their access checks: detection, the review queue,
decisions, statistics, and an enterprise's view of the complaints about it (complaints
come in through ``complaints.intake``).

Who sees what (docs/complaints.md):

* a **complaint officer** (``complaint_officer``) imports exports, runs detection,
  works the review queue and sees complainants' *masked* identities (3101**********1234,
  138****5678, 张**) with the evidence; a data steward may import too, the scheduler may
  run detection;
* an **enterprise** (or its park operator) sees the complaints about it, grouped to
  answer once, with no complainant identity at all;
* **nobody** sees a clear identity: huiqi never stores one (keyed hashes and masks only;
  the complaint system that sent the export keeps the originals).

The score never rejects a complaint: a flagged complainant waits for an officer's
decision, and every complaint is answered whatever the score.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from huiqi.accounts.access import Actor, require_enterprise, require_role
from huiqi.accounts.roles import Role
from huiqi.complaints.models import (
    Complainant,
    ComplainantReview,
    ComplainantScore,
    Complaint,
    DetectionRun,
)
from huiqi.delivery.audit import record_event
from huiqi.delivery.freetext import clean_text
from huiqi.errors import HuiqiError, NotFoundError
from huiqi.profiles.uscc import validate

MAX_REASON = 2000
MAX_LIMIT = 1000


class ComplaintError(HuiqiError):
    """A complaint operation that cannot be done as asked."""


@dataclass(frozen=True)
class RunReport:
    run_id: int
    complaints: int
    complainants: int
    flagged: int
    clusters: int
    timings: dict[str, float]


@dataclass(frozen=True)
class QueueItem:
    score_id: int
    complainant_id: int
    id_masked: str
    name_masked: str | None
    score: int
    own_score: int
    cluster_score: int
    cluster: int | None
    status: str
    evidence: dict[str, Any] | None


@dataclass(frozen=True)
class Decision:
    review_id: int
    complainant_id: int
    decision: str
    reason: str
    decided_by: str
    decided_at: dt.datetime


@dataclass(frozen=True)
class Stats:
    complaints: int
    complainants: int
    runs: int
    flagged: int  # in the latest run
    pending: int  # flagged in the latest run and not yet decided
    professional: int  # complainants whose latest decision is "professional"
    not_professional: int
    confirmation_rate: float | None  # professional / decided
    complaints_by_professionals: int
    answer_groups: int  # what enterprises answer (complaints grouped)


@dataclass(frozen=True)
class EnterpriseComplaint:
    """A complaint group as the enterprise sees it: no complainant identity. ``id`` is its
    first complaint's, the cursor of the next page (``after_id``)."""

    id: int
    answer_group: str
    refs: list[str]
    product: str | None
    amount_fen: int | None
    claim_fen: int | None
    text: str
    first_filed: dt.date


def detect_complaints(session: Session, *, actor: Actor) -> RunReport:
    """Score every complainant and cluster over all held complaints; flagged complainants
    enter the review queue (nothing is rejected)."""
    require_role(actor, "run complaint detection", Role.COMPLAINT_OFFICER, Role.SCHEDULER)
    from huiqi.complaints.ledger import run_detection

    run, detection = run_detection(session, run_by=actor.username)
    record_event(
        session,
        actor=actor,
        kind="complaints_detected",
        entity=f"complaint_run:{run.id}",
        data={
            "complaints": run.complaints,
            "complainants": run.complainants,
            "flagged": run.flagged,
        },
    )
    return RunReport(
        run.id,
        run.complaints,
        run.complainants,
        run.flagged,
        len(detection.clusters),
        detection.timings,
    )


def _latest_run(session: Session) -> int | None:
    return session.scalar(select(func.max(DetectionRun.id)))


def review_queue(
    session: Session,
    *,
    actor: Actor,
    after_id: int = 0,
    limit: int = 50,
    include_decided: bool = False,
) -> list[QueueItem]:
    """The latest run's flagged complainants, highest score first (keyset pages by score
    id), with masked identities and evidence; decided ones only with ``include_decided``."""
    require_role(actor, "review flagged complainants", Role.COMPLAINT_OFFICER)
    run = _latest_run(session)
    if run is None:
        return []
    query = (
        select(ComplainantScore, Complainant)
        .join(Complainant, Complainant.id == ComplainantScore.complainant_id)
        .where(
            ComplainantScore.run_id == run,
            ComplainantScore.flagged.is_(True),
            ComplainantScore.id > after_id,
        )
        .order_by(ComplainantScore.id)
        .limit(max(1, min(limit, MAX_LIMIT)))
    )
    if not include_decided:
        query = query.where(Complainant.status == "unreviewed")
    return [
        QueueItem(
            score_id=s.id,
            complainant_id=c.id,
            id_masked=c.id_masked,
            name_masked=c.name_masked,
            score=s.score,
            own_score=s.own_score,
            cluster_score=s.cluster_score,
            cluster=s.cluster,
            status=c.status,
            evidence=json.loads(s.evidence) if s.evidence else None,
        )
        for s, c in session.execute(query)
    ]


def decide_complainant(
    session: Session, *, actor: Actor, complainant_id: int, professional: bool, reason: str
) -> Decision:
    """Record an officer's decision (confirmed professional, or not) with a reason on a
    complainant a run has flagged; an audit event. A later decision revises the status;
    the complaints stay as they are."""
    require_role(actor, "decide on flagged complainants", Role.COMPLAINT_OFFICER)
    why = clean_text(
        reason, "the reason", ComplaintError, required=True, max_length=MAX_REASON, field="reason"
    )
    assert why is not None
    complainant = session.get(Complainant, complainant_id)
    if complainant is None:
        raise NotFoundError(f"no complainant {complainant_id}")
    ever_flagged = session.scalar(
        select(ComplainantScore.id)
        .where(
            ComplainantScore.complainant_id == complainant_id,
            ComplainantScore.flagged.is_(True),
        )
        .limit(1)
    )
    if ever_flagged is None:
        raise ComplaintError(
            f"complainant {complainant_id} has not been flagged for review: decide the"
            " complainants of the review queue (huiqi complaints queue --all; its complainant"
            " column, not a queue position)"
        )
    run = _latest_run(session)
    score = (
        session.scalar(
            select(ComplainantScore).where(
                ComplainantScore.run_id == run, ComplainantScore.complainant_id == complainant_id
            )
        )
        if run is not None
        else None
    )
    decision = "professional" if professional else "not_professional"
    review = ComplainantReview(
        complainant_id=complainant_id,
        score_id=score.id if score else None,
        decision=decision,
        reason=why,
        decided_by=actor.username,
    )
    previous = complainant.status
    complainant.status = decision
    session.add(review)
    session.flush()
    record_event(
        session,
        actor=actor,
        kind=f"complainant_{decision}",
        entity=f"complainant:{complainant_id}",
        reason=why,
        data={
            "score": score.score if score else None,
            "run": run,
            "previous": previous,
        },
    )
    return Decision(review.id, complainant_id, decision, why, actor.username, review.decided_at)


def complaint_stats(session: Session, *, actor: Actor) -> Stats:
    """Counts for the dashboard: complaints, flags, decisions and what enterprises answer."""
    require_role(actor, "read complaint statistics", Role.COMPLAINT_OFFICER)
    run = _latest_run(session)
    by_status = dict(
        session.execute(select(Complainant.status, func.count()).group_by(Complainant.status)).all()
    )
    flagged = pending = 0
    if run is not None:
        flagged = (
            session.scalar(
                select(func.count())
                .select_from(ComplainantScore)
                .where(ComplainantScore.run_id == run, ComplainantScore.flagged.is_(True))
            )
            or 0
        )
        pending = (
            session.scalar(
                select(func.count())
                .select_from(ComplainantScore)
                .join(Complainant, Complainant.id == ComplainantScore.complainant_id)
                .where(
                    ComplainantScore.run_id == run,
                    ComplainantScore.flagged.is_(True),
                    Complainant.status == "unreviewed",
                )
            )
            or 0
        )
    pro, notpro = by_status.get("professional", 0), by_status.get("not_professional", 0)
    groups = select(Complaint.uscc, func.coalesce(Complaint.answer_group, Complaint.ref)).distinct()
    return Stats(
        complaints=session.scalar(select(func.count()).select_from(Complaint)) or 0,
        complainants=sum(by_status.values()),
        runs=session.scalar(select(func.count()).select_from(DetectionRun)) or 0,
        flagged=flagged,
        pending=pending,
        professional=pro,
        not_professional=notpro,
        confirmation_rate=round(pro / (pro + notpro), 4) if pro + notpro else None,
        complaints_by_professionals=session.scalar(
            select(func.count())
            .select_from(Complaint)
            .join(Complainant, Complainant.id == Complaint.complainant_id)
            .where(Complainant.status == "professional")
        )
        or 0,
        answer_groups=session.scalar(select(func.count()).select_from(groups.subquery())) or 0,
    )


def enterprise_complaints(
    session: Session, *, actor: Actor, uscc: str, limit: int = 100, after_id: int | None = None
) -> list[EnterpriseComplaint]:
    """The complaints about one enterprise, grouped to answer once (no complainant
    identity): the enterprise itself, its park operator, or a complaint officer. Groups
    come in the order of their first complaint (filed on, then id); the next page is
    ``after_id=`` the last group's ``id`` (a keyset; a complaint about another enterprise
    is a NotFoundError). Regression (QA): a ``limit`` and no cursor left the groups past
    the first 1000 out of reach."""
    code = validate(uscc.strip().upper(), prefixes=None)
    require_enterprise(
        session, actor, code, f"read the complaints about {code}", Role.COMPLAINT_OFFICER
    )
    # The first ``limit`` groups by their first complaint, then every complaint of those
    # groups: a group lists all the complaint numbers its one answer answers.
    key = func.coalesce(Complaint.answer_group, Complaint.ref)
    firsts = select(key, Complaint.id).where(Complaint.uscc == code)
    if after_id is not None:
        last = session.get(Complaint, after_id)
        if last is None or last.uscc != code:
            raise NotFoundError(f"no complaint {after_id} about {code}")

        def later(c: type[Complaint]) -> ColumnElement[bool]:
            return or_(
                c.filed_on > last.filed_on, and_(c.filed_on == last.filed_on, c.id > last.id)
            )

        # A group with a complaint at or before the cursor began there: listed already (an
        # alias, so that the subquery is not correlated with the outer query's rows).
        seen = aliased(Complaint)
        listed = select(func.coalesce(seen.answer_group, seen.ref)).where(
            seen.uscc == code, not_(later(seen))
        )
        firsts = firsts.where(later(Complaint), key.not_in(listed))
    wanted: dict[str, int] = {}  # each group's first complaint, in their order
    for k, first in session.execute(firsts.order_by(Complaint.filed_on, Complaint.id)):
        if k not in wanted:
            if len(wanted) >= max(1, min(limit, MAX_LIMIT)):
                break
            wanted[k] = first
    groups: dict[str, EnterpriseComplaint] = {}
    for c in session.scalars(
        select(Complaint)
        .where(Complaint.uscc == code, key.in_(list(wanted)))
        .order_by(Complaint.filed_on, Complaint.id)
    ):
        k = c.answer_group or c.ref
        if k in groups:
            groups[k].refs.append(c.ref)
        else:
            groups[k] = EnterpriseComplaint(
                wanted[k], k, [c.ref], c.product, c.amount_fen, c.claim_fen, c.text, c.filed_on
            )
    return [groups[k] for k in wanted]

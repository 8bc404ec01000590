"""The dashboard's headline indicators, beside the totals (:mod:`huiqi.delivery.dashboard`):

* the share of policies in force delivered without an application — 免申即享 (``auto``)
  and 直达快享 (``confirm``) — among all in force, the figure the city reports;
* each budget's use (committed against the budget, per policy version in force);
* the claim conversion of one-click offers: claimed (granted, or refused at the claim by
  the budget or a cap), against claimed + still offered + expired, per 直达快享 policy (from the maintained counters, never the ledger's rows);
* the time from eligibility (the delivery record made) to money (the grant paid), over
  the most recent ``SAMPLE`` payments: median and 90th percentile, in days.

Readers and scopes as the totals: policy officers their policies, finance officers and
admins all.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session

from huiqi import clock
from huiqi.accounts.access import AccessDenied, Actor, require_role
from huiqi.accounts.roles import POLICY_ROLES, Role
from huiqi.delivery.counts import counters
from huiqi.delivery.models import Entitlement, Grant, PolicyVersion
from huiqi.delivery.scopes import policy_scope_clauses
from huiqi.delivery.statuses import GrantStatus, RecordStatus, VersionStatus

SAMPLE = 10_000  # payments the time to money is measured over, the newest first
_READERS = (*sorted(POLICY_ROLES), Role.FINANCE_OFFICER, Role.ADMIN)
_DAY = 86_400


@dataclass(frozen=True)
class ModeShare:
    policies: int  # in force: each policy's newest published version
    auto: int  # 免申即享
    confirm: int  # 直达快享
    apply: int  # 申报

    @property
    def share(self) -> Decimal | None:
        """免申即享 + 直达快享 over all in force, 0–1 to four places."""
        return _ratio(self.auto + self.confirm, self.policies)


@dataclass(frozen=True)
class BudgetUse:
    policy_id: str
    version: int
    title_zh: str
    budget_fen: int
    committed_fen: int

    @property
    def used(self) -> Decimal | None:
        return _ratio(self.committed_fen, self.budget_fen)


@dataclass(frozen=True)
class Conversion:
    policy_id: str
    claimed: int
    waiting: int  # still offered
    expired: int
    title_zh: str  # of the policy's newest version (the page shows the catalogue's title)

    @property
    def rate(self) -> Decimal | None:
        return _ratio(self.claimed, self.claimed + self.waiting + self.expired)


@dataclass(frozen=True)
class TimeToMoney:
    payments: int  # how many the figures are over (at most SAMPLE)
    median_days: Decimal | None
    p90_days: Decimal | None


@dataclass(frozen=True)
class Indicators:
    modes: ModeShare
    budgets: list[BudgetUse]
    conversion: list[Conversion]
    time_to_money: TimeToMoney


def _ratio(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _days(seconds: list[float], q: float) -> Decimal | None:
    """The ``q`` quantile (nearest rank) of durations in seconds, as days to one place."""
    if not seconds:
        return None
    ordered = sorted(seconds)
    rank = max(0, min(len(ordered) - 1, int(q * len(ordered) + 0.999999) - 1))
    return (Decimal(ordered[rank]) / _DAY).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def indicators(session: Session, *, actor: Actor) -> Indicators:
    """The headline indicators over the policies the actor reads."""
    require_role(actor, "read the dashboards' indicators", *_READERS)
    scope = None
    if not actor.has(Role.FINANCE_OFFICER, Role.ADMIN):
        scope = policy_scope_clauses(actor, tuple(POLICY_ROLES))
        if scope is not None and not scope:
            raise AccessDenied(f"{actor.describe()} reads no policy's indicators")

    within = or_(*scope) if scope else true()  # the policies the actor reads

    newest = (
        select(PolicyVersion.policy_id, func.max(PolicyVersion.version).label("version"))
        .where(PolicyVersion.status == VersionStatus.PUBLISHED)
        .group_by(PolicyVersion.policy_id)
        .subquery()
    )
    in_force = session.execute(
        select(
            PolicyVersion.policy_id,
            PolicyVersion.version,
            PolicyVersion.title_zh,
            PolicyVersion.delivery,
            PolicyVersion.budget_fen,
            PolicyVersion.committed_fen,
        )
        .join(
            newest,
            (newest.c.policy_id == PolicyVersion.policy_id)
            & (newest.c.version == PolicyVersion.version),
        )
        # In force: published, and its window not closed (huiqi.clock); one that opens
        # later is counted, as the catalogue lists it.
        .where(within, PolicyVersion.valid_to >= clock.today())
        .order_by(PolicyVersion.policy_id)
    ).all()
    modes = [r.delivery for r in in_force]
    share = ModeShare(len(modes), modes.count("auto"), modes.count("confirm"), modes.count("apply"))
    budgets = [
        BudgetUse(r.policy_id, r.version, r.title_zh, int(r.budget_fen), int(r.committed_fen))
        for r in in_force
        if r.budget_fen
    ]
    records = counters("record")
    # A claimed offer becomes a grant, or is refused at the claim (budget spent, cap
    # reached): each of those is an enterprise that clicked.
    clicked = (RecordStatus.GRANTED, RecordStatus.BUDGET_EXHAUSTED, RecordStatus.CAPPED)
    wanted = (*clicked, RecordStatus.OFFERED, RecordStatus.EXPIRED)
    counted = session.execute(
        select(PolicyVersion.policy_id, records.c.status, func.sum(records.c.n))
        .join_from(records, PolicyVersion, PolicyVersion.id == records.c.policy_version_id)
        .where(PolicyVersion.delivery == "confirm", records.c.status.in_(wanted), within)
        .group_by(PolicyVersion.policy_id, records.c.status)
    ).all()
    by_policy: dict[str, dict[str, int]] = {}
    for policy_id, status, n in counted:
        by_policy.setdefault(policy_id, {})[status] = int(n or 0)
    # The Chinese title of each policy's newest version (ordered by version, the last wins):
    # what a page shows for a policy no longer in the catalogue (every version retired).
    titles = dict(
        session.execute(
            select(PolicyVersion.policy_id, PolicyVersion.title_zh)
            .where(PolicyVersion.policy_id.in_(list(by_policy)))
            .order_by(PolicyVersion.policy_id, PolicyVersion.version)
        ).all()
    )
    conversion = [
        Conversion(
            p,
            sum(c.get(k, 0) for k in clicked),
            c.get("offered", 0),
            c.get("expired", 0),
            titles.get(p, p),
        )
        for p, c in sorted(by_policy.items())
    ]
    paid = session.execute(
        select(Grant.paid_at, Entitlement.created_at)
        .join(Entitlement, Entitlement.id == Grant.entitlement_id)
        .join(PolicyVersion, PolicyVersion.id == Grant.policy_version_id)
        .where(Grant.status == GrantStatus.PAID, Grant.paid_at.is_not(None), within)
        .order_by(Grant.id.desc())
        .limit(SAMPLE)
    ).all()
    waits = [max(0.0, (p - e).total_seconds()) for p, e in paid if p is not None]
    return Indicators(
        share,
        budgets,
        conversion,
        TimeToMoney(len(waits), _days(waits, 0.5), _days(waits, 0.9)),
    )

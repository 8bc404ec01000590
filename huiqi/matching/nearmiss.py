"""An enterprise's near misses (差一点): policies it misses by one figure it can change.

Computed on demand for one enterprise from the engine's explanation of every policy in
force (the same traces ``explain_enterprise`` gives): a policy is a near miss when its
status is ``near_miss`` (exactly one criterion fails, none is unknown) and the failing
criterion is an actionable threshold the enterprise is within ``margin`` of (20 % of
the threshold by default): "研发费用占营业收入比例 2.8 %，要求 >= 3 %", as data (field,
label, actual, required, unit). Whom a policy is for (district, industry) and statuses
(on the dishonest list, registration type, years since founding, qualifications) are
never near misses: see ``thresholds``.

Access: the enterprise itself and its park operator see every policy; a policy officer
sees the near misses of the policies its scope covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from huiqi.accounts.access import AccessDenied, Actor, PolicyRef, in_policy_scope
from huiqi.accounts.roles import POLICY_ROLES
from huiqi.config import Settings
from huiqi.engine import CompiledPolicy, PolicyTrace, explain
from huiqi.errors import HuiqiError
from huiqi.matching.published import policies_in_force
from huiqi.matching.thresholds import Gap, failing, gap_of, thresholds
from huiqi.matching.visibility import acts_for_enterprise
from huiqi.profiles.dictionary import load_dictionary
from huiqi.profiles.uscc import validate

DEFAULT_MARGIN = Decimal("0.2")


@dataclass(frozen=True)
class NearMiss:
    """One policy the enterprise misses by one figure: which criterion, and the gap."""

    policy_id: str
    version: int
    title_zh: str
    title_en: str
    delivery: str
    criterion_id: str
    criterion_zh: str
    criterion_en: str
    gap: Gap
    met: int
    total: int
    # What the amount would be, when the formula reads only figures already known.
    amount_fen: int | None

    @property
    def text_zh(self) -> str:
        return self.gap.text_zh()

    @property
    def text_en(self) -> str:
        return self.gap.text_en()


def policy_ref(cp: CompiledPolicy) -> PolicyRef:
    p = cp.policy
    return PolicyRef(p.level, p.region, p.department.zh)


def near_miss_of(
    cp: CompiledPolicy, trace: PolicyTrace, margin: Decimal = DEFAULT_MARGIN
) -> NearMiss | None:
    """The actionable near miss in one policy's trace, or None."""
    if trace.status != "near_miss":
        return None
    criterion = next((c for c in trace.criteria if c.state == "not_met"), None)
    compiled = next((c for c in cp.criteria if criterion and c.id == criterion.id), None)
    if criterion is None or compiled is None or compiled.scope or compiled.source is None:
        return None
    d = load_dictionary()
    found = thresholds(compiled.source, cp.policy.data_year, d)
    if not found:
        return None
    values = {(r.field, r.year): r.value for r in criterion.reads}
    states = [failing(t, values) for t in found]
    if states.count(True) != 1 or None in states:
        return None
    gap = gap_of(found[states.index(True)], values, margin, d)
    if gap is None:
        return None
    return NearMiss(
        policy_id=cp.policy.id,
        version=cp.policy.version,
        title_zh=cp.policy.title.zh,
        title_en=cp.policy.title.en,
        delivery=cp.policy.delivery,
        criterion_id=criterion.id,
        criterion_zh=criterion.label_zh,
        criterion_en=criterion.label_en,
        gap=gap,
        met=trace.met,
        total=trace.total,
        amount_fen=trace.amount_fen,
    )


def near_misses(
    settings: Settings,
    session: Session,
    *,
    actor: Actor,
    uscc: str,
    policies: Sequence[CompiledPolicy] | None = None,
    snapshot_id: int | None = None,
    margin: Decimal = DEFAULT_MARGIN,
) -> list[NearMiss]:
    """The enterprise's actionable near misses among the policies in force (or ``policies``),
    smallest gap first (relative to the threshold)."""
    code = validate(uscc.strip().upper(), prefixes=None)
    acting = acts_for_enterprise(settings, session, actor, code, snapshot_id)
    if not acting and not actor.has(*POLICY_ROLES):
        raise AccessDenied(
            f"{actor.describe()} may not see {code}'s near misses; allowed: the enterprise"
            " itself, its park operator, policy officers (for the policies in their scope)"
        )
    if not Decimal(0) < margin <= 1:
        raise HuiqiError(
            f"the margin is a share of the threshold above 0 and at most 1, not {margin}"
        )
    chosen = list(policies) if policies is not None else list(policies_in_force(session))
    if not acting:  # an officer: the policies its scope covers
        chosen = [cp for cp in chosen if in_policy_scope(actor, policy_ref(cp), *POLICY_ROLES)]
    if not chosen:
        return []
    traces = explain(settings, code, chosen, snapshot_id=snapshot_id)
    by_id = {cp.policy.id: cp for cp in chosen}
    found = [nm for t in traces if (nm := near_miss_of(by_id[t.policy_id], t, margin))]
    return sorted(found, key=lambda n: (n.gap.shortfall / abs(n.gap.required), n.policy_id))

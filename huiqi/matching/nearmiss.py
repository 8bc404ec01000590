"""An enterprise's near misses (差一点): policies it misses by one thing it can act on.

Computed on demand for one enterprise through the one-enterprise path (the engine's
explanation of every policy in force, the traces ``explain_enterprise`` gives), never
read from bulk rows: a policy is a near miss when the engine's status is ``near_miss``.
The engine decides what that means, once for every backend (``engine/compile/nearness``):
exactly one criterion fails, none is unknown, and the failing one is actionable, a
numeric threshold the enterprise is within the criterion's margin of (20 % of the
threshold unless the policy says otherwise) or a qualification the policy marks
attainable. Here the failing threshold becomes the gap in numbers, "研发费用占营业收入比例
2.8 %，要求 >= 3 %", as data (field, label, actual, required, unit: ``thresholds``);
an attainable qualification has no gap (``gap`` None). The amount is what the enterprise
could receive given the grants it holds (``delivery.obtainable``): none for a policy
already granted for the period or outranked in its exclusivity group (就高不重复), which
``held`` then names.

Access: the enterprise itself and its park operator see every policy; a policy officer
sees the near misses of the policies its scope covers, and an officer scoped to districts
is refused an enterprise registered in another district (``accounts.districts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from huiqi.accounts.access import AccessDenied, Actor, PolicyRef, in_policy_scope
from huiqi.accounts.roles import POLICY_ROLES
from huiqi.config import Settings
from huiqi.delivery.obtainable import Held, obtainable
from huiqi.engine import CompiledPolicy, PolicyTrace, explain
from huiqi.engine.compile.compiler import CompiledCriterion
from huiqi.matching.published import policies_in_force
from huiqi.matching.thresholds import Gap, failing, gap_of, thresholds
from huiqi.matching.visibility import acts_for_enterprise, require_officer_district
from huiqi.profiles.dictionary import load_dictionary
from huiqi.profiles.uscc import validate


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
    # The figure and its threshold; None for an attainable qualification.
    gap: Gap | None
    met: int
    total: int
    # What the enterprise could receive, when the formula reads only figures already
    # known and gives more than nothing on them, and the grants it holds leave room for
    # it (one per policy and period, 就高不重复, a shared cap): None otherwise.
    amount_fen: int | None
    # What it already holds that makes the policy give less, or nothing (``held.kind``).
    held: Held | None = None

    @property
    def text_zh(self) -> str:
        return self.gap.text_zh() if self.gap else self.criterion_zh

    @property
    def text_en(self) -> str:
        return self.gap.text_en() if self.gap else self.criterion_en

    @property
    def distance(self) -> Decimal:
        """How far the enterprise is, as a share of the threshold (0: a qualification)."""
        if self.gap is None or self.gap.required == 0:
            return Decimal(0)
        return self.gap.shortfall / abs(self.gap.required)


def policy_ref(cp: CompiledPolicy) -> PolicyRef:
    p = cp.policy
    return PolicyRef(p.level, p.region, p.department.zh)


def near_miss_of(cp: CompiledPolicy, trace: PolicyTrace) -> NearMiss | None:
    """The near miss in one policy's trace (the engine's ``near_miss`` status), or None."""
    if trace.status != "near_miss":
        return None
    criterion = next((c for c in trace.criteria if c.state == "not_met"), None)
    compiled = next((c for c in cp.criteria if criterion and c.id == criterion.id), None)
    if criterion is None or compiled is None:
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
        gap=_gap(cp, compiled, {(r.field, r.year): r.value for r in criterion.reads}),
        met=trace.met,
        total=trace.total,
        # Nothing on today's figures (R&D that did not grow has no increase to pay a share
        # of) is no estimate, not "about 0.00 yuan".
        amount_fen=trace.amount_fen or None,
    )


def _gap(
    cp: CompiledPolicy, compiled: CompiledCriterion, values: dict[tuple[str, int | None], Any]
) -> Gap | None:
    """The failing threshold's figures, read from the trace (None: a qualification)."""
    if compiled.nearness != "margin" or compiled.source is None:
        return None
    d = load_dictionary()
    found = thresholds(compiled.source, cp.policy.data_year, d) or []
    failing_ones = [t for t in found if failing(t, values)]
    if not failing_ones:
        return None
    # The engine placed the enterprise within the margin; the gap is shown whatever it is.
    return gap_of(failing_ones[0], values, Decimal(1), d)


def near_misses(
    settings: Settings,
    session: Session,
    *,
    actor: Actor,
    uscc: str,
    policies: Sequence[CompiledPolicy] | None = None,
    snapshot_id: int | None = None,
) -> list[NearMiss]:
    """The enterprise's near misses among the policies in force (or ``policies``), smallest
    gap first (relative to the threshold; attainable qualifications first)."""
    code = validate(uscc.strip().upper(), prefixes=None)
    acting = acts_for_enterprise(settings, session, actor, code, snapshot_id)
    if not acting and not actor.has(*POLICY_ROLES):
        raise AccessDenied(
            f"{actor.describe()} may not see {code}'s near misses; allowed: the enterprise"
            " itself, its park operator, policy officers (for the policies in their scope)"
        )
    chosen = list(policies) if policies is not None else list(policies_in_force(session))
    if not acting:  # an officer: of the enterprise's district, the policies its scope covers
        require_officer_district(
            settings, session, actor, code, "see this enterprise's near misses", snapshot_id
        )
        chosen = [cp for cp in chosen if in_policy_scope(actor, policy_ref(cp), *POLICY_ROLES)]
    if not chosen:
        return []
    traces = explain(settings, code, chosen, snapshot_id=snapshot_id)
    by_id = {cp.policy.id: cp for cp in chosen}
    found = [nm for t in traces if (nm := near_miss_of(by_id[t.policy_id], t))]
    found = [_with_holdings(session, code, nm) for nm in found]
    return sorted(found, key=lambda n: (n.distance, n.policy_id))


def _with_holdings(session: Session, uscc: str, nm: NearMiss) -> NearMiss:
    """The near miss with what the enterprise could receive of it, given its grants: a
    policy it already has a grant of for the period, or whose exclusivity group gives it
    at least as much, is worth nothing more (QA: the page showed those amounts)."""
    got = obtainable(session, uscc, nm.policy_id, nm.version, nm.amount_fen)
    return replace(nm, amount_fen=got.amount_fen or None, held=got.held)

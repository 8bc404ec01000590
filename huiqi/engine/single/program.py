"""Many compiled policies made ready to evaluate one enterprise at a time, fast.

A ``Program`` compiles every checked criterion and amount formula of a set of policies
into closures once (``closures``), evaluating each distinct criterion once per
enterprise however many policies share it (the library's policies share district,
size and credit criteria), and turns a raw profile into the frame row the closures
read. ``evaluate`` gives the same ``Evaluation`` the reference evaluator gives, policy
by policy; ``trace`` adds the explanation (``TraceBuilder``, shared with every backend).

Example:
    >>> from huiqi.engine.compile.compiler import EXAMPLE_POLICY, compile_policy
    >>> from huiqi.engine.profile import RawProfile
    >>> from huiqi.policies.loader import load_policy_text
    >>> program = Program([compile_policy(load_policy_text(EXAMPLE_POLICY))])
    >>> rich = RawProfile("91310115MA1K000011", years={2024: {"revenue": 2_000_000}})
    >>> [(e.status, e.amount_fen) for e in program.evaluate(rich)]
    [('eligible', 1000000)]
"""

from __future__ import annotations

import decimal
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from huiqi.engine.compile.compiler import CompiledCriterion, CompiledPolicy
from huiqi.engine.compile.numeric import shape_of_field
from huiqi.engine.frame_columns import FrameColumn
from huiqi.engine.profile import RawProfile
from huiqi.engine.python.pyeval import AMOUNT_LIMIT_YUAN, clamp, fen, frame_value, yuan_value
from huiqi.engine.related import Population
from huiqi.engine.results import AMOUNT_TOO_LARGE, STATUSES, Evaluation
from huiqi.engine.single.closures import CONTEXT, Fn, compile_tree
from huiqi.engine.trace import NAME, PolicyTrace
from huiqi.engine.tracing import TraceBuilder, trace_columns
from huiqi.profiles.dictionary import load_dictionary

# Why a policy's evaluation failed on one enterprise's data (a value no exact arithmetic
# holds): the row is an error, the other policies are still evaluated.
ROW_ERROR = (
    "evaluating this enterprise failed ({}); a value is probably outside its dictionary"
    " range (imported under a wider one?): check the data and re-import it"
)


@dataclass(frozen=True)
class _Plan:
    """One policy: which distinct criteria it checks (in order), its amount, its scope."""

    cp: CompiledPolicy
    criteria: tuple[int, ...]
    ids: tuple[str, ...]
    # Per criterion, whether failing it alone is a near miss (compile/nearness): False
    # never, True always, a closure of its relaxed rule (TRUE: within the margin).
    near: tuple[bool | Fn, ...]
    amount: Fn
    reads: frozenset[str]  # the frame columns its criteria and amount read


@dataclass(frozen=True)
class _Failed:
    """A criterion whose evaluation raised on this enterprise's data."""

    reason: str


def _guarded(f: Fn, row: dict[str, Any]) -> Any:
    try:
        return f(row)
    except (ArithmeticError, ValueError, TypeError) as exc:
        return _Failed(str(exc))


class Program:
    """Compiled policies as closures over one frame row; build once, evaluate often."""

    def __init__(self, policies: Sequence[CompiledPolicy]) -> None:
        self.policies = tuple(policies)
        distinct: dict[str, int] = {}
        self._criteria: list[Fn] = []
        plans = []
        for cp in self.policies:
            indexes = []
            for c in cp.checked:
                assert c.tree is not None
                key = repr(c.tree)  # the tree itself: equal trees mean the same criterion
                if key not in distinct:
                    distinct[key] = len(self._criteria)
                    self._criteria.append(compile_tree(c.tree))
                indexes.append(distinct[key])
            plans.append(
                _Plan(
                    cp,
                    tuple(indexes),
                    tuple(c.id for c in cp.checked),
                    tuple(_near_of(c) for c in cp.checked),
                    compile_tree(cp.amount),
                    frozenset(c.name for c in cp.requirements),
                )
            )
        self._plans = tuple(plans)
        # Every column a rule or a trace reads (the enterprise's name too), parsed once.
        self.columns: tuple[FrameColumn, ...] = tuple(
            sorted(set().union(*(trace_columns(cp) for cp in self.policies)))
        )
        self.links = any(c.kind in ("contracts", "group") for c in self.columns)
        self._builders: dict[int, TraceBuilder] = {}
        # The width of every numeric field column: its dictionary range, rounded up to
        # whole digits (compile/numeric). Bulk engines size their arithmetic by it, and
        # a value wider than that (left by an import under a wider range) can make a row
        # an error there, or not, depending on that arithmetic; the policies reading such
        # a value are left to the bulk engine (``wide``), so both always agree.
        d = load_dictionary()
        self._widths = {
            c.name: 10**shape.digits
            for c in self.columns
            if c.kind in ("static", "yearly")
            and (f := d.get(c.field)) is not None
            and (shape := shape_of_field(f)) is not None
        }

    @property
    def distinct_criteria(self) -> int:
        return len(self._criteria)

    @property
    def fields(self) -> frozenset[str]:
        """The static and yearly fields the program reads (for reading profiles)."""
        return frozenset(
            c.field for c in self.columns if c.kind in ("static", "yearly", "group")
        ) | {NAME.field}

    @property
    def groups(self) -> bool:
        """Whether a policy reads a group total (the profiles of related enterprises)."""
        return any(c.kind == "group" for c in self.columns)

    def row(self, prof: RawProfile, pop: Population | None = None) -> dict[str, Any]:
        """The frame row of one enterprise: every column the policies and traces read."""
        return {c.name: frame_value(c, prof, pop) for c in self.columns}

    def evaluate(
        self, prof: RawProfile, pop: Population | None = None, *, row: dict[str, Any] | None = None
    ) -> list[Evaluation]:
        """Every policy for one enterprise, in the program's order (``pop``: the population
        it belongs to, for related parties and contracts; default, itself alone)."""
        found = self.kept(prof, pop, row=row)
        return [ev for _, ev in found]

    def kept(
        self,
        prof: RawProfile,
        pop: Population | None = None,
        *,
        row: dict[str, Any] | None = None,
        statuses: Collection[str] = STATUSES,
        skip: Collection[int] = (),
    ) -> list[tuple[int, Evaluation]]:
        """The policies whose status for this enterprise is in ``statuses``, with their
        index in the program, but those in ``skip``. Without 'not_eligible' among the
        statuses, a policy that fails is dropped as soon as its criteria say so (its
        amount is not computed): re-matching an enterprise pays for what it may
        receive, not for all it does not."""
        values = row if row is not None else self.row(prof, pop)
        skip_failed = "not_eligible" not in statuses
        out = []
        with decimal.localcontext(CONTEXT):
            try:
                shared = [f(values) for f in self._criteria]
            except (ArithmeticError, ValueError, TypeError):
                shared = [_guarded(f, values) for f in self._criteria]
            for i, plan in enumerate(self._plans):
                if skip and i in skip:
                    continue
                ev = _evaluation(plan, prof.uscc, values, shared, skip_failed)
                if ev is not None and ev.status in statuses:
                    out.append((i, ev))
        return out

    def wide(self, row: dict[str, Any]) -> frozenset[int]:
        """The policies reading a number of ``row`` wider than its field's dictionary
        range: what a bulk engine, not this program, must evaluate (usually none)."""
        columns = {
            name
            for name, limit in self._widths.items()
            if (v := row[name]) is not None and not isinstance(v, bool) and abs(v) >= limit
        }
        if not columns:
            return frozenset()
        return frozenset(i for i, plan in enumerate(self._plans) if plan.reads & columns)

    def trace(
        self,
        prof: RawProfile,
        pop: Population | None = None,
        *,
        statuses: Collection[str] = STATUSES,
        snapshot_id: int | None = None,
        row: dict[str, Any] | None = None,
        skip: Collection[int] = (),
    ) -> list[tuple[int, PolicyTrace]]:
        """The explanation of every policy whose status is in ``statuses`` (but those in
        ``skip``), with the policy's index in the program, in order."""
        values = row if row is not None else self.row(prof, pop)
        return [
            (i, self._builder(self.policies[i], snapshot_id).build(ev, values))
            for i, ev in self.kept(prof, pop, row=values, statuses=statuses, skip=skip)
        ]

    def _builder(self, cp: CompiledPolicy, snapshot_id: int | None) -> TraceBuilder:
        builder = self._builders.get(id(cp))
        if builder is None or builder.snapshot_id != snapshot_id:
            builder = self._builders[id(cp)] = TraceBuilder(cp, snapshot_id=snapshot_id)
        return builder


def _near_of(crit: CompiledCriterion) -> bool | Fn:
    if crit.nearness == "margin" and crit.near is not None:
        return compile_tree(crit.near)
    return crit.nearness == "always"


def _is_near(near: bool | Fn, row: dict[str, Any]) -> bool:
    if isinstance(near, bool):
        return near
    return _guarded(near, row) is True


def _error(plan: _Plan, uscc: str, reason: str) -> Evaluation:
    n = len(plan.ids)
    return Evaluation(
        uscc, plan.cp.policy.id, "error", None, (None,) * n, (), (), error=ROW_ERROR.format(reason)
    )


def _evaluation(
    plan: _Plan, uscc: str, row: dict[str, Any], shared: list[Any], skip_failed: bool
) -> Evaluation | None:
    """One policy's evaluation (the reference's status rules); None when it fails and
    ``skip_failed``."""
    values = tuple([shared[i] for i in plan.criteria])
    cp = plan.cp
    failed: list[str] = []
    unknown: list[str] = []
    failed_near: bool | Fn = False
    broken = None
    for cid, value, near_of in zip(plan.ids, values, plan.near, strict=True):
        if value is False:
            failed.append(cid)
            failed_near = near_of
        elif value is None:
            unknown.append(cid)
        elif type(value) is _Failed:
            broken = value
    if broken is not None:
        return _error(plan, uscc, broken.reason)
    near = len(failed) == 1 and not unknown and _is_near(failed_near, row)
    if failed and not near and skip_failed:
        return None
    try:
        yuan = yuan_value(plan.amount(row))
        too_large = yuan is not None and clamp(cp, yuan) >= AMOUNT_LIMIT_YUAN
        amount = None if too_large else fen(cp, yuan)
    except (ArithmeticError, ValueError, TypeError) as exc:
        return Evaluation(
            uscc, cp.policy.id, "error", None, values, (), (), error=ROW_ERROR.format(exc)
        )
    error = None
    if failed:
        status = "near_miss" if near else "not_eligible"
    elif unknown:
        status = "needs_data"
    elif too_large:
        status, error = "error", AMOUNT_TOO_LARGE
    elif amount is not None:
        status = "eligible"
    else:
        status = "needs_data"
    return Evaluation(
        uscc=uscc,
        policy_id=cp.policy.id,
        status=status,
        amount_fen=None if status == "error" else amount,
        values=values,
        failed=tuple(failed),
        unknown=tuple(unknown),
        amount_yuan=yuan,
        error=error,
    )

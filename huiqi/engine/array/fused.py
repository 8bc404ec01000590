"""The plan of a fused run: every policy's criteria over the columns the run reads.

Each criterion becomes a postfix program over leaves (``fused_leaves``); each column a
leaf reads becomes a small bucket number per row, each leaf a table of codes by bucket
(``fused_buckets``); values that several columns give (a sum, a comparison of two
fields) are derived once over every row first. A policy whose test or amount cannot be
held (a construct without an array rule, a value that cannot be derived) is left to
another path, with the reason (``FusedBuild.others``). Each policy's criteria are
ordered most often failing first, on a sample of rows.

Building a plan costs the distinct values of each column, one evaluation per leaf over
them and, per row, a search among its column's bucket boundaries; once per snapshot and
policy set. Evaluating it (``fused_plan`` with NumPy, ``fused_kernel`` on a GPU) is the
run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlglot import exp

from huiqi.engine.array.columns import Column, Frame, compact
from huiqi.engine.array.criteria import key_of
from huiqi.engine.array.evaluate import Evaluator
from huiqi.engine.array.fused_buckets import bucket, leaf_codes, mini_frame
from huiqi.engine.array.fused_leaves import Derived, Leaf, Leaves, columns_of, depth, program
from huiqi.engine.array.fused_plan import (
    ALWAYS,
    FAILS,
    MARGIN,
    MAX_DEPTH,
    NEVER,
    FusedPlan,
    _NumpyRun,
)
from huiqi.engine.array.values import Unsupported, everywhere
from huiqi.engine.compile.compiler import CompiledPolicy

# Rows read to order each policy's criteria (most often failing first).
SAMPLE = 16_384


# ---------------------------------------------------------------------- plan
@dataclass
class FusedBuild:
    """A plan and what it left out: policies to match another way, with the reason."""

    plan: FusedPlan
    policies: list[CompiledPolicy]
    others: dict[str, str]


def build_plan(frame: Frame, policies: Sequence[CompiledPolicy]) -> FusedBuild:
    """The fused plan of ``policies`` over ``frame`` (the columns they read loaded)."""
    leaves = Leaves()
    derived = Derived()
    crit_ops: dict[str, int] = {}
    ops: list[list[int]] = []
    # Per criterion: its nearness and the criterion of its relaxed rule (-1: none).
    nearness: list[tuple[int, int]] = []
    planned: list[tuple[CompiledPolicy, list[int], int]] = []
    others: dict[str, str] = {}

    def add(key: str, tree: exp.Expression, near: tuple[int, int]) -> int:
        if key not in crit_ops:
            prog = program(tree, leaves, derived)
            if depth(prog) > MAX_DEPTH:
                raise Unsupported("a criterion nested deeper than the kernel's stack")
            crit_ops[key] = len(ops)
            ops.append(prog)
            nearness.append(near)
        return crit_ops[key]

    for cp in policies:
        mark = len(leaves.items), len(ops), dict(crit_ops), dict(derived.exprs)
        try:
            crits = []
            for crit in cp.checked:
                assert crit.tree is not None
                near = (NEVER, -1)
                if crit.nearness == "always":
                    near = (ALWAYS, -1)
                elif crit.nearness != "never" and crit.near is not None:
                    near = (MARGIN, add(f"near:{crit.near.sql()}", crit.near, (NEVER, -1)))
                crits.append(add(key_of(crit), crit.tree, near))
            node = cp.amount
            if len(columns_of(node)) > 1:
                node = derived.add(node, boolean=False)
            column = next(iter(columns_of(node)), None)
            amount = leaves.add(Leaf(column, node, cp), ("amount", id(cp)))
        except Unsupported as exc:
            others[cp.policy.id] = str(exc)
            del leaves.items[mark[0] :]
            leaves.by_key = {k: v for k, v in leaves.by_key.items() if v < mark[0]}
            del ops[mark[1] :]
            del nearness[mark[1] :]
            crit_ops = mark[2]
            derived.exprs = mark[3]  # a left-out policy's values are not computed
            continue
        planned.append((cp, crits, amount))
    near_of = [c for _, c in nearness]
    build = _tabulate(_with_derived(frame, derived), leaves, ops, planned, others, near_of)
    if nearness:
        build.plan.near_kind = np.array([k for k, _ in nearness], dtype=np.int8)
        build.plan.near_crit = np.array([c for _, c in nearness], dtype=np.int32)
    return build


def _with_derived(frame: Frame, derived: Derived) -> Frame:
    """``frame`` with the derived columns (one that cannot be computed is left out: the
    policies reading it go to the CPU path)."""
    out = Frame(uscc=frame.uscc, columns=dict(frame.columns))
    ev = Evaluator(frame, None)
    for name, (node, boolean) in derived.exprs.items():
        try:
            v = ev.boolean(node) if boolean else ev.ev(node)
        except Unsupported:
            continue
        if v.kind not in ("num", "float", "date", "bool"):
            continue
        data = np.ascontiguousarray(np.broadcast_to(v.data, (frame.rows,)))
        known = None if everywhere(v.known) else np.broadcast_to(v.known, (frame.rows,))
        if v.kind == "num":
            data = compact(data.astype(np.int64, copy=False))
        out.columns[name] = Column(v.kind, data, known, scale=v.scale)
    return out


def _tabulate(
    frame: Frame,
    leaves: Leaves,
    ops: list[list[int]],
    planned: list[tuple[CompiledPolicy, list[int], int]],
    others: dict[str, str],
    near_of: list[int],
) -> FusedBuild:
    by_column: dict[str | None, list[int]] = {}
    for i, leaf in enumerate(leaves.items):
        by_column.setdefault(leaf.column, []).append(i)
    tables: list[Any] = [None] * len(leaves.items)
    leaf_column = np.full(len(leaves.items), -1, dtype=np.int32)
    names: list[str] = []
    buckets: list[Any] = []
    failed: dict[int, str] = {}
    for name, ids in by_column.items():
        try:
            if name is None:
                one = mini_frame(None, None, 1)
                for i in ids:
                    tables[i] = leaf_codes(leaves.items[i], one)[:1].astype(np.uint8)
                continue
            if name not in frame.columns:
                raise Unsupported(f"the value {name} could not be derived")
            rows, got = bucket(name, frame.columns[name], [leaves.items[i] for i in ids])
        except Unsupported as exc:
            failed.update((i, str(exc)) for i in ids)
            for i in ids:
                tables[i] = np.zeros(1, dtype=np.uint8)
            continue
        leaf_column[ids] = len(names)
        names.append(name)
        buckets.append(rows)
        for i, table in zip(ids, got, strict=True):
            tables[i] = table
    kept = []
    for cp, crits, amount in planned:
        used = [amount, *(op for c in crits for op in ops[c] if op >= 0)]
        used += [op for c in crits for op in ops[near_of[c]] if op >= 0 and near_of[c] >= 0]
        why = next((failed[i] for i in used if i in failed), None)
        if why is not None:
            others[cp.policy.id] = why
        else:
            kept.append((cp, crits, amount))
    sizes = np.array([len(t) for t in tables], dtype=np.int64)
    plan = FusedPlan(
        n=frame.rows,
        buckets=buckets,
        columns=names,
        tables=np.concatenate(tables) if tables else np.zeros(0, np.uint8),
        table_start=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        leaf_column=leaf_column,
        ops=np.array([op for prog in ops for op in prog], dtype=np.int32),
        op_start=np.concatenate([[0], np.cumsum([len(p) for p in ops])]).astype(np.int64),
        crits=np.zeros(0, np.int32),
        crit_start=np.zeros(1, np.int64),
        amount_leaf=np.array([a for _, _, a in kept], dtype=np.int32),
        policy_ids=[cp.policy.id for cp, _, _ in kept],
    )
    _order(plan, [crits for _, crits, _ in kept])
    return FusedBuild(plan, [cp for cp, _, _ in kept], others)


def _order(plan: FusedPlan, crits: list[list[int]]) -> None:
    """Each policy's criteria, the most often failing first (on an even sample of rows),
    with their places among the policy's checked criteria (``crit_pos``)."""
    step = max(1, plan.n // SAMPLE)
    sample = np.arange(0, plan.n, step)
    run = _NumpyRun(plan)
    fails: dict[int, float] = {}
    for c in {c for cs in crits for c in cs}:
        codes = run.criterion(c, sample)
        fails[c] = float(np.count_nonzero(codes == FAILS)) / max(len(sample), 1)
    ordered = [sorted(enumerate(cs), key=lambda jc: -fails[jc[1]]) for cs in crits]
    plan.crits = np.array([c for cs in ordered for _, c in cs], dtype=np.int32)
    plan.crit_pos = np.array([j for cs in ordered for j, _ in cs], dtype=np.int32)
    plan.crit_start = np.concatenate([[0], np.cumsum([len(cs) for cs in ordered])]).astype(np.int64)

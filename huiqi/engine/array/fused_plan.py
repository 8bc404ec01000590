"""A fused plan of a run's policies, what it gives, and its reference evaluator (NumPy).

A ``FusedPlan`` (built by ``fused``) holds each frame column a run reads as a small
integer per row, its *bucket*: rows in one bucket give the same value to every test of
the run on that column. A test on one column (a *leaf*) is then a table of codes by
bucket, read with one gather: 0 holds, 1 fails, 2 unknown (and, for a policy's amount,
0 known, 2 unknown, 3 an error). A criterion is a short postfix program over leaves
(Kleene AND, OR, NOT: SQL's three-valued logic); a policy is its criteria, most often
failing first, and its amount's leaf.

Per row and policy the outcome is what ``match_policy`` keeps. Without near misses: a
criterion fails -> nothing; one is unknown -> needs data; all hold -> eligible where the
amount is known, an error where it passes the limit, needs data where it is unknown.
With near misses (what bulk matching keeps), a failure is first graded by the
criterion's nearness (``compile/nearness``): 'never' makes it hard, 'margin' makes it
hard unless the relaxed rule (another program) holds; a row with exactly one failure,
not hard, and nothing unknown is a near miss; two failures, a hard one, or a failure
and an unknown drop the row. Outcomes (``FusedResult``) are bitmaps, one bit a row (row r
in word r // 32, bit r % 32: a CUDA warp's ballot), for eligible, needs-data, error and
near-miss rows, with counts per policy; which criteria are unknown or failed is read
afterwards for those rows alone (``fused_match``).

``run_numpy`` evaluates a plan with NumPy, criterion by criterion on the rows still
alive: the reference the CUDA kernel (``fused_kernel``) is held to.

This module reads only NumPy, so a GPU machine can load it without huiqi's dependencies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HOLDS, FAILS, UNKNOWN, ERROR = 0, 1, 2, 3
# A criterion's failure that is never a near miss (as ``criteria.HARD``).
HARD = 3
# Postfix operators; an operand >= 0 is a leaf.
AND, OR, NOT = -1, -2, -3
# Outcomes, in the order of the bitmaps and counts.
OUTCOMES = ("eligible", "needs_data", "error", "near_miss")
# A criterion's nearness (``FusedPlan.near_kind``): a failure may be a near miss, never is,
# or is where the relaxed rule holds.
ALWAYS, NEVER, MARGIN = 0, 1, 2
# The deepest postfix program the CUDA kernel's stack holds.
MAX_DEPTH = 16


@dataclass
class FusedPlan:
    """What the fused evaluators read; arrays only, so it saves and loads as one file."""

    n: int
    # Per frame column read: the bucket of each row (int32; the last bucket is NULL).
    buckets: list[Any]
    columns: list[str]
    # The leaves' code tables, one after another; leaf i is tables[table_start[i]:...].
    tables: Any
    table_start: Any
    # The column index each leaf reads (-1: a constant, one entry).
    leaf_column: Any
    # Criterion c's program is ops[op_start[c]:op_start[c + 1]].
    ops: Any
    op_start: Any
    # Policy p's criteria (in the order they are read) are crits[crit_start[p]:...].
    crits: Any
    crit_start: Any
    # The leaf of each policy's amount (0 known, 2 unknown, 3 error).
    amount_leaf: Any
    # Per criterion: its nearness (ALWAYS, NEVER, MARGIN) and, for MARGIN, the criterion
    # (a program like the others) of its relaxed rule.
    near_kind: Any = None
    near_crit: Any = None
    # Per entry of ``crits``: the criterion's position among its policy's checked ones.
    crit_pos: Any = None
    policy_ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        criteria = len(self.op_start) - 1
        if self.near_kind is None:
            self.near_kind = np.full(criteria, NEVER, dtype=np.int8)
        if self.near_crit is None:
            self.near_crit = np.full(criteria, -1, dtype=np.int32)
        if self.crit_pos is None:
            self.crit_pos = np.zeros(len(self.crits), dtype=np.int32)

    @property
    def words(self) -> int:
        return (self.n + 31) // 32

    def digest(self) -> str:
        """sha-256 over every array of the plan and its column and policy ids."""
        h = hashlib.sha256("\0".join([*self.columns, "", *self.policy_ids]).encode())
        for a in (
            self.tables,
            self.table_start,
            self.leaf_column,
            self.ops,
            self.op_start,
            self.crits,
            self.crit_start,
            self.crit_pos,
            self.amount_leaf,
            self.near_kind,
            self.near_crit,
            *self.buckets,
        ):
            arr = np.ascontiguousarray(a)
            h.update(f"{arr.dtype.str}{arr.shape}".encode())
            h.update(arr.tobytes())
        return h.hexdigest()

    def save(self, path: Path) -> None:
        arrays = {f"bucket_{i}": b for i, b in enumerate(self.buckets)}
        np.savez_compressed(
            path,
            n=np.int64(self.n),
            columns=np.array(self.columns, dtype=object).astype(str),
            policy_ids=np.array(self.policy_ids, dtype=object).astype(str),
            tables=self.tables,
            table_start=self.table_start,
            leaf_column=self.leaf_column,
            ops=self.ops,
            op_start=self.op_start,
            crits=self.crits,
            crit_start=self.crit_start,
            amount_leaf=self.amount_leaf,
            near_kind=self.near_kind,
            near_crit=self.near_crit,
            crit_pos=self.crit_pos,
            **arrays,
        )

    @classmethod
    def load(cls, path: Path) -> FusedPlan:
        with np.load(path) as z:
            columns = [str(c) for c in z["columns"]]
            return cls(
                n=int(z["n"]),
                buckets=[z[f"bucket_{i}"] for i in range(len(columns))],
                columns=columns,
                tables=z["tables"],
                table_start=z["table_start"],
                leaf_column=z["leaf_column"],
                ops=z["ops"],
                op_start=z["op_start"],
                crits=z["crits"],
                crit_start=z["crit_start"],
                amount_leaf=z["amount_leaf"],
                near_kind=z["near_kind"],
                near_crit=z["near_crit"],
                crit_pos=z["crit_pos"],
                policy_ids=[str(p) for p in z["policy_ids"]],
            )


@dataclass
class FusedResult:
    """Bitmaps (outcome, policy, word) of uint32 and counts (policy, outcome); or, in
    place of the bitmaps, the rows themselves: those of (outcome k, policy p) are
    ``flat[offsets[k * policies + p] : offsets[k * policies + p + 1]]``."""

    bits: Any
    counts: Any
    flat: Any = None
    offsets: Any = None

    def rows(self, outcome: str, policy: int) -> Any:
        """The rows of one policy with one outcome, ascending."""
        if self.flat is not None:
            i = OUTCOMES.index(outcome) * len(self.counts) + policy
            return self.flat[self.offsets[i] : self.offsets[i + 1]]
        words = np.ascontiguousarray(self.bits[OUTCOMES.index(outcome), policy])
        # Only the words with a bit set are unpacked: most of a policy's words are empty.
        full = np.flatnonzero(words)
        flags = np.unpackbits(words[full].view(np.uint8), bitorder="little")
        at = np.flatnonzero(flags)
        return full[at // 32] * 32 + at % 32

    def digest(self) -> str:
        return hashlib.sha256(np.ascontiguousarray(self.bits).tobytes()).hexdigest()


# ---------------------------------------------------------------------- NumPy
_NOT = np.array([FAILS, HOLDS, UNKNOWN], dtype=np.uint8)


def and3(a: Any, b: Any) -> Any:
    return np.where((a == FAILS) | (b == FAILS), np.uint8(FAILS), np.maximum(a, b))


def or3(a: Any, b: Any) -> Any:
    either = (a == UNKNOWN) | (b == UNKNOWN)
    return np.where(
        (a == HOLDS) | (b == HOLDS),
        np.uint8(HOLDS),
        np.where(either, np.uint8(UNKNOWN), np.uint8(FAILS)),
    )


class _NumpyRun:
    def __init__(self, plan: FusedPlan) -> None:
        self.plan = plan
        self.full: dict[int, Any] = {}

    def leaf(self, i: int, rows: Any) -> Any:
        p = self.plan
        table = p.tables[p.table_start[i] : p.table_start[i + 1]]
        col = int(p.leaf_column[i])
        if col < 0:
            return np.full(p.n if rows is None else len(rows), table[0], dtype=np.uint8)
        if rows is None:
            found = self.full.get(i)
            if found is None:
                found = self.full[i] = table[p.buckets[col]]
            return found
        return table[p.buckets[col][rows]]

    def criterion(self, c: int, rows: Any) -> Any:
        p = self.plan
        stack: list[Any] = []
        for op in p.ops[p.op_start[c] : p.op_start[c + 1]].tolist():
            if op >= 0:
                stack.append(self.leaf(op, rows))
            elif op == NOT:
                stack.append(_NOT[stack.pop()])
            else:
                b, a = stack.pop(), stack.pop()
                stack.append(and3(a, b) if op == AND else or3(a, b))
        (codes,) = stack
        return codes

    def graded(self, c: int, rows: Any) -> Any:
        """Criterion ``c``'s codes with its nearness: a failure that is never a near miss
        is HARD (3), as ``criteria.criterion_codes`` grades it."""
        p = self.plan
        codes = self.criterion(c, rows)
        kind = int(p.near_kind[c])
        if kind == ALWAYS:
            return codes
        codes = codes.copy()
        failing = np.flatnonzero(codes == FAILS)
        if kind == NEVER:
            codes[failing] = HARD
        elif len(failing):
            at = failing if rows is None else rows[failing]
            near = self.criterion(int(p.near_crit[c]), at)
            codes[failing[near != HOLDS]] = HARD
        return codes

    def policy(self, q: int) -> tuple[Any, Any, Any]:
        """The rows of policy ``q`` that are eligible, need data, are in error."""
        p = self.plan
        rows: Any = None
        unknown: Any = None
        for c in p.crits[p.crit_start[q] : p.crit_start[q + 1]].tolist():
            codes = self.criterion(c, rows)
            keep = np.flatnonzero(codes != FAILS)
            rows = keep if rows is None else rows[keep]
            got = codes[keep] == UNKNOWN
            unknown = got if unknown is None else unknown[keep] | got
            if not len(rows):
                break
        if rows is None:
            rows = np.arange(p.n)
            unknown = np.zeros(p.n, dtype=bool)
        return self._outcomes(q, rows, unknown, np.zeros(0, dtype=np.int64))

    def policy_near(self, q: int) -> tuple[Any, Any, Any, Any]:
        """As ``policy``, keeping near misses: every row's criteria are graded."""
        p = self.plan
        fails = np.zeros(p.n, dtype=np.int8)
        unknown = np.zeros(p.n, dtype=bool)
        for c in p.crits[p.crit_start[q] : p.crit_start[q + 1]].tolist():
            codes = self.graded(c, None)
            fails += (codes == FAILS).astype(np.int8) + 2 * (codes == HARD).astype(np.int8)
            unknown |= codes == UNKNOWN
        alive = np.flatnonzero(fails == 0)
        near = np.flatnonzero((fails == 1) & ~unknown)
        return self._outcomes(q, alive, unknown[alive], near)

    def _outcomes(self, q: int, rows: Any, unknown: Any, near: Any) -> Any:
        p = self.plan
        clean = rows[~unknown]
        amount = self.leaf(int(p.amount_leaf[q]), clean)
        eligible = clean[amount == HOLDS]
        error = clean[amount == ERROR]
        needs = np.sort(np.concatenate([rows[unknown], clean[amount == UNKNOWN]]))
        return eligible, needs, error, near


def _bitmap(rows: Any, n: int, words: int) -> Any:
    flags = np.zeros(words * 32, dtype=bool)
    flags[rows] = True
    return np.packbits(flags, bitorder="little").view(np.uint32)


def run_numpy(plan: FusedPlan, *, near_misses: bool = False) -> FusedResult:
    """The plan evaluated on the CPU, policy by policy (the fused kernel's reference)."""
    run = _NumpyRun(plan)
    policies = len(plan.crit_start) - 1
    bits = np.zeros((len(OUTCOMES), policies, plan.words), dtype=np.uint32)
    counts = np.zeros((policies, len(OUTCOMES)), dtype=np.int64)
    for q in range(policies):
        for k, rows in enumerate(run.policy_near(q) if near_misses else run.policy(q)):
            bits[k, q] = _bitmap(rows, plan.n, plan.words)
            counts[q, k] = len(rows)
    return FusedResult(bits, counts)

"""One policy over the array frame: the rows bulk matching keeps, as small integers.

The same rows and the same four integers as DuckDB's ``compact_query``: ``rid``
(the frame row), ``status`` (its index in STATUSES) and ``detail`` (the amount in
fen of an eligible row, the failing criterion of a near miss, the mask of unknown
criteria of a needs-data row, 0 for an error).

Narrowing: a policy starts from the rows an index leaves (``starts``: the rows of a
value, a range of a sorted column, a list member; ``ranges``: the runs of rows of the
districts and sections it names), when they are few, and reads every row otherwise.
Its criteria are then taken most selective first (from every row: scope criteria
first). A row leaves as soon as it cannot be kept: a criterion fails
that is never a near miss (``compile/nearness``), two criteria fail, or one fails and
another is unknown (without near misses: any failure). Later criteria are evaluated
only on the rows still alive, and the amount only on the rows where every criterion
holds.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from huiqi.engine.array.columns import Frame
from huiqi.engine.array.criteria import (
    FAILS,
    HARD,
    HOLDS,
    UNKNOWN,
    CriterionStore,
    criterion_codes,
    key_of,
)
from huiqi.engine.array.evaluate import Evaluator
from huiqi.engine.array.money import to_fen
from huiqi.engine.array.ranges import policy_ranges
from huiqi.engine.array.starts import Start, criterion_start
from huiqi.engine.array.values import everywhere
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.results import AMOUNT_TOO_LARGE, STATUSES, Evaluation

ELIGIBLE, NEAR_MISS, NEEDS_DATA, NOT_ELIGIBLE, ERROR = range(len(STATUSES))


@dataclass
class PolicyRows:
    rid: Any
    status: Any
    detail: Any


def narrowing_order(cp: CompiledPolicy, store: CriterionStore) -> list[int]:
    checked = cp.checked
    return sorted(
        range(len(checked)), key=lambda i: (not checked[i].scope, store.selectivity(checked[i]))
    )


# A row's state while its policy narrows is one 64-bit word, the sum over its criteria
# of what each code adds (``_adds``): the failure count in bits 0-5 (a failure that is
# never a near miss, code HARD, counts two, so the row leaves at once), the sum of the failing criteria's
# indexes in bits 8-13 (the one failure of a near miss names itself), the unknown
# criteria's mask from bit 16. A row leaves at two failures, so no field carries.
_FAILS = np.uint64(63)
_NO_INDEX = np.uint64(~(63 << 8) & (2**64 - 1))
_INDEX_SHIFT, _MASK_SHIFT = np.uint64(8), np.uint64(16)


@functools.cache
def _adds(i: int) -> Any:
    return np.array([0, 1 | (i << 8), 1 << (16 + i), 2], dtype=np.uint64)


def _kept(word: Any) -> Any:
    """Where a row is still worth keeping: no failure, or one failure and nothing unknown."""
    plain = word & _NO_INDEX
    return ((plain & _FAILS) == 0) | (plain == 1)


# The first criteria are read together over every row, as one small code each: their
# combined code (at most 3^3 values) says through a table whether the row survives
# them, so the 64-bit words are built only for the rows that do.
CODES = 4
HEAD = 3


def _head(cp: CompiledPolicy, store: CriterionStore, order: list[int]) -> list[int]:
    checked = cp.checked
    head = order[:1]
    if checked[order[0]].scope and store.selectivity(checked[order[0]]) < 0.25:
        return head  # a narrow scope: the rest is read only for the rows inside it
    for i in order[1:HEAD]:
        if not store.is_full(checked[i]):
            break
        head.append(i)
    return head


# A policy starts from the rows an index gives for one of its criteria (``starts``)
# when they are fewer than this share of all rows; above it, a scan of codes is cheaper.
INDEX_BELOW = 0.3


def _no_failure(word: Any) -> Any:
    return (word & _FAILS) == 0


def best_start(cp: CompiledPolicy, frame: Frame, *, near_misses: bool) -> tuple[int, Start] | None:
    """The criterion whose index leaves the fewest rows, with them (None: no index)."""
    best: tuple[int, Start] | None = None
    for i, crit in enumerate(cp.checked):
        found = criterion_start(crit, frame, near_misses=near_misses)
        if found is not None and (best is None or found.count < best[1].count):
            best = (i, found)
    return best


def start_rows(
    cp: CompiledPolicy, frame: Frame, *, near_misses: bool
) -> tuple[Any, list[int], frozenset[int]] | None:
    """Where ``cp`` starts when an index leaves few rows (None: scan every row): the rows
    (ascending), the criterion they come from (to read first) and the criteria every one
    of them passes (not read: ``ranges``)."""
    # The same criteria start the same way: kept with the frame.
    key = (tuple(key_of(c) for c in cp.checked), near_misses)
    plan = frame.plans.get(key)
    if plan is None:
        plan = frame.plans[key] = (
            best_start(cp, frame, near_misses=near_misses),
            policy_ranges(cp, frame, near_misses=near_misses),
        )
    start, ranged = plan
    sizes = [found.count for found in (start and start[1], ranged) if found is not None]
    if not sizes or min(sizes) >= INDEX_BELOW * frame.rows:
        return None
    implied = ranged.implied if ranged is not None else frozenset()
    if start is not None and (ranged is None or start[1].count < ranged.count):
        rows = start[1].rows()
        if start[1].holds_all:
            implied = implied | {start[0]}
        first = [] if start[0] in implied else [start[0]]
        return (rows if ranged is None else ranged.within(rows)), first, implied
    assert ranged is not None
    return ranged.rows(), [], implied


def _narrow(
    cp: CompiledPolicy, store: CriterionStore, rows: Any, reads: list[int], word: Any
) -> tuple[Any, Any]:
    """Without near misses: ``rows`` (with their ``word``; None: all zero) narrowed by
    criteria ``reads`` in turn, a row leaving at its first failure. A word is kept only
    once a criterion is unknown somewhere (else every row left holds every criterion)."""
    for i in reads:
        if not len(rows):
            break
        passes, codes = store.passes(cp.checked[i], rows)
        keep = np.flatnonzero(passes)
        if len(keep) < len(rows):
            rows = rows[keep]
            word = word[keep] if word is not None else None
            codes = codes[keep] if codes is not None else None
        if codes is not None:
            if word is None:
                word = np.zeros(len(rows), dtype=np.uint64)
            word += _adds(i)[codes]
    return rows, word


def _scan(cp: CompiledPolicy, store: CriterionStore, order: list[int]) -> tuple[Any, Any]:
    """Without near misses and without a start: the first criteria (``_head``) read over
    every row as codes, a row passing where none fails (an even code), then narrowed."""
    checked = cp.checked
    head = _head(cp, store, order)
    if len(head) == 1:  # booleans where it is not kept: no codes over every row
        passes, code = store.passes(checked[head[0]], None)
        rows = np.flatnonzero(passes)
        word = None
        if code is not None and not store.unknown_free(checked[head[0]]):
            got = code[rows]
            if got.any():
                word = _adds(head[0])[got]
        return _narrow(cp, store, rows, order[1:], word)
    codes = [store.codes(checked[i], None, nearness=False) for i in head]
    combined = codes[0]
    for code in codes[1:]:
        combined = combined | code
    rows = np.flatnonzero((combined & np.uint8(1)) == 0)
    word = None
    for i, code in zip(head, codes, strict=True):
        if store.unknown_free(checked[i]):
            continue
        got = code[rows]  # holds (0) or unknown (2)
        if got.any():
            word = np.zeros(len(rows), dtype=np.uint64) if word is None else word
            word += _adds(i)[got]
    return _narrow(cp, store, rows, order[len(head) :], word)


def match_policy(
    cp: CompiledPolicy, store: CriterionStore, frame: Frame, *, near_misses: bool = True
) -> PolicyRows:
    """The kept rows of ``cp`` (raises ``Unsupported`` when a part needs DuckDB).

    Without ``near_misses`` only eligible, needs-data and error rows are kept (a row
    leaves at its first failure): what bulk matching needs once near misses are
    computed per enterprise on demand; the benchmark measures it, ``match`` does not
    use it yet.
    """
    kept = _kept if near_misses else _no_failure
    checked = cp.checked
    order = narrowing_order(cp, store)
    rows: Any = None  # the rows still alive (None: all of them)
    word: Any = None
    start = start_rows(cp, frame, near_misses=near_misses) if order else None
    if start is not None:
        # Every row outside the start fails a criterion and leaves: read only those.
        rows, first, implied = start
        order = sorted(order, key=lambda i: store.selectivity(checked[i]))
        reads = [*first, *(i for i in order if i not in first and i not in implied)]
        if not near_misses:
            rows, word = _narrow(cp, store, rows, reads, None)
        else:
            word = np.zeros(len(rows), dtype=np.uint64)
            for i in reads:
                if not len(rows):
                    break
                word += _adds(i)[store.codes(checked[i], rows)]
                keep = np.flatnonzero(kept(word))
                if len(keep) < len(rows):
                    rows, word = rows[keep], word[keep]
    elif order and not near_misses:
        rows, word = _scan(cp, store, order)
    elif order:
        head = _head(cp, store, order)
        adds = [_adds(i) for i in head]
        codes = [store.codes(checked[i], None) for i in head]
        combined = codes[0]
        for code in codes[1:]:
            combined = combined * np.uint8(CODES) + code
        table = np.array(
            [
                bool(kept(sum(a[c] for a, c in zip(adds, cs, strict=True))))
                for cs in itertools.product(range(CODES), repeat=len(head))
            ]
        )
        rows = np.flatnonzero(table[combined])
        word = adds[0][codes[0][rows]]
        for a, code in zip(adds[1:], codes[1:], strict=True):
            word += a[code[rows]]
        for i in order[len(head) :]:
            word += _adds(i)[store.codes(checked[i], rows)]
            keep = np.flatnonzero(kept(word))
            if len(keep) < len(word):
                rows, word = rows[keep], word[keep]
    if rows is None:
        rows = np.arange(frame.rows)
    clean: Any
    if word is None:  # every row left holds every criterion
        status = np.empty(len(rows), dtype=np.uint8)
        detail = np.zeros(len(rows), dtype=np.int64)
        clean, n_clean = slice(None), len(rows)
    else:
        near = (word & _FAILS) == 1
        status = np.where(near, np.uint8(NEAR_MISS), np.uint8(NEEDS_DATA))
        detail = np.where(near, (word >> _INDEX_SHIFT) & _FAILS, word >> _MASK_SHIFT)
        detail = detail.astype(np.int64)
        clean = np.flatnonzero(word == 0)
        n_clean = len(clean)
    if n_clean:
        whole = n_clean == frame.rows
        yuan = Evaluator(frame, None if whole else rows[clean]).ev(cp.amount)
        fen = to_fen(cp, yuan, n_clean)
        if everywhere(yuan.known) and not fen.error.any():  # every amount known
            status[clean] = np.uint8(ELIGIBLE)
            detail[clean] = fen.fen
        else:
            status[clean] = np.where(
                fen.error,
                np.uint8(ERROR),
                np.where(fen.known, np.uint8(ELIGIBLE), np.uint8(NEEDS_DATA)),
            )
            detail[clean] = np.where(fen.known, fen.fen, 0)
    return PolicyRows(rows.astype(np.int32), status, detail)


def evaluate_rows(cp: CompiledPolicy, frame: Frame, rows: Any = None) -> list[Evaluation]:
    """Every row's status, amount and criterion values (``evaluation_query`` with keep_all:
    a failure that is not actionable is never a near miss)."""
    ev = Evaluator(frame, rows)
    checked = cp.checked
    codes = [criterion_codes(c, frame, rows) for c in checked]
    yuan = ev.ev(cp.amount)
    fen = to_fen(cp, yuan, ev.n)
    yuan_data = np.broadcast_to(np.asarray(yuan.data), (ev.n,))
    yuan_known = np.broadcast_to(np.asarray(yuan.known), (ev.n,))
    ids = [c.id for c in checked]
    uscc = frame.uscc.to_pylist() if rows is None else frame.uscc.take(pa.array(rows)).to_pylist()
    value_of = {HOLDS: True, FAILS: False, UNKNOWN: None, HARD: False}
    out = []
    for r in range(ev.n):
        values = tuple(value_of[int(c[r])] for c in codes)
        failed = tuple(i for i, v in zip(ids, values, strict=True) if v is False)
        unknown = tuple(i for i, v in zip(ids, values, strict=True) if v is None)
        scope_failed = any(int(c[r]) == HARD for c in codes)
        error = bool(fen.error[r])
        if not failed and not unknown and error:
            status = "error"
        elif not failed and not unknown and fen.known[r]:
            status = "eligible"
        elif not failed:
            status = "needs_data"
        elif len(failed) == 1 and not unknown and not scope_failed:
            status = "near_miss"
        else:
            status = "not_eligible"
        amount_yuan = None
        if yuan.kind != "null" and yuan_known[r]:
            amount_yuan = Decimal(int(yuan_data[r])).scaleb(-yuan.scale)
        out.append(
            Evaluation(
                uscc=uscc[r],
                policy_id=cp.policy.id,
                status=status,
                amount_fen=int(fen.fen[r]) if fen.known[r] else None,
                values=values,
                failed=failed,
                unknown=unknown,
                amount_yuan=amount_yuan,
                error=AMOUNT_TOO_LARGE if status == "error" else None,
            )
        )
    return out

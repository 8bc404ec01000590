"""One policy over the array frame: the rows bulk matching keeps, as small integers.

The same rows and the same four integers as DuckDB's ``compact_query``: ``rid``
(the frame row), ``status`` (its index in STATUSES) and ``detail`` (the amount in
fen of an eligible row, the failing criterion of a near miss, the mask of unknown
criteria of a needs-data row, 0 for an error).

Narrowing: the criteria are taken most selective first (scope criteria, then the
shared criteria by the share of rows where they hold, then the others). A row
leaves as soon as it cannot be kept: a scope criterion fails, two criteria fail, or
one fails and another is unknown. Later criteria are evaluated only on the rows
still alive, and the amount only on the rows where every criterion holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from huiqi.engine.array.columns import Frame
from huiqi.engine.array.criteria import FAILS, HOLDS, UNKNOWN, CriterionStore, codes_of
from huiqi.engine.array.evaluate import Evaluator
from huiqi.engine.array.money import to_fen
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


def match_policy(cp: CompiledPolicy, store: CriterionStore, frame: Frame) -> PolicyRows:
    """The kept rows of ``cp`` (raises ``Unsupported`` when a part needs DuckDB)."""
    checked = cp.checked
    rows = np.arange(frame.rows, dtype=np.int64)
    whole = True  # no row has left yet: read codes without gathering
    nfail = np.zeros(frame.rows, dtype=np.uint8)
    failed = np.zeros(frame.rows, dtype=np.int64)
    mask = np.zeros(frame.rows, dtype=np.int64)
    for i in narrowing_order(cp, store):
        code = store.codes(checked[i], None if whole else rows)
        unknown = code == UNKNOWN
        if unknown.any():
            mask |= unknown.astype(np.int64) << np.int64(i)
        fails = code == FAILS
        if not checked[i].scope:
            nfail += fails
            failed = np.where(fails, np.int64(i), failed)
        keep = (nfail == 0) | ((nfail == 1) & (mask == 0))
        if checked[i].scope:
            keep &= ~fails
        if not keep.all():
            rows, nfail, failed, mask = rows[keep], nfail[keep], failed[keep], mask[keep]
            whole = False
    clean = (nfail == 0) & (mask == 0)
    status = np.where(nfail == 1, np.uint8(NEAR_MISS), np.uint8(NEEDS_DATA)).astype(np.uint8)
    detail = np.where(nfail == 1, failed, mask)
    if clean.any():
        where = np.flatnonzero(clean)
        candidates = rows[where]
        yuan = Evaluator(frame, None if whole and len(where) == frame.rows else candidates).ev(
            cp.amount
        )
        fen = to_fen(cp, yuan, len(where))
        status[where] = np.where(
            fen.error,
            np.uint8(ERROR),
            np.where(fen.known, np.uint8(ELIGIBLE), np.uint8(NEEDS_DATA)),
        )
        detail[where] = np.where(fen.known, fen.fen, 0)
    return PolicyRows(rows.astype(np.int32), status, detail.astype(np.int64))


def evaluate_rows(cp: CompiledPolicy, frame: Frame, rows: Any = None) -> list[Evaluation]:
    """Every row's status, amount and criterion values (``evaluation_query`` with keep_all:
    a failing scope criterion is a failure that is never a near miss)."""
    ev = Evaluator(frame, rows)
    checked = cp.checked
    codes = [codes_of(ev.boolean(c.tree)) for c in checked]
    yuan = ev.ev(cp.amount)
    fen = to_fen(cp, yuan, ev.n)
    yuan_data = np.broadcast_to(np.asarray(yuan.data), (ev.n,))
    yuan_known = np.broadcast_to(np.asarray(yuan.known), (ev.n,))
    ids = [c.id for c in checked]
    uscc = frame.uscc.to_pylist() if rows is None else frame.uscc.take(pa.array(rows)).to_pylist()
    value_of = {HOLDS: True, FAILS: False, UNKNOWN: None}
    out = []
    for r in range(ev.n):
        values = tuple(value_of[int(c[r])] for c in codes)
        failed = tuple(i for i, v in zip(ids, values, strict=True) if v is False)
        unknown = tuple(i for i, v in zip(ids, values, strict=True) if v is None)
        scope_failed = any(c.scope and v is False for c, v in zip(checked, values, strict=True))
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

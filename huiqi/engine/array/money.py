"""Amounts in exact fen from the formula's array value, as DuckDB's money path gives them.

Clamp to [floor, cap] (floor 0 by default), round half up once to the fen, as
integers scaled by a power of ten: no float ever touches money. Where the policy's
amount can reach 10^16 yuan (``duckdb.amount.amount_overflow`` is not FALSE itself), a row
whose clamped amount reaches it is an error, exactly where DuckDB marks one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from sqlglot import exp

from huiqi.engine.array import values as V
from huiqi.engine.array.evaluate import round_half_away
from huiqi.engine.array.values import Unsupported, Val
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.duckdb.amount import AMOUNT_LIMIT_YUAN, amount_overflow, yuan_of


@dataclass
class Fen:
    """Per row: the amount in fen (meaningful where ``known``) and the rows in error."""

    fen: Any
    known: Any
    error: Any


def _scale(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _scaled(value: Decimal, scale: int) -> int:
    return int(value.scaleb(scale))


# Per policy object (by id, kept with it): rendering the rule costs more than matching a
# small policy.
_OVERFLOW: dict[int, tuple[CompiledPolicy, bool]] = {}


def may_overflow(cp: CompiledPolicy) -> bool:
    """Whether a row's amount can reach the limit (the rule ``duckdb.amount.amount_overflow`` uses)."""
    found = _OVERFLOW.get(id(cp))
    if found is None or found[0] is not cp:
        found = _OVERFLOW[id(cp)] = (
            cp,
            not isinstance(amount_overflow(cp, yuan_of(cp)), exp.Boolean),
        )
    return found[1]


def to_fen(cp: CompiledPolicy, yuan: Val, n: int) -> Fen:
    """The amount of ``n`` rows in fen, from the formula's value ``yuan``."""
    if yuan.kind == "null":
        zero = np.zeros(n, dtype=np.int64)
        return Fen(zero, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))
    if yuan.kind != "num":
        raise Unsupported(f"an amount of kind {yuan.kind}")
    spec = cp.policy.amount
    floor = spec.floor if spec.floor is not None else Decimal(0)
    bounds = [floor, *([spec.cap] if spec.cap is not None else [])]
    scale = max(yuan.scale, *(_scale(b) for b in bounds))
    value = np.broadcast_to(V.rescale(yuan, scale), (n,))
    for b in bounds:
        if abs(_scaled(b, scale)) > V.LIMIT:
            raise V.Overflow("a floor or cap beyond 64 bits")
    lo = np.int64(_scaled(floor, scale))
    hi = np.int64(_scaled(spec.cap, scale)) if spec.cap is not None else None
    clamped = np.maximum(value, lo) if hi is None else np.clip(value, lo, hi)
    known = np.broadcast_to(np.asarray(yuan.known), (n,))
    error = np.zeros(n, dtype=bool)
    if may_overflow(cp):
        limit = _scaled(AMOUNT_LIMIT_YUAN, scale)
        if limit <= V.LIMIT:
            error = known & (clamped >= np.int64(limit))
            known = known & ~error
    fen = clamped_fen(clamped, scale, int(lo), None if hi is None else int(hi), known)
    return Fen(np.asarray(fen, dtype=np.int64), known, error)


def clamped_fen(clamped: Any, scale: int, lo: int, hi: int | None, known: Any) -> Any:
    """Amounts clamped to [lo, hi] at ``scale`` in fen, rounded half away from zero. With
    a cap the bounds say that no step leaves 64 bits, so no value is read for it; a
    non-negative amount rounds half up in two passes."""
    bound = None if hi is None else max(abs(lo), abs(hi))
    if scale <= 2:
        factor = 10 ** (2 - scale)
        if bound is not None and bound * factor <= V.LIMIT:
            return clamped * np.int64(factor) if factor > 1 else clamped
        return V.rescale(Val("num", np.where(known, clamped, 0), known, scale=scale), 2)
    step = 10 ** (scale - 2)
    if bound is not None and lo >= 0 and bound + step // 2 <= V.LIMIT:
        return (clamped + np.int64(step // 2)) // np.int64(step)
    return round_half_away(clamped, scale - 2)

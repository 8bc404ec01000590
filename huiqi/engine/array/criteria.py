"""Criterion codes, each distinct criterion evaluated once across all policies of a run.

A criterion's *code* per row is 0 (holds), 1 (fails, actionably), 2 (unknown) or 3
(fails, never a near miss: ``compile/nearness``), one byte. A criterion is known by its
canonical tree text with its nearness, so the same test written into many
policies (the library and generated sets share many) is one entry. Criteria read
by two or more policies, and scope criteria, are evaluated once over every row and
kept; a criterion of one policy alone is evaluated only on the rows still alive
when its turn comes (``match``). The share of rows where a kept criterion holds is
its selectivity, which orders the narrowing.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlglot import exp

from huiqi.engine.array.columns import Frame
from huiqi.engine.array.evaluate import Evaluator
from huiqi.engine.array.values import Unsupported, Val, everywhere
from huiqi.engine.compile.compiler import CompiledCriterion, CompiledPolicy

HOLDS, FAILS, UNKNOWN, HARD = 0, 1, 2, 3

# Canonical text per tree (rendering costs ~0.1 ms; a run asks for each many times).
_KEYS: dict[int, tuple[exp.Expression, str]] = {}


def key_of(crit: CompiledCriterion) -> str:
    assert crit.tree is not None
    cached = _KEYS.get(id(crit.tree))
    if cached is None or cached[0] is not crit.tree:
        cached = _KEYS[id(crit.tree)] = (crit.tree, crit.tree.sql())
    if crit.nearness == "always":
        return cached[1]
    if crit.nearness == "never" or crit.near is None:
        return f"{cached[1]} ~never"
    near = _KEYS.get(id(crit.near))
    if near is None or near[0] is not crit.near:
        near = _KEYS[id(crit.near)] = (crit.near, crit.near.sql())
    return f"{cached[1]} ~near {near[1]}"


def criterion_codes(crit: CompiledCriterion, frame: Frame, rows: Any) -> Any:
    """The codes of ``crit`` on ``rows`` of ``frame`` (None: every row), 0 to 3."""
    assert crit.tree is not None
    codes = codes_of(Evaluator(frame, rows).boolean(crit.tree))
    if crit.nearness == "always":
        return codes
    if crit.nearness == "never" or crit.near is None:
        codes[codes == FAILS] = HARD
        return codes
    failing = np.flatnonzero(codes == FAILS)
    if len(failing):
        at = failing if rows is None else np.asarray(rows)[failing]
        near = codes_of(Evaluator(frame, at).boolean(crit.near))
        codes[failing[near != HOLDS]] = HARD
    return codes


def codes_of(v: Val) -> Any:
    """A boolean Val as codes: 0 holds, 1 fails, 2 unknown."""
    data = np.ascontiguousarray(v.data, dtype=bool)
    if everywhere(v.known):  # no NULL: one pass
        return (~data).view(np.uint8)
    known = np.ascontiguousarray(v.known, dtype=bool)
    code = (~data & known).view(np.uint8)
    code |= (~known).view(np.uint8) << np.uint8(1)
    return code


# Rows read to estimate the selectivity of a criterion that is not evaluated over all.
SAMPLE = 16_384


class CriterionStore:
    """The codes of the criteria of one run over one frame.

    ``eager``: the shared criteria are evaluated over every row in ``prepare`` (bulk
    matching that keeps near misses reads most of them over most rows anyway).
    Otherwise a shared criterion is evaluated over every row only when a policy first
    asks for all rows, and kept; asked for some rows, it is evaluated on those.
    Either way a criterion whose selectivity is not known from every row is estimated
    on an evenly spread sample of rows.
    """

    def __init__(
        self, frame: Frame, policies: Sequence[CompiledPolicy], *, eager: bool = True
    ) -> None:
        self.frame = frame
        self.eager = eager
        uses = Counter(key_of(c) for cp in policies for c in cp.checked)
        self.shared = {k for k, n in uses.items() if n > 1}
        self.shared |= {key_of(c) for cp in policies for c in cp.checked if c.scope}
        self.full: dict[str, Any] = {}
        # Codes over every row without the relaxed rules read (``codes(nearness=False)``:
        # a failure coded 1 whether or not it is a near miss), for narrowing only.
        self.plain: dict[str, Any] = {}
        # Of the criteria in ``full`` or ``plain``, those unknown on no row.
        self.known: set[str] = set()
        self.holds: dict[str, float] = {}
        self.unsupported: dict[str, str] = {}
        self.evaluated = 0
        self._lock = threading.Lock()
        step = max(1, frame.rows // SAMPLE)
        self._sample = np.arange(0, frame.rows, step)

    def prepare(self, crit: CompiledCriterion) -> None:
        """Evaluate a shared criterion over every row once (``eager``), or estimate how
        selective a criterion is on a sample; remember if it cannot be evaluated."""
        key = key_of(crit)
        if key in self.full or key in self.unsupported or key in self.holds:
            return
        eager = self.eager and key in self.shared
        rows = None if eager else self._sample
        try:
            codes = criterion_codes(crit, self.frame, rows)
        except Unsupported as exc:
            self.unsupported[key] = str(exc)
            return
        if eager:
            with self._lock:
                self.evaluated += 1
            self._keep(key, codes)
        self.holds[key] = float(np.count_nonzero(codes == HOLDS)) / max(len(codes), 1)

    def estimate(self, crit: CompiledCriterion, share: float) -> None:
        """Take ``share`` (rows where it can hold, from an index) as its selectivity:
        ``prepare`` then reads no sample for it."""
        self.holds.setdefault(key_of(crit), share)

    def is_full(self, crit: CompiledCriterion) -> bool:
        """Whether its codes over every row are kept (or will be, on first use)."""
        key = key_of(crit)
        return key in self.full or key in self.plain or (not self.eager and key in self.shared)

    def selectivity(self, crit: CompiledCriterion) -> float:
        """The share of rows where it holds (1.0 when not known: last)."""
        return self.holds.get(key_of(crit), 1.0)

    def codes(self, crit: CompiledCriterion, rows: Any, *, nearness: bool = True) -> Any:
        """Codes of ``crit`` on ``rows`` (an index array; None: every row). Without
        ``nearness`` a failure may be coded 1 where it is never a near miss (3): for
        narrowing that drops every failing row, the relaxed rule is not read."""
        key = key_of(crit)
        if key in self.unsupported:
            raise Unsupported(self.unsupported[key])
        full = self.full.get(key)
        if full is None and not nearness:
            full = self.plain.get(key)
        if full is not None:
            return full if rows is None else full[rows]
        assert crit.tree is not None
        with self._lock:
            self.evaluated += 1
        if not nearness:
            codes = codes_of(Evaluator(self.frame, rows).boolean(crit.tree))
            if rows is None and key in self.shared:
                self._keep(key, codes, plain=True)
            return codes
        codes = criterion_codes(crit, self.frame, rows)
        if rows is None and key in self.shared:
            self._keep(key, codes)
        return codes

    def _keep(self, key: str, codes: Any, *, plain: bool = False) -> None:
        if not np.any(codes == UNKNOWN):
            self.known.add(key)
        (self.plain if plain else self.full)[key] = codes

    def unknown_free(self, crit: CompiledCriterion) -> bool:
        """Whether its codes over every row are kept and none is unknown."""
        return key_of(crit) in self.known

    def passes(self, crit: CompiledCriterion, rows: Any) -> tuple[Any, Any]:
        """For narrowing without near misses, on ``rows`` (an index array; None: every
        row): where ``crit`` holds or is unknown (booleans), and its codes there, or None
        when it is unknown on none of them (then a row that passes holds, and nothing is
        recorded)."""
        key = key_of(crit)
        if key in self.unsupported:
            raise Unsupported(self.unsupported[key])
        full = self.full.get(key)
        if full is None:
            full = self.plain.get(key)
        if full is None and rows is None and key in self.shared:
            full = self.codes(crit, None, nearness=False)  # kept for the other policies
        if full is not None:
            codes = full if rows is None else full[rows]
            if key in self.known:
                return codes == HOLDS, None
            return (codes & np.uint8(1)) == 0, codes
        assert crit.tree is not None
        with self._lock:
            self.evaluated += 1
        v = Evaluator(self.frame, rows).boolean(crit.tree)
        if everywhere(v.known):
            return np.asarray(v.data, dtype=bool), None
        codes = codes_of(v)
        return (codes & np.uint8(1)) == 0, codes

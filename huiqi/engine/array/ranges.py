"""Runs of rows: the held frame sorted by a few coded fields, a policy's scope as row ranges.

The numpy backend holds a snapshot's rows sorted by the coded fields most policies
name (``SORT_KEYS``: district, then industry section), then USCC. Each pair of
values is then one contiguous run of rows, and a policy that names some districts
or sections (``district_code IN (...)``, ``industry_section <> 'K'``...) can keep
only rows of a few runs: its *ranges*. A start found in another index (``starts``,
rows ascending) is cut to them by binary search, without reading a row.

The runs are read from the held columns, not assumed: where the rows are not
sorted so (a frame of a few enterprises) there are many runs and no ranges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from huiqi.engine.array.columns import Frame
from huiqi.engine.array.index import value_codes
from huiqi.engine.compile.compiler import CompiledPolicy

# The frame columns the held rows are sorted by, first to last, where a run reads them.
SORT_KEYS = ("district_code", "industry_section")

# More runs than this: the rows are not sorted by the keys; no ranges.
MAX_RUNS = 20_000


@dataclass(frozen=True)
class Runs:
    """Contiguous runs of equal key values: [start, end) and each key's code per run."""

    start: Any
    end: Any
    codes: dict[str, Any]


def runs_of(frame: Frame) -> Runs | None:
    """The frame's runs over the sort keys it holds (kept with the frame), or None."""
    if "runs" in frame.runs:
        return frame.runs["runs"]
    keys = [k for k in SORT_KEYS if k in frame.columns and frame.columns[k].kind == "cat"]
    found: Runs | None = None
    if keys and frame.rows:
        codes = {k: np.where(_known(frame, k), frame.columns[k].data, -1) for k in keys}
        change = np.zeros(frame.rows - 1, dtype=bool)
        for c in codes.values():
            change |= c[1:] != c[:-1]
        edges = np.flatnonzero(change) + 1
        if len(edges) < MAX_RUNS:
            start = np.concatenate([[0], edges])
            end = np.concatenate([edges, [frame.rows]])
            found = Runs(start, end, {k: c[start] for k, c in codes.items()})
    frame.runs["runs"] = found
    return found


def _known(frame: Frame, name: str) -> Any:
    col = frame.columns[name]
    return True if col.known is None else col.known


@dataclass(frozen=True)
class Ranges:
    """The rows a policy's tests on the sort keys leave: ranges [lo, hi), ascending."""

    lo: Any
    hi: Any
    # Criteria (indexes) the ranges decide alone: every row in them passes.
    implied: frozenset[int]

    @property
    def count(self) -> int:
        return int((self.hi - self.lo).sum())

    def rows(self) -> Any:
        if len(self.lo) == 0:  # no row has the values the policy names
            return np.arange(0)
        if len(self.lo) == 1:
            return np.arange(self.lo[0], self.hi[0])
        return np.concatenate([np.arange(a, b) for a, b in zip(self.lo, self.hi, strict=True)])

    def within(self, rows: Any) -> Any:
        """Those of ``rows`` (ascending) inside the ranges."""
        a, b = np.searchsorted(rows, self.lo), np.searchsorted(rows, self.hi)
        parts = [rows[i:j] for i, j in zip(a, b, strict=True) if j > i]
        return np.concatenate(parts) if parts else rows[:0]


def policy_ranges(cp: CompiledPolicy, frame: Frame, *, near_misses: bool) -> Ranges | None:
    """The ranges of ``cp``'s tests on the sort keys (None: it tests none of them)."""
    runs = runs_of(frame)
    if runs is None:
        return None
    chosen = np.ones(len(runs.start), dtype=bool)
    implied = set()
    for i, crit in enumerate(cp.checked):
        if crit.tree is None or (near_misses and crit.nearness == "always"):
            continue
        found = value_codes(crit.tree, frame)
        if found is None or found[0] not in runs.codes:
            continue
        name, codes = found
        # A NULL value is unknown: kept (needs data) unless another test drops it.
        chosen &= np.isin(runs.codes[name], [*codes, -1])
        if frame.columns[name].known is None:
            implied.add(i)
    if len(implied) == 0 and chosen.all():
        return None
    lo, hi = runs.start[chosen], runs.end[chosen]
    # Adjacent runs make one range.
    joined = np.flatnonzero(lo[1:] != hi[:-1]) + 1
    return Ranges(
        lo[np.concatenate([[0], joined])] if len(lo) else lo,
        hi[np.concatenate([joined - 1, [len(hi) - 1]])] if len(hi) else hi,
        frozenset(implied),
    )

"""The gap of each near miss, put on the explanation that shows it.

``huiqi explain``, the portal's explanation and the API's explain endpoint show one
enterprise's traces; a near miss's trace names the one criterion that fails, and this
adds to that criterion by how much (``shortfall.gap_json``, the key ``gap``), read from
the trace's own values (``nearmiss.near_miss_of``), never from a second evaluation. A
trace that is not a near miss, or whose failing criterion is a qualification the policy
marks attainable (no figure to close), is returned as it is. Traces are read-only: one
with a gap is a new trace.
"""

from __future__ import annotations

from collections.abc import Sequence

from huiqi.engine import CompiledPolicy, PolicyTrace
from huiqi.matching.nearmiss import near_miss_of
from huiqi.matching.shortfall import gap_json


def with_gap(cp: CompiledPolicy, trace: PolicyTrace) -> PolicyTrace:
    """``trace`` with its failing criterion's gap, when it is a near miss by a figure."""
    found = near_miss_of(cp, trace)
    if found is None or found.gap is None:
        return trace
    data = dict(trace.to_json())
    data["criteria"] = [
        {**c, "gap": gap_json(found.gap)} if c["id"] == found.criterion_id else c
        for c in data["criteria"]
    ]
    return PolicyTrace.from_json(data)


def with_gaps(policies: Sequence[CompiledPolicy], traces: list[PolicyTrace]) -> list[PolicyTrace]:
    """Each trace, a near miss's with its gap (``policies``: those the traces are of)."""
    by_key = {(cp.policy.id, cp.policy.version): cp for cp in policies}
    out = []
    for t in traces:
        cp = by_key.get((t.policy_id, t.version)) if t.status == "near_miss" else None
        out.append(t if cp is None else with_gap(cp, t))
    return out

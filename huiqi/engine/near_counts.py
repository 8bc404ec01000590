"""Near misses in bulk results: which rows are kept, and the counts every policy records.

A bulk run keeps eligible, needs-data and error rows for every policy, and near-miss
rows only for the policies whose delivery uses them: ``apply`` policies pre-fill an
application for a near miss too (``delivery/publish``). For every policy it records how
many enterprises miss each criterion alone (``near_miss_by_criterion`` on its
``PolicySummary``, and ``near_misses.parquet`` beside ``matches.parquet``): what an
officer's simulation shows. An enterprise's own near misses are computed for it on
demand (``matching/nearmiss``), never read from bulk rows.

Example:
    >>> from huiqi.engine.results import PolicySummary
    >>> s = PolicySummary("p", 1)
    >>> record_near_misses([s], [("p", "rd", 3), ("p", "revenue", 5)])
    >>> s.near_miss, s.near_miss_by_criterion
    (8, {'revenue': 5, 'rd': 3})
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.results import PolicySummary
from huiqi.fsmode import private_file

NEAR_MISSES_FILE = "near_misses.parquet"
NEAR_MISSES_SCHEMA = pa.schema(
    [
        ("policy_id", pa.string()),
        ("policy_version", pa.int32()),
        ("criterion", pa.string()),
        ("enterprises", pa.int64()),
    ]
)


def keeps_near_miss_rows(cp: CompiledPolicy) -> bool:
    """Whether bulk matching keeps this policy's near-miss rows (its delivery uses them)."""
    return cp.policy.delivery == "apply"


def record_near_misses(
    summaries: Sequence[PolicySummary], counts: Iterable[tuple[str, str, int]]
) -> None:
    """Set each summary's near misses from (policy_id, criterion id, enterprises) counts.

    ``near_miss`` is their total, whether or not the rows were kept; criteria are listed
    most missed first (then by id).
    """
    by_policy: dict[str, dict[str, int]] = {}
    for policy_id, criterion, n in counts:
        found = by_policy.setdefault(policy_id, {})
        found[criterion] = found.get(criterion, 0) + int(n)
    for s in summaries:
        found = by_policy.get(s.policy_id, {})
        s.near_miss_by_criterion = dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))
        s.near_miss = sum(found.values())


def top_near_misses(summaries: Sequence[PolicySummary], n: int) -> list[dict[str, object]]:
    """The ``n`` (policy, criterion) pairs most missed alone, as ``MatchRun.near_misses``."""
    pairs = [
        (count, s.policy_id, criterion)
        for s in summaries
        for criterion, count in s.near_miss_by_criterion.items()
    ]
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    return [{"policy_id": p, "criterion": c, "enterprises": k} for k, p, c in pairs[:n]]


def write_near_misses(out_dir: Path, summaries: Sequence[PolicySummary]) -> Path:
    """``out_dir/near_misses.parquet``: one row per policy and criterion missed alone."""
    rows = [
        {"policy_id": s.policy_id, "policy_version": s.version, "criterion": c, "enterprises": n}
        for s in summaries
        for c, n in s.near_miss_by_criterion.items()
    ]
    target = out_dir / NEAR_MISSES_FILE
    pq.write_table(pa.Table.from_pylist(rows, schema=NEAR_MISSES_SCHEMA), str(target))
    private_file(target)
    return target

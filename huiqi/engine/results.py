"""What evaluating and matching give back, whichever backend ran them.

* ``Evaluation``  one enterprise x one policy: the status, the amount in fen, each
  checked criterion's value (True / False / None = unknown);
* ``MatchRun``    a bulk run over a snapshot: per-policy counts, timings, where the
  matches were written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

# Every status, in the order bulk results encode them (0 eligible ... 3 not eligible, 4 error).
# ``error``: every criterion holds but the amount cannot be recorded (it reaches
# AMOUNT_LIMIT_YUAN), or the database failed on the row's data (a value outside its
# dictionary range: engine/duckdb/isolate); nothing is offered or granted on it.
STATUSES = ("eligible", "near_miss", "needs_data", "not_eligible", "error")
ERROR = "error"
# The statuses bulk matching keeps (a not-eligible row is not worth a row; an error is
# reported and counted). Near-miss rows are kept only for the policies whose delivery
# uses them (``near_counts.keeps_near_miss_rows``); every policy counts them.
KEPT = ("eligible", "near_miss", "needs_data", "error")
# The reason an eligible enterprise's amount is an error.
AMOUNT_TOO_LARGE = (
    "the amount reaches 10^16 yuan, more than huiqi records; check the data (an import error?)"
    " or give the policy a cap"
)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Evaluation:
    """One policy for one enterprise. ``values`` follows ``CompiledPolicy.checked``."""

    uscc: str
    policy_id: str
    status: str
    amount_fen: int | None
    values: tuple[bool | None, ...]
    failed: tuple[str, ...]
    unknown: tuple[str, ...]
    # The formula's value in yuan before the floor, the cap and rounding (None: unknown).
    amount_yuan: Decimal | None = None
    # Why the status is 'error'.
    error: str | None = None


@dataclass
class PolicySummary:
    policy_id: str
    version: int
    eligible: int = 0
    near_miss: int = 0
    needs_data: int = 0
    error: int = 0
    amount_fen: int = 0
    seconds: float = 0.0
    # Why rows are errors, one line per reason with its count ("3 rows: ..."; "1 row: ..."), if any.
    error_reasons: list[str] = field(default_factory=list)
    # Enterprises that miss each criterion alone (near misses), most missed first; counted
    # for every policy, kept as rows only for some (``near_counts``).
    near_miss_by_criterion: dict[str, int] = field(default_factory=dict)


@dataclass
class MatchRun:
    run_id: str
    snapshot_id: int
    enterprises: int
    policies: list[PolicySummary]
    frame_seconds: float
    match_seconds: float
    enterprises_with_match: int
    output_dir: Path
    near_misses: list[dict[str, object]] = field(default_factory=list)
    # Policies a backend handed to another one it could not evaluate them on exactly
    # (the array backend gives a construct it has no rule for to DuckDB): policy_id, reason.
    fallbacks: list[dict[str, str]] = field(default_factory=list)

    @property
    def evaluations(self) -> int:
        return self.enterprises * len(self.policies)

    @property
    def total_amount_fen(self) -> int:
        return sum(p.amount_fen for p in self.policies)

    @property
    def errors(self) -> int:
        """Enterprise x policy rows whose evaluation failed (status 'error')."""
        return sum(p.error for p in self.policies)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["output_dir"] = str(self.output_dir)
        data["evaluations"] = self.evaluations
        data["total_amount_fen"] = self.total_amount_fen
        data["errors"] = self.errors
        return data

"""The rule engine: compile policies, evaluate them on a backend, explain the results.

The engine is a library: it imports no CLI, no ledger and no web framework; they
call it. Its public API:

* compiling:  ``compile_policy(loaded)``, ``compile_library(library)``,
  ``CompiledPolicy``;
* backends:   ``get_backend(name="duckdb", **options)``, ``Backend``,
  ``register_backend``; data from ``open_snapshot(settings, snapshot_id=None)``;
* services:   ``run_matching``, ``explain``, ``snapshot_result_rows``,
  ``run_policy_tests``;
* results:    ``PolicyTrace`` (the one explanation type, with ``to_json`` /
  ``from_json``), ``Evaluation``, ``MatchRun``.
"""

from huiqi.engine.api import (
    ResultRow,
    explain,
    latest_run_dir,
    run_matching,
    snapshot_result_rows,
)
from huiqi.engine.backend import Backend, backend_names, get_backend, register_backend
from huiqi.engine.casetest import CaseResult, run_case, run_policy_tests
from huiqi.engine.compile.compiler import CompiledPolicy, compile_policy
from huiqi.engine.compile.library import CompiledLibrary, compile_library
from huiqi.engine.results import ERROR, KEPT, STATUSES, Evaluation, MatchRun, PolicySummary
from huiqi.engine.snapshot import Snapshot, open_snapshot
from huiqi.engine.trace import AmountTrace, CriterionTrace, PolicyTrace, ValueRead, ZeroDivisor

__all__ = [
    "ERROR",
    "KEPT",
    "STATUSES",
    "AmountTrace",
    "Backend",
    "CaseResult",
    "CompiledLibrary",
    "CompiledPolicy",
    "CriterionTrace",
    "Evaluation",
    "MatchRun",
    "PolicySummary",
    "PolicyTrace",
    "ResultRow",
    "Snapshot",
    "ValueRead",
    "ZeroDivisor",
    "backend_names",
    "compile_library",
    "compile_policy",
    "explain",
    "get_backend",
    "latest_run_dir",
    "open_snapshot",
    "register_backend",
    "run_case",
    "run_matching",
    "run_policy_tests",
    "snapshot_result_rows",
]

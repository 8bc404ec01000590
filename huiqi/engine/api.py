"""The engine's service functions: what the CLI, delivery and the web layer call.

Each opens the snapshot it needs (``open_snapshot``), asks a backend for the work
(``get_backend``, DuckDB by default) and returns neutral results: a ``MatchRun``,
``PolicyTrace``s. None of them imports a shell (CLI, ledger, web).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Collection, Sequence
from pathlib import Path

from huiqi.config import Settings
from huiqi.engine.backend import Backend, get_backend
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.results import KEPT, MatchRun, Progress
from huiqi.engine.snapshot import open_snapshot
from huiqi.engine.trace import PolicyTrace
from huiqi.errors import ConfigError, NotFoundError
from huiqi.fsmode import private_dir, write_private_text
from huiqi.profiles.uscc import validate

# Delivery's name for one enterprise's trace of one policy (a row it delivers).
ResultRow = PolicyTrace

# Up to this many chosen enterprises are evaluated in process (the "single" backend,
# which reads each one's row groups); more go to the bulk engine.
SINGLE_LIMIT = 1000


def _backend(backend: Backend | str | None, **options: object) -> Backend:
    if isinstance(backend, Backend):
        return backend
    return get_backend(backend or "duckdb", **{k: v for k, v in options.items() if v is not None})


def _run_id(snapshot_id: int) -> str:
    # Microseconds too: two runs in the same second must not share a directory.
    return f"{dt.datetime.now():%Y%m%d-%H%M%S-%f}-s{snapshot_id}-{os.getpid()}"


# Bulk matching's default: the array backend on NumPy, which gives DuckDB's rows exactly
# (the conformance suite) and matched 3.5 M enterprises x 709 policies 4.8 times faster
# (docs/benchmarks.md, "Array backend"); a policy it cannot evaluate goes to DuckDB.
BULK_DEFAULT = "numpy"


def bulk_backend(
    name: str = BULK_DEFAULT,
    *,
    memory_limit: str | None = None,
    master: str | None = None,
    url: str | None = None,
) -> Backend:
    """The backend ``name`` for a bulk run, with the options that apply to it: DuckDB's
    memory limit (also the array backend's, whose columns DuckDB builds), Spark's master
    URL (default: local mode), the database the postgres backend matches in (default:
    ``HUIQI_POSTGRES_URL``)."""
    if master and name != "spark":
        raise ConfigError("--master is the Spark master URL; give it with --backend spark")
    if memory_limit and name not in ("duckdb", "numpy"):
        raise ConfigError(
            f"--memory-limit is DuckDB's; the {name} backend's memory is set where it runs"
        )
    options = {"master": master, "memory_limit": memory_limit, "url": url}
    backend = get_backend(name, **{k: v for k, v in options.items() if v})
    if not backend.supports_bulk:
        raise ConfigError(f"the {name} backend does not match in bulk; use numpy, duckdb or spark")
    return backend


def run_matching(
    settings: Settings,
    policies: Sequence[CompiledPolicy],
    *,
    snapshot_id: int | None = None,
    backend: Backend | str | None = None,
    progress: Progress | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    top_near_misses: int = 10,
) -> MatchRun:
    """Match every policy against every enterprise of a snapshot (default: the latest).

    Writes ``runs/<run_id>/matches.parquet`` and ``summary.json``, and marks the run
    as the latest.
    """
    engine = _backend(backend, memory_limit=memory_limit, threads=threads)
    snapshot = open_snapshot(settings, snapshot_id)
    run_id = _run_id(snapshot.id)
    out_dir = settings.runs_dir / run_id
    private_dir(out_dir)
    run = engine.match(
        snapshot,
        policies,
        run_id=run_id,
        out_dir=out_dir,
        progress=progress,
        top_near_misses=top_near_misses,
    )
    summary = run.to_json()
    # Whom each policy is for, as its file says: an export of the run checks an officer's
    # scope against the policies matched, which need not be the library's.
    summary["scopes"] = {
        cp.policy.id: {
            "level": cp.policy.level,
            "region": cp.policy.region,
            "department": cp.policy.department.zh,
        }
        for cp in policies
    }
    write_private_text(out_dir / "summary.json", json.dumps(summary, ensure_ascii=False, indent=2))
    write_private_text(settings.runs_dir / "LATEST", run_id)
    return run


def latest_run_dir(settings: Settings) -> Path | None:
    marker = settings.runs_dir / "LATEST"
    if not marker.exists():
        return None
    return settings.runs_dir / marker.read_text(encoding="utf-8").strip()


def explain(
    settings: Settings,
    uscc: str,
    policies: Sequence[CompiledPolicy],
    *,
    snapshot_id: int | None = None,
    backend: Backend | str | None = None,
) -> list[PolicyTrace]:
    """Explain every given policy for one enterprise of a snapshot (default: the latest),
    in process (the "single" backend) unless ``backend`` says otherwise.

    Raises NotFoundError when the enterprise is not in the snapshot.
    """
    code = validate(uscc, prefixes=None)
    snapshot = open_snapshot(settings, snapshot_id)
    traces = _backend(backend or "single").trace(snapshot, policies, usccs=[code])
    if not traces and policies:
        raise NotFoundError(f"no enterprise with USCC {code} in this snapshot")
    return traces


def snapshot_result_rows(
    settings: Settings,
    cp: CompiledPolicy,
    *,
    snapshot_id: int | None = None,
    statuses: Collection[str] = KEPT,
    usccs: Sequence[str] | None = None,
    backend: Backend | str | None = None,
) -> tuple[int, list[PolicyTrace]]:
    """One policy over a snapshot (default: the latest), every enterprise or ``usccs``,
    with the statuses asked for: the snapshot id and the traces, ordered by USCC.

    Delivery delivers these rows and stores each one's JSON form (``explanation``);
    recomputation re-evaluates one grant with ``usccs=[uscc]`` and every status.
    """
    snapshot = open_snapshot(settings, snapshot_id)
    # A few enterprises (recomputing a grant) in process; a whole snapshot in bulk.
    chosen = backend or ("single" if usccs is not None and len(usccs) <= SINGLE_LIMIT else None)
    rows = _backend(chosen).trace(snapshot, [cp], usccs=usccs, statuses=statuses)
    return snapshot.id, rows

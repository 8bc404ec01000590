"""Benchmark bulk matching: synthetic enterprises x synthetic policies.

Steps (each measured phase runs in its own child process, so that the peak
RSS reported is that phase's own, DuckDB included):

1. a population of ``--enterprises`` enterprises in a profile store under
   ``--data-dir`` (reused when it already holds that many), built by
   ``huiqi.profiles.generate`` + ``importer.import_file`` when those exist and
   ``--population generate`` is asked, else synthesised directly in DuckDB SQL;
2. ``--policies`` synthetic policies (``huiqi.policies.synth``), compiled (parsing,
   checking, lowering) and prepared for DuckDB (``DuckDBBackend.prepare`` renders each
   policy's bulk SQL); timed together, on their own;
3. the engine's bulk matcher: frame build, then ``match_frame`` (one INSERT per policy);
4. the naive per-record Python evaluator (``pyeval.evaluate_policy``) on ``--sample``
   enterprises, for the evaluations-per-second ratio.

``--record`` appends the results to ``docs/benchmarks.md``.

    .venv/bin/python benchmarks/bench_matching.py --enterprises 1000000 --policies 100 --record
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import resource
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from huiqi.config import Settings  # noqa: E402
from huiqi.engine import CompiledPolicy, compile_policy, open_snapshot  # noqa: E402
from huiqi.engine.duckdb.backend import DuckDBBackend  # noqa: E402
from huiqi.engine.duckdb.evaluate import requirements  # noqa: E402
from huiqi.engine.duckdb.frame import FRAME, build_frame  # noqa: E402
from huiqi.engine.duckdb.matcher import PreparedPolicy, match_frame, parts_dir_for  # noqa: E402
from huiqi.engine.duckdb.profile_rows import read_profiles  # noqa: E402
from huiqi.engine.python.pyeval import evaluate_policy  # noqa: E402
from huiqi.policies.synth import synth_policies  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_population import populate, store_count  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"


# ---------------------------------------------------------------------- machine
def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": f"{ram:.1f} GiB",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "os": platform.platform(),
    }


def peak_rss_gib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def duckdb_memory_gib(con: duckdb.DuckDBPyConnection) -> float | None:
    try:
        row = con.execute("SELECT SUM(memory_usage_bytes) FROM duckdb_memory()").fetchone()
    except duckdb.Error:
        return None
    return float(row[0]) / 2**30 if row and row[0] is not None else None


def in_child(
    fn: Callable[..., dict[str, Any]], *args: Any, timeout: float | None = None
) -> dict[str, Any]:
    """Run ``fn(*args)`` in a fresh process so its peak RSS is its own; past ``timeout``
    seconds the child is terminated and ``multiprocessing.TimeoutError`` raised."""
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply_async(fn, args).get(timeout)


# ---------------------------------------------------------------------- phases
def populate_measured(settings: Settings, n: int, seed: int, how: str) -> dict[str, Any]:
    return {**populate(settings, n, seed, how), "populate_peak_rss_gib": peak_rss_gib()}


def compiled(n: int, seed: int) -> list[CompiledPolicy]:
    return [compile_policy(p) for p in synth_policies(n, seed)]


def _open_frame(
    con: duckdb.DuckDBPyConnection, policies: list[PreparedPolicy]
) -> tuple[float, int]:
    con.execute("SET enable_progress_bar = false")
    started = time.perf_counter()
    build_frame(con, requirements(p.compiled for p in policies))
    frame_s = time.perf_counter() - started
    row = con.execute(f"SELECT COUNT(*) FROM {FRAME}").fetchone()
    return frame_s, int(row[0]) if row else 0


def _frame_columns(con: duckdb.DuckDBPyConnection) -> int:
    return len(con.execute(f"DESCRIBE {FRAME}").fetchall())


def phase_engine(
    data_dir: str, n_policies: int, seed: int, memory_limit: str | None, only: int | None
) -> dict[str, Any]:
    """The engine as it is: build_frame + match_frame (one INSERT per policy).

    With ``only``, the frame is built for all policies but only the first ``only`` are
    matched (the full set would not fit in memory or time); the report extrapolates.
    """
    wall = time.perf_counter()
    snapshot = open_snapshot(Settings(Path(data_dir)))
    backend = DuckDBBackend(memory_limit=memory_limit)
    started = time.perf_counter()
    prepared = backend.prepare(compiled(n_policies, seed))
    compile_s = time.perf_counter() - started
    with backend.connect(snapshot) as con:
        return _match(con, prepared, snapshot.id, data_dir, only, compile_s, wall)


def _match(
    con: duckdb.DuckDBPyConnection,
    prepared: list[PreparedPolicy],
    sid: int,
    data_dir: str,
    only: int | None,
    compile_s: float,
    wall: float,
) -> dict[str, Any]:
    frame_s, n = _open_frame(con, prepared)
    policies = prepared[:only] if only else prepared
    frame_mem = duckdb_memory_gib(con)
    # The same choice `huiqi match` makes: past PARTS_FROM pairs, Parquet parts.
    run_dir = Path(data_dir) / "bench-run"
    shutil.rmtree(run_dir, ignore_errors=True)
    parts_dir = parts_dir_for(run_dir, n, len(policies))
    started = time.perf_counter()
    summaries = match_frame(con, policies, snapshot_id=sid, parts_dir=parts_dir)
    match_s = time.perf_counter() - started
    kept_rows = con.execute("SELECT COUNT(*) FROM matches_compact").fetchall()[0][0]
    # What `huiqi match` writes next: the joined matches.parquet.
    started = time.perf_counter()
    matches_file = run_dir / "matches.parquet"
    run_dir.mkdir(parents=True, exist_ok=True)
    con.table("matches").write_parquet(str(matches_file), compression="zstd")
    write_s = time.perf_counter() - started
    slowest = sorted(summaries, key=lambda s: -s.seconds)[:3]
    out = {
        "enterprises": n,
        "policies": len(policies),
        "frame_columns": _frame_columns(con),
        "compile_s": compile_s,
        "frame_s": frame_s,
        "match_s": match_s,
        "match_rows": sum(s.eligible + s.near_miss + s.needs_data for s in summaries),
        "eligible": sum(s.eligible for s in summaries),
        "near_miss": sum(s.near_miss for s in summaries),
        "needs_data": sum(s.needs_data for s in summaries),
        "sink": "Parquet parts" if parts_dir else "in-memory table",
        "kept_rows": int(kept_rows),
        "write_s": write_s,
        "matches_mb": matches_file.stat().st_size / 1e6,
        "load_average": os.getloadavg(),
        "per_policy_ms_median": sorted(s.seconds for s in summaries)[len(summaries) // 2] * 1e3,
        "slowest": [f"{s.policy_id} {s.seconds * 1e3:.0f} ms" for s in slowest],
        "duckdb_frame_gib": frame_mem,
        "duckdb_end_gib": duckdb_memory_gib(con),
        "wall_s": time.perf_counter() - wall,
        "peak_rss_gib": peak_rss_gib(),
        "digest": _digest(con, "matches"),
    }
    return out


def _digest(con: duckdb.DuckDBPyConnection, table: str) -> list[Any]:
    """An order-free fingerprint of a matches table, to compare two matchers."""
    row = con.execute(
        "SELECT COUNT(*), SUM(hash(uscc, policy_id, status, amount_fen, failed_criterion,"
        f" unknown_criteria) % 1000000007), SUM(amount_fen) FROM {table}"
    ).fetchone()
    return [int(v) if v is not None else None for v in (row or ())]


def phase_naive(data_dir: str, n_policies: int, seed: int, sample: int) -> dict[str, Any]:
    """The reference evaluator, one enterprise and one policy at a time, on a sample."""
    snapshot = open_snapshot(Settings(Path(data_dir)))
    policies = compiled(n_policies, seed)
    with DuckDBBackend().connect(snapshot) as con:
        usccs = [
            r[0]
            for r in con.execute(
                "SELECT uscc FROM enterprises ORDER BY hash(uscc) LIMIT ?", [sample]
            ).fetchall()
        ]
        profiles = read_profiles(con, sorted(usccs))
    started = time.perf_counter()
    statuses: dict[str, int] = {}
    for prof in profiles:
        for cp in policies:
            st = evaluate_policy(cp, prof).status
            statuses[st] = statuses.get(st, 0) + 1
    seconds = time.perf_counter() - started
    evals = len(profiles) * len(policies)
    return {
        "sample": len(profiles),
        "evaluations": evals,
        "seconds": seconds,
        "evals_per_s": evals / seconds if seconds else 0.0,
        "statuses": statuses,
        "peak_rss_gib": peak_rss_gib(),
    }


# ---------------------------------------------------------------------- report
def _fmt(v: float | None, unit: str = "", digits: int = 2) -> str:
    return "n/a" if v is None else f"{v:,.{digits}f}{unit}"


def render(args: argparse.Namespace, res: dict[str, Any]) -> str:
    m, eng, naive = res["machine"], res["engine"], res.get("naive")
    evals = eng["enterprises"] * eng["policies"]
    eng_rate = evals / eng["match_s"] if eng["match_s"] else 0.0
    lines = [
        f"### {eng['enterprises']:,} enterprises x {res['total_policies']} policies"
        f" ({dt.datetime.now():%Y-%m-%d %H:%M})",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM; Python {m['python']},"
        f" DuckDB {m['duckdb']}; {m['os']}.",
        f"Command: `.venv/bin/python benchmarks/bench_matching.py --enterprises {args.enterprises}"
        f" --policies {args.policies} --seed {args.seed} --sample {args.sample}"
        + (f" --memory-limit {args.memory_limit}" if args.memory_limit else "")
        + (f" --engine-policies {args.engine_policies}" if args.engine_policies else "")
        + "`",
        f"Population: {res['population'].get('population', 'reused store')}"
        + "".join(
            f", {label} {res['population'][key]:.1f} s"
            for key, label in (
                ("populate_s", "built in"),
                ("generate_s", "generated in"),
                ("import_s", "imported in"),
            )
            if key in res["population"]
        )
        + ".",
        "",
        "| matcher | compile s | frame build s | matching s | evaluations/s | wall s"
        " | peak RSS GiB | DuckDB GiB | result rows |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| engine (`match_frame`, kept rows to {eng.get('sink', 'in-memory table')})"
        f" | {eng.get('compile_s', 0):.2f}"
        f" | {eng['frame_s']:.2f}"
        f" | {eng['match_s']:.2f} | {eng_rate:,.0f} | {eng['wall_s']:.2f}"
        f" | {eng['peak_rss_gib']:.2f} | {_fmt(eng['duckdb_end_gib'])} | {eng['match_rows']:,} |",
    ]
    if naive:
        lines.append(
            f"| naive Python (`pyeval`, {naive['sample']:,}-enterprise sample) | - | - |"
            f" {naive['seconds']:.2f} | {naive['evals_per_s']:,.0f} | - |"
            f" {naive['peak_rss_gib']:.2f} | - | - |"
        )
    lines += [
        "",
        f"Frame: {eng['frame_columns']} columns. Results: {eng['eligible']:,} eligible,"
        f" {eng['near_miss']:,} near misses, {eng['needs_data']:,} needs-data."
        f" Median per-policy query {eng['per_policy_ms_median']:.1f} ms;"
        f" slowest: {', '.join(eng['slowest'])}.",
    ]
    if res.get("total_policies", eng["policies"]) != eng["policies"]:
        total = res["total_policies"]
        lines.append(
            f"The engine ran only the first {eng['policies']} of {total} policies (frame built for"
            f" all {total}); extrapolated matching time for all: "
            f"{eng['match_s'] * total / eng['policies']:,.0f} s, result rows"
            f" ~{eng['match_rows'] * total / eng['policies']:,.0f}."
        )
    if naive:
        ratio = eng_rate / naive["evals_per_s"] if naive["evals_per_s"] else 0.0
        lines.append(f"Engine vs naive Python: {ratio:,.0f}x more evaluations per second.")
    lines.append("")
    return "\n".join(lines)


def publish(text: str, *, record: bool) -> None:
    """Print a report; with ``record``, append it to docs/benchmarks.md too."""
    print(text)
    if record:
        with DOC.open("a", encoding="utf-8") as fh:
            fh.write("\n" + text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--enterprises", type=int, default=100_000)
    ap.add_argument("--policies", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sample", type=int, default=2_000, help="enterprises for the naive run")
    ap.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 5GB")
    ap.add_argument("--data-dir", default=None, help="default: /tmp/huiqi-bench-<enterprises>")
    ap.add_argument("--population", choices=("sql", "generate"), default="sql")
    ap.add_argument(
        "--engine-policies",
        type=int,
        default=None,
        help="run the engine on only the first N policies and extrapolate",
    )
    ap.add_argument("--record", action="store_true", help=f"append the results to {DOC}")
    args = ap.parse_args(argv)

    data_dir = Path(args.data_dir or f"/tmp/huiqi-bench-{args.enterprises}")
    settings = Settings(data_dir)
    res: dict[str, Any] = {"machine": machine(), "total_policies": args.policies}
    if store_count(settings) != args.enterprises:
        print(f"populating {args.enterprises:,} enterprises in {data_dir} ...", flush=True)
        if data_dir.exists():
            shutil.rmtree(data_dir)
        res["population"] = in_child(
            populate_measured, settings, args.enterprises, args.seed, args.population
        )
        (data_dir / "POPULATION").write_text(json.dumps(res["population"]), encoding="utf-8")
        print(res["population"], flush=True)
    else:
        marker = data_dir / "POPULATION"
        built = json.loads(marker.read_text(encoding="utf-8")) if marker.exists() else {}
        res["population"] = {**built, "population": f"{built.get('population', '?')}, reused"}
    common = (str(data_dir), args.policies, args.seed)
    res["engine"] = in_child(phase_engine, *common, args.memory_limit, args.engine_policies)
    print("engine", res["engine"], flush=True)
    if args.sample:
        res["naive"] = in_child(phase_naive, *common, args.sample)
        print("naive", res["naive"], flush=True)
    publish(render(args, res), record=args.record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

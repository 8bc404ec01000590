"""Benchmark the one-enterprise path: one enterprise against every policy, in process.

What the portal's "almost eligible", an explanation and the re-matching of a changed
enterprise cost, on a data directory that holds a snapshot (``make demo`` makes one):

1. ``--policies`` synthetic policies (``huiqi.policies.synth``) plus the library,
   compiled, then made into a ``Program`` (closures, shared criteria) - once;
2. re-matching one enterprise whose profile is in hand (``Program.evaluate``): what an
   import or a profile update pays per changed enterprise (the issue's p99 <= 20 ms);
3. explaining one enterprise from the snapshot (``get_backend("single").trace``): the
   profile read out of the sorted Parquet files plus every policy's trace;
4. the same explanation on the DuckDB backend, for the ratio (a few enterprises only);
5. ``huiqi explain USCC`` from the command line (process start to exit).

Each phase samples ``--sample`` random enterprises of the latest snapshot.
``--record`` appends the figures to ``docs/benchmarks.md``.

    .venv/bin/python benchmarks/bench_single.py --data-dir huiqi-data --policies 709 --record
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from huiqi.config import get_settings  # noqa: E402
from huiqi.engine import KEPT, STATUSES, compile_policy, get_backend, open_snapshot  # noqa: E402
from huiqi.engine.single.lookup import reader  # noqa: E402
from huiqi.engine.single.program import Program  # noqa: E402
from huiqi.matching.published import library_policies  # noqa: E402
from huiqi.policies.synth import synth_policies  # noqa: E402


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}"


def quantiles(ms: list[float]) -> str:
    ms = sorted(ms)

    def q(p: float) -> float:
        return ms[min(len(ms) - 1, int(p * len(ms)))]

    return f"p50 {q(0.5):.2f} ms, p95 {q(0.95):.2f} ms, p99 {q(0.99):.2f} ms, max {ms[-1]:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument(
        "--policies", type=int, default=709, help="synthetic policies (plus the library)"
    )
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--duckdb-sample", type=int, default=3)
    parser.add_argument("--user", default="officer", help="who runs 'huiqi explain'")
    parser.add_argument("--password", default="huiqi-demo-2026", help="(the demo's)")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    settings = get_settings(args.data_dir)
    snapshot = open_snapshot(settings)
    usccs = pq.read_table(snapshot.files["enterprises"], columns=["uscc"])["uscc"].to_pylist()
    sample = random.Random(20261130).sample(usccs, min(args.sample, len(usccs)))
    lines = [
        f"- data: snapshot {snapshot.id} of {args.data_dir} ({len(usccs):,} enterprises)",
        f"- load average before: {os.getloadavg()[0]:.2f}",
    ]

    started = time.perf_counter()
    policies = [*library_policies(), *(compile_policy(p) for p in synth_policies(args.policies))]
    compiled_s = time.perf_counter() - started
    started = time.perf_counter()
    program = Program(policies)
    program_s = time.perf_counter() - started
    checked = sum(len(cp.checked) for cp in policies)
    lines.append(
        f"- {len(policies)} policies ({args.policies} synthetic + library): compiled in"
        f" {compiled_s:.1f} s, made a program in {program_s:.2f} s; {checked} criteria,"
        f" {program.distinct_criteria} distinct, {len(program.columns)} frame columns"
    )

    snap = reader(snapshot)
    loaded = []
    for u in sample:
        chosen, pop = snap.population([u], groups=program.groups, fields=program.fields)
        loaded.append((chosen[u], pop))
    for label, statuses in (
        ("what delivery keeps (Program.kept)", KEPT),
        ("every status, as the oracle (Program.evaluate)", STATUSES),
    ):
        ms = []
        for prof, pop in loaded:
            t0 = time.perf_counter()
            program.kept(prof, pop, statuses=statuses)
            ms.append((time.perf_counter() - t0) * 1000)
        lines.append(f"- re-match one enterprise, profile in hand, {label}: {quantiles(ms)}")
    single = get_backend("single")
    single.trace(snapshot, policies, usccs=[sample[0]])  # the program, the footers
    ms = []
    for u in sample:
        t0 = time.perf_counter()
        single.trace(snapshot, policies, usccs=[u])
        ms.append((time.perf_counter() - t0) * 1000)
    lines.append(f"- explain one enterprise from the snapshot (single backend): {quantiles(ms)}")
    duck = get_backend("duckdb")
    ds = []
    for u in sample[: args.duckdb_sample]:
        t0 = time.perf_counter()
        same = duck.trace(snapshot, policies, usccs=[u]) == single.trace(
            snapshot, policies, usccs=[u]
        )
        ds.append(time.perf_counter() - t0)
        assert same, f"the backends explain {u} differently"
    lines.append(
        f"- the same explanation on DuckDB: {sum(ds) / len(ds):.2f} s each"
        f" ({args.duckdb_sample} enterprises; identical traces)"
    )
    huiqi = [str(ROOT / ".venv/bin/huiqi"), "--data-dir", str(args.data_dir)]
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "PYTHONPATH": str(ROOT)}
        subprocess.run(
            [*huiqi, "login", args.user],
            input=f"{args.password}\n",
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        t0 = time.perf_counter()
        done = subprocess.run(
            [*huiqi, "explain", sample[1]], env=env, capture_output=True, text=True, check=False
        )
        lines.append(
            f"- `huiqi explain USCC` as {args.user} (policies in force, process start to exit):"
            f" {time.perf_counter() - t0:.2f} s, exit {done.returncode}"
        )
    lines.append(f"- load average after: {os.getloadavg()[0]:.2f}")
    report = "\n".join(lines)
    print(report)
    if args.record:
        with (ROOT / "docs/benchmarks.md").open("a", encoding="utf-8") as out:
            out.write(
                f"\n## One enterprise against every policy ({dt.date.today()})\n\n"
                f"Machine: {machine()}. `benchmarks/bench_single.py`.\n\n{report}\n"
            )


if __name__ == "__main__":
    main()

"""Benchmark bulk matching on the SQL backends: DuckDB, Spark (local mode), PostgreSQL.

One synthetic population (``bench_population.populate_sql``, one frozen snapshot) and
``--policies`` synthetic policies; each backend's ``match`` writes matches.parquet from
the snapshot, ``--rounds`` times, alternating the backends (A/B/C, A/B/C...) so that a
change in the machine's load touches them alike. The load average is recorded with each
figure (the machine is shared). The result gives Spark's throughput in local mode, from
which docs/distributed.md extrapolates a cluster run.

    .venv/bin/python benchmarks/bench_backends.py --enterprises 100000 --policies 40 --record
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_matching import machine  # noqa: E402
from bench_population import populate_sql  # noqa: E402

from huiqi.config import Settings  # noqa: E402
from huiqi.engine import compile_policy, get_backend, open_snapshot  # noqa: E402
from huiqi.policies.loader import load_policy_text  # noqa: E402
from huiqi.policies.synth import policy_yaml, synth_policies  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=100_000)
    ap.add_argument("--policies", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--backends", default="duckdb,spark,postgres")
    ap.add_argument("--master", help="Spark master URL (default: local[2])")
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="huiqi-bench-backends-"))
    settings = Settings(data_dir=data)
    settings.ensure_data_dir()
    populate_sql(settings, args.enterprises, 7)
    snapshot = open_snapshot(settings)
    policies = [
        compile_policy(load_policy_text(policy_yaml(p), f"{p.id}.yaml"))
        for p in synth_policies(args.policies)
    ]
    names = [
        n
        for n in args.backends.split(",")
        if n != "postgres" or os.environ.get("HUIQI_POSTGRES_URL")
    ]
    spark_options = {"master": args.master} if args.master else {}
    backends = {n: get_backend(n, **(spark_options if n == "spark" else {})) for n in names}
    if "spark" in backends:  # start the JVM outside the timed runs
        backends["spark"].evaluate(snapshot, policies[:1], usccs=[])
    times: dict[str, list[tuple[float, float, float]]] = {n: [] for n in names}
    for r in range(args.rounds):
        for name, backend in backends.items():
            out = data / "runs" / f"{name}-{r}"
            out.mkdir(parents=True)
            load = os.getloadavg()[0]
            started = time.perf_counter()
            run = backend.match(snapshot, policies, run_id=out.name, out_dir=out)
            total = time.perf_counter() - started
            times[name].append((total, run.frame_seconds, load))
            print(
                f"{name} round {r}: {total:.1f} s (frame {run.frame_seconds:.1f} s), load {load:.1f}"
            )
    pairs = args.enterprises * args.policies
    lines = [
        f"\n### {dt.date.today()}: bulk matching per backend, {args.enterprises:,} x"
        f" {args.policies} ({machine()['cpu']}, {machine()['cores']} cores, shared)\n",
        "| backend | best of rounds (s) | of which frame (s) | evaluations/s | load avg at start |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, runs in times.items():
        best = min(runs)
        lines.append(
            f"| {name} | {best[0]:.1f} | {best[1]:.1f} | {pairs / best[0]:,.0f} |"
            f" {', '.join(f'{t[2]:.1f}' for t in runs)} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record:
        with DOC.open("a", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()

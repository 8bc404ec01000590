"""Benchmark simulation before publishing: a draft over the whole population, through the
service function the officer console calls (access check, parsing, compiling, the bulk
engine, labels), target under 2 s at 200,000 enterprises.

Each policy of the library is published as version 1 to a temporary SQLite ledger, and
a draft version 2 (the same text with the version raised, so the comparison with the
version in force runs too: two evaluations over the population) is simulated
``--repeats`` times. The script prints per policy the median and worst time, and over
all policies the p50/p95/max, with the machine and its load.

Usage (the demo population: ``huiqi --data-dir huiqi-data demo`` builds 200,000):
    .venv/bin/python benchmarks/bench_simulation.py --data-dir huiqi-data
    .venv/bin/python benchmarks/bench_simulation.py --data-dir /tmp/sim --generate 200000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_delivery import machine

from huiqi.accounts.testing import OFFICER, STEWARD
from huiqi.config import get_settings
from huiqi.db.engine import reading, session_factory, transaction
from huiqi.db.testing import fresh_database
from huiqi.delivery.versions import publish_text
from huiqi.engine import compile_policy, open_snapshot
from huiqi.engine.duckdb.held import HeldFrame
from huiqi.engine.frame_columns import FrameColumn
from huiqi.matching.simulate import simulate, simulation_columns
from huiqi.policies.loader import library_dir, load_policy_text
from huiqi.profiles.store import ProfileStore


def _generate(data_dir: Path, enterprises: int) -> None:
    from huiqi.profiles.service import generate_population

    with tempfile.TemporaryDirectory() as tmp, fresh_database("sqlite", Path(tmp)) as engine:
        factory = session_factory(engine)
        with transaction(factory) as s:
            generate_population(
                get_settings(data_dir), s, actor=STEWARD, enterprises=enterprises, seed=2026
            )


def _bump(text: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join("version: 2\n" if line.startswith("version: ") else line for line in lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--generate", type=int, default=0, help="generate this many first")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--policy", action="append", default=[], help="policy file stem(s)")
    parser.add_argument(
        "--held",
        action="store_true",
        help="keep the frame between simulations, as the web server does (built before timing)",
    )
    parser.add_argument(
        "--new",
        action="store_true",
        help="simulate version 1 of each policy, nothing published: one evaluation, no comparison",
    )
    args = parser.parse_args()
    if args.generate:
        _generate(args.data_dir, args.generate)
    settings = get_settings(args.data_dir)
    info = ProfileStore(settings).snapshots()
    print(f"machine: {machine()}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    files = sorted(library_dir().glob("*.yaml"))
    if args.policy:
        files = [f for f in files if f.stem in set(args.policy)]
    times: list[float] = []
    held = HeldFrame() if args.held else None
    with tempfile.TemporaryDirectory() as tmp, fresh_database("sqlite", Path(tmp)) as engine:
        factory = session_factory(engine)
        texts = {f: f.read_text(encoding="utf-8") for f in files}
        if not args.new:
            for f, text in texts.items():
                publish_text(factory, text, f.name, actor=OFFICER)
        draft = {f: text if args.new else _bump(text) for f, text in texts.items()}
        if held is not None:
            started = time.perf_counter()
            columns: set[FrameColumn] = set()
            for f in files:
                columns |= simulation_columns(compile_policy(load_policy_text(draft[f], f.name)))
            with held.frame(open_snapshot(settings), columns):
                pass
            print(
                f"held frame: {len(held.columns)} columns, {held.builds} builds,"
                f" {time.perf_counter() - started:.1f} s to warm up",
                flush=True,
            )
        for f in files:
            runs = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                with reading(factory) as s:
                    sim = simulate(
                        settings, s, actor=OFFICER, text=draft[f], filename=f.name, held=held
                    )
                runs.append(time.perf_counter() - started)
            times.extend(runs)
            c = sim.comparison
            print(
                f"{f.stem:42s} median {statistics.median(runs):6.3f} s  max {max(runs):6.3f} s"
                f"  enterprises {sim.enterprises:,}  eligible {sim.eligible:,}"
                f"  needs data {sim.needs_data:,}  near miss {sim.near_miss:,}"
                f"  compared with v{c.version if c else '-'}",
                flush=True,
            )
    times.sort()
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    print(
        f"\n{len(files)} policies x {args.repeats} runs on snapshot {info[-1].snapshot_id}"
        f" ({sim.enterprises:,} enterprises): p50 {statistics.median(times):.3f} s,"
        f" p95 {p95:.3f} s, max {times[-1]:.3f} s"
    )
    if held is not None:
        print(f"held frame: {held.builds} builds in all (none while timing if still the same)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

"""Command-line start-up (issue 11): wall and CPU seconds of short `huiqi` commands.

Runs each command in a fresh interpreter, ``--runs`` times, and prints the median wall
time and the median CPU time of the child (user + system: on a shared machine the
comparable figure). With ``--old DIR`` (a checkout holding an older ``huiqi`` package,
e.g. ``git archive 85f7ecf huiqi | tar -x -C DIR``) old and new alternate run by run, so
both see the same load::

    huiqi --data-dir /tmp/cli-demo demo -n 2000
    HUIQI_PASSWORD=huiqi-demo-2026 huiqi --data-dir /tmp/cli-demo login officer
    python benchmarks/bench_cli_startup.py --data-dir /tmp/cli-demo --old /tmp/cli-old

On PostgreSQL: ``--database-url postgresql://...`` (passed as HUIQI_DATABASE_URL), after
``huiqi demo`` and ``huiqi login`` with that same HUIQI_DATABASE_URL. ``--only`` picks
commands by their first word (e.g. ``--only grants,records``).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = [
    ["--help"],
    ["policy", "list"],
    ["versions"],
    ["grants"],
    ["records"],
    ["whoami"],
    ["snapshots"],
]
NEW = Path(__file__).resolve().parent.parent


def run_once(
    tree: Path, data_dir: Path, args: list[str], database_url: str | None = None
) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one ``huiqi ARGS`` run on ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}  # and cwd: '-c' puts the cwd first
    if database_url:
        env["HUIQI_DATABASE_URL"] = database_url
    code = "from huiqi.cli.main import cli; cli()"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, "--data-dir", str(data_dir), *args],
        env=env,
        cwd=tree,
        capture_output=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: huiqi {' '.join(args)} failed: {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--old", type=Path, help="a tree holding the old huiqi package")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--database-url", help="HUIQI_DATABASE_URL for the runs (PostgreSQL)")
    parser.add_argument("--only", help="commands by first word, comma-separated")
    options = parser.parse_args()
    url = options.database_url
    only = set(options.only.split(",")) if options.only else None
    commands = [c for c in COMMANDS if only is None or c[0] in only]
    trees = {"new": NEW, **({"old": options.old} if options.old else {})}
    where = "PostgreSQL" if url else "SQLite"
    print(f"load average {os.getloadavg()[0]:.1f}; median of {options.runs} runs; {where}")
    print(f"{'command':<18}" + "".join(f"{name + ' wall / CPU':>22}" for name in trees))
    for args in commands:
        for tree in trees.values():  # warm the bytecode caches
            run_once(tree, options.data_dir, args, url)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
        for _ in range(options.runs):
            for name, tree in trees.items():
                times[name].append(run_once(tree, options.data_dir, args, url))
        cells = []
        for name in trees:
            wall = statistics.median(t[0] for t in times[name])
            cpu = statistics.median(t[1] for t in times[name])
            cells.append(f"{wall:>14.3f} / {cpu:.3f}")
        print(f"{' '.join(args):<18}" + "".join(cells))
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

"""Benchmark the disbursement export: N granted grants of one policy → one batch (CSV and
xlsx written, the batch's audit event chained), on SQLite and PostgreSQL.

The grants are inserted in bulk first (not timed); the figure is ``export_batch`` in one
transaction, commit included, as ``huiqi disburse export`` runs it.

Usage:
    HUIQI_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/bench_disburse.py --grants 100000 --repeat 2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "delivery"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import factories as make
from bench_delivery import machine, server_version

from huiqi.accounts.testing import FINANCE
from huiqi.db.engine import session_factory, transaction
from huiqi.db.testing import fresh_database, postgres_server_url
from huiqi.delivery.disburse import export_batch


def bench(backend: str, workdir: Path, grants: int, repeat: int) -> list[float]:
    """Seconds per export of ``grants`` grants, ``repeat`` times (a new policy each time)."""
    times = []
    with fresh_database(backend, workdir) as engine:
        factory = session_factory(engine)
        print(f"{backend}: {server_version(engine)}", file=sys.stderr)
        for k in range(repeat):
            with transaction(factory) as s:
                make.bulk_grants(s, make.policy_version(s), grants, first=k * grants)
            started = time.perf_counter()
            with transaction(factory) as s:
                batch = export_batch(s, out_dir=workdir / f"out-{k}", actor=FINANCE)
                exported = batch.grants
            times.append(time.perf_counter() - started)
            assert exported == grants, (exported, grants)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grants", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(machine())
    backends = ["sqlite"] + (["postgres"] if postgres_server_url() else [])
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp:
            times = bench(backend, Path(tmp), args.grants, args.repeat)
        shown = ", ".join(f"{t:.2f}" for t in times)
        print(f"{backend}: export of {args.grants:,} grants: {shown} s")


if __name__ == "__main__":
    main()

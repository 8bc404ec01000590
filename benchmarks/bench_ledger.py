"""Benchmark the ledger at city scale: fill it through huiqi's own delivery paths, then
time the queries the portal's pages and the officers' queues make.

The fill publishes ``--versions`` policies over a store of ``--enterprises`` enterprises
(every enterprise qualifies for each), alternating 免申即享 auto-grants and 直达快享
offers, so the ledger ends with enterprises × versions delivery records, a grant per
auto record, an audit event each, and the inbox messages. Shanghai's 6.28 million
service instances are ``--enterprises 200000 --versions 32`` (6.4 M records).

Then each query runs ``--samples`` times on random enterprises or ids, and the script
prints p50/p95/max per query, and the database's size. It measures the service
functions the CLI and the portal call (access checks included), in read-only
transactions, not raw SQL.

``--while-writing`` then times the same queries again while a second process publishes
one more 免申即享 policy over every enterprise (``--enterprises`` auto-grants) and exports
those grants as one disbursement batch, and prints p50/p95/p99/max per query idle and
during each write, the readers' errors, and a verdict against the issue's targets
(``benchmarks/ledger_writes.py``).

Usage:
    HUIQI_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/bench_ledger.py --enterprises 20000 --versions 8
    .venv/bin/python benchmarks/bench_ledger.py --enterprises 125000 --versions 8 \
        --while-writing --backends sqlite
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "delivery"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import helpers as h
from bench_delivery import machine, server_version
from ledger_writes import report, time_while_writing

from huiqi.accounts.testing import ADMIN, OFFICER, enterprise
from huiqi.db.engine import reading, session_factory
from huiqi.db.testing import fresh_database, postgres_server_url
from huiqi.delivery import dashboard, notify
from huiqi.delivery import publish as publishing
from huiqi.delivery import service as ledger
from huiqi.delivery.indicators import indicators
from huiqi.delivery.models import Entitlement, Grant


def fill(settings: Any, factory: sessionmaker[Session], versions: int) -> float:
    """Publish ``versions`` policies (auto and confirm alternately); return seconds."""
    started = time.perf_counter()
    for k in range(versions):
        mode = "auto" if k % 2 == 0 else "confirm"
        text_ = h.policy_yaml(f"bench-ledger-{k:03d}", delivery=mode, per_person=100 + k)
        publishing.publish(settings, factory, text_, actor=OFFICER, filename=f"p{k}.yaml")
        print(f"  published {k + 1}/{versions} ({mode})", file=sys.stderr, flush=True)
    return time.perf_counter() - started


def queries(factory: sessionmaker[Session], rng: random.Random) -> dict[str, Callable[[], Any]]:
    with reading(factory) as s:
        codes = list(s.scalars(select(Entitlement.uscc).distinct().limit(50_000)))
        top = s.scalar(select(func.max(Grant.id))) or 1
    pick = lambda: rng.choice(codes)  # noqa: E731

    def run(call: Callable[[Session], Any]) -> Callable[[], Any]:
        def timed() -> Any:
            with reading(factory) as s:
                return call(s)

        return timed

    def own(fn: Callable[..., Any], **kw: Any) -> Callable[[], Any]:
        def call(s: Session) -> Any:
            code = pick()
            return fn(s, actor=enterprise(code), uscc=code, **kw)

        return run(call)

    return {
        "enterprise: own grants": own(ledger.list_grants),
        "enterprise: own records": own(ledger.list_records),
        "enterprise: inbox": run(
            lambda s: (lambda c: notify.inbox(s, c, actor=enterprise(c)))(pick())
        ),
        "officer: offered queue, first page": run(
            lambda s: ledger.list_records(s, actor=OFFICER, status="offered")
        ),
        "officer: offered queue, a deep page": run(
            lambda s: ledger.list_records(
                s, actor=OFFICER, status="offered", after_id=rng.randrange(top)
            )
        ),
        "officer: a rare status (budget_exhausted)": run(
            lambda s: ledger.list_records(s, actor=OFFICER, status="budget_exhausted")
        ),
        "officer: granted, a deep page": run(
            lambda s: ledger.list_grants(
                s, actor=OFFICER, status="granted", after_id=rng.randrange(top)
            )
        ),
        "officer: dashboard totals by district": run(
            lambda s: dashboard.totals(s, actor=OFFICER, by=("district",))
        ),
        "officer: dashboard totals by policy and status": run(
            lambda s: dashboard.totals(s, actor=OFFICER, by=("policy", "status"))
        ),
        "officer: dashboard indicators": run(lambda s: indicators(s, actor=OFFICER)),
        "admin: audit trail of one grant": run(
            lambda s: ledger.audit_log(s, actor=ADMIN, entity=f"grant:{rng.randrange(1, top)}")
        ),
    }


def sample(calls: dict[str, Callable[[], Any]], samples: int) -> dict[str, list[float]]:
    """Each query ``samples`` times in a row; the milliseconds of each run."""
    out: dict[str, list[float]] = {}
    for name, call in calls.items():
        times = out[name] = []
        for _ in range(samples):
            t0 = time.perf_counter()
            call()
            times.append((time.perf_counter() - t0) * 1000)
    return out


def database_size(engine: Engine) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            pages = conn.execute(text("PRAGMA page_count")).scalar() or 0
            size = conn.execute(text("PRAGMA page_size")).scalar() or 0
            return f"{pages * size / 2**30:.2f} GiB"
        return str(
            conn.execute(
                text("SELECT pg_size_pretty(pg_database_size(current_database()))")
            ).scalar()
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--enterprises", type=int, default=20_000)
    ap.add_argument("--versions", type=int, default=8)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument(
        "--while-writing",
        action="store_true",
        help="then time the queries again during a bulk publish and an export (another process)",
    )
    args = ap.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    if "postgresql" in backends and postgres_server_url() is None:
        print("HUIQI_TEST_DATABASE_URL is not set: skipping PostgreSQL", file=sys.stderr)
        backends.remove("postgresql")
    print(f"Machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        settings, _ = h.numbered_store(work / "data", args.enterprises)
        for backend in backends:
            with fresh_database(backend, work) as engine:
                factory = session_factory(engine)
                seconds = fill(settings, factory, args.versions)
                with reading(factory) as s:
                    records = s.scalar(select(func.count()).select_from(Entitlement)) or 0
                    grants = s.scalar(select(func.count()).select_from(Grant)) or 0
                print(
                    f"\n{server_version(engine)}: {records:,} records, {grants:,} grants,"
                    f" filled in {seconds:.0f} s ({records / seconds:,.0f} records/s);"
                    f" database {database_size(engine)}"
                )
                print(f"load average: {os.getloadavg()[0]:.2f}")
                print("| query | p50 ms | p95 ms | p99 ms | max ms |")
                print("|---|---:|---:|---:|---:|")
                rng = random.Random(2026)
                calls = queries(factory, rng)
                idle = sample(calls, args.samples)
                for name, times in idle.items():
                    q = statistics.quantiles(times, n=100, method="inclusive")
                    print(
                        f"| {name} | {q[49]:.1f} | {q[94]:.1f} | {q[98]:.1f} | {max(times):.1f} |",
                        flush=True,
                    )
                if args.while_writing:
                    url = engine.url.render_as_string(hide_password=False)
                    during, busy, errors, summary = time_while_writing(
                        url, settings.data_dir, args.versions, work / f"out-{backend}", calls
                    )
                    print(summary, flush=True)
                    after = sample(calls, args.samples)
                    report(idle, during, busy, errors, after)


if __name__ == "__main__":
    main()

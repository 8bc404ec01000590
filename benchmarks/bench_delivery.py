"""Benchmark delivery: bulk auto-grant (免申即享) of N matches, and one-click claim latency.

Runs on SQLite (a temporary file) and on PostgreSQL (a fresh database on the server
named by HUIQI_TEST_DATABASE_URL, dropped afterwards). For the bulk run it reports the
whole ``publish`` call and its phases: matching (``snapshot_result_rows``), the
chunked inserts (``deliver_chunk``, with the notification outbox inside it shown
separately) and the review-flag pass, in wall seconds and (for matching and the chunks)
this process's CPU seconds; on PostgreSQL also the server's CPU seconds (its processes'
``/proc`` times), since on a shared machine CPU is what stays comparable. For claims it runs ``--clients`` threads that
each claim distinct offers (直达快享) and reports p50/p95/p99 per claim.

Usage:
    HUIQI_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/bench_delivery.py --enterprises 100000 --claims 5000
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy
from sqlalchemy import Engine, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "delivery"))
import helpers as h

from huiqi.accounts.testing import OFFICER, enterprise
from huiqi.db.engine import session_factory
from huiqi.db.testing import fresh_database, postgres_server_url
from huiqi.delivery import claims, notify
from huiqi.delivery import publish as publishing
from huiqi.delivery.models import Entitlement, Grant

PHASES = {
    "matching": (publishing, "snapshot_result_rows"),
    "chunks": (publishing, "deliver_chunk"),
    "outbox": (notify, "enqueue_many"),
    "flag": (publishing, "_flag_lost"),
}


class Timers:
    """Wrap module functions so each call adds its wall time to a named phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        # This process's CPU seconds per phase: comparable on a loaded machine.
        self.cpu: dict[str, float] = defaultdict(float)
        self._saved: list[tuple[Any, str, Callable[..., Any]]] = []

    def __enter__(self) -> Timers:
        for phase, (module, name) in PHASES.items():
            original = getattr(module, name)
            self._saved.append((module, name, original))
            setattr(module, name, self._timed(phase, original))
        return self

    def __exit__(self, *exc: object) -> None:
        for module, name, original in reversed(self._saved):
            setattr(module, name, original)

    def _timed(self, phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - started
                self.cpu[phase] += time.process_time() - cpu

        return wrapper


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        ram = f"{int(mem) / 1024**2:.1f} GiB RAM"
    except OSError:
        ram = "RAM unknown"
    return (
        f"{cpu}, {os.cpu_count()} cores, {ram}; Python {platform.python_version()},"
        f" SQLAlchemy {sqlalchemy.__version__}, psycopg {version('psycopg')},"
        f" SQLite {__import__('sqlite3').sqlite_version}, DuckDB {duckdb.__version__};"
        f" {platform.platform()}"
    )


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages now (the machine may be shared)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def server_version(engine: Engine) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return f"SQLite {conn.execute(text('select sqlite_version()')).scalar()}"
        return str(conn.execute(text("show server_version")).scalar()).join(("PostgreSQL ", ""))


def server_cpu(engine: Engine) -> dict[int, float]:
    """PostgreSQL on this machine: CPU seconds so far of each server process connected to
    the engine's database (read from /proc; empty where that is not possible)."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as conn:
        pids = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        out = {}
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return {}
            out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return out


def bench_bulk(
    backend: str,
    workdir: Path,
    settings_: Any,
    n: int,
    chunk: int,
    profile: bool,
    budget: bool = True,
) -> dict[str, Any]:
    with fresh_database(backend, workdir) as engine:
        factory = session_factory(engine)
        text_ = h.policy_yaml("bench-auto", budget=10**10 if budget else None)
        # BENCH_PROFILE_CPU=1: the profile in CPU seconds (what a loaded machine leaves
        # comparable), not wall seconds.
        clock = time.process_time if os.environ.get("BENCH_PROFILE_CPU") else time.perf_counter
        profiler = cProfile.Profile(clock) if profile else None
        server_before = server_cpu(engine)
        with Timers() as timers:
            started = time.perf_counter()
            cpu_started = time.process_time()
            if profiler:
                profiler.enable()
            _, rep = publishing.publish(
                settings_, factory, text_, actor=OFFICER, filename="bench.yaml", chunk=chunk
            )
            if profiler:
                profiler.disable()
            total = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
        server_after = server_cpu(engine)
        server = (
            sum(v - server_before.get(pid, 0.0) for pid, v in server_after.items())
            if server_after
            else None
        )
        with factory() as s:
            grants = s.scalar(select(func.count()).select_from(Grant))
        assert rep.granted == grants == n, (rep.granted, grants, n)
        out = {"backend": server_version(engine), "total": total, "cpu": cpu, **timers.seconds}
        out["server_cpu"] = server
        out.update({f"{phase}_cpu": v for phase, v in timers.cpu.items()})
        if profiler:
            buf = io.StringIO()
            pstats.Stats(profiler, stream=buf).sort_stats(
                os.environ.get("BENCH_SORT", "cumulative")
            ).print_stats(int(os.environ.get("BENCH_TOP", "25")))
            out["profile"] = buf.getvalue()
        return out


def bench_claims(
    backend: str, workdir: Path, settings_: Any, claims_n: int, clients: int, think_ms: float = 0
) -> dict[str, Any]:
    """Claim latency with ``clients`` threads. ``think_ms`` > 0: each client pauses a random
    (exponential, seeded) time with that mean between claims, as people do; 0: back to back."""
    with fresh_database(backend, workdir) as engine:
        factory = session_factory(engine)
        text_ = h.policy_yaml("bench-claim", delivery="confirm", budget=10**10)
        publishing.publish(settings_, factory, text_, actor=OFFICER, filename="claim.yaml")
        with factory() as s:
            offers = s.execute(
                select(Entitlement.id, Entitlement.uscc).order_by(Entitlement.id).limit(claims_n)
            ).all()
        wide = h.wide_engine(engine, clients)
        wide_factory = session_factory(wide)
        latencies: list[float] = []
        lock = threading.Lock()
        start = threading.Barrier(clients)

        def client(k: int) -> None:
            mine = offers[k::clients]
            local = []
            pause = random.Random(k)
            start.wait()
            for ent_id, code in mine:
                if think_ms:
                    time.sleep(pause.expovariate(1000.0 / think_ms))
                t0 = time.perf_counter()
                result = claims.claim(wide_factory, actor=enterprise(code), entitlement_id=ent_id)
                local.append(time.perf_counter() - t0)
                assert result.grant_id is not None
            with lock:
                latencies.extend(local)

        started = time.perf_counter()
        try:
            with ThreadPoolExecutor(clients) as pool:
                list(pool.map(client, range(clients)))
        finally:
            wide.dispose()
        wall = time.perf_counter() - started
        with factory() as s:
            assert s.scalar(select(func.count()).select_from(Grant)) == len(offers)
        q = statistics.quantiles(latencies, n=100, method="inclusive")
        return {
            "backend": server_version(engine),
            "claims": len(latencies),
            "p50": q[49] * 1000,
            "p95": q[94] * 1000,
            "p99": q[98] * 1000,
            "max": max(latencies) * 1000,
            "per_s": len(latencies) / wall,
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--enterprises", type=int, default=100_000)
    ap.add_argument("--chunk", type=int, default=publishing.CHUNK)
    ap.add_argument("--claims", type=int, default=5_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument(
        "--think-ms",
        type=float,
        action="append",
        help="mean pause between a client's claims (repeatable; default 0 = back to back)",
    )
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--skip-bulk", action="store_true")
    ap.add_argument("--skip-claims", action="store_true")
    ap.add_argument("--profile", action="store_true", help="cProfile the bulk publish")
    ap.add_argument(
        "--no-budget",
        action="store_true",
        help="the bulk policy without its first-come budget",
    )
    args = ap.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    if "postgresql" in backends and postgres_server_url() is None:
        print("HUIQI_TEST_DATABASE_URL is not set: skipping PostgreSQL", file=sys.stderr)
        backends.remove("postgresql")
    print(f"Machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        settings_, _ = h.numbered_store(work / "data", args.enterprises)
        print(f"Store: {args.enterprises:,} enterprises in {time.perf_counter() - t0:.1f} s")
        if not args.skip_bulk:
            print(
                f"\nBulk auto-grant of {args.enterprises:,} matches (chunk {args.chunk:,}), seconds"
            )
            print(
                "| backend | publish total | client CPU | matching | grant phase (chunks)"
                " | of which outbox | review-flag pass | grants/s | CPU: matching | CPU: chunks"
                " | server CPU | load average |"
            )
            print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
            for backend in backends:
                r = bench_bulk(
                    backend,
                    work,
                    settings_,
                    args.enterprises,
                    args.chunk,
                    args.profile,
                    budget=not args.no_budget,
                )
                print(
                    f"| {r['backend']} | {r['total']:.1f} | {r['cpu']:.1f} | {r['matching']:.1f} |"
                    f" {r['chunks']:.1f} | {r['outbox']:.1f} | {r['flag']:.1f} |"
                    f" {args.enterprises / r['total']:,.0f} | {r['matching_cpu']:.2f} |"
                    f" {r['chunks_cpu']:.2f} |"
                    f" {'—' if r['server_cpu'] is None else format(r['server_cpu'], '.2f')} |"
                    f" {load_average()} |",
                    flush=True,
                )
                if "profile" in r:
                    print(r["profile"], file=sys.stderr)
        if not args.skip_claims:
            claim_settings, _ = h.numbered_store(work / "claims", args.claims)
            print(
                f"\nOne-click claims: {args.claims:,} distinct offers, {args.clients} clients, ms"
            )
            print(
                "| backend | mean pause between claims | claims | p50 | p95 | p99 | max | claims/s |"
            )
            print("|---|---:|---:|---:|---:|---:|---:|---:|")
            for think in args.think_ms or [0.0]:
                for backend in backends:
                    r = bench_claims(
                        backend, work, claim_settings, args.claims, args.clients, think
                    )
                    print(
                        f"| {r['backend']} | {think:.0f} ms | {r['claims']:,} | {r['p50']:.1f} |"
                        f" {r['p95']:.1f} | {r['p99']:.1f} | {r['max']:.1f} | {r['per_s']:,.0f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()

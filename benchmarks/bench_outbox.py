"""Benchmark draining the notification outbox: N pending messages, sent through the log
channel (a real file) by repeated ``send_pending`` polls, on SQLite and PostgreSQL.

What it shows is whether draining is linear: the time of one poll (claiming a batch and
recording each message's result) and the send rate must not grow with how many
messages were sent before. Before the partial index on unsent rows (migration 0004) a
nearly drained poll walked past every sent row. The script prints the rate per tenth of
the drain and the poll time at the start and at the end. ``--sent-before M`` puts M
rows already sent before the pending ones (a large outbox, drained only at its end, when
the whole drain takes too long). ``--senders K`` drains with K
threads side by side (each outcome is still its own commit; on PostgreSQL their commits
share the WAL flushes).

``--profile`` drains under cProfile instead and prints where one message's time goes
(functions by own time, per message).

Usage:
    HUIQI_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/bench_outbox.py --messages 1000000
    .venv/bin/python benchmarks/bench_outbox.py --messages 5000 --profile --backend sqlite
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_delivery import machine, server_version

from huiqi.accounts.testing import SCHEDULER
from huiqi.db.bulk import bulk_insert
from huiqi.db.clock import utcnow
from huiqi.db.engine import session_factory, transaction
from huiqi.db.testing import fresh_database, postgres_server_url
from huiqi.delivery.channels import LogChannel
from huiqi.delivery.models import Notification, table_of
from huiqi.delivery.notify import send_pending

_FILL_CHUNK = 50_000


def fill(factory: object, n: int, sent_before: int = 0) -> None:
    """``sent_before`` rows already sent, then ``n`` pending ones (ids after them)."""
    now = utcnow()
    for start in range(0, sent_before + n, _FILL_CHUNK):
        rows = [
            {
                "uscc": f"91310000{i:010d}",
                "channel": "log",
                "kind": "granted",
                "subject": "您的企业已获得一项政策资金",
                "body": f"第 {i} 条通知：资金将按期拨付。",
                "dedupe_key": f"bench:{i}:log",
                "status": "sent" if i < sent_before else "pending",
                "attempts": 1 if i < sent_before else 0,
                "created_at": now,
                "sent_at": now if i < sent_before else None,
            }
            for i in range(start, min(sent_before + n, start + _FILL_CHUNK))
        ]
        with transaction(factory) as s:  # type: ignore[arg-type]
            bulk_insert(s, table_of(Notification), rows)


def drain(
    factory: object, n: int, batch: int, out: Path, senders: int = 1
) -> tuple[list[tuple[float, float]], list[float], float]:
    """Send everything with ``senders`` threads polling side by side; return the seconds per
    message in each tenth of the drain (wall, and this process's CPU: the load of a shared
    machine moves the first, not the second), the seconds of every poll that sent
    something (in the order they ended), and the seconds of the last, empty poll."""
    channel = LogChannel(out)
    # (ended at, seconds, sent, process CPU at the end); list.append is atomic
    polls: list[tuple[float, float, int, float]] = []
    failures: list[BaseException] = []

    def sender() -> None:
        try:
            while True:
                t = time.perf_counter()
                report = send_pending(factory, [channel], actor=SCHEDULER, batch=batch)  # type: ignore[arg-type]
                now = time.perf_counter()
                polls.append((now, now - t, report.sent, time.process_time()))
                if report.claimed == 0:
                    return
        except BaseException as exc:  # reported by the assert below
            failures.append(exc)

    started, cpu_started = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=sender) for _ in range(senders - 1)]
    for thread in threads:
        thread.start()
    sender()  # one sender in this thread, where cProfile sees it
    for thread in threads:
        thread.join()
    assert not failures, failures
    polls.sort()
    assert sum(p[2] for p in polls) == n, (sum(p[2] for p in polls), n)
    tenths: list[tuple[float, float]] = []
    mark, done, since, since_cpu, since_done = n / 10, 0, started, cpu_started, 0
    for ended, _, sent, cpu in polls:
        done += sent
        if done - since_done >= mark or (done == n and done > since_done):
            count = done - since_done
            tenths.append(((ended - since) / count, (cpu - since_cpu) / count))
            since, since_cpu, since_done = ended, cpu, done
    busy = [seconds for _, seconds, sent, _ in polls if sent]
    return tenths, busy, polls[-1][1]


def profile(factory: object, n: int, batch: int, out: Path, server: str) -> None:
    """Drain under cProfile; print the functions by own time, in microseconds per message."""
    profiler = cProfile.Profile()
    t = time.perf_counter()
    profiler.enable()
    drain(factory, n, batch, out)
    profiler.disable()
    wall = time.perf_counter() - t
    text_ = io.StringIO()
    pstats.Stats(profiler, stream=text_).sort_stats("tottime").print_stats(25)
    print(f"{server}: {n:,} messages in {wall:.2f} s under cProfile ({wall / n * 1e6:.0f} µs each)")
    print(text_.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--profile", action="store_true", help="cProfile the drain instead")
    parser.add_argument(
        "--senders", type=int, default=1, help="threads calling send_pending side by side"
    )
    parser.add_argument(
        "--sent-before",
        type=int,
        default=0,
        help="rows already sent before the --messages pending ones (a large, mostly sent outbox)",
    )
    args = parser.parse_args()
    print(machine())
    print(f"load average at the start: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    if "postgres" in backends and not postgres_server_url():
        backends.remove("postgres")
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp, fresh_database(backend, Path(tmp)) as engine:
            factory = session_factory(engine)
            server = server_version(engine)
            t = time.perf_counter()
            fill(factory, args.messages, args.sent_before)
            filled = time.perf_counter() - t
            if args.profile:
                profile(factory, args.messages, args.batch, Path(tmp) / "sent.log", server)
                continue
            t = time.perf_counter()
            tenths, polls, empty = drain(
                factory, args.messages, args.batch, Path(tmp) / "sent.log", args.senders
            )
            total = time.perf_counter() - t
        rates = ", ".join(f"{1 / wall:,.0f}" for wall, _ in tenths)
        cpu = ", ".join(f"{c * 1e6:.0f}" for _, c in tenths)
        first, last = polls[: max(1, len(polls) // 20)], polls[-max(1, len(polls) // 20) :]
        print(
            f"{server}, {args.senders} sender(s): {args.messages:,} messages"
            f" (after {args.sent_before:,} already sent) filled in {filled:.1f} s,"
            f" drained in {total:.1f} s ({args.messages / total:,.0f}/s)\n"
            f"  messages/s per tenth of the drain: {rates}\n"
            f"  this process's CPU µs per message per tenth: {cpu}\n"
            f"  poll of {args.batch}: median {statistics.median(first) * 1000:.0f} ms in the first"
            f" 5 %, {statistics.median(last) * 1000:.0f} ms in the last 5 %;"
            f" the empty poll at the end {empty * 1000:.1f} ms;"
            f" load average (1, 5, 15 min) at the end"
            f" {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )


if __name__ == "__main__":
    main()

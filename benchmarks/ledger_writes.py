"""The ledger's queries while huiqi writes in bulk (``bench_ledger.py --while-writing``).

A second process (spawned, so it shares nothing with the readers but the database) runs
two real bulk writes through huiqi's own paths, one after the other:

1. ``publish`` of one more 免申即享 policy over every enterprise of the store: matching,
   then an auto-grant per enterprise, delivered in chunks of one transaction each (and on
   PostgreSQL the ``ANALYZE`` after a bulk delivery);
2. ``export_batch`` of that policy's grants (one transaction: the batch's items, every
   grant moved to ``in_batch``, the CSV and xlsx files, the audit event).

Meanwhile this process runs the portal's and the officers' queries round-robin, each in
its own read-only transaction as the pages do, and files each time under the phase the
writer was in when the query started. A reader that fails is counted: ``DatabaseBusy``
(the clear "try again" error the portal shows) apart from anything else (a traceback).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import statistics
import sys
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

IDLE, PUBLISH, EXPORT, DONE = 0, 1, 2, 3
PHASES = {PUBLISH: "during the bulk publish", EXPORT: "during the export"}


def write_load(url: str, data_dir: str, k: int, out_dir: str, phase: Any, result: Any) -> None:
    """The writer process: publish one auto policy over the store, then export its grants."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "delivery"))
    import helpers as h

    from huiqi.accounts.testing import FINANCE, OFFICER
    from huiqi.config import get_settings
    from huiqi.db.engine import make_engine, session_factory, transaction
    from huiqi.delivery import publish as publishing
    from huiqi.delivery.disburse import export_batch

    factory = session_factory(make_engine(url))
    text_ = h.policy_yaml(f"bench-ledger-live-{k:03d}", delivery="auto", per_person=500)
    phase.value = PUBLISH
    t = time.perf_counter()
    pv, report = publishing.publish(
        get_settings(data_dir), factory, text_, actor=OFFICER, filename=f"live{k}.yaml"
    )
    published = time.perf_counter() - t
    phase.value = EXPORT
    t = time.perf_counter()
    with transaction(factory) as s:
        batch = export_batch(s, out_dir=Path(out_dir), actor=FINANCE, policy_version_id=pv.id)
        exported = batch.grants
    result.put((report.granted, published, exported, time.perf_counter() - t))
    phase.value = DONE


def time_while_writing(
    url: str,
    data_dir: Path,
    k: int,
    out_dir: Path,
    calls: dict[str, Callable[[], Any]],
) -> tuple[dict[int, dict[str, list[float]]], dict[str, list[str]], dict[str, list[str]], str]:
    """Run the writer and time ``calls`` round-robin until it is done.

    Returns the milliseconds per phase and query, the busy errors and the other errors
    per query, and a line on what the writer did.
    """
    from huiqi.errors import DatabaseBusy

    ctx = mp.get_context("spawn")
    phase = ctx.Value("i", IDLE)
    result = ctx.Queue()
    writer = ctx.Process(
        target=write_load, args=(url, str(data_dir), k, str(out_dir), phase, result)
    )
    times: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    busy: dict[str, list[str]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    names = list(calls)
    load = [os.getloadavg()[0]]
    writer.start()
    i = 0
    while writer.is_alive() and phase.value != DONE:
        now = phase.value
        if now == IDLE:  # the writer's interpreter is starting
            time.sleep(0.01)
            continue
        name = names[i % len(names)]
        i += 1
        t0 = time.perf_counter()
        try:
            calls[name]()
        except DatabaseBusy as exc:
            busy[name].append(str(exc))
        except Exception as exc:
            errors[name].append(f"{type(exc).__name__}: {exc}".splitlines()[0])
            if len(errors[name]) == 1:
                traceback.print_exc()
        times[now][name].append((time.perf_counter() - t0) * 1000)
        if i % 200 == 0:
            load.append(os.getloadavg()[0])
    writer.join()
    if writer.exitcode != 0:
        raise RuntimeError(f"the writer process failed (exit code {writer.exitcode})")
    granted, published, exported, export_s = result.get(timeout=10)
    summary = (
        f"writer: published {granted:,} auto-grants in {published:.1f} s, exported"
        f" {exported:,} grants in {export_s:.1f} s; load average (1 min) while writing"
        f" {min(load):.2f}–{max(load):.2f}"
    )
    return times, busy, errors, summary


def percentiles(ms: list[float]) -> str:
    """``p50 / p95 / p99 / max`` of a sample, in ms."""
    if len(ms) < 2:
        return " / ".join([f"{ms[0]:.1f}" if ms else "–"] * 4)
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return f"{q[49]:.1f} / {q[94]:.1f} / {q[98]:.1f} / {max(ms):.1f}"


def target_ms(name: str) -> float:
    """The issue's target for a query's p95: 20 ms for an enterprise page, 100 for officers."""
    return 20.0 if name.startswith("enterprise") else 100.0


def verdict(name: str, samples: list[list[float]]) -> str:
    worst = max(
        (statistics.quantiles(ms, n=100, method="inclusive")[94] for ms in samples if len(ms) > 1),
        default=float("nan"),
    )
    return "met" if worst <= target_ms(name) else "**not met**"


def report(
    idle: dict[str, list[float]],
    times: dict[int, dict[str, list[float]]],
    busy: dict[str, list[str]],
    errors: dict[str, list[str]],
    after: dict[str, list[float]],
) -> None:
    """Print the table: per query, idle, each writing phase and after them, the readers'
    errors, and the verdict."""
    print("\np50 / p95 / p99 / max in ms (samples during writes in brackets):")
    print(
        "| query | idle | during the bulk publish | during the export | after both |"
        " errors | p95 target |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, idle_ms in idle.items():
        cells = [percentiles(idle_ms)]
        for ph in PHASES:
            ms = times.get(ph, {}).get(name, [])
            cells.append(f"{percentiles(ms)} ({len(ms)})")
        cells.append(percentiles(after[name]))
        failed = f"{len(busy.get(name, []))} busy, {len(errors.get(name, []))} other"
        samples = [idle_ms, *(times.get(ph, {}).get(name, []) for ph in PHASES), after[name]]
        target = f"≤ {target_ms(name):.0f} ms: {verdict(name, samples)}"
        print(f"| {name} | {' | '.join(cells)} | {failed} | {target} |", flush=True)
    for kind, found in (("busy", busy), ("other", errors)):
        for name, messages in found.items():
            print(f"  {kind} error in {name!r} ({len(messages)}x): {messages[0]}")

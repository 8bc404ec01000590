"""Bulk matching time against population size, on every backend, with a chart.

For each population size (``--sizes``) a synthetic store is built once
(``bench_population.populate_sql``, reused when it exists) and the same policies
(``--policies`` synthetic ones, or a folder of them with ``--policies-dir``) are
matched on each backend of ``--backends``, each run in its own child process: its
peak RSS is its own (with its children's, Spark's JVM included; a PostgreSQL
server's memory is not counted). A backend's start (Spark's JVM, DuckDB's SQL
rendering) is timed apart from ``match``, and ``match``'s frame build or column load
apart from the rest. Every backend's eligible set (USCC, policy, amount) is compared
with DuckDB's at the same size by an order-free digest.

Each point has a time budget (``--budget``): a backend whose time at the next size,
projected from its throughput (evaluations a second) at the largest size it ran,
exceeds the budget is not run at that size or any larger one; the point is recorded
as "not run: projected N s" and drawn dashed. A run past ``--hard-limit`` is stopped
and recorded as such. A backend that cannot run here (CuPy without a GPU, no
PostgreSQL URL) is recorded as skipped, with the reason it gave.

Writes the results as JSON (after every point) and the chart as PNG
(``scale_chart.draw``); ``--record`` appends the table to ``docs/benchmarks.md``.

    HUIQI_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
      .venv/bin/python benchmarks/bench_scale.py --policies 709 --budget 7200
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_array import _digest, _policies  # noqa: E402
from bench_matching import (  # noqa: E402
    DOC,
    in_child,
    machine,
    peak_rss_gib,
    populate_measured,
    publish,
)
from bench_population import store_count  # noqa: E402

from huiqi.config import Settings  # noqa: E402
from huiqi.engine import get_backend, open_snapshot  # noqa: E402
from huiqi.engine.backend import backend_class  # noqa: E402
from huiqi.engine.duckdb.backend import DuckDBBackend  # noqa: E402
from huiqi.errors import ConfigError  # noqa: E402

SIZES = "100000,250000,500000,1000000,2000000,3500000"
BACKENDS = "duckdb,numpy,postgres,spark,cupy"
REFERENCE = "duckdb"


# ---------------------------------------------------------------------- one point
def descendants_peak_gib() -> float:
    """The peak RSS (VmHWM) of this process's live descendants (Spark's JVM), in GiB."""
    parent: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            parent[int(d.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    kids, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, pp in parent.items() if pp in frontier} - kids
        kids |= frontier
    kib = 0
    for pid in kids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    kib += int(line.split()[1])
        except OSError:
            continue
    return kib / 2**20


def phase(
    name: str, data_dir: str, folder: str | None, n: int, seed: int, options: dict[str, Any]
) -> dict[str, Any]:
    """One backend's ``match`` from the snapshot to matches.parquet, in this process."""
    snapshot = open_snapshot(Settings(Path(data_dir)))
    policies = _policies(folder, n, seed)
    started = time.perf_counter()
    backend = get_backend(name, **options)
    if isinstance(backend, DuckDBBackend):
        backend.prepare(policies)  # rendering SQL is not matching (as bench_matching)
    elif name == "spark":
        backend.evaluate(snapshot, policies[:1], usccs=[])  # start the JVM
    startup_s = time.perf_counter() - started
    out_dir = Path(data_dir) / f"scale-{name}"
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    load_before = os.getloadavg()
    started = time.perf_counter()
    run = backend.match(snapshot, policies, run_id=f"scale-{name}", out_dir=out_dir)
    total_s = time.perf_counter() - started
    out = {
        "startup_s": startup_s,
        "frame_s": run.frame_seconds,
        "match_s": run.match_seconds,
        "total_s": total_s,
        "evaluations": run.evaluations,
        "eligible": sum(p.eligible for p in run.policies),
        "kept": sum(p.eligible + p.near_miss + p.needs_data + p.error for p in run.policies),
        "digest": _digest(out_dir / "matches.parquet", eligible=True),
        "load_before": list(load_before),
        "load_after": list(os.getloadavg()),
        "peak_rss_gib": peak_rss_gib() + descendants_peak_gib(),
    }
    shutil.rmtree(out_dir, ignore_errors=True)
    return out


# ---------------------------------------------------------------------- the sweep
def why_not(name: str, args: argparse.Namespace) -> str | None:
    """Why backend ``name`` cannot run here (its own words), or None."""
    if name == "postgres" and not args.postgres_url:
        return "no database: give --postgres-url or set HUIQI_POSTGRES_URL"
    if name == "spark":
        from huiqi.engine.spark.session import missing

        return missing()
    if name == "cupy":
        try:
            backend_class(name)()
        except ConfigError as exc:
            return str(exc)
    return None


# The PostgreSQL connections of a run carry this name, so that a run stopped at the hard
# limit can end its statement on the server too (the server would go on without it).
APPLICATION = "huiqi-bench-scale"


def _named(url: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}application_name={APPLICATION}"


def stop_postgres(url: str) -> None:
    """End the server side of a stopped run's connections."""
    import psycopg

    from huiqi.engine.postgres.backend import libpq_url

    with psycopg.connect(libpq_url(url), autocommit=True) as con:
        con.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            [APPLICATION],
        )


def options_of(name: str, args: argparse.Namespace) -> dict[str, Any]:
    if name == "postgres":
        return {"url": _named(args.postgres_url)}
    if name == "spark":
        return {"master": args.spark_master}
    return {}


def decide(point: dict[str, Any], last: tuple[int, float] | None, budget: float) -> None:
    """Mark ``point`` projected when its time, from the throughput at the largest size
    the backend ran (``last``: enterprises, seconds), would exceed ``budget``."""
    if last is None:
        return
    projected = last[1] * point["enterprises"] / last[0]
    if projected > budget:
        point.update(
            status="projected",
            projected_s=projected,
            reason=f"not run: projected {projected:,.0f} s (budget {budget:,.0f} s)",
        )


def ensure_population(args: argparse.Namespace, n: int) -> tuple[Path, dict[str, Any]]:
    data_dir = args.data_root / f"huiqi-bench-scale-{n}-seed{args.seed}"
    settings = Settings(data_dir)
    if store_count(settings) == n:
        return data_dir, {"population": "reused"}
    shutil.rmtree(data_dir, ignore_errors=True)
    print(f"populating {n:,} enterprises in {data_dir} ...", flush=True)
    return data_dir, in_child(populate_measured, settings, n, args.seed, "sql")


def sweep(
    args: argparse.Namespace,
    res: dict[str, Any],
    save: Callable[..., Any],
    earlier: dict[tuple[str, int], dict[str, Any]],
) -> None:
    """Run every point of ``res``; a point measured by an earlier run (``earlier``, with
    ``--merge``) is kept as it is, and counts for the projections."""
    # DuckDB first: the others' eligible sets are compared with its own.
    runnable = sorted((b for b in res["backends"] if b not in res["skipped"]), key=REFERENCE.__ne__)
    last: dict[str, tuple[int, float]] = {}
    halted: dict[str, str] = {}
    for n in res["sizes"]:
        points, todo = [], set()
        for name in runnable:
            prior = earlier.get((name, n))
            if prior is not None and prior["status"] == "measured":
                points.append(dict(prior))
                last[name] = (n, prior["total_s"])
                continue
            point: dict[str, Any] = {"backend": name, "enterprises": n, "status": "measured"}
            if name in halted:
                point.update(status="not run", reason=halted[name])
            else:
                decide(point, last.get(name), args.budget)
            if point["status"] == "measured":
                todo.add(name)
            points.append(point)
        if todo:
            data_dir, res["populations"][str(n)] = ensure_population(args, n)
        reference = None
        for point in points:
            name = point["backend"]
            if name in todo:
                run_one(args, point, data_dir, last, halted)
            if point["status"] == "measured":
                if name == REFERENCE:
                    reference = point["digest"]
                if reference is not None:
                    point["same_eligible_as_duckdb"] = point["digest"] == reference
            res["points"].append(point)
            print(f"{n:>9,} {name:<9} {_summary(point)}", flush=True)
            save(res)


def run_one(
    args: argparse.Namespace,
    point: dict[str, Any],
    data_dir: Path,
    last: dict[str, tuple[int, float]],
    halted: dict[str, str],
) -> None:
    name, n = point["backend"], point["enterprises"]
    common = (name, str(data_dir), args.policies_dir, args.policies, args.seed)
    started = time.perf_counter()
    try:
        point.update(in_child(phase, *common, options_of(name, args), timeout=args.hard_limit))
    except mp.TimeoutError:
        point.update(status="stopped", total_s=time.perf_counter() - started)
        if name == "postgres":
            stop_postgres(args.postgres_url)
        point["reason"] = f"stopped after {point['total_s']:,.0f} s (hard limit)"
        halted[name] = f"not run: stopped at {n:,} enterprises"
        return
    except Exception as exc:  # a backend's failure is a result, recorded as such
        point.update(status="failed", reason=f"{type(exc).__name__}: {exc}")
        halted[name] = f"not run: failed at {n:,} enterprises"
        return
    last[name] = (n, point["total_s"])


def _summary(p: dict[str, Any]) -> str:
    if p["status"] != "measured":
        return p.get("reason", p["status"])
    same = p.get("same_eligible_as_duckdb")
    return (
        f"total {p['total_s']:.1f} s (frame {p['frame_s']:.1f} s, start {p['startup_s']:.1f} s),"
        f" peak {p['peak_rss_gib']:.2f} GiB, eligible {p['eligible']:,}"
        + ("" if same is None else f", same as duckdb: {'yes' if same else 'NO'}")
        + f", load {p['load_before'][0]:.1f}"
    )


# ---------------------------------------------------------------------- report
def _time(p: dict[str, Any]) -> float | None:
    return p.get("total_s") if p["status"] == "measured" else p.get("projected_s")


def render(res: dict[str, Any]) -> str:
    m, pol = res["machine"], res["policies"]
    loads = [x for p in res["points"] for x in (p.get("load_before", [None])[0],) if x]
    lines = [
        f"### {res['date'][:16].replace('T', ' ')} UTC: {pol} policies,"
        f" {res['sizes'][0]:,} to {res['sizes'][-1]:,} enterprises",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM; Python {m['python']},"
        f" DuckDB {m['duckdb']}; {m['os']}. Load average (1 min) at the start of the runs:"
        + (f" {min(loads):.1f} to {max(loads):.1f}." if loads else " n/a."),
        "Commands: "
        + "; then ".join(
            f"`{r['command']}` ({r['date'][11:16]} UTC; budget {r['budget_s']:,.0f} s a point,"
            f" hard limit {r['hard_limit_s']:,.0f} s)"
            for r in runs_of(res)
        )
        + ".",
        "",
        "| enterprises | backend | status | start s | frame / load s | match s | total s"
        " | evaluations/s | x duckdb | peak RSS GiB | eligible | same eligible set |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    ref = {p["enterprises"]: _time(p) for p in res["points"] if p["backend"] == REFERENCE}
    for p in res["points"]:
        t, r = _time(p), ref.get(p["enterprises"])
        ratio = f"{t / r:,.1f}" if t and r else "-"
        if p["status"] != "measured":
            lines.append(
                f"| {p['enterprises']:,} | {p['backend']} | {p['reason']} | - | - | - | - | - |"
                f" {'~' if t else ''}{ratio} | - | - | - |"
            )
            continue
        same = {True: "yes", False: "NO", None: "-"}[p.get("same_eligible_as_duckdb")]
        lines.append(
            f"| {p['enterprises']:,} | {p['backend']} | measured | {p['startup_s']:.1f}"
            f" | {p['frame_s']:.1f} | {p['match_s']:.1f} | {p['total_s']:.1f}"
            f" | {p['evaluations'] / p['total_s']:,.0f} | {ratio} | {p['peak_rss_gib']:.2f}"
            f" | {p['eligible']:,} | {same} |"
        )
    lines.append("")
    for name, why in res["skipped"].items():
        lines.append(f"{name}: skipped, {why}.")
    lines += ["", target_projection(res), ""]
    return "\n".join(lines)


def runs_of(res: dict[str, Any]) -> list[dict[str, Any]]:
    """The commands that made ``res`` (one, unless runs were merged)."""
    return res.get("runs") or [{k: res[k] for k in ("command", "date", "budget_s", "hard_limit_s")}]


def merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The results of an earlier run (``old``) with a later run's points added."""
    if (old["policies"], old["seed"]) != (new["policies"], new["seed"]):
        raise SystemExit("--merge: the earlier results used other policies or another seed")
    backends = old["backends"] + [b for b in new["backends"] if b not in old["backends"]]
    replaced = {(p["backend"], p["enterprises"]) for p in new["points"]}
    points = [p for p in old["points"] if (p["backend"], p["enterprises"]) not in replaced]
    points += new["points"]
    ran = {p["backend"] for p in new["points"]}
    skipped = {**old["skipped"], **new["skipped"]}
    return {
        **new,
        "date": old["date"],
        "runs": runs_of(old) + runs_of(new),
        "sizes": sorted(set(old["sizes"]) | set(new["sizes"])),
        "backends": backends,
        "skipped": {b: why for b, why in skipped.items() if b not in ran},
        "populations": {**old["populations"], **new["populations"]},
        "points": sorted(points, key=lambda p: (p["enterprises"], backends.index(p["backend"]))),
    }


def target_projection(res: dict[str, Any]) -> str:
    """Each backend's time at the target size, linear in evaluations from its throughput
    at the largest size it ran (an upper bound where a run has fixed costs)."""
    n, p = res["target"]
    parts = []
    for name in res["backends"]:
        ran = [x for x in res["points"] if x["backend"] == name and x["status"] == "measured"]
        if ran:
            best = max(ran, key=lambda x: x["enterprises"])
            secs = best["total_s"] * n * p / best["evaluations"]
            parts.append(f"{name} ~{secs:,.0f} s (from {best['enterprises']:,})")
    return f"Projected to {n:,} x {p} from each backend's throughput: " + "; ".join(parts) + "."


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default=SIZES, help=f"population sizes (default {SIZES})")
    ap.add_argument("--policies", type=int, default=709, help="synthetic policies (default 709)")
    ap.add_argument("--policies-dir", default=None, help="a folder of policies instead")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--backends", default=BACKENDS)
    ap.add_argument("--budget", type=float, default=600.0, help="seconds a point may take")
    ap.add_argument("--hard-limit", type=float, default=None, help="default: 3 x budget")
    ap.add_argument("--postgres-url", default=os.environ.get("HUIQI_POSTGRES_URL"))
    ap.add_argument("--spark-master", default="local[2]")
    ap.add_argument("--target", default="3500000x709", help="size to project to, NxP")
    ap.add_argument("--data-root", type=Path, default=Path("/tmp"))
    ap.add_argument("--json", type=Path, default=ROOT / "docs" / "img" / "matching-scale.json")
    ap.add_argument("--chart", type=Path, default=ROOT / "docs" / "img" / "matching-scale.png")
    ap.add_argument(
        "--merge",
        action="store_true",
        help="add to the results already in --json (same policies and seed): points they"
        " measured are kept, the others run (or projected) and put in",
    )
    ap.add_argument("--record", action="store_true", help=f"append the table to {DOC}")
    args = ap.parse_args(argv)
    args.hard_limit = args.hard_limit or 3 * args.budget
    backends = args.backends.split(",")
    res: dict[str, Any] = {
        "machine": machine(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "python benchmarks/bench_scale.py "
        + shlex.join(sys.argv[1:] if argv is None else argv),
        "policies": args.policies_dir or args.policies,
        "seed": args.seed,
        "budget_s": args.budget,
        "hard_limit_s": args.hard_limit,
        "runs": [],
        "target": [int(x) for x in args.target.split("x")],
        "sizes": sorted(int(s) for s in args.sizes.split(",")),
        "backends": backends,
        "skipped": {b: why for b in backends if (why := why_not(b, args))},
        "populations": {},
        "points": [],
    }
    res["runs"] = runs_of(res)
    for name, why in res["skipped"].items():
        print(f"{name}: skipped, {why}", flush=True)
    previous = orjson.loads(args.json.read_bytes()) if args.merge and args.json.exists() else None

    def save(current: dict[str, Any]) -> dict[str, Any]:
        out = merged(previous, current) if previous else current
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_bytes(orjson.dumps(out, option=orjson.OPT_INDENT_2))
        return out

    earlier = {(p["backend"], p["enterprises"]): p for p in (previous or {}).get("points", [])}
    sweep(args, res, save, earlier)
    res = save(res)
    try:
        from scale_chart import draw  # matplotlib: the ``bench`` extra
    except ImportError as exc:  # a GPU machine without it: draw the chart elsewhere
        chart = f"not drawn ({exc}): python benchmarks/scale_chart.py {args.json} CHART.png"
    else:
        draw(res, args.chart)
        chart = str(args.chart)
    publish(render(res), record=args.record)
    print(f"results: {args.json}; chart: {chart}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

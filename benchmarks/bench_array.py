"""Benchmark the array backend ('numpy') against the DuckDB backend, back to back.

Both backends match the same policies over the same snapshot, each run in its own
child process (its peak RSS is its own), alternating ``--rounds`` times (A/B), and
their ``matches.parquet`` files are compared (an order-free digest). The numpy
backend is run twice per child: cold (loading the columns) and warm (the columns
held on the backend object, as in a long-running service).

Two sources of data:

* ``--anchors N P``: the anchors' population and policies (``../shared/anchors``,
  see its README): ``bench_engines.py gen`` and ``to_huiqi.py convert`` are run into
  ``--anchors-data`` if missing, the three registry files are imported into a huiqi
  store there once, and the anchors' reference engines (``numpy_narrowing``,
  ``duckdb_union_all_enum``) are run back to back with huiqi's backends;
* otherwise a store made by ``bench_matching.py`` (``--data-dir``) and
  ``--policies`` synthetic policies.

``--record`` appends the results to ``docs/benchmarks.md``.

    .venv/bin/python benchmarks/bench_array.py --anchors 1000000 100 --record
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_matching import DOC, in_child, machine, peak_rss_gib, publish  # noqa: E402

from huiqi.config import Settings  # noqa: E402
from huiqi.engine import CompiledPolicy, compile_policy, get_backend, open_snapshot  # noqa: E402
from huiqi.engine.array.backend import NumpyBackend  # noqa: E402
from huiqi.engine.array.columns import Frame  # noqa: E402
from huiqi.engine.array.criteria import CriterionStore, key_of  # noqa: E402
from huiqi.engine.array.match import PolicyRows, match_policy  # noqa: E402
from huiqi.engine.array.starts import build_indexes  # noqa: E402
from huiqi.engine.duckdb.backend import DuckDBBackend  # noqa: E402
from huiqi.engine.duckdb.evaluate import requirements  # noqa: E402
from huiqi.engine.results import STATUSES  # noqa: E402
from huiqi.engine.snapshot import Snapshot  # noqa: E402
from huiqi.policies.loader import load_library  # noqa: E402
from huiqi.policies.synth import synth_policies  # noqa: E402

ANCHORS = ROOT.parent / "shared" / "anchors"


# ---------------------------------------------------------------------- data
def prepare_anchors(n: int, p: int, anchors_data: Path) -> tuple[Path, Path]:
    """The anchors' data as a huiqi store and a folder of policies (made once)."""
    env = dict(os.environ, ANCHORS_DATA=str(anchors_data))
    hq = anchors_data / f"hq-{n}-{p}"
    if not (hq / "policies").exists():
        py = sys.executable
        subprocess.run(
            [py, str(ANCHORS / "bench_engines.py"), "gen", "--n", str(n), "--p", str(p)],
            env=env,
            check=True,
        )
        subprocess.run(
            [
                py,
                str(ANCHORS / "to_huiqi.py"),
                "convert",
                "--n",
                str(n),
                "--p",
                str(p),
                "--out",
                str(hq),
            ],
            env=env,
            check=True,
        )
    store = anchors_data / f"huiqi-{n}"
    if not (store / "IMPORTED").exists():
        shutil.rmtree(store, ignore_errors=True)
        in_child(_import, str(store), str(hq))
        (store / "IMPORTED").write_text(dt.datetime.now().isoformat(), encoding="utf-8")
    return store, hq / "policies"


def _import(store: str, hq: str) -> dict[str, Any]:
    from huiqi.profiles.importer import import_file

    settings = Settings(Path(store))
    started = time.perf_counter()
    for name in ("anchor_static", "anchor_yearly", "anchor_quals"):
        import_file(
            settings,
            Path(hq) / f"{name}.parquet",
            mapping=str(Path(hq) / "mappings" / f"{name}.yaml"),
        )
    return {"import_s": time.perf_counter() - started}


def _policies(folder: str | None, n: int, seed: int) -> list[CompiledPolicy]:
    if folder:
        return [compile_policy(lp) for lp in load_library([Path(folder)]).policies]
    return [compile_policy(p) for p in synth_policies(n, seed)]


# ---------------------------------------------------------------------- phases
def phase(
    name: str, data_dir: str, folder: str | None, n: int, seed: int, runs: int
) -> dict[str, Any]:
    """Match with backend ``name`` ``runs`` times in this process; times and a digest."""
    snapshot = open_snapshot(Settings(Path(data_dir)))
    policies = _policies(folder, n, seed)
    backend = get_backend(name)
    if isinstance(backend, DuckDBBackend):
        backend.prepare(policies)  # rendering SQL is not matching (as bench_matching)
    out: dict[str, Any] = {"backend": name, "policies": len(policies), "runs": []}
    for i in range(runs):
        out_dir = Path(data_dir) / f"bench-{name}-{i}"
        shutil.rmtree(out_dir, ignore_errors=True)
        out_dir.mkdir(parents=True)
        started = time.perf_counter()
        run = backend.match(snapshot, policies, run_id=f"{name}{i}", out_dir=out_dir)
        total = time.perf_counter() - started
        out["runs"].append(
            {
                "frame_s": run.frame_seconds,
                "match_s": run.match_seconds,
                "total_s": total,
                "write_s": total - run.frame_seconds - run.match_seconds,
            }
        )
        out["enterprises"] = run.enterprises
        out["eligible"] = sum(p.eligible for p in run.policies)
        out["kept"] = sum(p.eligible + p.near_miss + p.needs_data + p.error for p in run.policies)
        out["fallbacks"] = len(run.fallbacks)
        out["digest"] = _digest(out_dir / "matches.parquet")
        if i < runs - 1:
            shutil.rmtree(out_dir)
    if isinstance(backend, NumpyBackend):
        out["without_near_misses"] = held(backend, snapshot, policies, 1)
    out["peak_rss_gib"] = peak_rss_gib()
    return out


def held(
    backend: NumpyBackend, snapshot: Snapshot, policies: list[CompiledPolicy], repeat: int
) -> dict[str, Any]:
    """The issue's work over the held columns, best of ``repeat`` (no file written):

    * ``indexes_s``: building the indexes policies start from (once per snapshot, kept
      with the columns; 0 when a run before built them);
    * ``rows_s``: eligible + needs-data rows and every policy's counts by status, a row
      leaving at its first failure (no near misses at all);
    * ``bulk_s``: what ``match`` computes before writing its file: the same, plus how
      many enterprises miss each criterion alone (near-miss rows kept only for
      ``apply`` policies).
    """
    frame = backend.frame(snapshot, requirements(policies))
    distinct = {key_of(c): c for cp in policies for c in cp.checked}
    started = time.perf_counter()
    build_indexes(frame, distinct.values())
    out: dict[str, Any] = {"indexes_s": time.perf_counter() - started}
    rows_s, bulk_s = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        store = CriterionStore(frame, policies, eager=False)
        for crit, share in build_indexes(frame, distinct.values()):
            store.estimate(crit, share)
        with ThreadPoolExecutor(max_workers=backend.workers) as pool:
            list(pool.map(store.prepare, distinct.values()))
            got = list(pool.map(partial(_rows_only, store=store, frame=frame), policies))
        counts = [np.bincount(r.status, minlength=len(STATUSES)) for r in got]
        rows_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        kept, _, _ = backend.match_frame(frame, policies)
        bulk_s.append(time.perf_counter() - started)
    out["rows_s"], out["bulk_s"] = min(rows_s), min(bulk_s)
    out["eligible"] = int(sum(c[0] for c in counts))
    out["needs_data"] = int(sum(c[STATUSES.index("needs_data")] for c in counts))
    out["near_miss"] = sum(n for found in kept.near.values() for n in found.values())
    out["kept_rows"] = sum(len(p[0]) for p in kept.parts)
    return out


def _rows_only(cp: CompiledPolicy, *, store: CriterionStore, frame: Frame) -> PolicyRows:
    return match_policy(cp, store, frame, near_misses=False)


def held_phase(data_dir: str, folder: str | None, n: int, seed: int, repeat: int) -> dict[str, Any]:
    """``held`` alone in a fresh process (columns loaded first, not timed)."""
    snapshot = open_snapshot(Settings(Path(data_dir)))
    policies = _policies(folder, n, seed)
    backend = get_backend("numpy")
    assert isinstance(backend, NumpyBackend)
    started = time.perf_counter()
    backend.frame(snapshot, requirements(policies))
    load_s = time.perf_counter() - started
    out = held(backend, snapshot, policies, repeat)
    return {**out, "load_s": load_s, "policies": len(policies), "peak_rss_gib": peak_rss_gib()}


def _digest(path: Path, *, eligible: bool = False) -> list[Any]:
    """An order-free fingerprint of a matches.parquet: of every row, or with ``eligible``
    of the eligible rows' USCC, policy and amount only (what every backend must agree on)."""
    if eligible:
        cols = "uscc::VARCHAR, policy_id::VARCHAR, amount_fen::BIGINT"
        where = " WHERE status = 'eligible'"
    else:
        cols, where = "uscc, policy_id, status, amount_fen, failed_criterion, unknown_criteria", ""
    con = duckdb.connect()
    row = con.execute(
        f"SELECT COUNT(*), SUM(hash({cols}) % 1000000007), SUM(amount_fen)"
        f" FROM read_parquet(?){where}",
        [str(path)],
    ).fetchone()
    con.close()
    return [int(v) if v is not None else None for v in (row or ())]


REF_LINE = re.compile(r"^(\S+)\s+t=(\d+)\s+rows=\s*(\d+)\s+eval\s+([\d.]+)s.*peak\s+(\d+) MB")


def reference_engines(n: int, p: int, anchors_data: Path) -> dict[str, dict[str, float]]:
    """The anchors' reference engines on the same data (their best of 3, 2 threads)."""
    env = dict(os.environ, ANCHORS_DATA=str(anchors_data))
    cmd = [sys.executable, str(ANCHORS / "bench_engines.py"), "run", "--n", str(n)]
    cmd += ["--p", str(p), "--engines", "numpy_narrowing,duckdb_union_all_enum"]
    cmd += ["--threads", "2", "--repeat", "3"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    out: dict[str, dict[str, float]] = {}
    for line in done.stdout.splitlines():
        m = REF_LINE.match(line.strip())
        if m:
            out[m.group(1)] = {"eval_s": float(m.group(4)), "peak_gib": int(m.group(5)) / 1024}
    return out


# ---------------------------------------------------------------------- report
def render(args: argparse.Namespace, res: dict[str, Any]) -> str:
    m = res["machine"]
    first = res["rounds"][0]
    n, p = first["duckdb"]["enterprises"], first["duckdb"]["policies"]
    lines = [
        f"### Array backend: {n:,} enterprises x {p} policies, numpy vs duckdb"
        f" ({dt.datetime.now():%Y-%m-%d %H:%M})",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM; Python {m['python']},"
        f" DuckDB {m['duckdb']}; {m['os']}. Load average before/after: {res['load_before']}"
        f" / {os.getloadavg()[0]:.1f} (the machine is shared).",
        f"Data: {res['source']}. Command: `.venv/bin/python benchmarks/bench_array.py"
        + (f" --anchors {args.anchors[0]} {args.anchors[1]}" if args.anchors else "")
        + f" --rounds {args.rounds}`.",
        "",
        "| round | backend | run | load columns / frame s | match s | write matches.parquet s"
        " | total s | peak RSS GiB |",
        "|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for i, rnd in enumerate(res["rounds"], start=1):
        for name in ("duckdb", "numpy"):
            ph = rnd[name]
            for j, r in enumerate(ph["runs"]):
                label = "" if name == "duckdb" else ("cold" if j == 0 else "warm (columns held)")
                lines.append(
                    f"| {i} | {name} | {label} | {r['frame_s']:.2f} | {r['match_s']:.2f}"
                    f" | {r['write_s']:.2f} | {r['total_s']:.2f} | {ph['peak_rss_gib']:.2f} |"
                )
    best = {
        name: min(r["match_s"] for rnd in res["rounds"] for r in rnd[name]["runs"])
        for name in ("duckdb", "numpy")
    }
    same = all(rnd["duckdb"]["digest"] == rnd["numpy"]["digest"] for rnd in res["rounds"])
    lines += [
        "",
        f"Kept rows {first['numpy']['kept']:,} ({first['numpy']['eligible']:,} eligible);"
        f" matches.parquet identical (digest): {'yes' if same else 'NO'};"
        f" policies handed to DuckDB: {first['numpy']['fallbacks']}."
        f" Best matching time: numpy {best['numpy']:.2f} s, duckdb {best['duckdb']:.2f} s"
        f" (ratio {best['duckdb'] / best['numpy']:.1f}x).",
    ]
    plain = [rnd["numpy"]["without_near_misses"] for rnd in res["rounds"]]
    best_plain = min(w["rows_s"] for w in plain)
    lines.append(
        f"Held columns, no file (eligible + needs-data rows and counts by status):"
        f" numpy {best_plain:.2f} s; with near-miss counts per criterion (what `match`"
        f" computes before writing): {min(w['bulk_s'] for w in plain):.2f} s;"
        f" {plain[0]['eligible']:,} eligible"
        f" ({'the same' if plain[0]['eligible'] == first['numpy']['eligible'] else 'NOT the same'}"
        f" as the full run), {plain[0]['needs_data']:,} needs-data."
    )
    ref = res.get("reference")
    if ref:
        parts = [
            f"`{k}` {v['eval_s']:.2f} s (peak {v['peak_gib']:.2f} GiB)" for k, v in ref.items()
        ]
        lines.append(
            "Reference engines on the same data, run right after (eligible set only, best of 3,"
            f" 2 threads): {', '.join(parts)}."
        )
        nn = ref.get("numpy_narrowing")
        if nn:
            lines.append(
                f"numpy backend / `numpy_narrowing`: {best['numpy'] / nn['eval_s']:.1f} for"
                f" `match` (near misses counted per criterion, their rows kept for `apply`"
                f" policies only), {best_plain / nn['eval_s']:.1f} without near misses."
            )
    lines.append("")
    return "\n".join(lines)


def render_held(args: argparse.Namespace, res: dict[str, Any]) -> str:
    """The ``--held`` report: the issue's work over held columns against the reference."""
    m, runs = res["machine"], res["held"]
    best = {k: min(r[k] for r in runs) for k in ("rows_s", "bulk_s")}
    first = runs[0]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM; Python {m['python']}."
        f" Load average (1, 5, 15 min) before: {res['load_before']}, after:"
        f" {', '.join(f'{x:.1f}' for x in os.getloadavg())}.",
        f"Data: {res['source']}. Command: `.venv/bin/python benchmarks/bench_array.py"
        + (f" --anchors {args.anchors[0]} {args.anchors[1]}" if args.anchors else "")
        + f" --held --rounds {args.rounds}`.",
        "",
        "| round | load columns s | build indexes s | rows + counts s | + near-miss counts s"
        " | peak RSS GiB |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for i, r in enumerate(runs, start=1):
        lines.append(
            f"| {i} | {r['load_s']:.2f} | {r['indexes_s']:.2f} | {r['rows_s']:.2f}"
            f" | {r['bulk_s']:.2f} | {r['peak_rss_gib']:.2f} |"
        )
    lines += [
        "",
        f"{first['policies']} policies: {first['eligible']:,} eligible, {first['needs_data']:,}"
        f" needs-data rows; {first['near_miss']:,} near misses counted per criterion;"
        f" {first['kept_rows']:,} rows kept by the bulk path.",
    ]
    nn = res.get("reference", {}).get("numpy_narrowing")
    if nn:
        lines.append(
            f"`numpy_narrowing` (eligible set only, best of 3, 2 threads, run right after):"
            f" {nn['eval_s']:.2f} s. Ratio numpy backend / `numpy_narrowing`:"
            f" {best['rows_s'] / nn['eval_s']:.2f} for rows + counts,"
            f" {best['bulk_s'] / nn['eval_s']:.2f} with near-miss counts."
        )
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--anchors", nargs=2, type=int, metavar=("N", "P"), default=None)
    ap.add_argument("--anchors-data", type=Path, default=Path("/tmp/anchors-data"))
    ap.add_argument("--data-dir", default="/tmp/huiqi-bench-100000")
    ap.add_argument("--policies", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=2, help="A/B rounds (duckdb, then numpy)")
    ap.add_argument("--no-reference", action="store_true", help="skip the anchors' engines")
    ap.add_argument("--record", action="store_true", help=f"append the results to {DOC}")
    ap.add_argument(
        "--held",
        action="store_true",
        help="time only the issue's work over held columns (eligible + needs-data rows and"
        " counts, then with near-miss counts), --rounds fresh processes, then the reference",
    )
    ap.add_argument("--repeat", type=int, default=3, help="--held: best of this many")
    args = ap.parse_args(argv)
    res: dict[str, Any] = {"machine": machine(), "load_before": f"{os.getloadavg()[0]:.1f}"}
    folder: str | None = None
    data_dir = args.data_dir
    if args.anchors:
        n, p = args.anchors
        store, policies = prepare_anchors(n, p, args.anchors_data)
        data_dir, folder = str(store), str(policies)
        res["source"] = f"the anchors' population and policies ({n:,} x {p}), imported"
    else:
        res["source"] = f"store {data_dir}, {args.policies} synthetic policies (seed {args.seed})"
    if args.held:
        res["held"] = []
        for i in range(args.rounds):
            got = in_child(held_phase, data_dir, folder, args.policies, args.seed, args.repeat)
            print(f"held round {i + 1}", got, flush=True)
            res["held"].append(got)
        if args.anchors and not args.no_reference:
            res["reference"] = reference_engines(*args.anchors, args.anchors_data)
            print("reference", res["reference"], flush=True)
        publish(render_held(args, res), record=args.record)
        return 0
    res["rounds"] = []
    for i in range(args.rounds):
        rnd = {}
        for name, runs in (("duckdb", 1), ("numpy", 2)):
            rnd[name] = in_child(phase, name, data_dir, folder, args.policies, args.seed, runs)
            print(f"round {i + 1}", name, rnd[name], flush=True)
        res["rounds"].append(rnd)
    if args.anchors and not args.no_reference:
        res["reference"] = reference_engines(*args.anchors, args.anchors_data)
        print("reference", res["reference"], flush=True)
    publish(render(args, res), record=args.record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

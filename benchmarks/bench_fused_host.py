"""The GPU path's host side, on this machine: the fused plan's build timed alone, and
``match`` end to end on the numpy backend and on ``CupyBackend``'s CPU twin (issue 13).

``plan`` times ``build_plan`` on the anchors' data, with the plan's digest (what a change
to the plan builder must keep unchanged). ``twin`` runs ``match`` on the numpy backend
and on ``FusedBackend`` (``CupyBackend``'s host code with the plan evaluated by NumPy),
each in its own process, with the twin's steps timed, and compares their
``matches.parquet``; the GPU's own part (``bench_fused.py gpu``) replaces ``outcomes`` for
an estimate of ``--backend cupy`` here.

    .venv/bin/python benchmarks/bench_fused_host.py plan --anchors 3500000 709 --repeat 2
    .venv/bin/python benchmarks/bench_fused_host.py twin --anchors 3500000 709 --repeat 2
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_matching import peak_rss_gib  # noqa: E402


# ---------------------------------------------------------------------- plan
def plan_step(args: argparse.Namespace) -> int:
    """Time ``build_plan`` alone (wall and CPU) on the anchors' data, with the plan's
    digest: what a change to the plan builder must keep."""
    from bench_array import _policies, prepare_anchors

    from huiqi.config import Settings
    from huiqi.engine import get_backend, open_snapshot
    from huiqi.engine.array.fused import build_plan
    from huiqi.engine.duckdb.evaluate import requirements

    n, p = args.anchors
    store, folder = prepare_anchors(n, p, args.anchors_data)
    policies = _policies(str(folder), 0, 0)
    frame = get_backend("numpy").frame(open_snapshot(Settings(store)), requirements(policies))
    for _ in range(args.repeat):
        started, cpu = time.perf_counter(), time.process_time()
        build = build_plan(frame, policies)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"{n:,} x {p}: plan {wall:.2f} s wall, {cpu:.2f} s CPU; {len(build.policies)}"
            f" planned, {len(build.others)} left out; digest {build.plan.digest()[:16]};"
            f" load average {os.getloadavg()[0]:.1f}; peak RSS {peak_rss_gib():.2f} GiB",
            flush=True,
        )
    return 0


# ---------------------------------------------------------------------- twin
def _twin_run(name: str, store: str, folder: str, out_dir: str) -> dict[str, Any]:
    """``match`` of the numpy backend, or of ``FusedBackend`` (``CupyBackend``'s host code
    with the plan evaluated by NumPy) with each of its steps timed, in this process."""
    import shutil

    from bench_array import _digest, _policies

    from huiqi.config import Settings
    from huiqi.engine import get_backend, open_snapshot
    from huiqi.engine.array import fused_match

    steps: dict[str, float] = {}

    def timed(step: str, fn: Any) -> Any:
        def run(*a: Any, **k: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                steps[step] = steps.get(step, 0.0) + time.perf_counter() - started

        return run

    class Timed(fused_match.FusedBackend):
        plan = timed("plan", fused_match.FusedBackend.plan)
        outcomes = timed("outcomes (the GPU's part)", fused_match.FusedBackend.outcomes)

    fused_match.describe = timed("describe", fused_match.describe)
    backend = Timed() if name == "fused" else get_backend("numpy")
    snapshot = open_snapshot(Settings(Path(store)))
    policies = _policies(folder, 0, 0)
    shutil.rmtree(out_dir, ignore_errors=True)
    Path(out_dir).mkdir(parents=True)
    started = time.perf_counter()
    run = backend.match(snapshot, policies, run_id=f"twin-{name}", out_dir=Path(out_dir))
    total = time.perf_counter() - started
    out = {
        "backend": name,
        "total_s": total,
        "frame_s": run.frame_seconds,
        "match_s": run.match_seconds,
        "write_s": total - run.frame_seconds - run.match_seconds,
        "steps": steps,
        "digest": _digest(Path(out_dir) / "matches.parquet"),
        "peak_rss_gib": peak_rss_gib(),
    }
    shutil.rmtree(out_dir, ignore_errors=True)
    return out


def twin(args: argparse.Namespace) -> int:
    """``match`` end to end on the numpy backend and on ``CupyBackend``'s CPU twin, each
    in its own process, back to back: the same ``matches.parquet`` (digest of every row),
    and where the twin's time goes; the GPU's part measured on a GPU replaces
    ``outcomes`` for an estimate of ``--backend cupy`` on this machine."""
    from bench_array import prepare_anchors
    from bench_matching import in_child

    n, p = args.anchors
    store, folder = prepare_anchors(n, p, args.anchors_data)
    runs = []
    for name in ("numpy", "fused", "numpy", "fused")[: 2 * args.repeat]:
        load = os.getloadavg()[0]
        got = in_child(_twin_run, name, str(store), str(folder), str(args.scratch / name))
        got["load"] = load
        runs.append(got)
        steps = ", ".join(f"{k} {v:.2f}" for k, v in got["steps"].items())
        print(
            f"{name}: total {got['total_s']:.2f} s (frame {got['frame_s']:.2f}, match"
            f" {got['match_s']:.2f}{'; ' + steps if steps else ''}; writing"
            f" {got['write_s']:.2f}); peak {got['peak_rss_gib']:.2f} GiB; load {load:.1f};"
            f" digest {got['digest']}",
            flush=True,
        )
    same = len({tuple(r["digest"]) for r in runs}) == 1
    print(f"the same matches.parquet from both: {same}")
    return 0 if same else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="step", required=True)
    pl = sub.add_parser("plan", help="time the plan build alone")
    tw = sub.add_parser("twin", help="match end to end: numpy backend and cupy's CPU twin")
    for step in (pl, tw):
        step.add_argument("--anchors", nargs=2, type=int, default=[3_500_000, 709])
        step.add_argument("--anchors-data", type=Path, default=Path("/tmp/anchors-data"))
    pl.add_argument("--repeat", type=int, default=1)
    tw.add_argument("--scratch", type=Path, default=Path("/tmp/huiqi-twin"))
    tw.add_argument("--repeat", type=int, default=1, choices=(1, 2))
    args = ap.parse_args(argv)
    return {"plan": plan_step, "twin": twin}[args.step](args)


if __name__ == "__main__":
    raise SystemExit(main())

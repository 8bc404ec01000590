"""The fused evaluator on a GPU: 3,500,000 enterprises x 709 policies, eligible +
needs-data rows and counts, checked against the numpy backend (issue 13).

Two steps, because the GPU machine has CuPy but not huiqi's dependencies:

``prepare`` (here, with huiqi): the anchors' population and policies are imported into a
huiqi store (``bench_array.prepare_anchors``, once), the numpy backend loads the frame
columns, ``array.fused.build_plan`` turns them into buckets and tables, and the numpy
backend's own rows without near misses (``match_policy(near_misses=False)``, two
workers, as ``bench_array``) are the reference: the fused NumPy evaluator must keep the
same rows with the same outcome. It writes ``plan.npz`` and ``expected.json`` (counts
and a digest of the bitmaps) to ``--out``.

``gpu`` (on the GPU machine; NumPy and CuPy only): loads ``array/fused_plan.py`` and
``array/fused_kernel.py`` by their paths, holds the plan on the GPU, runs the kernel (one
launch for all policies) ``--repeat`` times timed with CUDA events, checks the bitmaps and counts against ``expected.json``,
and times the fused NumPy evaluator on that machine's CPU for the ratio. Writes
``gpu.json``.

``report`` renders both as the Markdown recorded in docs/benchmarks.md.

The plan build alone and ``match`` end to end on the host are ``bench_fused_host.py``.

    .venv/bin/python benchmarks/bench_fused.py prepare --out .gpu
    python3 benchmarks/bench_fused.py gpu --bundle .gpu --out $OUT      # on the GPU machine
    .venv/bin/python benchmarks/bench_fused.py report --bundle .gpu --gpu gpu.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _kernel_module() -> Any:
    """``array/fused_plan.py`` and ``array/fused_kernel.py`` as one namespace, loaded by
    their paths where huiqi's package is not imported (its ``__init__`` needs DuckDB)."""
    import types

    loaded = []
    for name in ("fused_plan", "fused_kernel"):
        qualified = f"huiqi.engine.array.{name}"
        module = sys.modules.get(qualified)
        if module is None:
            path = ROOT / "huiqi" / "engine" / "array" / f"{name}.py"
            spec = importlib.util.spec_from_file_location(qualified, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[qualified] = module  # fused_kernel imports fused_plan by this name
            spec.loader.exec_module(module)
        loaded.append(module)
    return types.SimpleNamespace(**{k: v for m in loaded for k, v in vars(m).items()})


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _peak_rss_gib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


# ---------------------------------------------------------------------- prepare
def prepare(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from concurrent.futures import ThreadPoolExecutor
    from functools import partial

    from bench_array import _policies, prepare_anchors

    from huiqi.config import Settings
    from huiqi.engine import get_backend, open_snapshot
    from huiqi.engine.array.backend import NumpyBackend
    from huiqi.engine.array.criteria import CriterionStore, key_of
    from huiqi.engine.array.fused import build_plan
    from huiqi.engine.array.match import ELIGIBLE, ERROR, NEAR_MISS, NEEDS_DATA, match_policy
    from huiqi.engine.array.starts import build_indexes
    from huiqi.engine.duckdb.evaluate import requirements

    fk = _kernel_module()
    n, p = args.anchors
    store, folder = prepare_anchors(n, p, args.anchors_data)
    snapshot = open_snapshot(Settings(store))
    policies = _policies(str(folder), 0, 0)
    backend = get_backend("numpy")
    assert isinstance(backend, NumpyBackend)
    out: dict[str, Any] = {"n": n, "p": p, "cpu": _cpu(), "cores": os.cpu_count()}
    started = time.perf_counter()
    frame = backend.frame(snapshot, requirements(policies))
    out["load_s"] = time.perf_counter() - started

    started = time.perf_counter()
    build = build_plan(frame, policies)
    out["plan_s"] = time.perf_counter() - started
    plan = build.plan
    out["others"] = build.others
    out["leaves"] = len(plan.leaf_column)
    out["criteria"] = len(plan.op_start) - 1
    out["buckets"] = {c: int(b.max()) + 1 for c, b in zip(plan.columns, plan.buckets, strict=True)}

    # The numpy backend's own rows (bench_array.held's work): without near misses (the
    # issue's "eligible + needs-data + counts"), and with them (what a bulk run keeps).
    distinct = {key_of(c): c for cp in build.policies for c in cp.checked}
    started = time.perf_counter()
    indexes = build_indexes(frame, distinct.values())
    out["indexes_s"] = time.perf_counter() - started
    words = plan.words
    for near in (False, True):
        started = time.perf_counter()
        cstore = CriterionStore(frame, build.policies, eager=near)
        for crit, share in indexes:
            cstore.estimate(crit, share)
        one = partial(match_policy, store=cstore, frame=frame, near_misses=near)
        with ThreadPoolExecutor(max_workers=backend.workers) as pool:
            list(pool.map(cstore.prepare, distinct.values()))
            got = list(pool.map(one, build.policies))
        mode = "near" if near else "plain"
        out[f"numpy_backend_{mode}_s"] = time.perf_counter() - started
        bits = np.zeros((len(fk.OUTCOMES), len(got), words), dtype=np.uint32)
        for q, rows in enumerate(got):
            for k, status in enumerate((ELIGIBLE, NEEDS_DATA, ERROR, NEAR_MISS)):
                bits[k, q] = fk._bitmap(rows.rid[rows.status == status], plan.n, words)
        ref = fk.FusedResult(bits, None)
        out[f"digest_{mode}"] = ref.digest()
        out[f"counts_{mode}"] = [
            [int(np.count_nonzero(r.status == s)) for s in (ELIGIBLE, NEEDS_DATA, ERROR, NEAR_MISS)]
            for r in got
        ]
        del got, bits, ref

    started = time.perf_counter()
    fused = fk.run_numpy(plan)
    out["fused_numpy_s"] = time.perf_counter() - started
    out["same_as_numpy_backend"] = (
        fused.digest() == out["digest_plain"] and fused.counts.tolist() == out["counts_plain"]
    )
    for mode in ("plain", "near"):
        totals = np.array(out[f"counts_{mode}"]).sum(axis=0)
        out[f"totals_{mode}"] = dict(zip(fk.OUTCOMES, (int(t) for t in totals), strict=True))

    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    plan.save(args.out / "plan.npz")
    out["save_s"] = time.perf_counter() - started
    out["plan_mib"] = (args.out / "plan.npz").stat().st_size / 2**20
    out["peak_rss_gib"] = _peak_rss_gib()
    (args.out / "expected.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(
        f"plan {out['plan_s']:.1f} s ({out['plan_mib']:.1f} MiB, {len(build.others)} policies"
        f" left out); numpy backend {out['numpy_backend_plain_s']:.2f} s without near misses,"
        f" {out['numpy_backend_near_s']:.2f} s with; fused NumPy {out['fused_numpy_s']:.2f} s;"
        f" same rows: {out['same_as_numpy_backend']}; {out['totals_plain']}; {out['totals_near']}"
    )
    return 0 if out["same_as_numpy_backend"] else 1


# ---------------------------------------------------------------------- gpu
def gpu(args: argparse.Namespace) -> int:
    fk = _kernel_module()
    expected = json.loads((args.bundle / "expected.json").read_text(encoding="utf-8"))
    out: dict[str, Any] = {
        "cpu": _cpu(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }
    started = time.perf_counter()
    plan = fk.FusedPlan.load(args.bundle / "plan.npz")
    out["load_s"] = time.perf_counter() - started
    try:
        import cupy
    except ImportError as exc:
        print(f"no CuPy here ({exc}): the GPU step needs a machine with CuPy and a GPU")
        return 2
    props = cupy.cuda.runtime.getDeviceProperties(0)
    out["gpu"] = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    out["cupy"] = cupy.__version__
    out["numpy"] = np.__version__
    ok = True
    for mode in ("plain", "near"):
        started = time.perf_counter()
        held = fk.CudaPlan(plan, cupy, near_misses=mode == "near")
        cupy.cuda.Device().synchronize()
        out[f"{mode}_upload_s"] = time.perf_counter() - started
        started = time.perf_counter()
        held.run()
        cupy.cuda.Device().synchronize()
        out[f"{mode}_first_run_s"] = time.perf_counter() - started  # compiles the kernels
        first = held.result()
        same = first.digest() == expected[f"digest_{mode}"]
        same = same and first.counts.tolist() == expected[f"counts_{mode}"]
        times = []
        for _ in range(args.repeat):
            begin, end = cupy.cuda.Event(), cupy.cuda.Event()
            held.bits.fill(0xFFFFFFFF)  # poisoned: every word must be written again
            begin.record()
            held.run()
            end.record()
            end.synchronize()
            times.append(cupy.cuda.get_elapsed_time(begin, end) / 1000)
        again = held.result()
        out[f"{mode}_same"] = same and again.digest() == expected[f"digest_{mode}"]
        ok = ok and out[f"{mode}_same"]
        out[f"{mode}_kernel_s"] = {
            "median": statistics.median(times),
            "min": min(times),
            "max": max(times),
            "runs": len(times),
        }
        with_host = []
        for _ in range(max(3, args.repeat // 5)):
            started = time.perf_counter()
            held.run()
            held.result()
            with_host.append(time.perf_counter() - started)
        out[f"{mode}_run_and_bitmaps_to_host_s"] = statistics.median(with_host)
        with_rows = []
        for _ in range(max(3, args.repeat // 5)):
            started = time.perf_counter()
            held.run()
            gathered = held.rows()
            with_rows.append(time.perf_counter() - started)
        out[f"{mode}_run_and_rows_to_host_s"] = statistics.median(with_rows)
        out[f"{mode}_rows_same"] = all(
            np.array_equal(gathered.rows(o, q), again.rows(o, q))
            for o in fk.OUTCOMES
            for q in range(len(plan.amount_leaf))
        )
        ok = ok and out[f"{mode}_rows_same"]
        out[f"{mode}_totals"] = dict(
            zip(fk.OUTCOMES, (int(t) for t in again.counts.sum(axis=0)), strict=True)
        )
        del held
    pool = cupy.get_default_memory_pool()
    out["gpu_memory_gib"] = pool.total_bytes() / 2**30
    if not args.no_cpu:
        started = time.perf_counter()
        cpu = fk.run_numpy(plan)
        out["fused_numpy_s"] = time.perf_counter() - started
        out["cpu_same"] = cpu.digest() == expected["digest_plain"]
    out["peak_rss_gib"] = _peak_rss_gib()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "gpu.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(json.dumps(out, indent=1))
    return 0 if ok else 1


# ---------------------------------------------------------------------- report
def report(args: argparse.Namespace) -> int:
    e = json.loads((args.bundle / "expected.json").read_text(encoding="utf-8"))
    g = json.loads(args.gpu.read_text(encoding="utf-8"))
    here, there = f"{e['cpu']}, {e['cores']} cores", f"{g['cpu']}, {g['cores']} cores"
    lines = [
        f"Data: the anchors' population and policies, {e['n']:,} x {e['p']}, imported into"
        f" huiqi; {e['p'] - len(e['others'])} policies fused ({len(e['others'])} left to"
        f" another path), {e['leaves']:,} leaves, {e['criteria']:,} distinct criteria"
        f" (relaxed rules included), plan {e['plan_mib']:.1f} MiB compressed.",
        "",
        "| step | where | seconds |",
        "|---|---|---:|",
        f"| load the frame columns (numpy backend) | {here} | {e['load_s']:.2f} |",
        f"| build the fused plan (buckets, tables) | {here} | {e['plan_s']:.2f} |",
        f"| numpy backend: rows and counts, no near misses | {here}"
        f" | {e['numpy_backend_plain_s']:.2f} |",
        f"| numpy backend: the rows a bulk run keeps (near misses too) | {here}"
        f" | {e['numpy_backend_near_s']:.2f} |",
        f"| fused evaluator on NumPy, no near misses | {here} | {e['fused_numpy_s']:.2f} |",
        f"| fused evaluator on NumPy, no near misses | {there}"
        f" | {g.get('fused_numpy_s', float('nan')):.2f} |",
    ]
    for mode, what in (("plain", "no near misses"), ("near", "near misses too")):
        k = g[f"{mode}_kernel_s"]
        lines += [
            f"| hold the plan on the GPU ({what}) | {g['gpu']} | {g[f'{mode}_upload_s']:.2f} |",
            f"| first run, compiling the kernels ({what}) | {g['gpu']}"
            f" | {g[f'{mode}_first_run_s']:.3f} |",
            f"| **fused kernel, every policy, {what}** (median of {k['runs']}; min"
            f" {k['min']:.4f}, max {k['max']:.4f}) | {g['gpu']} | **{k['median']:.4f}** |",
            f"| the same with the bitmaps copied to the host ({what}) | {g['gpu']}"
            f" | {g[f'{mode}_run_and_bitmaps_to_host_s']:.4f} |",
            f"| the same with the rows gathered on the GPU and copied ({what}) | {g['gpu']}"
            f" | {g.get(f'{mode}_run_and_rows_to_host_s', float('nan')):.4f} |",
        ]
    lines += [
        "",
        f"Rows without near misses: {e['totals_plain']}; with: {e['totals_near']}. Fused NumPy"
        f" = numpy backend (bitmap digest and counts): {e['same_as_numpy_backend']}; GPU ="
        f" numpy backend, first run and after poisoned repeats: without near misses"
        f" {g['plain_same']}, with {g['near_same']}; NumPy on the GPU machine's CPU:"
        f" {g.get('cpu_same')}. GPU memory held: {g['gpu_memory_gib']:.2f} GiB.",
    ]
    print("\n".join(lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="step", required=True)
    pre = sub.add_parser("prepare")
    pre.add_argument("--anchors", nargs=2, type=int, default=[3_500_000, 709])
    pre.add_argument("--anchors-data", type=Path, default=Path("/tmp/anchors-data"))
    pre.add_argument("--out", type=Path, default=ROOT / ".gpu")
    g = sub.add_parser("gpu")
    g.add_argument("--bundle", type=Path, default=ROOT / ".gpu")
    g.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", ".")))
    g.add_argument("--repeat", type=int, default=30)
    g.add_argument("--no-cpu", action="store_true", help="skip the NumPy run on this CPU")
    rep = sub.add_parser("report")
    rep.add_argument("--bundle", type=Path, default=ROOT / ".gpu")
    rep.add_argument("--gpu", type=Path, required=True)
    args = ap.parse_args(argv)
    return {"prepare": prepare, "gpu": gpu, "report": report}[args.step](args)


if __name__ == "__main__":
    raise SystemExit(main())

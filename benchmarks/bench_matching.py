"""Benchmark bulk matching: synthetic enterprises x synthetic policies.

Steps (each measured phase runs in its own child process, so that the peak
RSS reported is that phase's own, DuckDB included):

1. a population of ``--enterprises`` enterprises in a profile store under
   ``--data-dir`` (reused when it already holds that many), built by
   ``huiqi.profiles.generate`` + ``importer.import_file`` when those exist and
   ``--population generate`` is asked, else synthesised directly in DuckDB SQL;
2. ``--policies`` synthetic policies (``huiqi.policies.synth``), compiled (parsing,
   checking, lowering) and prepared for DuckDB (``DuckDBBackend.prepare`` renders each
   policy's bulk SQL); timed together, on their own;
3. the engine's bulk matcher: frame build, then ``match_frame`` (one INSERT per policy);
4. the naive per-record Python evaluator (``pyeval.evaluate_policy``) on ``--sample``
   enterprises, for the evaluations-per-second ratio.

``--record`` appends the results to ``docs/benchmarks.md``.

    .venv/bin/python benchmarks/bench_matching.py --enterprises 1000000 --policies 100 --record
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import resource
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from huiqi.config import Settings  # noqa: E402
from huiqi.engine import CompiledPolicy, compile_policy, open_snapshot  # noqa: E402
from huiqi.engine.duckdb.backend import DuckDBBackend  # noqa: E402
from huiqi.engine.duckdb.evaluate import requirements  # noqa: E402
from huiqi.engine.duckdb.frame import FRAME, build_frame  # noqa: E402
from huiqi.engine.duckdb.matcher import PreparedPolicy, match_frame, parts_dir_for  # noqa: E402
from huiqi.engine.duckdb.profile_rows import read_profiles  # noqa: E402
from huiqi.engine.python.pyeval import evaluate_policy  # noqa: E402
from huiqi.policies.synth import synth_policies  # noqa: E402
from huiqi.profiles.store import ProfileStore  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"


# ---------------------------------------------------------------------- machine
def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": f"{ram:.1f} GiB",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "os": platform.platform(),
    }


def peak_rss_gib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def duckdb_memory_gib(con: duckdb.DuckDBPyConnection) -> float | None:
    try:
        row = con.execute("SELECT SUM(memory_usage_bytes) FROM duckdb_memory()").fetchone()
    except duckdb.Error:
        return None
    return float(row[0]) / 2**30 if row and row[0] is not None else None


def in_child(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``fn(*args)`` in a fresh process so its peak RSS is its own."""
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


# ---------------------------------------------------------------------- population
YEARS = (2023, 2024, 2025)
QUALIFICATION_RATES = {"high_tech": 0.06, "tech_sme": 0.10, "innovative_sme": 0.05,
                       "srdi_sme": 0.03, "little_giant": 0.005, "advanced_service": 0.005}  # fmt: skip
_DISTRICTS = "['310115','310115','310115','310112','310112','310117','310114','310104','310107','310110','310113','310118','310120','310101','310105','310106','310109','310116','310151']"
_SECTIONS = "['F','F','F','F','L','L','L','M','M','I','I','C','C','C','E','G','H','K','R','O','A','J','P','Q']"

# Pseudo-random numbers from hash(i, k): the same for a (seed, enterprise, draw) on any
# thread count, which DuckDB's random() is not.
_MACROS = [
    "CREATE OR REPLACE TEMP MACRO u(i, k) AS ((hash(i, k) % 1000000)::DOUBLE + 0.5) / 1e6",
    "CREATE OR REPLACE TEMP MACRO z(i, k) AS"
    " sqrt(-2 * ln(u(i, k))) * cos(2 * pi() * u(i, k + 1000))",
    "CREATE OR REPLACE TEMP MACRO money(x) AS CAST(round(x, 2) AS DECIMAL(18,2))",
    "CREATE OR REPLACE TEMP MACRO maybe(x, i, k, p) AS CASE WHEN u(i, k) < p THEN NULL ELSE x END",
]

_BASE = f"""
CREATE OR REPLACE TEMP TABLE base AS
SELECT i, '91' || d || lpad(CAST(i AS VARCHAR), 10, '0') AS uscc, d, s,
       greatest(1, CAST(round(exp(1.6 + 1.4 * z(i, S + 3))) AS BIGINT)) AS emp,
       (u(i, S + 4) < 0.15 OR (s IN ('I', 'M', 'C') AND u(i, S + 4) < 0.45)) AS innovative,
       u(i, S + 5) < 0.04 AS ai_user,
       exp(0.8 * z(i, S + 6)) AS productivity,
       0.05 + 0.15 * z(i, S + 7) AS growth
FROM (SELECT i,
             {_DISTRICTS}[1 + CAST(floor(u(i, S + 1) * 19) AS INT)] AS d,
             {_SECTIONS}[1 + CAST(floor(u(i, S + 2) * 24) AS INT)] AS s
      FROM range(?) t(i))
"""

_ENTERPRISES = """
INSERT INTO enterprises (uscc, name, registration_date, district_code, uscc_region,
  industry_class, industry_section, registration_type, registered_capital,
  legal_rep_residency, founder_age, tags, credit_dishonest, abnormal_operation,
  ip_class1_count, ip_class2_count, has_rd_institution, updated_snapshot)
SELECT uscc, '合成企业' || i, greatest(DATE '1992-01-01',
         DATE '2025-12-31' - CAST(-ln(u(i, S + 10)) * 3000 AS INT)),
       d, d, NULL, s, 'limited_company', money(emp * 100000 * u(i, S + 11)),
       'hukou', 25 + CAST(u(i, S + 12) * 40 AS INT),
       CASE WHEN ai_user THEN ['ai']
            WHEN u(i, S + 13) < 0.02 THEN ['biomedicine']
            WHEN u(i, S + 13) < 0.03 THEN ['integrated_circuit']
            WHEN u(i, S + 13) < 0.035 THEN ['regional_hq']
            WHEN u(i, S + 13) < 0.04 THEN ['industrial_upstairs']
            ELSE [] END,
       maybe(u(i, S + 14) < 0.01, i, S + 15, 0.02),
       maybe(u(i, S + 16) < 0.03, i, S + 17, 0.02),
       maybe(CASE WHEN innovative THEN CAST(u(i, S + 18) * 8 AS INT) ELSE 0 END, i, S + 19, 0.02),
       CASE WHEN innovative THEN CAST(u(i, S + 20) * 30 AS INT) ELSE 0 END,
       innovative AND u(i, S + 21) < 0.3, ?
FROM base
"""

_YEARS = """
INSERT INTO enterprise_years (uscc, year, serious_violation, employees, size_class, revenue,
  main_business_revenue, total_assets, total_liabilities, total_cost, rd_expense,
  tax_paid, equity_financing, fixed_asset_investment, rent_paid, rd_staff, college_staff,
  insured_employees, ui_premiums_paid, layoffs, graduate_hires, compute_rent,
  model_contract, corpus_contract, updated_snapshot)
SELECT uscc, year, maybe(u(j, S + 30) < 0.005, j, S + 31, 0.02), maybe(e, j, S + 32, 0.02),
       CASE WHEN e >= 1000 THEN 'large' WHEN e >= 300 THEN 'medium'
            WHEN e >= 20 THEN 'small' ELSE 'micro' END,
       maybe(money(rev), j, S + 33, 0.02), money(rev * 0.9), money(rev * (0.5 + 1.5 * u(j, S + 34))),
       money(rev * 0.4 * u(j, S + 35)), money(rev * (0.6 + 0.35 * u(j, S + 36))),
       maybe(money(CASE WHEN innovative THEN rev * 0.09 * u(j, S + 37) ELSE 0 END), j, S + 38, 0.03),
       money(rev * (0.02 + 0.06 * u(j, S + 39))),
       money(CASE WHEN u(j, S + 40) < 0.03 THEN 1e6 + 5e7 * u(j, S + 41) ELSE 0 END),
       money(rev * (CASE WHEN s = 'C' THEN 0.1 ELSE 0.01 END) * u(j, S + 42)),
       maybe(money(e * 20000 * u(j, S + 43)), j, S + 44, 0.05),
       maybe(CASE WHEN innovative THEN CAST(e * 0.3 * u(j, S + 45) AS BIGINT) ELSE 0 END, j, S + 46, 0.03),
       CAST(e * (0.1 + 0.7 * u(j, S + 47)) AS BIGINT),
       maybe(CAST(e * (0.85 + 0.15 * u(j, S + 48)) AS BIGINT), j, S + 49, 0.03),
       maybe(money(e * 420 * (0.8 + 0.4 * u(j, S + 50))), j, S + 51, 0.03),
       CAST(e * 0.06 * u(j, S + 52) AS BIGINT),
       CASE WHEN e >= 10 THEN CAST(e * 0.05 * u(j, S + 53) AS BIGINT) ELSE 0 END,
       money(CASE WHEN ai_user THEN 20000 + 2e6 * u(j, S + 54) ELSE 0 END),
       money(CASE WHEN ai_user THEN 10000 + 1e6 * u(j, S + 55) ELSE 0 END),
       money(CASE WHEN ai_user AND u(j, S + 56) < 0.5 THEN 5000 + 5e5 * u(j, S + 57) ELSE 0 END),
       ?
FROM (SELECT b.*, y.year, b.i * 4 + y.year - 2022 AS j,
             greatest(1, CAST(b.emp * (1 + b.growth * (y.year - 2024)) AS BIGINT)) AS e,
             b.emp * 300000 * b.productivity * (1 + b.growth * (y.year - 2024)) AS rev
      FROM base b CROSS JOIN (SELECT UNNEST(?) AS year) y)
"""

_QUALIFICATIONS = """
INSERT INTO qualifications (uscc, qualification, certificate_id, valid_from, valid_to,
  updated_snapshot)
SELECT uscc, ?, NULL, f, f + INTERVAL 3 YEAR - INTERVAL 1 DAY, ?
FROM (SELECT uscc, DATE '2021-01-01' + CAST(u(i, S + 60 + ?) * 1700 AS INT) AS f,
             u(i, S + 70 + ?) * (CASE WHEN innovative THEN 3 ELSE 0.3 END) AS r
      FROM base)
WHERE r < ?
"""


def populate_sql(settings: Settings, n: int, seed: int) -> None:
    """Synthesise ``n`` enterprises straight into a fresh store, as one frozen snapshot."""
    store = ProfileStore(settings)
    store.init()
    salt = str(seed * 1000)
    with store.connect() as con:
        for macro in _MACROS:
            con.execute(macro)
        sid = store.begin_snapshot(con, kind="benchmark", source_file="bench_matching.py")
        con.execute(_BASE.replace("S +", f"{salt} +"), [n])
        con.execute(_ENTERPRISES.replace("S +", f"{salt} +"), [sid])
        con.execute(_YEARS.replace("S +", f"{salt} +"), [sid, list(YEARS)])
        for k, (q, rate) in enumerate(QUALIFICATION_RATES.items()):
            con.execute(_QUALIFICATIONS.replace("S +", f"{salt} +"), [q, sid, k, k, rate])
        store.finish_snapshot(con, sid, rows_read=n, rows_accepted=n, rows_rejected=0)


def store_count(settings: Settings) -> int:
    store = ProfileStore(settings)
    if not store.exists():
        return 0
    try:
        store.latest_snapshot()
    except Exception:
        return 0
    with store.connect(read_only=True) as con:
        row = con.execute("SELECT COUNT(*) FROM enterprises").fetchone()
    return int(row[0]) if row else 0


def populate_generate(settings: Settings, n: int, seed: int) -> dict[str, Any]:
    """Population through the real pipeline: generate Parquet files, import each one."""
    from huiqi.profiles.generate import generate  # type: ignore[import-not-found]
    from huiqi.profiles.importer import import_file

    out = settings.data_dir / "generated"
    started = time.perf_counter()
    generate(n, seed=seed, out_dir=out, formats=("parquet",))
    generated = time.perf_counter() - started
    started = time.perf_counter()
    for path in sorted(out.glob("*.parquet")):
        import_file(settings, path)
    return {
        "population": "generate + import_file",
        "generate_s": generated,
        "import_s": time.perf_counter() - started,
        "populate_peak_rss_gib": peak_rss_gib(),
    }


def populate(settings: Settings, n: int, seed: int, how: str) -> dict[str, Any]:
    if how == "generate":
        return populate_generate(settings, n, seed)
    started = time.perf_counter()
    populate_sql(settings, n, seed)
    return {
        "population": "DuckDB SQL (populate_sql in this file)",
        "populate_s": time.perf_counter() - started,
        "populate_peak_rss_gib": peak_rss_gib(),
    }


# ---------------------------------------------------------------------- phases
def compiled(n: int, seed: int) -> list[CompiledPolicy]:
    return [compile_policy(p) for p in synth_policies(n, seed)]


def _open_frame(
    con: duckdb.DuckDBPyConnection, policies: list[PreparedPolicy]
) -> tuple[float, int]:
    con.execute("SET enable_progress_bar = false")
    started = time.perf_counter()
    build_frame(con, requirements(p.compiled for p in policies))
    frame_s = time.perf_counter() - started
    row = con.execute(f"SELECT COUNT(*) FROM {FRAME}").fetchone()
    return frame_s, int(row[0]) if row else 0


def _frame_columns(con: duckdb.DuckDBPyConnection) -> int:
    return len(con.execute(f"DESCRIBE {FRAME}").fetchall())


def phase_engine(
    data_dir: str, n_policies: int, seed: int, memory_limit: str | None, only: int | None
) -> dict[str, Any]:
    """The engine as it is: build_frame + match_frame (one INSERT per policy).

    With ``only``, the frame is built for all policies but only the first ``only`` are
    matched (the full set would not fit in memory or time); the report extrapolates.
    """
    wall = time.perf_counter()
    snapshot = open_snapshot(Settings(Path(data_dir)))
    backend = DuckDBBackend(memory_limit=memory_limit)
    started = time.perf_counter()
    prepared = backend.prepare(compiled(n_policies, seed))
    compile_s = time.perf_counter() - started
    with backend.connect(snapshot) as con:
        return _match(con, prepared, snapshot.id, data_dir, only, compile_s, wall)


def _match(
    con: duckdb.DuckDBPyConnection,
    prepared: list[PreparedPolicy],
    sid: int,
    data_dir: str,
    only: int | None,
    compile_s: float,
    wall: float,
) -> dict[str, Any]:
    frame_s, n = _open_frame(con, prepared)
    policies = prepared[:only] if only else prepared
    frame_mem = duckdb_memory_gib(con)
    # The same choice `huiqi match` makes: past PARTS_FROM pairs, Parquet parts.
    run_dir = Path(data_dir) / "bench-run"
    shutil.rmtree(run_dir, ignore_errors=True)
    parts_dir = parts_dir_for(run_dir, n, len(policies))
    started = time.perf_counter()
    summaries = match_frame(con, policies, snapshot_id=sid, parts_dir=parts_dir)
    match_s = time.perf_counter() - started
    slowest = sorted(summaries, key=lambda s: -s.seconds)[:3]
    out = {
        "enterprises": n,
        "policies": len(policies),
        "frame_columns": _frame_columns(con),
        "compile_s": compile_s,
        "frame_s": frame_s,
        "match_s": match_s,
        "match_rows": sum(s.eligible + s.near_miss + s.needs_data for s in summaries),
        "eligible": sum(s.eligible for s in summaries),
        "near_miss": sum(s.near_miss for s in summaries),
        "needs_data": sum(s.needs_data for s in summaries),
        "sink": "Parquet parts" if parts_dir else "in-memory table",
        "per_policy_ms_median": sorted(s.seconds for s in summaries)[len(summaries) // 2] * 1e3,
        "slowest": [f"{s.policy_id} {s.seconds * 1e3:.0f} ms" for s in slowest],
        "duckdb_frame_gib": frame_mem,
        "duckdb_end_gib": duckdb_memory_gib(con),
        "wall_s": time.perf_counter() - wall,
        "peak_rss_gib": peak_rss_gib(),
        "digest": _digest(con, "matches"),
    }
    return out


def _digest(con: duckdb.DuckDBPyConnection, table: str) -> list[Any]:
    """An order-free fingerprint of a matches table, to compare two matchers."""
    row = con.execute(
        "SELECT COUNT(*), SUM(hash(uscc, policy_id, status, amount_fen, failed_criterion,"
        f" unknown_criteria) % 1000000007), SUM(amount_fen) FROM {table}"
    ).fetchone()
    return [int(v) if v is not None else None for v in (row or ())]


def phase_naive(data_dir: str, n_policies: int, seed: int, sample: int) -> dict[str, Any]:
    """The reference evaluator, one enterprise and one policy at a time, on a sample."""
    snapshot = open_snapshot(Settings(Path(data_dir)))
    policies = compiled(n_policies, seed)
    with DuckDBBackend().connect(snapshot) as con:
        usccs = [
            r[0]
            for r in con.execute(
                "SELECT uscc FROM enterprises ORDER BY hash(uscc) LIMIT ?", [sample]
            ).fetchall()
        ]
        profiles = read_profiles(con, sorted(usccs))
    started = time.perf_counter()
    statuses: dict[str, int] = {}
    for prof in profiles:
        for cp in policies:
            st = evaluate_policy(cp, prof).status
            statuses[st] = statuses.get(st, 0) + 1
    seconds = time.perf_counter() - started
    evals = len(profiles) * len(policies)
    return {
        "sample": len(profiles),
        "evaluations": evals,
        "seconds": seconds,
        "evals_per_s": evals / seconds if seconds else 0.0,
        "statuses": statuses,
        "peak_rss_gib": peak_rss_gib(),
    }


# ---------------------------------------------------------------------- report
def _fmt(v: float | None, unit: str = "", digits: int = 2) -> str:
    return "n/a" if v is None else f"{v:,.{digits}f}{unit}"


def render(args: argparse.Namespace, res: dict[str, Any]) -> str:
    m, eng, naive = res["machine"], res["engine"], res.get("naive")
    evals = eng["enterprises"] * eng["policies"]
    eng_rate = evals / eng["match_s"] if eng["match_s"] else 0.0
    lines = [
        f"### {eng['enterprises']:,} enterprises x {res['total_policies']} policies"
        f" ({dt.datetime.now():%Y-%m-%d %H:%M})",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM; Python {m['python']},"
        f" DuckDB {m['duckdb']}; {m['os']}.",
        f"Command: `.venv/bin/python benchmarks/bench_matching.py --enterprises {args.enterprises}"
        f" --policies {args.policies} --seed {args.seed} --sample {args.sample}"
        + (f" --memory-limit {args.memory_limit}" if args.memory_limit else "")
        + (f" --engine-policies {args.engine_policies}" if args.engine_policies else "")
        + "`",
        f"Population: {res['population'].get('population', 'reused store')}"
        + "".join(
            f", {label} {res['population'][key]:.1f} s"
            for key, label in (
                ("populate_s", "built in"),
                ("generate_s", "generated in"),
                ("import_s", "imported in"),
            )
            if key in res["population"]
        )
        + ".",
        "",
        "| matcher | compile s | frame build s | matching s | evaluations/s | wall s"
        " | peak RSS GiB | DuckDB GiB | result rows |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| engine (`match_frame`, kept rows to {eng.get('sink', 'in-memory table')})"
        f" | {eng.get('compile_s', 0):.2f}"
        f" | {eng['frame_s']:.2f}"
        f" | {eng['match_s']:.2f} | {eng_rate:,.0f} | {eng['wall_s']:.2f}"
        f" | {eng['peak_rss_gib']:.2f} | {_fmt(eng['duckdb_end_gib'])} | {eng['match_rows']:,} |",
    ]
    if naive:
        lines.append(
            f"| naive Python (`pyeval`, {naive['sample']:,}-enterprise sample) | - | - |"
            f" {naive['seconds']:.2f} | {naive['evals_per_s']:,.0f} | - |"
            f" {naive['peak_rss_gib']:.2f} | - | - |"
        )
    lines += [
        "",
        f"Frame: {eng['frame_columns']} columns. Results: {eng['eligible']:,} eligible,"
        f" {eng['near_miss']:,} near misses, {eng['needs_data']:,} needs-data."
        f" Median per-policy query {eng['per_policy_ms_median']:.1f} ms;"
        f" slowest: {', '.join(eng['slowest'])}.",
    ]
    if res.get("total_policies", eng["policies"]) != eng["policies"]:
        total = res["total_policies"]
        lines.append(
            f"The engine ran only the first {eng['policies']} of {total} policies (frame built for"
            f" all {total}); extrapolated matching time for all: "
            f"{eng['match_s'] * total / eng['policies']:,.0f} s, result rows"
            f" ~{eng['match_rows'] * total / eng['policies']:,.0f}."
        )
    if naive:
        ratio = eng_rate / naive["evals_per_s"] if naive["evals_per_s"] else 0.0
        lines.append(f"Engine vs naive Python: {ratio:,.0f}x more evaluations per second.")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--enterprises", type=int, default=100_000)
    ap.add_argument("--policies", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sample", type=int, default=2_000, help="enterprises for the naive run")
    ap.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 5GB")
    ap.add_argument("--data-dir", default=None, help="default: /tmp/huiqi-bench-<enterprises>")
    ap.add_argument("--population", choices=("sql", "generate"), default="sql")
    ap.add_argument(
        "--engine-policies",
        type=int,
        default=None,
        help="run the engine on only the first N policies and extrapolate",
    )
    ap.add_argument("--record", action="store_true", help=f"append the results to {DOC}")
    args = ap.parse_args(argv)

    data_dir = Path(args.data_dir or f"/tmp/huiqi-bench-{args.enterprises}")
    settings = Settings(data_dir)
    res: dict[str, Any] = {"machine": machine(), "total_policies": args.policies}
    if store_count(settings) != args.enterprises:
        print(f"populating {args.enterprises:,} enterprises in {data_dir} ...", flush=True)
        if data_dir.exists():
            shutil.rmtree(data_dir)
        res["population"] = in_child(
            populate, settings, args.enterprises, args.seed, args.population
        )
        (data_dir / "POPULATION").write_text(json.dumps(res["population"]), encoding="utf-8")
        print(res["population"], flush=True)
    else:
        marker = data_dir / "POPULATION"
        built = json.loads(marker.read_text(encoding="utf-8")) if marker.exists() else {}
        res["population"] = {**built, "population": f"{built.get('population', '?')}, reused"}
    common = (str(data_dir), args.policies, args.seed)
    res["engine"] = in_child(phase_engine, *common, args.memory_limit, args.engine_policies)
    print("engine", res["engine"], flush=True)
    if args.sample:
        res["naive"] = in_child(phase_naive, *common, args.sample)
        print("naive", res["naive"], flush=True)
    text = render(args, res)
    print(text)
    if args.record:
        with DOC.open("a", encoding="utf-8") as fh:
            fh.write("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

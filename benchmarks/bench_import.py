"""Benchmark importing registry files: `huiqi import` against DuckDB alone.

Steps:

1. registry files for ``--enterprises`` enterprises, written by
   ``huiqi.profiles.generate`` (the synthetic population of ``huiqi generate``) under
   ``--files-dir`` (reused when it already holds that population): the market
   registry as UTF-8 CSV (one row per enterprise), the tax registry as GBK CSV and
   as Parquet (yearly: several years per enterprise);
2. for each file, back to back:

   a. the user's path: ``huiqi --data-dir <fresh dir> import FILE``, signed in as a
      data steward, in its own process (so its peak RSS, DuckDB included, is its
      own: ``os.wait4`` gives that one child's ``ru_maxrss``) and its wall time;
   b. DuckDB alone, in its own process with the same threads: ``read_csv`` /
      ``read_parquet`` of the same file and ``COPY ... TO`` Parquet (zstd). DuckDB's
      CSV reader has no GBK, so for the GBK file it reads the UTF-8 twin that the
      generator writes beside it (the same rows).

It prints a markdown table (both times, the ratio, both peak RSS figures) and the
machine; ``--record`` appends it to ``docs/benchmarks.md``.

    .venv/bin/python benchmarks/bench_import.py --enterprises 500000
    nice -n 10 .venv/bin/python benchmarks/bench_import.py --record   # 3,500,000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
PASSWORD = "bench-password-2026"
# (label, file written by the generator, the file DuckDB alone reads)
FILES = [
    ("market, CSV UTF-8 (static)", "market.utf8.csv", "market.utf8.csv"),
    ("tax, CSV GBK (yearly)", "tax.csv", "tax.utf8.csv"),
    ("tax, Parquet (yearly)", "tax.parquet", "tax.parquet"),
]

DUCKDB_ALONE = """
import sys, duckdb
src, out, threads = sys.argv[1], sys.argv[2], sys.argv[3]
con = duckdb.connect()
if threads != "0":
    con.execute(f"SET threads = {int(threads)}")
read = "read_parquet(?)" if src.endswith(".parquet") else "read_csv(?)"
con.execute(f"COPY (SELECT * FROM {read}) TO ? (FORMAT parquet, COMPRESSION zstd)", [src, out])
"""


@dataclass
class Run:
    seconds: float
    peak_gib: float
    output: str
    cpu_seconds: float = 0.0  # user + system: steadier than wall time on a shared machine


def run_child(args: list[str], env: dict[str, str] | None = None) -> Run:
    """Run a command; its wall time and its own peak RSS (wait4 of that one child)."""
    # The children import this checkout's huiqi, whichever environment runs them.
    env = {**(env or os.environ), "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", errors="replace")
    if child.returncode not in (0, 4):  # 4: rows were rejected, which is a finding, not a failure
        raise SystemExit(f"{' '.join(args)} failed ({child.returncode}):\n{text}")
    return Run(seconds, usage.ru_maxrss / 2**20, text, usage.ru_utime + usage.ru_stime)


# Helpers run in children of their own: this process stays small, because a child's
# ru_maxrss starts from its parent's RSS at fork time (Linux counts the pre-exec copy).
GENERATE = """
import json, sys
from huiqi.profiles.generate import generate
r = generate(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], formats=("parquet", "csv-gbk", "csv-utf8"))
print(json.dumps(r.rows))
"""

STEWARD = """
import sys
from huiqi.accounts import service as accounts, tokens
from huiqi.accounts.roles import RoleGrant
from huiqi.config import get_settings
from huiqi.db.engine import open_database, transaction
factory = open_database(get_settings(sys.argv[1]))
with transaction(factory) as s:
    accounts.init_admin(s, username="admin", password=sys.argv[2])
    admin, _ = tokens.sign_in(s, username="admin", password=sys.argv[2])
    grant = [RoleGrant.parse("data_steward")]
    accounts.add_user(s, actor=admin, username="steward", roles=grant, password=sys.argv[2])
    _, token = tokens.create_token(s, actor=admin, name="bench", username="steward")
print(token)
"""


def machine() -> dict[str, str]:
    """The machine, as bench_matching.py reports it (without importing DuckDB here)."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    version = run_child([sys.executable, "-c", "import duckdb; print(duckdb.__version__)"])
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": f"{ram:.1f} GiB",
        "python": platform.python_version(),
        "duckdb": version.output.strip(),
        "os": platform.platform(),
    }


def population(n: int, seed: int, folder: Path) -> dict[str, int]:
    """Registry files for n enterprises in folder (reused when already there)."""
    marker = folder / "population.json"
    if marker.exists() and json.loads(marker.read_text())["enterprises"] == n:
        return dict(json.loads(marker.read_text())["rows"])
    made = run_child([sys.executable, "-c", GENERATE, str(n), str(seed), str(folder)])
    print(f"generated {n:,} enterprises in {made.seconds:.0f} s", flush=True)
    rows = json.loads(made.output.strip().splitlines()[-1])
    marker.write_text(json.dumps({"enterprises": n, "rows": rows}))
    return dict(rows)


def steward_token(data_dir: Path) -> str:
    """A data steward's API token in a fresh data directory's ledger."""
    made = run_child([sys.executable, "-c", STEWARD, str(data_dir), PASSWORD])
    return made.output.strip().splitlines()[-1]


def measure(files_dir: Path, work: Path, threads: int) -> list[dict[str, object]]:
    huiqi = str(Path(sys.executable).with_name("huiqi"))
    rows = []
    for label, name, twin in FILES:
        data_dir = work / "data"
        shutil.rmtree(data_dir, ignore_errors=True)
        env = {
            **os.environ,
            "HUIQI_TOKEN": steward_token(data_dir),
            "HUIQI_CONFIG_DIR": str(work / "config"),
        }
        if threads:
            env["HUIQI_IMPORT_THREADS"] = str(threads)
        user = run_child([huiqi, "--data-dir", str(data_dir), "import", str(files_dir / name)], env)
        summary = next((x for x in user.output.splitlines() if x.startswith("Rows:")), "")
        shutil.rmtree(data_dir, ignore_errors=True)
        out = work / "alone.parquet"
        alone = run_child(
            [sys.executable, "-c", DUCKDB_ALONE, str(files_dir / twin), str(out), str(threads)]
        )
        out.unlink(missing_ok=True)
        row = {
            "file": label,
            "bytes": (files_dir / name).stat().st_size,
            "huiqi_s": round(user.seconds, 1),
            "huiqi_peak_gib": round(user.peak_gib, 2),
            "duckdb_s": round(alone.seconds, 1),
            "duckdb_peak_gib": round(alone.peak_gib, 2),
            "ratio": round(user.seconds / alone.seconds, 2),
            "huiqi_cpu_s": round(user.cpu_seconds, 1),
            "duckdb_cpu_s": round(alone.cpu_seconds, 1),
            "cpu_ratio": round(user.cpu_seconds / max(alone.cpu_seconds, 0.01), 2),
            "rows": summary,
        }
        print(json.dumps(row, ensure_ascii=False), flush=True)
        rows.append(row)
    return rows


def table(n: int, rows: list[dict[str, object]], threads: int) -> str:
    m = machine()
    load = os.getloadavg()[0]
    lines = [
        f"{n:,} enterprises, threads {threads or m['cores']}; machine: {m['cpu']}, "
        f"{m['cores']} cores, {m['ram']}, Python {m['python']}, DuckDB {m['duckdb']}, {m['os']};"
        f" load average at the end {load:.1f}.",
        "",
        "| file | size | `huiqi import` | peak RSS | DuckDB alone | peak RSS | ratio | CPU: huiqi"
        " / DuckDB (ratio) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        size = int(str(r["bytes"])) / 2**20
        lines.append(
            f"| {r['file']} | {size:,.0f} MiB | {r['huiqi_s']} s | {r['huiqi_peak_gib']} GiB"
            f" | {r['duckdb_s']} s | {r['duckdb_peak_gib']} GiB | {r['ratio']}x"
            f" | {r['huiqi_cpu_s']} s / {r['duckdb_cpu_s']} s ({r['cpu_ratio']}x) |"
        )
    lines += ["", *(f"- {r['file']}: {r['rows']}" for r in rows)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=3_500_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="0: DuckDB's default (cores)")
    parser.add_argument("--files-dir", type=Path, default=None)
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--only", action="append", default=[], help="file name(s) to run")
    parser.add_argument("--record", action="store_true", help="append to docs/benchmarks.md")
    args = parser.parse_args()
    n = args.enterprises
    files_dir = args.files_dir or Path(tempfile.gettempdir()) / f"huiqi-bench-import-{n}"
    work = args.work_dir or Path(tempfile.gettempdir()) / f"huiqi-bench-import-work-{n}"
    work.mkdir(parents=True, exist_ok=True)
    population(n, args.seed, files_dir)
    if args.only:
        FILES[:] = [f for f in FILES if f[1] in args.only]
    rows = measure(files_dir, work, args.threads)
    text = table(n, rows, args.threads)
    print()
    print(text)
    if args.record:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        with DOC.open("a", encoding="utf-8") as fh:
            fh.write(f"\n#### Run of {stamp}\n\n{text}\n")


if __name__ == "__main__":
    main()

"""The floor of a one-pass import of a yearly Parquet file: what issue 10's 3x leaves room for.

``huiqi import`` copies a file three times before it is stored: the staged text of every
cell (``_stage``), the checked values with a reason per cell (``_checked``), and the table
sorted by USCC, which is then written as the snapshot's frozen base. This script times,
in DuckDB alone and in one process, the import's work done once:

1. the check pass: the file read, each value checked as it is read (the USCC's shape,
   control characters and a formula mark; the year and every amount within the
   dictionary's range; the credit rating a code), one temporary table;
2. the rejects: the rows with a reason;
3. one sorted write: the good rows by USCC in the frozen layout (row groups of 4,096,
   zstd level 1), as ``huiqi.profiles.frozen`` writes a base;

then, for comparison, the same good rows written as they come (DuckDB's default row
groups, not the frozen layout), and DuckDB alone reading the file and writing it as
Parquet (``bench_import.py``'s baseline), then sorted by USCC in the frozen layout, with
the same threads and memory limit. The checks are a subset of huiqi's
(no check character, no stub enterprises, no normalisation report, no Python): a floor,
not a design. The file is ``bench_import.py``'s ``tax.parquet``.

    .venv/bin/python benchmarks/import_floor.py /tmp/huiqi-bench-import-3500000/tax.parquet
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

# Characters a registry's text must not hold (as huiqi's cell checks refuse them).
CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
USCC_SHAPE = "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"
MONEY_MAX = 10_000_000_000_000
RATINGS = ("A", "B", "M", "C", "D", "A级", "B级", "M级", "C级", "D级")


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def reasons(columns: list[str]) -> list[str]:
    """One ``CASE`` per checked column, NULL when the value is accepted."""
    code, year, rating = "u", quoted("年度"), quoted("纳税信用等级")
    out = [
        f"CASE WHEN {code} IS NULL THEN 'required'"
        f" WHEN regexp_matches({code}, '{CONTROL}') THEN 'control'"
        f" WHEN starts_with({code}, '=') THEN 'formula'"
        f" WHEN NOT regexp_full_match({code}, '{USCC_SHAPE}') THEN 'uscc' END AS why_uscc",
        f"CASE WHEN {year} IS NULL THEN 'required'"
        f" WHEN NOT {year} BETWEEN 1980 AND 2026 THEN 'range' END AS why_year",
        f"CASE WHEN {rating} IS NULL OR {rating} IN ({', '.join(repr(r) for r in RATINGS)})"
        f" THEN NULL WHEN regexp_matches({rating}, '{CONTROL}') THEN 'control'"
        " ELSE 'code' END AS why_rating",
    ]
    for i, c in enumerate(c for c in columns if c.endswith("(元)")):
        out.append(
            f"CASE WHEN {quoted(c)} < 0 THEN 'minimum'"
            f" WHEN {quoted(c)} > {MONEY_MAX} THEN 'maximum' END AS why_amount{i}"
        )
    return out


def timed(con: duckdb.DuckDBPyConnection, name: str, query: str, *params: object) -> float:
    wall, cpu = time.perf_counter(), time.process_time()
    con.execute(query, list(params))
    cpu = time.process_time() - cpu
    print(f"{name:<14} {time.perf_counter() - wall:7.2f} s wall {cpu:7.2f} s CPU", flush=True)
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="bench_import.py's tax.parquet")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="1GB", help="huiqi import's default")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="huiqi-import-floor-"))
    settings = (
        f"SET threads = {int(args.threads)}; SET memory_limit = '{args.memory_limit}';"
        f" SET temp_directory = '{work / 'spill'}'; SET preserve_insertion_order = false"
    )
    try:
        con = duckdb.connect()
        con.execute(settings)
        src = str(args.file)
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [src]).fetchall()
        columns = [r[0] for r in described]
        why = reasons(columns)
        names = [w.rsplit(" AS ", 1)[1] for w in why]
        bad = " OR ".join(f"{n} IS NOT NULL" for n in names)
        code = quoted("统一社会信用代码")
        floor = timed(
            con,
            "check pass",
            f"CREATE TEMP TABLE checked AS SELECT upper(trim({code})) AS u,"
            f" * EXCLUDE ({code}), {', '.join(why)} FROM read_parquet(?)",
            src,
        )
        floor += timed(
            con, "rejects", f"CREATE TEMP TABLE rejects AS SELECT * FROM checked WHERE {bad}"
        )
        sorted_cpu = timed(
            con,
            "sorted write",
            f"COPY (SELECT u AS uscc, * EXCLUDE (u, {', '.join(names)}) FROM checked"
            f" WHERE NOT ({bad}) ORDER BY uscc) TO ? (FORMAT parquet, COMPRESSION zstd,"
            " COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 4096)",
            str(work / "base.parquet"),
        )
        floor += sorted_cpu
        unsorted = timed(
            con,
            "unsorted write",
            f"COPY (SELECT u AS uscc, * EXCLUDE (u, {', '.join(names)}) FROM checked"
            f" WHERE NOT ({bad})) TO ? (FORMAT parquet, COMPRESSION zstd)",
            str(work / "unsorted.parquet"),
        )
        con.close()
        con = duckdb.connect()
        con.execute(settings)
        alone = timed(
            con,
            "DuckDB alone",
            "COPY (SELECT * FROM read_parquet(?)) TO ? (FORMAT parquet, COMPRESSION zstd)",
            src,
            str(work / "alone.parquet"),
        )
        alone_sorted = timed(
            con,
            "alone, sorted",
            f"COPY (SELECT * FROM read_parquet(?) ORDER BY {code}) TO ? (FORMAT parquet,"
            " COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 4096)",
            src,
            str(work / "alone-sorted.parquet"),
        )
        print(f"one pass, CPU: {floor:.2f} s = {floor / alone:.2f}x DuckDB alone ({alone:.2f} s)")
        print(
            f"  against DuckDB alone writing the frozen layout ({alone_sorted:.2f} s):"
            f" {floor / alone_sorted:.2f}x"
        )
        # The same with the good rows written as they come (not the frozen layout).
        plain = floor - sorted_cpu + unsorted
        print(f"one pass, written unsorted, CPU: {plain:.2f} s = {plain / alone:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

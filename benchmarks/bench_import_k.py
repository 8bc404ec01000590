"""An import that changes k enterprises: its cost against k, at a fixed population.

Generates (or reuses) a population of N enterprises, imports it, then imports change
files of k = 1, 1,000 and 100,000 enterprises (a registry's market file: new registered
capital; a tax file: new revenue for one year; ``--k`` to choose) and prints each
import's wall and CPU time (this process, DuckDB's threads included: comparable on a
shared machine), how much of it was freezing the snapshot, and the size of the
snapshot it wrote. With
snapshots frozen as a shared base plus the rows changed since (huiqi.profiles.frozen),
the time should follow k, not N.

    .venv/bin/python benchmarks/bench_import_k.py --enterprises 500000

Work files go to --work-dir (default: the system's temporary folder), kept for reuse.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from huiqi.config import Settings
from huiqi.profiles.generate import generate
from huiqi.profiles.importer import import_file
from huiqi.profiles.store import ProfileStore

KS = (1, 1_000, 100_000)


def folder_size(path: Path) -> int:
    """Bytes of the files only this folder holds (hard links to older snapshots' files
    are not counted)."""
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file() and p.stat().st_nlink == 1)


@contextlib.contextmanager
def timed_freeze(log: list[float]) -> Iterator[None]:
    original = ProfileStore.freeze

    def freeze(
        self: ProfileStore, con: duckdb.DuckDBPyConnection, snapshot_id: int, **options: Any
    ) -> None:
        started = time.perf_counter()
        try:
            original(self, con, snapshot_id, **options)
        finally:
            log.append(time.perf_counter() - started)

    ProfileStore.freeze = freeze  # type: ignore[method-assign]
    try:
        yield
    finally:
        ProfileStore.freeze = original  # type: ignore[method-assign]


def change_files(files: Path, out: Path, k: int, bump: int = 1000) -> dict[str, Path]:
    """A market and a tax file adding ``bump`` to a figure of ``k`` enterprises chosen by
    hash (reproducible)."""
    made = {}
    con = duckdb.connect()
    try:
        for name, column, extra in (
            ("market", "注册资本(元)", ""),
            ("tax", "营业收入(元)", 'WHERE "年度" = 2024'),
        ):
            target = out / f"{name}_k{k}_{bump}.parquet"
            source = files / f"{name}.parquet"
            con.execute(
                f'COPY (SELECT * REPLACE ("{column}" + ? AS "{column}") FROM read_parquet(?)'
                f' {extra} ORDER BY hash("统一社会信用代码") LIMIT ?) TO ? (FORMAT parquet)',
                [bump, str(source), k, str(target)],
            )
            made[name] = target
    finally:
        con.close()
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", "-n", type=int, default=500_000)
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--k", type=int, action="append", help=f"k to run (default {KS})")
    args = parser.parse_args()
    n = args.enterprises
    work = args.work_dir or Path(tempfile.gettempdir()) / f"huiqi-bench-import-k-{n}"
    files = work / "files"
    base = work / "base"
    if not (base / "profiles.duckdb").exists():
        shutil.rmtree(work, ignore_errors=True)
        started = time.perf_counter()
        made = generate(n, 2026, files, formats=("parquet",))
        settings = Settings(base)
        for name in sorted(made.files, key=lambda m: (m != "market", m)):
            import_file(settings, made.files[name]["parquet"])
        print(
            f"population of {n:,} generated and imported in {time.perf_counter() - started:.0f} s"
        )
    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(base, data)
    settings = Settings(data)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs,")
    print(f"load average {os.getloadavg()[0]:.1f}; population {n:,}")
    # The first import after a population frozen whole writes the bases the next ones share.
    warm = change_files(files, work, 1, bump=7)["market"]
    import_file(settings, warm)
    print(
        "| k | file | import s | CPU s | of which freezing s | rows changed | snapshot folder MB |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    for k in args.k or KS:
        for name, path in change_files(files, work, k).items():
            log: list[float] = []
            with timed_freeze(log):
                started, cpu = time.perf_counter(), time.process_time()
                report = import_file(settings, path)
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            size = folder_size(ProfileStore(settings).snapshot_dir(report.snapshot_id)) / 2**20
            print(
                f"| {k:,} | {name} | {wall:.2f} | {cpu:.2f} | {sum(log):.2f} | {report.rows_changed:,}"
                f" | {size:.1f} |",
                flush=True,
            )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

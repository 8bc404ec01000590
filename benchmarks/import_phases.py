"""Where one import's time goes: wall and CPU seconds of each SQL statement it runs.

``bench_import.py`` gives the import's total against DuckDB alone; this script runs one
``import_file`` in this process with its DuckDB connection wrapped, so that each
statement's wall and CPU (user + system of the whole process, DuckDB's threads
included) is printed, with what runs between statements (reading the file's bytes in
Python, building the SQL) as the remainder.

    .venv/bin/python benchmarks/import_phases.py /tmp/huiqi-bench-import-500000/tax.csv

The data directory is a fresh temporary one (``--data-dir`` to choose it; emptied first).
``--explain START`` runs the statements that start so under ``EXPLAIN ANALYZE`` (once:
the statement's writes happen as usual) and prints each operator's rows and time, e.g.
``--explain "CREATE OR REPLACE TEMPORARY TABLE _rejects"``.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from huiqi.config import Settings
from huiqi.profiles import store as store_module
from huiqi.profiles.importer import import_file

Timing = tuple[float, float, str]


class TimedConnection:
    """A DuckDB connection that records each ``execute`` and ``commit``."""

    def __init__(self, con: Any, log: list[Timing], explain: list[str] | None = None) -> None:
        self._con = con
        self._log = log
        self._explain = explain or []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def _timed(self, what: str, call: Any, *args: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return call(*args)
        finally:
            self._log.append((time.perf_counter() - wall, time.process_time() - cpu, what))

    def execute(self, query: str, *args: Any) -> TimedConnection:
        text = " ".join(str(query).split())
        if any(text.startswith(p) for p in self._explain):
            # Run it once, profiled: EXPLAIN ANALYZE executes the statement (its
            # writes included) and returns the plan with each operator's time.
            self._timed(text, self._con.execute, "EXPLAIN ANALYZE " + str(query), *args)
            print(f"-- {text[:110]}\n{self._con.fetchall()[0][1]}")
            return self
        self._timed(text, self._con.execute, query, *args)
        return self

    def commit(self) -> None:
        self._timed("COMMIT", self._con.commit)

    def fetchone(self) -> Any:
        return self._con.fetchone()

    def fetchall(self) -> Any:
        return self._con.fetchall()

    def fetchmany(self, size: int) -> Any:
        return self._con.fetchmany(size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--min-seconds", type=float, default=0.05, help="hide faster statements")
    parser.add_argument("--dump", type=Path, default=None, help="write each statement in full here")
    parser.add_argument(
        "--explain",
        action="append",
        default=[],
        metavar="START",
        help="print the analysed plan of statements that start so (repeatable), e.g."
        " 'CREATE OR REPLACE TEMPORARY TABLE _rejects'",
    )
    args = parser.parse_args()
    data = args.data_dir or Path(tempfile.mkdtemp(prefix="huiqi-phases-"))
    shutil.rmtree(data, ignore_errors=True)
    log: list[Timing] = []
    connect = store_module.ProfileStore.connect

    @contextlib.contextmanager
    def timed_connect(self: store_module.ProfileStore, **kwargs: bool) -> Iterator[Any]:
        with connect(self, **kwargs) as con:
            yield TimedConnection(con, log, args.explain)

    store_module.ProfileStore.connect = timed_connect  # type: ignore[method-assign]
    wall, cpu = time.perf_counter(), time.process_time()
    report = import_file(Settings(data), args.file)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(report.summary().splitlines()[1])
    print(f"{'wall s':>7} {'CPU s':>7}  statement")
    for w, c, what in log:
        if w >= args.min_seconds:
            print(f"{w:7.2f} {c:7.2f}  {what[:110]}")
    if args.dump is not None:
        args.dump.write_text(
            "".join(f"-- {w:.2f} s wall, {c:.2f} s CPU\n{what};\n\n" for w, c, what in log), "utf-8"
        )
    logged_w, logged_c = sum(t[0] for t in log), sum(t[1] for t in log)
    print(f"{wall - logged_w:7.2f} {cpu - logged_c:7.2f}  (between statements: Python)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{wall:7.2f} {cpu:7.2f}  total; peak RSS {peak:.2f} GiB")
    shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()

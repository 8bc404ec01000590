"""Import and detection over a synthetic complaint export, with the detector's figures.

Generates the default scenario at ``--complaints`` (1,000,000 by default: about 12 %
of them from planted professional-complainant rings), writes it as the complaint
system's CSV export (kept in /tmp/huiqi-bench-complaints-<N> and reused), then times:

* import: reading, checking and hashing the file (``huiqi.complaints.reading``);
* detection: text groups, clusters, signals, scores and evidence (``huiqi.complaints.detect``);

and measures precision, recall and the false-positive rate against the planted truth.
The machine (``lscpu``) and the load average at the start and end are printed with the
figures, as docs/benchmarks.md records them.

With ``--ledger sqlite`` or ``--ledger postgresql`` it times the path a user takes
instead (``huiqi complaints import``, then ``huiqi complaints detect``): the service
functions over a fresh, migrated operational database, import storing the complaints
and detection reloading them and storing its run, scores, clusters and answer groups,
each in its own transaction; ``--reimport`` then imports the file again (every row
already held). PostgreSQL needs ``HUIQI_TEST_DATABASE_URL`` (a server where a database
may be created and dropped, as for the tests).

    .venv/bin/python benchmarks/bench_complaints.py                      # 1,000,000
    .venv/bin/python benchmarks/bench_complaints.py --complaints 100000 --json
    .venv/bin/python benchmarks/bench_complaints.py --ledger sqlite --reimport
    HUIQI_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python benchmarks/bench_complaints.py --ledger postgresql
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from huiqi.complaints.detect import detect
from huiqi.complaints.export import write_stream
from huiqi.complaints.measure import measure
from huiqi.complaints.reading import read_complaints
from huiqi.complaints.synth import Scenario, generate

KEY = b"benchmark-key-not-a-secret-000000"


def machine() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    return f"{fields.get('Model name', '?').strip()}, {fields.get('CPU(s)', '?').strip()} CPUs"


def cpu_seconds() -> float:
    """User + system CPU time of this process: on a shared, loaded machine it says what the
    work costs, where the wall clock says how long it waited for a core."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mib() -> int:
    """The process's peak resident memory so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def through_ledger(backend: str, path: Path, reimport: bool) -> dict[str, Any]:
    """Import, detect (and import again) through the service functions and the database."""
    from huiqi.accounts.access import Actor
    from huiqi.complaints import intake, service
    from huiqi.config import get_settings
    from huiqi.db.engine import session_factory, transaction
    from huiqi.db.testing import fresh_database

    officer = Actor.of("complaints", "complaint_officer")
    os.environ["HUIQI_PERSON_KEY"] = KEY.decode()
    figures: dict[str, Any] = {"ledger": backend}
    with tempfile.TemporaryDirectory(prefix="huiqi-bench-ledger-") as work:
        settings = get_settings(Path(work) / "data")
        with fresh_database(backend, Path(work)) as engine:
            sessions = session_factory(engine)
            c0, t0 = cpu_seconds(), time.perf_counter()
            with transaction(sessions) as s:
                report = intake.import_complaints(settings, s, actor=officer, path=path)
            c1, t1 = cpu_seconds(), time.perf_counter()
            figures.update(
                stored=report.stored,
                rejected=len(report.rejects),
                import_s=round(t1 - t0, 1),
                import_cpu_s=round(c1 - c0, 1),
                import_peak_rss_mib=peak_rss_mib(),
            )
            with transaction(sessions) as s:
                run = service.detect_complaints(s, actor=officer)
            c2, t2 = cpu_seconds(), time.perf_counter()
            figures.update(
                complaints=run.complaints,
                complainants=run.complainants,
                flagged=run.flagged,
                clusters=run.clusters,
                detect_s=round(t2 - t1, 1),
                detect_cpu_s=round(c2 - c1, 1),
                detect_steps_s=run.timings,
                total_s=round(t2 - t0, 1),
                total_cpu_s=round(c2 - c0, 1),
                peak_rss_mib=peak_rss_mib(),
            )
            if reimport:
                with transaction(sessions) as s:
                    again = intake.import_complaints(settings, s, actor=officer, path=path)
                c3, t3 = cpu_seconds(), time.perf_counter()
                figures.update(
                    reimport_stored=again.stored,
                    reimport_already_held=again.already_held,
                    reimport_s=round(t3 - t2, 1),
                    reimport_cpu_s=round(c3 - c2, 1),
                )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=Scenario().seed)
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument(
        "--ledger",
        choices=["none", "sqlite", "postgresql"],
        default="none",
        help="Time the CLI's path through this operational database (default: in memory).",
    )
    parser.add_argument(
        "--reimport", action="store_true", help="With --ledger: import the file a second time."
    )
    args = parser.parse_args()
    folder = Path(f"/tmp/huiqi-bench-complaints-{args.complaints}-{args.seed}")
    path = folder / "complaints.csv"
    # The ledger path reads the file only; the in-memory one measures against the truth.
    stream = None
    if args.ledger == "none" or not path.exists():
        stream = generate(Scenario(complaints=args.complaints, seed=args.seed))
    if not path.exists():
        assert stream is not None
        write_stream(stream, folder)
    load_start = os.getloadavg()
    if args.ledger != "none":
        result = {
            **through_ledger(args.ledger, path, args.reimport),
            "machine": machine(),
            "load_start": [round(x, 2) for x in load_start],
            "load_end": [round(x, 2) for x in os.getloadavg()],
        }
        show(result, as_json=args.json)
        return
    assert stream is not None
    c0, t0 = cpu_seconds(), time.perf_counter()
    read = read_complaints(path, KEY)
    c1, t1 = cpu_seconds(), time.perf_counter()
    detection = detect(read.complaints)
    c2, t2 = cpu_seconds(), time.perf_counter()
    figures = measure(detection, stream.truth, KEY)
    result = {
        "complaints": read.rows,
        "rejected": len(read.rejects),
        "import_s": round(t1 - t0, 1),
        "detect_s": round(t2 - t1, 1),
        "total_s": round(t2 - t0, 1),
        "import_cpu_s": round(c1 - c0, 1),
        "detect_cpu_s": round(c2 - c1, 1),
        "import_steps_s": read.timings,
        "detect_steps_s": detection.timings,
        "complainants": figures.complainants,
        "ring_members": figures.professionals,
        "flagged": figures.flagged,
        "precision": round(figures.precision, 4),
        "recall": round(figures.recall, 4),
        "false_positive_rate": round(figures.false_positive_rate, 6),
        "clusters": len(detection.clusters),
        "machine": machine(),
        "load_start": [round(x, 2) for x in load_start],
        "load_end": [round(x, 2) for x in os.getloadavg()],
    }
    show(result, as_json=args.json)


def show(result: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for k, v in result.items():
        print(f"{k:>22}: {v}")


if __name__ == "__main__":
    main()

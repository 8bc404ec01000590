"""Import and detection over a synthetic complaint export, with the detector's figures.

Generates the default scenario at ``--complaints`` (1,000,000 by default: about 12 %
of them from planted professional-complainant rings), writes it as the complaint
system's CSV export (kept in /tmp/huiqi-bench-complaints-<N> and reused), then times:

* import: reading, checking and hashing the file (``huiqi.complaints.reading``);
* detection: text groups, clusters, signals, scores and evidence (``huiqi.complaints.detect``);

and measures precision, recall and the false-positive rate against the planted truth.
The machine (``lscpu``) and the load average at the start and end are printed with the
figures, as docs/benchmarks.md records them.

    .venv/bin/python benchmarks/bench_complaints.py                      # 1,000,000
    .venv/bin/python benchmarks/bench_complaints.py --complaints 100000 --json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import time
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=Scenario().seed)
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args()
    folder = Path(f"/tmp/huiqi-bench-complaints-{args.complaints}-{args.seed}")
    stream = generate(Scenario(complaints=args.complaints, seed=args.seed))
    path = folder / "complaints.csv"
    if not path.exists():
        write_stream(stream, folder)
    load_start = os.getloadavg()
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
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for k, v in result.items():
        print(f"{k:>22}: {v}")


if __name__ == "__main__":
    main()

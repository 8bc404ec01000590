"""The chart of ``bench_scale.py``: matching time against population size, per backend.

Log-log axes, one colour per backend. Measured points are joined by solid lines with
filled markers; sizes a backend was not run at (its time projected from its
throughput at the largest size it ran) continue its line dashed, with hollow markers;
a run stopped at the hard limit is a cross at the time it was stopped (a lower bound).
Every line carries a ``gid`` of ``"<backend>:measured"``, ``"<backend>:projected"`` or
``"<backend>:stopped"`` so that a test can tell them apart.

Needs matplotlib (the ``bench`` extra); only this module imports it.

    .venv/bin/python benchmarks/scale_chart.py docs/img/matching-scale.json docs/img/matching-scale.png
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullFormatter

COLOURS = {
    "duckdb": "#1f77b4",
    "numpy": "#2ca02c",
    "spark": "#d62728",
    "postgres": "#9467bd",
    "cupy": "#ff7f0e",
}


def _points(results: dict[str, Any], backend: str, status: str) -> list[tuple[int, float]]:
    key = "projected_s" if status == "projected" else "total_s"
    return sorted(
        (p["enterprises"], p[key])
        for p in results["points"]
        if p["backend"] == backend and p["status"] == status and p.get(key)
    )


def _people(x: float, _pos: int) -> str:
    """100000 as 100k, 3500000 as 3.5M."""
    if x >= 1e6:
        return f"{x / 1e6:g}M"
    return f"{x / 1e3:g}k" if x >= 1e3 else f"{x:g}"


def _seconds(y: float, _pos: int) -> str:
    return f"{y:g}"


def _title(results: dict[str, Any]) -> str:
    m = results["machine"]
    loads = [p["load_before"][0] for p in results["points"] if p.get("load_before")]
    load = f"; load average {min(loads):.1f}-{max(loads):.1f}" if loads else ""
    return (
        f"Bulk matching, {results['policies']} policies: time against population\n"
        f"{m['cpu']}, {m['cores']} cores, {m['ram']}; {results['date'][:10]}{load}"
    )


def draw(results: dict[str, Any], path: Path | None = None) -> Figure:
    """The chart of ``results`` (``bench_scale``'s JSON), written to ``path`` as PNG."""
    fig = Figure(figsize=(9, 6), dpi=110)
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.set_yscale("log")
    for backend in results["backends"]:
        colour = COLOURS.get(backend, "#444444")
        measured = _points(results, backend, "measured")
        projected = _points(results, backend, "projected")
        stopped = _points(results, backend, "stopped")
        if measured:
            xs, ys = zip(*measured, strict=True)
            ax.plot(xs, ys, "-o", color=colour, label=backend, gid=f"{backend}:measured")
        if projected:
            # The dashed part starts at the last measured point it was projected from.
            start = [measured[-1]] if measured else []
            xs, ys = zip(*(start + projected), strict=True)
            ax.plot(
                xs,
                ys,
                "--o",
                color=colour,
                markerfacecolor="none",
                label=f"_{backend} projected",
                gid=f"{backend}:projected",
            )
        if stopped:
            xs, ys = zip(*stopped, strict=True)
            ax.plot(
                xs,
                ys,
                "x",
                color=colour,
                markersize=10,
                label=f"{backend} stopped (hard limit)",
                gid=f"{backend}:stopped",
            )
    handles, _ = ax.get_legend_handles_labels()
    handles.append(
        Line2D(
            [],
            [],
            color="grey",
            linestyle="--",
            marker="o",
            markerfacecolor="none",
            label="projected (not run)",
        )
    )
    ax.legend(handles=handles, loc="best")
    for axis, label, (low, high) in (
        (ax.xaxis, _people, ax.get_xlim()),
        (ax.yaxis, _seconds, ax.get_ylim()),
    ):
        axis.set_major_formatter(FuncFormatter(label))
        # Minor ticks labelled only when the axis spans little more than a decade.
        axis.set_minor_formatter(FuncFormatter(label) if high < 30 * low else NullFormatter())
    ax.set_xlabel("enterprises")
    ax.set_ylabel("seconds (match from the snapshot, frame included)")
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title(_title(results), fontsize=10)
    skipped = [f"{name}: {why}" for name, why in results.get("skipped", {}).items()]
    if skipped:
        fig.text(0.01, 0.01, "Not run - " + "; ".join(skipped), fontsize=7, wrap=True)
    fig.tight_layout(rect=(0, 0.05 if skipped else 0, 1, 1))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    return fig


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: scale_chart.py RESULTS.json CHART.png", file=sys.stderr)
        return 2
    draw(json.loads(Path(args[0]).read_text(encoding="utf-8")), Path(args[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The scale benchmark's chart and report, from a results JSON (no timing)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_scale  # noqa: E402
import scale_chart  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def _measured(backend: str, n: int, seconds: float) -> dict[str, Any]:
    return {
        "backend": backend,
        "enterprises": n,
        "status": "measured",
        "startup_s": 0.5,
        "frame_s": seconds / 4,
        "match_s": seconds / 2,
        "total_s": seconds,
        "evaluations": n * 10,
        "eligible": n // 50,
        "kept": n,
        "digest": [n // 50, 123, 456],
        "load_before": [1.5, 1.2, 1.0],
        "load_after": [1.7, 1.3, 1.0],
        "peak_rss_gib": 0.4,
        "same_eligible_as_duckdb": True,
    }


def results() -> dict[str, Any]:
    projected = {"backend": "spark", "enterprises": 1_000_000, "status": "projected"}
    projected["projected_s"] = 400.0
    projected["reason"] = "not run: projected 400 s (budget 120 s)"
    return {
        "machine": {
            "cpu": "Test CPU",
            "cores": "2",
            "ram": "8.0 GiB",
            "python": "3.11",
            "duckdb": "2.0",
            "os": "Linux",
        },
        "date": "2026-12-01T17:00:00+00:00",
        "command": "python benchmarks/bench_scale.py --sizes 100000,1000000 --policies 10",
        "policies": 10,
        "budget_s": 120.0,
        "hard_limit_s": 360.0,
        "runs": [],
        "seed": 1,
        "populations": {},
        "target": [3_500_000, 709],
        "sizes": [100_000, 1_000_000],
        "backends": ["duckdb", "spark", "cupy"],
        "skipped": {"cupy": "the cupy backend needs a CUDA GPU and this machine has none"},
        "points": [
            _measured("duckdb", 100_000, 1.0),
            _measured("spark", 100_000, 40.0),
            _measured("duckdb", 1_000_000, 8.0),
            projected,
        ],
    }


def test_the_chart_is_a_png_with_projections_dashed(tmp_path: Path) -> None:
    source = tmp_path / "results.json"
    source.write_text(json.dumps(results()), encoding="utf-8")
    png = tmp_path / "chart.png"
    assert scale_chart.main([str(source), str(png)]) == 0
    assert png.read_bytes().startswith(PNG)

    fig = scale_chart.draw(results())
    lines = {line.get_gid(): line for line in fig.axes[0].get_lines()}
    assert set(lines) == {"duckdb:measured", "spark:measured", "spark:projected"}
    assert lines["duckdb:measured"].get_linestyle() == "-"
    assert lines["spark:measured"].get_linestyle() == "-"
    dashed = lines["spark:projected"]
    assert dashed.get_linestyle() == "--"
    assert dashed.get_markerfacecolor() == "none"
    # The projection continues from the last measured point, to the projected time.
    assert list(dashed.get_xdata()) == [100_000, 1_000_000]
    assert list(dashed.get_ydata()) == [40.0, 400.0]
    assert "Test CPU" in fig.axes[0].get_title()


def test_a_backend_is_not_run_past_the_budget() -> None:
    point: dict[str, Any] = {"backend": "spark", "enterprises": 1_000_000, "status": "measured"}
    bench_scale.decide(point, (100_000, 10.0), budget=150.0)
    assert point["status"] == "measured"
    bench_scale.decide(point, (100_000, 20.0), budget=150.0)
    assert point["status"] == "projected"
    assert point["projected_s"] == 200.0
    assert point["reason"] == "not run: projected 200 s (budget 150 s)"


def test_the_report_says_what_was_skipped_and_projected() -> None:
    text = bench_scale.render(results())
    assert "cupy: skipped, the cupy backend needs a CUDA GPU" in text
    assert "| 1,000,000 | spark | not run: projected 400 s (budget 120 s) |" in text
    assert "| 1,000,000 | duckdb | measured |" in text
    # spark at 100,000 took 40 x duckdb's time; its projection is 400 / 8 = 50 x.
    assert "| 40.0 |" in text and "~50.0" in text


def test_a_later_run_is_merged_into_the_results() -> None:
    later = results()
    later["runs"] = [
        {
            "command": "later",
            "date": "2026-12-01T17:30:00+00:00",
            "budget_s": 600.0,
            "hard_limit_s": 900.0,
        }
    ]
    later["backends"] = ["duckdb", "postgres"]
    later["skipped"] = {}
    later["sizes"] = [10_000, 100_000]
    later["points"] = [
        _measured("duckdb", 10_000, 0.2),
        _measured("postgres", 10_000, 30.0),
        _measured("duckdb", 100_000, 1.5),
    ]
    both = bench_scale.merged(results(), later)
    assert both["sizes"] == [10_000, 100_000, 1_000_000]
    assert both["backends"] == ["duckdb", "spark", "cupy", "postgres"]
    assert [r["command"] for r in both["runs"]] == [results()["command"], "later"]
    seen = [(p["backend"], p["enterprises"], p.get("total_s")) for p in both["points"]]
    assert seen[:4] == [
        ("duckdb", 10_000, 0.2),
        ("postgres", 10_000, 30.0),
        ("duckdb", 100_000, 1.5),  # the later run's point replaces the earlier one
        ("spark", 100_000, 40.0),
    ]
    assert "cupy" in both["skipped"]
    assert "; then `later` (17:30 UTC; budget 600 s" in bench_scale.render(both)


def test_a_merged_run_keeps_measured_points_and_projects_from_them(tmp_path: Path) -> None:
    earlier = {("spark", 100_000): _measured("spark", 100_000, 40.0)}
    res: dict[str, Any] = {"sizes": [100_000, 1_000_000], "backends": ["spark"], "skipped": {}}
    res["points"], res["populations"] = [], {}
    args = argparse.Namespace(budget=120.0, data_root=tmp_path, seed=1)
    bench_scale.sweep(args, res, lambda r: None, earlier)
    # Nothing ran: no population was built, the measured point is kept, the next projected.
    assert not list(tmp_path.iterdir())
    assert res["points"][0] == {**earlier[("spark", 100_000)]}
    assert res["points"][1]["status"] == "projected"
    assert res["points"][1]["projected_s"] == 400.0

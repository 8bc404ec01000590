"""`huiqi demo`: the whole flow on embedded defaults, with no server to start.

generate a synthetic Shanghai population → import it through the validating
importer (one snapshot per registry file) → load the policy library → match
every policy against every enterprise → print the report and where outputs are.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from huiqi.cli.common import (
    EXIT_FINDINGS,
    console,
    err_console,
    handle_errors,
    progress_bars,
    settings_from,
)
from huiqi.cli.render import render_match_report
from huiqi.config import Settings
from huiqi.engine import compile_library, run_matching
from huiqi.policies.loader import load_library
from huiqi.profiles.store import ProfileStore


def generate_and_import(
    settings: Settings,
    *,
    enterprises: int,
    seed: int,
    formats: tuple[str, ...] = ("parquet",),
    out: Path | None = None,
    do_import: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[Any, list[Any]]:
    """Write registry files for a synthetic population and import them in order."""
    from huiqi.profiles.generate import generate
    from huiqi.profiles.importer import import_file

    out_dir = out or settings.data_dir / "generated"
    if progress:
        progress("generate population", 0, enterprises)
    result = generate(enterprises, seed=seed, out_dir=out_dir, formats=formats, progress=progress)
    reports = []
    if do_import:
        ProfileStore(settings).init()
        # The business registry goes first: it creates the enterprises the others describe.
        names = sorted(result.files, key=lambda m: (m != "market", m))
        files = [(m, result.files[m][formats[0]]) for m in names]
        for i, (mapping, path) in enumerate(files):
            reports.append(import_file(settings, path, mapping=mapping, progress=progress))
            if progress:
                progress("import registry files", i + 1, len(files))
    return result, reports


@click.command()
@click.option(
    "--enterprises",
    "-n",
    default=200_000,
    show_default=True,
    type=click.IntRange(100, 10_000_000),
    help="Size of the synthetic population.",
)
@click.option("--seed", default=2026, show_default=True, type=int)
@click.option(
    "--fresh/--reuse", default=True, show_default=True, help="Start from an empty data directory."
)
@click.pass_context
@handle_errors
def demo(ctx: click.Context, enterprises: int, seed: int, fresh: bool) -> None:
    """Run the whole flow on a synthetic Shanghai population and print a report."""
    settings = settings_from(ctx)
    if fresh and settings.data_dir.exists():
        for sub in ("profiles.duckdb", "snapshots", "imports", "runs", "generated"):
            target = settings.data_dir / sub
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    ProfileStore(settings).init()
    started = time.perf_counter()
    lib = compile_library(load_library())
    for e in lib.errors:
        err_console.print(f"[red]error[/]: {e}", soft_wrap=True)
    if lib.errors:
        raise SystemExit(EXIT_FINDINGS)
    with progress_bars() as progress:
        _, reports = generate_and_import(
            settings, enterprises=enterprises, seed=seed, progress=progress
        )
        run = run_matching(settings, lib.compiled, progress=progress)
    rejected = sum(r.rows_rejected for r in reports)
    console.print(
        f"\nImported {len(reports)} registry files: {sum(r.rows_accepted for r in reports):,} rows accepted,"
        f" {rejected:,} rejected."
    )
    render_match_report(console, run, [cp.policy for cp in lib.compiled])
    console.print(f"\nDone in {time.perf_counter() - started:.1f}s. Outputs:")
    console.print(f"  profile store      {settings.profiles_db}")
    console.print(f"  snapshot (Parquet) {settings.snapshots_dir / str(run.snapshot_id)}")
    console.print(f"  import reports     {settings.imports_dir}")
    console.print(f"  matches            {run.output_dir / 'matches.parquet'}")
    console.print(f"  summary            {run.output_dir / 'summary.json'}")
    example = _example_uscc(run.output_dir / "matches.parquet")
    if example:
        console.print(f"\nTry: huiqi --data-dir {settings.data_dir} explain {example}")


def _example_uscc(matches: Path) -> str | None:
    import duckdb

    con = duckdb.connect()
    try:
        row = con.execute(
            "SELECT uscc FROM read_parquet(?) WHERE status = 'near_miss' ORDER BY uscc LIMIT 1",
            [str(matches)],
        ).fetchone()
    finally:
        con.close()
    return str(row[0]) if row else None

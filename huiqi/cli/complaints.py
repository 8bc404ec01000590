"""``huiqi complaints``: complaints about enterprises and professional complainants.

Heavy modules (DuckDB, NumPy, SQLAlchemy) are imported inside each command, so that
``huiqi complaints --help`` loads none of them (tests/cli/test_lazy.py).
"""

from __future__ import annotations

from pathlib import Path

import click

from huiqi.cli.common import console, handle_errors


@click.group()
def complaints() -> None:
    """Complaints about enterprises (投诉举报) and professional complainants (职业举报)."""


@complaints.command()
@click.option("--complaints", "n", default=20_000, show_default=True, help="How many complaints.")
@click.option(
    "--seed", default=20260101, show_default=True, help="Random seed (same seed, same files)."
)
@click.option(
    "--professional-share",
    default=0.12,
    show_default=True,
    help="Share of the complaints filed by planted professional-complainant rings.",
)
@click.option("--encoding", type=click.Choice(["utf-8", "gbk"]), default="utf-8", show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("complaints"),
    show_default=True,
    help="Folder for complaints.csv (the export) and truth.csv (the planted rings).",
)
@handle_errors
def generate(n: int, seed: int, professional_share: float, encoding: str, out: Path) -> None:
    """Generate a synthetic complaint export with planted professional-complainant rings.

    truth.csv names the ring members by ID number: it is for measuring the detector, never
    for import.
    """
    from huiqi.complaints.export import write_stream
    from huiqi.complaints.synth import Scenario
    from huiqi.complaints.synth import generate as make

    stream = make(Scenario(complaints=n, seed=seed, professional_share=professional_share))
    path, truth = write_stream(stream, out, encoding=encoding)
    rings = int(stream.truth.column("professional").to_numpy().sum())
    console.print(
        f"wrote {stream.complaints.num_rows:,} complaints to {path} ({encoding});"
        f" {rings:,} of {stream.truth.num_rows:,} complainants are ring members ({truth})"
    )

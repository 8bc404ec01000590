"""Commands on the data: the profile store, a synthetic population, registry imports
(matching: :mod:`huiqi.cli.matching`; explain: :mod:`huiqi.cli.explain`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from huiqi.cli.common import (
    EXIT_FINDINGS,
    WholeNumber,
    console,
    counted,
    handle_errors,
    progress_bars,
    settings_from,
    signed_in,
)
from huiqi.db.engine import transaction
from huiqi.profiles.store import ProfileStore

if TYPE_CHECKING:
    pass

GENERATE_FORMATS = ("parquet", "csv-gbk", "csv-utf8", "xlsx")


@click.command()
@click.pass_context
@handle_errors
def init(ctx: click.Context) -> None:
    """Create the data directory and an empty profile store (safe to re-run)."""
    settings = settings_from(ctx)
    ProfileStore(settings).init()
    console.print(f"profile store ready at {settings.profiles_db}")


@click.command()
@click.option(
    "--enterprises", "-n", default=200_000, show_default=True, type=WholeNumber(1, 10_000_000)
)
@click.option("--seed", default=2026, show_default=True, type=WholeNumber(min=0))
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(GENERATE_FORMATS),
    default=("parquet",),
    show_default=True,
    help="File format(s) to write; repeat for several.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the files (default DATA_DIR/generated).",
)
@click.option(
    "--import/--no-import",
    "do_import",
    default=True,
    show_default=True,
    help="Import the files into the store.",
)
@click.pass_context
@handle_errors
def generate(
    ctx: click.Context,
    enterprises: int,
    seed: int,
    formats: tuple[str, ...],
    out: Path | None,
    do_import: bool,
) -> None:
    """Generate a synthetic Shanghai population as registry files (and import them).

    Importing needs the data_steward role.
    """
    from huiqi.profiles.service import generate_population

    settings = settings_from(ctx)
    factory, actor = signed_in(ctx)
    with progress_bars() as progress, transaction(factory) as s:
        _result, reports = generate_population(
            settings,
            s,
            actor=actor,
            enterprises=enterprises,
            seed=seed,
            formats=formats,
            out=out,
            do_import=do_import,
            progress=progress,
        )
    console.print(
        f"wrote {counted(enterprises, 'enterprise')} to {out or settings.data_dir / 'generated'}"
    )
    for r in reports:
        console.print(r.summary())


@click.command("import")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--mapping",
    "-m",
    metavar="NAME|PATH",
    help="Column mapping (registry layout): a built-in name (tax, market...), a name from "
    "DATA_DIR/mappings/, or the path of a mapping YAML file (path/to/my-layout.yaml); "
    "default: detected from the header among the built-in and DATA_DIR/mappings/ ones.",
)
@click.option(
    "--sheet",
    help="For a workbook: the sheet to read (default: the one whose header fits the mapping).",
)
@click.pass_context
@handle_errors
def import_cmd(
    ctx: click.Context, files: tuple[Path, ...], mapping: str | None, sheet: str | None
) -> None:
    """Import registry files (CSV in UTF-8/GBK, Excel .xlsx or .xls, Parquet) into the profile store.

    Needs the data_steward role. Good rows are stored; bad rows go to a rejects
    file with file, line, column and reason. Exits 4 when any row was rejected.

    A layout huiqi does not know is described by a mapping file: draft one with
    'huiqi mapping new FILE', confirm it, then pass --mapping path/to/file.yaml, or
    keep it in DATA_DIR/mappings/ so that the header finds it by itself. Title lines
    above the header (and a unit they declare, such as 单位：万元) are understood.
    """
    from huiqi.profiles.service import import_files

    if sheet is not None:
        not_workbook_sheet(files)
    settings = settings_from(ctx)
    factory, actor = signed_in(ctx)
    rejected = 0
    with progress_bars() as progress, transaction(factory) as s:
        reports = import_files(
            settings, s, actor=actor, files=files, mapping=mapping, sheet=sheet, progress=progress
        )
    for r in reports:
        console.print(r.summary())
        rejected += r.rows_rejected
    if rejected:
        raise SystemExit(EXIT_FINDINGS)


def not_workbook_sheet(files: tuple[Path, ...]) -> None:
    """Refuse --sheet for files none of which is a workbook: a CSV file was refused as
    having "no sheet 'x' with data; sheets with data: []", as if the workbook were empty."""
    if not any(f.suffix.lower() in (".xlsx", ".xls") for f in files):
        raise click.BadParameter(
            f"it picks a workbook's sheet (.xlsx or .xls), and {files[0].name} is no workbook;"
            " leave --sheet out",
            param_hint="--sheet",
        )

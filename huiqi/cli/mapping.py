"""`huiqi mapping ...`: draft and check column mappings for registry files from outside."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from huiqi.cli.common import (
    EXIT_FINDINGS,
    console,
    counted,
    err_console,
    handle_errors,
    settings_from,
)
from huiqi.errors import HuiqiError, Location, MappingError
from huiqi.fsmode import write_private_text
from huiqi.profiles.mapping import headers_shown
from huiqi.profiles.mapping_file import load_mapping_file
from huiqi.profiles.mapping_finder import packaged_mappings
from huiqi.profiles.mappingdraft import draft_from_rows, draft_name, filled
from huiqi.profiles.readers import open_source


@click.group()
def mapping() -> None:
    """Column mappings: which header of a registry file feeds which dictionary field."""


@mapping.command("new")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the draft here (default: print it).",
)
@click.option(
    "--sheet",
    help="For a workbook: the sheet whose header to read (default: the sheet whose header "
    "matches the most columns, as an import picks the sheet whose header fits).",
)
@click.option("--name", help="The mapping's name (default: from the file name).")
@click.option("--force", is_flag=True, help="Replace the --out file if it exists.")
@handle_errors
def new_cmd(file: Path, out: Path | None, sheet: str | None, name: str | None, force: bool) -> None:
    """Draft a mapping from FILE's header, matching column names and zh/en labels against
    the data dictionary.

    Columns nothing matched are written as 'null' with a comment: give each a field
    (or move it under 'ignore:'), then import with --mapping PATH, or keep the file
    in DATA_DIR/mappings/ so that imports find it from the header. Until every column
    is confirmed the mapping refuses to load.
    """
    if sheet is not None:
        from huiqi.cli.data import not_workbook_sheet

        not_workbook_sheet((file,))
    if out is not None and out.exists() and not force:
        # Drafting again over a mapping the user had already completed replaced it without
        # a word, and the null columns it had confirmed were back.
        raise HuiqiError(
            f"{out} exists (a draft you may have completed); write the new draft elsewhere"
            " with --out, or add --force to replace it"
        )
    with tempfile.TemporaryDirectory(prefix="huiqi-mapping-") as scratch:  # 0700
        # A UTF-16 file is read from a UTF-8 copy, removed once the header is read.
        source = open_source(file, Path(scratch))
        if sheet is None and len(source.sheets) > 1:
            # Data on a second sheet, behind notes or a cover sheet, is common; the
            # import reads the sheet whose header fits, so the draft is made from the
            # sheet whose header matches the most columns (the first on a tie).
            sheets: list[tuple[str | None, list[tuple[int, list[str]]]]] = [
                (s, source.on_sheet(s).header_rows()) for s in source.sheets
            ]
        else:
            one = source.on_sheet(sheet) if sheet is not None else source
            sheets = [(one.sheet, one.header_rows())]
    # A wide yearly sheet ("2023年营业收入(元)", a column group per year) is drafted from
    # its headers without their years, and a year column: the import reads it so.
    given = {(s, n): cells for s, rows in sheets for n, cells in rows}
    # A title of one cell ("2025年某区企业研发情况统计表") is no wide header: read as one, its
    # year made it a column and a year column, which outmatched a header of unknown words.
    sheets = [
        (s, [(n, long_view(file.name, cells) if filled(cells) > 1 else cells) for n, cells in rows])
        for s, rows in sheets
    ]
    drafts = [(s, *draft_from_rows(rows, name=name or draft_name(file.stem))) for s, rows in sheets]
    picked, line, draft = max(drafts, key=lambda d: len(d[2].columns) - len(d[2].unmatched))
    text = draft.to_yaml(file.name)
    if not text.endswith("\n"):  # the file's last line, and the message after it, apart
        text += "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)  # DATA_DIR/mappings/ on first use
        write_private_text(out, text)
        err_console.print(f"wrote {out}")
    matched = len(draft.columns) - len(draft.unmatched)
    err_console.print(
        f"mapping '{draft.name}' ({draft.layout}, "
        + (f"registry {draft.registry}" if draft.registry else "registry not known")
        + f"): {matched} of {counted(len(draft.columns), 'column')} matched"
        + (f"; from sheet '{picked}'" if len(source.sheets) > 1 else "")
        + (f"; the header is on line {line}" if line > 1 else "")
        + (f"; confirm {headers_shown(draft.unmatched)} (marked null)" if draft.unmatched else "")
        + ("; write its registry (marked null)" if draft.registry is None else ""),
        soft_wrap=True,
    )
    header = next(
        (cells for s, rows in sheets if s == picked for n, cells in rows if n == line), []
    )
    if header != given.get((picked, line), header):
        err_console.print(
            "the header gives a column group per year: drafted from its headers without"
            f" their years and a year column '{header[-1]}', as an import reads such a wide"
            " sheet (one row per enterprise and year)",
            soft_wrap=True,
        )
    for text, columns in repeated_headers(header).items():
        err_console.print(
            f"warning: the header repeats '{text}' (columns {', '.join(map(str, columns))}); a"
            " mapping names a header once, and an import refuses a file where two columns feed"
            " one field: rename or remove all but one",
            soft_wrap=True,
        )


def long_view(file: str, cells: list[str]) -> list[str]:
    """A header row, or the long view of a wide one (:mod:`huiqi.profiles.wide`)."""
    from huiqi.errors import ImportFileError
    from huiqi.profiles.wide import wide_header

    try:
        wide = wide_header(file, cells)
    except ImportFileError:
        return cells  # two columns for one header and year: the import refuses it
    return cells if wide is None else wide.long


def repeated_headers(cells: list[str]) -> dict[str, list[int]]:
    """Header texts that name more than one column, with their columns (1 for the first)."""
    seen: dict[str, list[int]] = {}
    for i, cell in enumerate(cells, start=1):
        if cell.strip():
            seen.setdefault(cell.strip(), []).append(i)
    return {text: columns for text, columns in seen.items() if len(columns) > 1}


@mapping.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.pass_context
@handle_errors
def check_cmd(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Check mapping files (default: those in DATA_DIR/mappings/).

    Prints each problem with file, line and column; exits 4 when one is found.
    """
    files: list[Path] = []
    for p in paths:
        files += sorted(p.glob("*.y*ml")) if p.is_dir() else [p]
    if not paths:
        folder = settings_from(ctx).mappings_dir
        files = sorted(folder.glob("*.y*ml")) if folder.is_dir() else []
    problems = 0
    # In the data directory's folder a name may not repeat a built-in's or another file's
    # (office_mappings): checked file by file, so that no file is called ok and refused.
    names = {} if paths else dict(packaged_mappings())
    for path in files:
        try:
            m = load_mapping_file(path)
            if m.name in names:
                raise MappingError(
                    f"name '{m.name}' is already the name of mapping {names[m.name].source};"
                    " give this mapping its own name",
                    location=Location(str(path)),
                )
        except HuiqiError as exc:
            problems += 1
            for each in exc.all:
                err_console.print(f"[red]error[/]: {each}", soft_wrap=True)
            continue
        if not paths:
            names[m.name] = m
        console.print(
            f"{path}: mapping '{m.name}' ({m.layout}, {counted(len(m.columns), 'column')}) ok",
            soft_wrap=True,
        )
    console.print(
        f"{len(files)} mapping file{'' if len(files) == 1 else 's'} checked: {problems} with errors"
    )
    if problems:
        raise SystemExit(EXIT_FINDINGS)

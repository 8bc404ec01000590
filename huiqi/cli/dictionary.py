"""`huiqi dictionary check`: the data dictionary in effect, with an office's own fields."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from huiqi.cli.common import (
    EXIT_FINDINGS,
    console,
    counted,
    err_console,
    handle_errors,
    settings_from,
)
from huiqi.config import get_settings
from huiqi.errors import HuiqiError
from huiqi.profiles.dictionary import load_dictionary, office_file


@click.group()
def dictionary() -> None:
    """The data dictionary: standard fields and the data directory's own."""


@dictionary.command("check")
@click.pass_context
@handle_errors
def check_cmd(ctx: click.Context) -> None:
    """Check <data dir>/dictionary.yaml and list the fields it adds.

    Errors name the file, line, column and field, and exit 4. Exits 4 too when a
    published policy version reads a field the dictionary no longer declares (put it
    back: published versions must stay explainable and recomputable).
    """
    path = office_file(get_settings(ctx.obj.get("data_dir") if ctx.obj else None).data_dir)
    try:
        settings = settings_from(ctx)
        d = load_dictionary(settings.data_dir)
    except HuiqiError as exc:
        if not path.exists() or exc.location is None:
            raise
        # The check found problems in the file: exit 4, as 'mapping check' and 'policy
        # lint' do (it exited 1, as a command that could not run would).
        for one in exc.all:
            err_console.print(f"[bold red]error:[/] {escape(str(one))}", soft_wrap=True)
        raise SystemExit(EXIT_FINDINGS) from None
    if d.extension is None:
        console.print(
            f"No {path}: the standard dictionary ({counted(len(d.fields), 'field')}) is in effect."
        )
    else:
        table = Table("field", "type", "yearly", "unit / codes", "range", "source", "label")
        for f in d.office_fields:
            span = f"{f.min} – {f.max}" if f.min is not None else ""
            table.add_row(
                f.name,
                f.type,
                "yes" if f.yearly else "",
                f.codes or f.unit or "",
                span,
                f.source,
                f"{f.label.zh} / {f.label.en}",
            )
        console.print(table)
        console.print(
            f"{path}: {counted(len(d.office_fields), 'field')} added to the"
            f" {counted(len(d.fields) - len(d.office_fields), 'standard field')}."
        )
    # The database (SQLAlchemy) only here: 'huiqi dictionary --help' does not load it.
    from huiqi.db.engine import open_database
    from huiqi.delivery.fields_in_use import guard_office_dictionary, missing_fields

    explicit = ctx.obj.get("database_url") if ctx.obj else None
    factory = open_database(settings, explicit)
    missing = missing_fields(factory, d)
    for field, versions in missing.items():
        err_console.print(
            f"[red]error[/]: field '{field}' is read by published {', '.join(versions)} but is"
            " not in the dictionary; put it back",
            soft_wrap=True,
        )
    if missing:
        raise SystemExit(EXIT_FINDINGS)
    guard_office_dictionary(settings, factory)  # records the fields as checked
    console.print("Every field that published policy versions read is declared.")

"""A command group that imports a command's module only when that command runs.

``huiqi --help`` listed every command by importing every command module, and with
them SQLAlchemy, DuckDB, NumPy, SQLGlot and pydantic: about a second before anything
was printed. The group knows each command by name, module and one-line summary;
the summary is what ``--help`` shows, so it imports nothing. A test checks that
every summary is the command's own.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, NamedTuple

import click


class LazyCommand(NamedTuple):
    module: str
    attribute: str
    summary: str  # the first paragraph of the command's help


class LazyGroup(click.Group):
    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            entry = self.lazy[cmd_name]
            command = getattr(importlib.import_module(entry.module), entry.attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Click's command list, with the summaries of commands not yet imported."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is None:
                loaded = click.Command(name, help=self.lazy[name].summary)
            if not loaded.hidden:
                rows.append((name, loaded.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

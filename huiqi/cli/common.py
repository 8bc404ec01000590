"""Shared CLI plumbing: settings from options, error handling, exit codes, progress bars.

Exit codes scripts can rely on:

* 0 success
* 1 a user error huiqi explains (bad input, bad policy, missing store)
* 2 wrong command-line usage (unknown option, missing argument)
* 3 something asked for does not exist (USCC, policy, snapshot)
* 4 checks ran and found problems (policy tests failed, lint findings, rejected rows)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy.exc import SQLAlchemyError

from huiqi.config import Settings, get_settings
from huiqi.db.busy import busy_error, busy_kind
from huiqi.errors import HuiqiError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_FINDINGS = 0, 1, 2, 3, 4

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)
if not console.is_terminal:
    # Output to a file or a pipe: wide enough for the report tables to stay readable.
    console.width = max(console.width, 132)

F = TypeVar("F", bound=Callable[..., Any])


def settings_from(ctx: click.Context) -> Settings:
    return get_settings(ctx.obj.get("data_dir") if ctx.obj else None)


def handle_errors(fn: F) -> F:
    """Turn HuiqiError (and a busy database) into one clear line on stderr and its exit code
    (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except HuiqiError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
            raise SystemExit(exc.exit_code) from None
        except SQLAlchemyError as exc:
            # A busy database reached outside huiqi.db.engine.transaction (a plain read).
            kind = busy_kind(exc)
            if kind is None:
                raise
            busy = busy_error(kind)
            err_console.print(f"[bold red]error:[/] {busy}", soft_wrap=True)
            raise SystemExit(busy.exit_code) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def progress_bars(enabled: bool = True) -> Iterator[Callable[[str, int, int], None]]:
    """Yield a ``progress(step, done, total)`` callback drawing one Rich bar per step."""
    if not enabled:
        yield lambda step, done, total: None
        return
    bars = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )
    tasks: dict[str, Any] = {}

    def update(step: str, done: int, total: int) -> None:
        if step not in tasks:
            tasks[step] = bars.add_task(step, total=max(total, 1))
        bars.update(tasks[step], completed=done, total=max(total, 1))

    with bars:
        yield update


def yuan(fen: int | None) -> str:
    """Fen as yuan with thousands separators and two decimals (exact, no float)."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"

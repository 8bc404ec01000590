"""Shared CLI plumbing: settings from options, error handling, exit codes, progress bars.

Exit codes scripts can rely on:

* 0 success
* 1 a user error huiqi explains (bad input, bad policy, missing store)
* 2 wrong command-line usage (unknown option, missing argument)
* 3 something asked for does not exist (USCC, policy, snapshot)
* 4 checks ran and found problems (policy tests failed, lint findings, rejected rows)
* 5 access denied, or nobody is signed in
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from huiqi.config import Settings, get_settings
from huiqi.errors import HuiqiError, NotFoundError
from huiqi.money import format_yuan as yuan  # noqa: F401 - the CLI's money formatter
from huiqi.profiles.datadir import use_data_dir
from huiqi.wording import counted  # noqa: F401 - the CLI's counts

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.orm import Session, sessionmaker

    from huiqi.accounts.access import Actor
    from huiqi.db.engine import Reads

# SQLAlchemy is imported by the commands that open the database, not here: 'huiqi policy
# list' and '--help' never load it; and the listings read through SQLAlchemy Core
# (signed_in_reading), without the ORM (tests/cli/test_lazy.py).

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_FINDINGS, EXIT_DENIED = 0, 1, 2, 3, 4, 5

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)
if not console.is_terminal:
    # Output to a file or a pipe: wide enough for the report tables to stay readable.
    console.width = max(console.width, 132)

F = TypeVar("F", bound=Callable[..., Any])


def settings_from(ctx: click.Context) -> Settings:
    """The settings of this command; the data directory's own dictionary takes effect."""
    settings = get_settings(ctx.obj.get("data_dir") if ctx.obj else None)
    use_data_dir(settings.data_dir)
    return settings


def handle_errors(fn: F) -> F:
    """Turn HuiqiError (and a busy database) into one clear line on stderr and its exit code
    (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except HuiqiError as exc:
            from rich.markup import escape

            for one in exc.all:
                # Escaped: a message's own brackets ("range: [min, max]") are not markup.
                err_console.print(f"[bold red]error:[/] {escape(str(one))}", soft_wrap=True)
            raise SystemExit(exc.exit_code) from None
        except BrokenPipeError:
            # The reader of stdout went away ('| head -1'): what was asked is done; end
            # quietly, as Click does with a closed pipe, not "error: Broken pipe".
            raise
        except OSError as exc:
            # A file the command was told to read or write: missing folder, no
            # permission, a full disk. Say which file and why, not a traceback.
            from rich.markup import escape

            where = f"{exc.filename}: " if exc.filename else ""
            err_console.print(
                f"[bold red]error:[/] {escape(where + str(exc.strerror or exc))}", soft_wrap=True
            )
            raise SystemExit(EXIT_ERROR) from None
        except Exception as exc:
            # A busy database reached outside huiqi.db.engine.transaction (a plain read).
            # Without SQLAlchemy loaded, no database error can have been raised.
            sa_errors = sys.modules.get("sqlalchemy.exc")
            if sa_errors is None or not isinstance(exc, sa_errors.SQLAlchemyError):
                raise
            from huiqi.db.busy import busy_error, busy_kind

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
    # Imported here: listings never draw a progress bar.
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

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


def database_engine(ctx: click.Context) -> tuple[Engine, str]:
    """The operational database's engine (migrated) and its URL (password hidden: it names
    the database for stored sign-in tokens)."""
    from huiqi.db.engine import database_url, open_engine
    from huiqi.delivery.fields_in_use import guard_office_dictionary

    settings = settings_from(ctx)
    explicit = ctx.obj.get("database_url") if ctx.obj else None
    shown = database_url(settings, explicit).render_as_string(hide_password=True)
    engine = open_engine(settings, explicit)
    # A dictionary that dropped a field published versions read is refused before any work.
    guard_office_dictionary(settings, engine)
    return engine, shown


def database(ctx: click.Context) -> tuple[sessionmaker[Session], str]:
    """The operational database (migrated), as ORM sessions, and its URL (password hidden)."""
    from huiqi.db.engine import session_factory

    engine, shown = database_engine(ctx)
    return session_factory(engine), shown


def signed_in(ctx: click.Context) -> tuple[sessionmaker[Session], Actor]:
    """The database and the signed-in actor; exit 5 with a clear message when nobody is."""
    from huiqi.cli.signin import current_actor
    from huiqi.db.engine import reading

    factory, url = database(ctx)
    with reading(factory) as s:
        actor, due = current_actor(s, url)
    _record_use(factory.kw["bind"], due)
    return factory, actor


def _record_use(engine: Engine, due: int | None) -> None:
    """The token's last use, when due and the database is free (a busy one skips it)."""
    if due is not None:
        from huiqi.accounts.bearer import record_use

        record_use(engine, due)


@contextmanager
def signed_in_reading(ctx: click.Context) -> Iterator[tuple[Connection, Actor]]:
    """For a listing: one read-only transaction on a Core connection, in which the sign-in
    is checked (exit 5 when nobody is signed in) and the rows are read. No ORM is loaded:
    a listing starts a tenth of a second sooner (docs/benchmarks.md)."""
    from huiqi.cli.signin import current_actor
    from huiqi.db.engine import reading_connection

    engine, url = database_engine(ctx)
    with reading_connection(engine) as conn:
        actor, due = current_actor(conn, url)
        yield conn, actor
    _record_use(engine, due)


def signed_in_actor(ctx: click.Context) -> Actor:
    """The signed-in actor, checked as :func:`signed_in_reading` does (without the ORM),
    for a command that reads nothing else from the operational database. On the embedded
    SQLite database and on PostgreSQL the check goes through the driver
    (:mod:`huiqi.cli.quick`), without SQLAlchemy, unless that path declines."""
    from huiqi.cli.quick.read import Declined, quick_reading

    try:
        with quick_reading(ctx) as (_quick_conn, quick_actor):
            return quick_actor
    except Declined:
        pass
    with signed_in_reading(ctx) as (_conn, actor):
        return actor


def emit_json(data: Any) -> None:
    """Print data as JSON (dataclasses, dates and Decimals included), for scripts."""
    click.echo(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2))


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: to_jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | Path):
        return str(value)
    return value


# An id or a version typed on the command line, bounded as the ledger's integers are: a
# larger one (99999999999999999999) was an OverflowError traceback from the database
# driver, not a usage error.
class WholeNumber(click.IntRange):
    """A bounded whole number that a refusal calls one: Click's IntRange said "'abc' is not
    a valid integer range", as if a range were expected (qa1)."""

    name = "whole number"

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        # An option's help shows INTEGER as before; an argument keeps its own name.
        return "INTEGER" if isinstance(param, click.Option) else None


RECORD_ID = WholeNumber(1, 2**62)
VERSION = WholeNumber(1, 2**31 - 1)


def not_blank(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A required text option given blank (``--reason " "``): wrong usage (exit 2), as the
    option left out is; the services refused it as their own error (exit 1, or 4)."""
    if value is not None and not value.strip():
        raise click.BadParameter(f"it is blank: give the {param.name}", ctx=ctx, param=param)
    return value


JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


# At least one (0 or a negative number listed one row and exited 0), at most a page the
# services allow.
LIMIT_OPTION = click.option(
    "--limit",
    default=50,
    show_default=True,
    type=WholeNumber(1, 10_000),
    help="At most this many (1-10000).",
)


def uscc_param(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A USCC given on the command line, trimmed and upper-cased as the stores hold it.

    A mistyped code is refused with what is wrong with it: taken as given, it matched no
    row, and a listing filtered by it showed nothing as if the enterprise had nothing.
    """
    if value is None:
        return None
    from huiqi.profiles.uscc import USCCError, validate

    try:
        return validate(value, prefixes=None)
    except USCCError as e:
        raise click.BadParameter(str(e), ctx=ctx, param=param) from None


AFTER_OPTION = click.option(
    "--after",
    "after_id",
    default=0,
    show_default=True,
    type=WholeNumber(0, 2**62),
    help="Only ids above this (next page).",
)


# Identifiers are copied from a listing into the next command: never wrapped (the other
# columns wrap first when the terminal is narrow).
UNWRAPPED = frozenset({"id", "policy", "uscc", "enterprise", "sha256"})


def rich_table(columns: list[str], rows: list[list[str]]) -> Table:
    table = Table()
    for name in columns:
        if name in UNWRAPPED:
            table.add_column(name, no_wrap=True)
        else:  # a long word (an amount) folds onto the next line, never cut short
            table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def listing_filters(fn: F) -> F:
    """The options every ledger listing takes: --uscc, --policy, --after, --limit, --json."""
    for option in reversed(
        [
            click.option("--uscc", callback=uscc_param, help="Only this enterprise."),
            click.option("--policy", "policy_id", help="Only this policy."),
            AFTER_OPTION,
            LIMIT_OPTION,
            JSON_OPTION,
        ]
    ):
        fn = option(fn)
    return fn


def show_listing(
    ctx: click.Context,
    fetch: Callable[[Reads, Actor], Sequence[Any]],
    *,
    quick: Callable[[], Sequence[Any] | None] | None = None,
    as_json: bool,
    columns: list[str],
    row: Callable[[Any], list[str]],
    policy_id: str | None = None,
) -> None:
    """Sign in, fetch rows through one service call written in SQLAlchemy Core (the sign-in
    check and the query in one read-only transaction, no ORM loaded), print them as JSON
    or as a table. ``quick``: the same listing through the driver (:mod:`huiqi.cli.quick`),
    tried first; None when it declines. ``policy_id``: the listing's --policy filter, checked
    when nothing is listed (:func:`require_published_policy`), on a page after the first
    (--after) too: a page past the last row of a policy that exists is empty and passes the
    check, a mistyped id is refused there as on the first page. A page with rows costs no
    check (the common path reads nothing more)."""
    rows = quick() if quick is not None else None
    if rows is None:
        with signed_in_reading(ctx) as (conn, actor):
            rows = fetch(conn, actor)
    if not rows and policy_id:
        require_published_policy(ctx, policy_id)
    _print_rows(rows, as_json=as_json, columns=columns, row=row)


def show_session_listing(
    ctx: click.Context,
    fetch: Callable[[Session, Actor], Sequence[Any]],
    *,
    as_json: bool,
    columns: list[str],
    row: Callable[[Any], list[str]],
    policy_id: str | None = None,
) -> None:
    """As :func:`show_listing`, for a service call that reads through the ORM (a session)."""
    from huiqi.db.engine import reading

    factory, actor = signed_in(ctx)
    with reading(factory) as s:
        rows = fetch(s, actor)
    if not rows and policy_id:
        require_published_policy(ctx, policy_id)
    _print_rows(rows, as_json=as_json, columns=columns, row=row)


def require_published_policy(ctx: click.Context, policy_id: str) -> None:
    """Exit 3 when a --policy filter names no published policy (any version, retired ones
    included), with the closest published id: filtered by a mistyped id, a listing printed
    an empty table and exited 0, as if the policy had nothing. Checked only once a listing
    comes back empty; published policies are public (:func:`list_versions`), so naming
    them tells a reader nothing they may not see."""
    from huiqi.cli.quick import listings as quick
    from huiqi.wording import did_you_mean

    versions = quick.versions(ctx, policy_id=None)
    if versions is None:
        from huiqi.delivery.service import list_versions

        with signed_in_reading(ctx) as (conn, actor):
            versions = list_versions(conn, actor=actor)
    published = {v.policy_id for v in versions}
    if policy_id not in published:
        raise NotFoundError(
            f"no policy '{policy_id}' is published{did_you_mean(policy_id, sorted(published))};"
            " 'huiqi versions' lists the policy ids"
        )


def _print_rows(
    rows: Sequence[Any], *, as_json: bool, columns: list[str], row: Callable[[Any], list[str]]
) -> None:
    if as_json:
        emit_json(rows)
        return
    console.print(rich_table(columns, [row(r) for r in rows]))
    if not rows:
        # An empty table under its headers read as if something had failed to show.
        console.print("nothing to list (of what your roles may see, with the filters given)")

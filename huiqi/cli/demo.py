"""`huiqi demo`: the whole flow on embedded defaults, with no server to start.

generate a synthetic Shanghai population → import it through the validating
importer (one snapshot per registry file) → load the policy library → match
every policy against every enterprise → print the report and where outputs are.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import click
from sqlalchemy.orm import Session, sessionmaker

from huiqi import clock
from huiqi.accounts.access import Actor
from huiqi.cli.common import (
    EXIT_FINDINGS,
    WholeNumber,
    console,
    counted,
    database,
    err_console,
    handle_errors,
    progress_bars,
    settings_from,
)
from huiqi.cli.demo_accounts import (
    MARKER,
    OFFER_POLICY,
    added_accounts,
    command_prefix,
    create_enterprise_accounts,
    create_staff,
    named,
    refuse_foreign_accounts,
    refuse_wiping_added_accounts,
    render_accounts,
    wipe_demo_data,
)
from huiqi.cli.render import render_match_report
from huiqi.config import Settings
from huiqi.db.engine import reading, transaction
from huiqi.engine import compile_library
from huiqi.matching.service import match_population
from huiqi.policies.loader import load_library
from huiqi.profiles.service import generate_population
from huiqi.profiles.store import ProfileStore


@click.command()
@click.option(
    "--enterprises",
    "-n",
    default=200_000,
    show_default=True,
    type=WholeNumber(100, 10_000_000),
    help="Size of the synthetic population.",
)
@click.option("--seed", default=2026, show_default=True, type=WholeNumber(min=0))
@click.option(
    "--fresh/--reuse", default=True, show_default=True, help="Start from an empty data directory."
)
@click.option(
    "--force",
    is_flag=True,
    help="With --fresh, delete the demo's ledger even when it holds accounts added since.",
)
@click.pass_context
@handle_errors
def demo(ctx: click.Context, enterprises: int, seed: int, fresh: bool, force: bool) -> None:
    """Run the whole flow on a synthetic Shanghai population and print a report.

    Also creates the demo accounts (one per role, password huiqi-demo-2026) so that
    every role can be tried; see the README. Run again, it starts afresh (--fresh), but
    not over accounts added to its ledger since (huiqi user add): it names them and stops;
    --reuse keeps the ledger and them, --fresh --force deletes them.
    """
    if force and not fresh:
        raise click.UsageError("--force deletes the demo's ledger: it goes with --fresh")
    settings = settings_from(ctx)
    deleted: list[str] = []
    if _ledger_elsewhere(ctx, settings):
        # Checked before the data directory is wiped: a deployment's database is refused
        # (and its data directory kept) before anything is changed.
        factory, url = database(ctx)
        with transaction(factory) as s:
            refuse_foreign_accounts(s, url)
    elif (settings.data_dir / "huiqi.db").exists() and not (settings.data_dir / MARKER).exists():
        # A data directory made by 'huiqi admin init': refused here, before the wipe's
        # "--reuse to keep this one", which would be refused as well.
        factory, url = database(ctx)
        with transaction(factory) as s:
            refuse_foreign_accounts(
                s,
                url,
                remedy=f"run it with a new --data-dir ({settings.data_dir} is kept as it is;"
                " --reuse does not help, it keeps these accounts)",
            )
    elif fresh and (settings.data_dir / "huiqi.db").exists():
        # The demo's own ledger, which --fresh deletes: not over accounts added since,
        # unless --force says so (and then the accounts deleted are named).
        factory, _ = database(ctx)
        try:
            with reading(factory) as s:
                if force:
                    deleted = added_accounts(s)
                else:
                    refuse_wiping_added_accounts(s, str(settings.data_dir / "huiqi.db"))
        finally:
            factory.kw["bind"].dispose()  # the file is deleted next: no connection left
    if fresh:
        wipe_demo_data(settings)
    if deleted:
        console.print(
            f"Deleted the demo's ledger with {len(deleted)} account(s) added since"
            f" (--force): {named(deleted)}.",
            soft_wrap=True,
        )
    ProfileStore(settings).init()
    factory, url = database(ctx)
    started = time.perf_counter()
    lib = compile_library(load_library())
    for e in lib.errors:
        err_console.print(f"[red]error[/]: {e}", soft_wrap=True)
    if lib.errors:
        raise SystemExit(EXIT_FINDINGS)
    as_of = settle_demo_day(settings, [cp.policy.valid_to for cp in lib.compiled])
    if as_of is not None:
        console.print(
            f"Every library policy closed by {as_of}: this demo runs as of that day, so that"
            f" it still delivers (set in {settings.data_dir / clock.FILE}; see README)."
        )
    with transaction(factory) as s:
        staff = create_staff(s, url)
    with progress_bars() as progress, transaction(factory) as s:
        _, reports = generate_population(
            settings,
            s,
            actor=staff["steward"],
            enterprises=enterprises,
            seed=seed,
            progress=progress,
        )
        run = match_population(
            settings,
            actor=staff["officer"],
            policies=lib.compiled,
            progress=progress,
        )
    with transaction(factory) as s:
        accounts = create_enterprise_accounts(settings, s, staff["admin"], run)
    published = publish_for_portal(settings, factory, staff["officer"])
    rejected = sum(r.rows_rejected for r in reports)
    console.print(
        f"\nImported {counted(len(reports), 'registry file')}:"
        f" {counted(sum(r.rows_accepted for r in reports), 'row')} accepted,"
        f" {rejected:,} rejected."
    )
    render_match_report(console, run, [cp.policy for cp in lib.compiled])
    console.print(f"\nDone in {time.perf_counter() - started:.1f}s. Outputs:")
    console.print(f"  profile store      {settings.profiles_db}")
    console.print(f"  snapshot (Parquet) {settings.snapshots_dir / str(run.snapshot_id)}")
    console.print(f"  import reports     {settings.imports_dir}")
    console.print(f"  matches            {run.output_dir / 'matches.parquet'}")
    console.print(f"  summary            {run.output_dir / 'summary.json'}")
    console.print(f"  ledger             {url}")
    console.print(
        f"  published          {published} policy versions (the portal's catalogue);"
        f" {OFFER_POLICY} delivered"
    )
    render_accounts(console, accounts, settings, url)
    example = _example_uscc(run.output_dir / "matches.parquet")
    if example:
        prefix = command_prefix(settings, url)
        console.print(f"\nTry: {prefix} login officer\n     {prefix} explain {example}")


def settle_demo_day(settings: Settings, ends: list[dt.date]) -> dt.date | None:
    """Fix the demo's day (``<data dir>/today``, :mod:`huiqi.clock`) at the library's last
    valid_to when today is after it, else take the machine's date (removing a day an
    earlier demo run fixed). A demo run after the library's year would otherwise deliver
    nothing: a policy delivers only inside its window."""
    (settings.data_dir / clock.FILE).unlink(missing_ok=True)
    last = max(ends)
    if clock.today() <= last:
        return None
    clock.fix_day(settings.data_dir, last)
    return last


def _ledger_elsewhere(ctx: click.Context, settings: Settings) -> bool:
    """Whether the operational database is not the data directory's own SQLite file."""
    from huiqi.db.engine import database_url

    explicit = ctx.obj.get("database_url") if ctx.obj else None
    url = database_url(settings, explicit)
    return url.get_backend_name() != "sqlite" or url.database != str(settings.data_dir / "huiqi.db")


def publish_for_portal(settings: Settings, factory: sessionmaker[Session], officer: Actor) -> int:
    """Freeze every library policy as a published version, so that the portal's catalogue
    (``huiqi serve``) lists them, and deliver the demo enterprise's offer so that its home
    shows it. The other policies are delivered when an officer publishes them (README)."""
    from huiqi.delivery.publish import deliver
    from huiqi.delivery.versions import publish_text
    from huiqi.policies.loader import library_dir, policy_files

    count = 0
    for path in policy_files([library_dir()]):
        pv, _ = publish_text(factory, path.read_text("utf-8"), str(path), actor=officer)
        count += 1
        if pv.policy_id == OFFER_POLICY:
            deliver(settings, factory, pv.id, actor=officer)
    return count


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

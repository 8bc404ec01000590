"""Commands on bulk matching: match every policy against every enterprise of a snapshot,
and write a run's rows as a sheet (the profile store and imports: :mod:`huiqi.cli.data`;
explain: :mod:`huiqi.cli.explain`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from huiqi.cli.common import (
    EXIT_FINDINGS,
    console,
    counted,
    err_console,
    handle_errors,
    progress_bars,
    settings_from,
    signed_in,
)
from huiqi.errors import ConfigError, NotFoundError

# The engine, the matcher and the policy loader are imported by the commands that use
# them, so that loading this module for a command's help loads none of them.


def _backend_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A backend huiqi knows, checked before anything is read: a mistyped name is wrong
    usage (exit 2, the names listed), as any other option's value."""
    from huiqi.engine.backend import backend_names

    name = value.strip()
    if name not in backend_names():
        raise click.BadParameter(
            f"{value!r} is not a backend; the backends are {', '.join(backend_names())}",
            ctx=ctx,
            param=param,
        )
    return name


def _memory_size(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """DuckDB's memory limit, tried on a scratch connection before anything is read: a
    value DuckDB refuses ('lots', '1000') ended the run with its traceback."""
    if value is None:
        return None
    import duckdb

    try:
        duckdb.connect().execute("SET memory_limit = ?", [value.strip()])
    except duckdb.Error as e:
        reason = str(e).removeprefix("Parser Error: ")
        raise click.BadParameter(
            f"{value!r} is not a memory size ({reason}); write a number and a unit,"
            " e.g. 6GB or 800MB",
            ctx=ctx,
            param=param,
        ) from None
    return value.strip()


@click.command()
@click.option(
    "--policies",
    "policy_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Policy files or folders (default: the shipped library).",
)
@click.option("--snapshot", type=int, help="Snapshot id (default: the latest).")
@click.option(
    "--memory-limit", callback=_memory_size, help="DuckDB memory limit, e.g. 6GB or 800MB."
)
@click.option(
    "--backend",
    default="numpy",
    show_default=True,
    callback=_backend_name,
    help="Where to match: numpy (the array backend, fastest on one machine), duckdb, spark"
    " (a Spark cluster or local mode), postgres (HUIQI_POSTGRES_URL, else the operational"
    " database when it is PostgreSQL), cupy (a GPU).",
)
@click.option("--master", help="Spark master URL, e.g. spark://host:7077 (default local[2]).")
@click.option(
    "--export",
    "export_format",
    type=click.Choice(["csv", "xlsx"]),
    help="Also write the rows as a sheet (runs/<id>/matches.csv or .xlsx); see 'huiqi export-matches'.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
@handle_errors
def match(
    ctx: click.Context,
    policy_paths: tuple[Path, ...],
    snapshot: int | None,
    memory_limit: str | None,
    backend: str,
    master: str | None,
    export_format: str | None,
    as_json: bool,
) -> None:
    """Match every policy against every enterprise of a snapshot, in bulk.

    Without --policies, the library's: all of them for a data steward or an officer of
    every policy (*), those of its districts or departments for an officer scoped to them."""
    from huiqi.accounts.access import AccessDenied
    from huiqi.cli.render import render_match_report
    from huiqi.engine import compile_library
    from huiqi.matching.service import library_in_scope, match_population
    from huiqi.policies.loader import load_library

    settings = settings_from(ctx)
    lib = compile_library(load_library(list(policy_paths) or None))
    for e in lib.errors:
        err_console.print(f"[red]error[/]: {e}", soft_wrap=True)
    if lib.errors:
        raise SystemExit(EXIT_FINDINGS)
    _factory, actor = signed_in(ctx)
    policies = lib.compiled
    if policy_paths:  # the library's own are checked by its tests
        from huiqi.engine.satisfiable import contradiction_errors

        pairs = [(cp, lp.marks) for lp, cp in zip(lib.loaded, lib.compiled, strict=True)]
        for e in contradiction_errors(pairs):
            err_console.print(
                f"[yellow]warning[/]: {e} (matched all the same: 'huiqi policy lint' reports"
                " it as an error, and publishing refuses it)",
                soft_wrap=True,
            )
    if not policy_paths:
        # A district officer was refused a plain 'huiqi match': the library holds the
        # city's and other districts' policies too, which it may not run.
        policies = library_in_scope(actor, lib.compiled)
        if not policies:
            raise AccessDenied(
                f"{actor.describe()}: no policy of the library is in your scope, so there is"
                " nothing of it to match; match your own policy files"
                " (huiqi match --policies FILE.yaml or FOLDER), or publish one first"
            )
        if len(policies) < len(lib.compiled):
            err_console.print(
                f"matching the {len(policies)} of the library's {len(lib.compiled)} policies"
                f" your scope covers: {', '.join(cp.policy.id for cp in policies)}",
                soft_wrap=True,
                markup=False,
            )
    postgres_url = _postgres_url(ctx) if backend == "postgres" else None
    with progress_bars(not as_json) as progress:
        run = match_population(
            settings,
            actor=actor,
            policies=policies,
            snapshot_id=snapshot,
            progress=progress,
            memory_limit=memory_limit,
            backend=backend,
            master=master,
            postgres_url=postgres_url,
        )
    exported = None
    if export_format is not None:
        from huiqi.matching.export import export_matches

        exported = export_matches(settings, actor=actor, run_dir=run.output_dir, fmt=export_format)
    from huiqi.matching.missing_years import lacking_notes, lacking_years, snapshot_years

    if as_json:
        out = run.to_json()
        if exported is not None:
            out["export"] = {"path": str(exported.path), "rows": exported.rows}
        # The policies that read a year the snapshot lacks, as the text report's notes say.
        out["missing_years"] = lacking_years(policies, snapshot_years(run.output_dir))
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    from huiqi.accounts.roles import POLICY_ROLES
    from huiqi.matching.analysis import enterprises_in
    from huiqi.matching.district_scope import run_districts

    # A district officer's run is over its districts' enterprises: counted, and the share
    # with a match taken, over those, not over the whole city's.
    districts = run_districts(actor, policies, POLICY_ROLES)
    population = (enterprises_in(run.output_dir), districts) if districts else None
    render_match_report(console, run, [cp.policy for cp in policies], population)
    for note in lacking_notes(policies, snapshot_years(run.output_dir)):
        err_console.print(f"[yellow]note[/]: {note}", soft_wrap=True)
    console.print(f"matches: {run.output_dir / 'matches.parquet'}")
    console.print(f"analysis (DuckDB views): {run.output_dir / 'analysis.duckdb'}")
    if exported is not None:
        console.print(f"export: {exported.path} ({counted(exported.rows, 'row')})")


def _postgres_url(ctx: click.Context) -> str | None:
    """Where ``--backend postgres`` matches: ``HUIQI_POSTGRES_URL``, else the operational
    database when it is PostgreSQL (a small deployment keeps everything there)."""
    import os

    from huiqi.db.engine import database_url
    from huiqi.engine.postgres.backend import URL_SETTING

    if os.environ.get(URL_SETTING):
        return None  # the backend reads it
    explicit = ctx.obj.get("database_url") if ctx.obj else None
    url = database_url(settings_from(ctx), explicit)
    if url.get_backend_name() != "postgresql":
        raise ConfigError(
            f"--backend postgres matches in a PostgreSQL database, and the operational"
            f" database is {url.get_backend_name()}: set {URL_SETTING} to a PostgreSQL URL"
            " (postgresql://user@host:5432/name), or use --backend numpy or duckdb"
        )
    return url.render_as_string(hide_password=False)


@click.command("export-matches")
@click.option("--run", "run_id", help="Run id (a folder of runs/; default: the latest run).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx"]),
    help="csv or xlsx (default: from the --to file's extension, else csv).",
)
@click.option("--policy", "policies", multiple=True, help="Only this policy id (repeatable).")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["eligible", "near_miss", "needs_data", "error"]),
    help="Only rows with this status (repeatable).",
)
@click.option(
    "--to", "target", type=click.Path(dir_okay=False, path_type=Path), help="Where to write it."
)
@click.pass_context
@handle_errors
def export_matches_command(
    ctx: click.Context,
    run_id: str | None,
    fmt: str | None,
    policies: tuple[str, ...],
    statuses: tuple[str, ...],
    target: Path | None,
) -> None:
    """Write a bulk run's rows as a sheet (csv or xlsx), with enterprise names and yuan."""
    from huiqi.engine.api import latest_run_dir
    from huiqi.matching.export import export_matches

    fmt = sheet_format(ctx, fmt, target)

    settings = settings_from(ctx)
    _factory, actor = signed_in(ctx)
    if run_id is not None:
        run_dir = settings.runs_dir / run_id
        if "/" in run_id or run_id.startswith(".") or not run_dir.is_dir():
            raise NotFoundError(f"no run '{run_id}' in {settings.runs_dir}")
    else:
        latest = latest_run_dir(settings)
        if latest is None:
            raise NotFoundError("no run yet; run 'huiqi match' first")
        run_dir = latest
    done = export_matches(
        settings,
        actor=actor,
        run_dir=run_dir,
        fmt=fmt,
        target=target,
        policies=policies,
        statuses=statuses,
    )
    console.print(f"{counted(done.rows, 'row')} written to {done.path}")


def sheet_format(ctx: click.Context, fmt: str | None, target: Path | None) -> str:
    """The format to write: --format, else the --to file's extension (.xlsx, .csv), else
    csv; a --format the extension contradicts is a usage error (a CSV file named .xlsx
    does not open in Excel)."""
    suffix = target.suffix.lower().lstrip(".") if target is not None else ""
    if suffix == "xls":  # CSV text named .xls: Excel warns the file is not what it says
        raise click.UsageError(
            f"--to {target} names an Excel 97-2003 (.xls) file, which huiqi does not write;"
            " name it .xlsx for a workbook, or .csv",
            ctx,
        )
    known = suffix if suffix in ("csv", "xlsx") else None
    if fmt is not None and known is not None and fmt != known:
        raise click.UsageError(
            f"--to {target} names a .{known} file but --format is {fmt}; make them agree", ctx
        )
    return fmt or known or "csv"

"""`huiqi policy ...`: lint and test policy files."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from huiqi.cli.common import EXIT_FINDINGS, console, counted, err_console, handle_errors

# The engine (SQLGlot, DuckDB, NumPy) is imported by 'lint' and 'test' only: 'list'
# reads the files and nothing else, so it starts in a fraction of a second; and when
# every file's header is kept from an earlier listing (huiqi.policies.summaries), it
# imports neither pydantic nor YAML either.


def _paths(paths: tuple[Path, ...]) -> list[Path] | None:
    return list(paths) if paths else None


def _existing(
    ctx: click.Context, param: click.Parameter, paths: tuple[Path, ...]
) -> tuple[Path, ...]:
    """PATHS that all exist; a mistyped one is wrong usage (exit 2, as 'huiqi publish' and
    'huiqi match --policies' answer), and every missing path is named at once, not only
    the first."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise click.BadParameter(
            f"no such file or folder: {', '.join(missing)}; give policy files (.yaml, .yml) or"
            " folders of them",
            ctx=ctx,
            param=param,
        )
    return paths


@click.group()
def policy() -> None:
    """Write, check and test policies as code."""


@policy.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), callback=_existing)
@handle_errors
def lint_cmd(paths: tuple[Path, ...]) -> None:
    """Check policy files: format, fields, types, rules, tests, exclusivity groups.

    Every criterion and amount is also run on enterprises with extreme data
    (missing values, zeros, the largest values a field admits) on every backend;
    a failure or a disagreement is an error, and so are criteria that can never
    all hold together. PATHS are files or folders (default:
    the shipped library). Exits 4 when an error is found; warnings alone exit 0.
    """
    from huiqi.engine import compile_library
    from huiqi.engine.policycheck import lint_compiled
    from huiqi.policies.loader import load_library

    lib = compile_library(load_library(_paths(paths)))
    findings = lint_compiled(lib)
    for f in findings:
        colour = "red" if f.severity == "error" else "yellow"
        err_console.print(
            f"[{colour}]{f.severity}[/]: {escape(f.where)}: {escape(f.message)}", soft_wrap=True
        )
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    # A file that does not load (or compile) is counted: "0 policies checked" alone read
    # as if nothing had been given.
    unloaded = len({e.location.file if e.location else None for e in lib.errors})
    not_loaded = f", {counted(unloaded, 'file')} not loaded" if unloaded else ""
    console.print(
        f"{counted(len(lib.compiled), 'policy', 'policies')} checked{not_loaded}:"
        f" {counted(errors, 'error')}, {counted(warnings, 'warning')}"
    )
    if errors:
        raise SystemExit(EXIT_FINDINGS)


@policy.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), callback=_existing)
@click.option("-v", "--verbose", is_flag=True, help="List every case, not only failures.")
@handle_errors
def test_cmd(paths: tuple[Path, ...], verbose: bool) -> None:
    """Run every policy's own test cases through the matching engine.

    PATHS are files or folders (default: the shipped library). Exits 4 when a
    case fails or a policy does not load.
    """
    from huiqi.engine import compile_library, run_policy_tests
    from huiqi.policies.loader import load_library

    lib = compile_library(load_library(_paths(paths)))
    for e in lib.errors:
        # Every problem of a file, as lint lists them, not the first with a count.
        for one in e.all:
            err_console.print(f"[red]error[/]: {escape(str(one))}", soft_wrap=True)
    results = run_policy_tests(lib.compiled)
    for r in results:
        if not r.ok:
            err_console.print(f"[red]FAIL[/] {escape(r.message)}", soft_wrap=True)
        elif verbose:
            passed = escape(f"{r.file}: case '{r.case}'")
            console.print(f"[green]ok[/]   {passed}", soft_wrap=True)
    failed = sum(not r.ok for r in results)
    console.print(
        f"{len(results) - failed} passed, {failed} failed"
        f" ({counted(len(lib.compiled), 'policy', 'policies')}, {len(lib.errors)} not loaded)"
    )
    if failed or lib.errors:
        raise SystemExit(EXIT_FINDINGS)


@policy.command("list")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), callback=_existing)
@click.pass_context
@handle_errors
def list_cmd(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """List policies: id, version, level, delivery, group, budget, title.

    Lists the files as read; a file that does not load is reported and the command exits
    4, as 'huiqi policy lint' does, which also checks their rules.
    """
    from huiqi.config import get_settings
    from huiqi.policies import summaries
    from huiqi.policies.files import library_dir, policy_files

    data_dir = get_settings(ctx.obj.get("data_dir") if ctx.obj else None).data_dir
    files = policy_files(_paths(paths) or [library_dir()])
    found = summaries.cached(data_dir, files)
    errors: list[Exception] = []
    if found is None:  # a file not listed before (or changed): validated, as always
        from huiqi.policies.loader import load_library

        lib = load_library(_paths(paths))
        found = [summaries.Summary.of(lp.policy) for lp in lib.policies]
        errors = list(lib.errors)
        summaries.remember(
            data_dir, [(lp.source_hash, s) for lp, s in zip(lib.policies, found, strict=True)]
        )
    table = Table("id", "v", "level", "delivery", "group", "budget (yuan)", "title")
    for p in sorted(found, key=lambda p: p.id):
        table.add_row(
            p.id,
            str(p.version),
            p.level,
            p.delivery,
            p.exclusivity_group or "",
            f"{Decimal(p.budget):,.2f}" if p.budget is not None else "",
            escape(p.title_zh),
        )
    console.print(table)
    modes = Counter(p.delivery for p in found)
    # Read by people: "auto 12, confirm 15", not a Python dict's repr.
    listed = ", ".join(f"{mode} {n}" for mode, n in sorted(modes.items()))
    console.print(f"{counted(len(found), 'policy', 'policies')}; delivery modes: {listed}")
    for e in errors:
        err_console.print(f"[red]error[/]: {escape(str(e))}", soft_wrap=True)
    if errors:  # a file that is not a policy is a finding, as 'huiqi policy lint' says
        raise SystemExit(EXIT_FINDINGS)

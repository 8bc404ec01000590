"""The `huiqi` command: one group, thin commands that call the library.

Each command lives in its own module, imported when it runs (see ``lazy.py``), so
``huiqi --help`` starts in a fraction of a second.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from huiqi import __version__
from huiqi.cli.lazy import LazyCommand, LazyGroup

_A, _D, _L = "huiqi.cli.accounts", "huiqi.cli.delivery", "huiqi.cli.ledger"
_DATA, _MATCH = "huiqi.cli.data", "huiqi.cli.matching"
_LIST = "huiqi.cli.listings"
# name → (module, attribute, the first paragraph of its help); tests/cli/test_lazy.py
# checks each against the command itself.
COMMANDS = {
    "admin": LazyCommand(_A, "admin", "Set up administration."),
    "allocate": LazyCommand(
        _D,
        "allocate",
        "Pro-rata budgets: after the claim window, scale provisional grants to fit the budget.",
    ),
    "application": LazyCommand(
        _D,
        "application",
        "Pre-filled applications (申报): list, documents, attach, submit, withdraw, approve, reject.",
    ),
    "audit": LazyCommand(_L, "audit", "The audit log, its hash chain, and reproducibility checks."),
    "claim": LazyCommand(
        _D,
        "claim",
        "Confirm an offer (直达快享) as the enterprise (or its park operator); claiming twice returns the same grant.",
    ),
    "desk": LazyCommand(
        "huiqi.cli.desk",
        "desk",
        "Enterprises' requests (诉求): file, route, answer, transfer, close, withdraw, rate, import, sweep, stats.",
    ),
    "deliver": LazyCommand(
        _D,
        "deliver",
        "Re-match published versions on a new snapshot: new records for the newly eligible, review flags for those no longer eligible (nothing is revoked).",
    ),
    "complaints": LazyCommand(
        "huiqi.cli.complaints",
        "complaints",
        "Complaints about enterprises (投诉举报) and professional complainants (职业举报).",
    ),
    "draft": LazyCommand(
        "huiqi.cli.drafts",
        "draft",
        "Policy drafts as the console keeps them: list, show, save (checked), publish, discard.",
    ),
    "demo": LazyCommand(
        "huiqi.cli.demo",
        "demo",
        "Run the whole flow on a synthetic Shanghai population and print a report.",
    ),
    "dictionary": LazyCommand(
        "huiqi.cli.dictionary",
        "dictionary",
        "The data dictionary: standard fields and the data directory's own.",
    ),
    "disburse": LazyCommand(_L, "disburse", "Disbursement batches for the finance system."),
    "expire": LazyCommand(
        _D, "expire", "Expire offers whose policy has ended (the scheduler's job)."
    ),
    "explain": LazyCommand(
        "huiqi.cli.explain",
        "explain",
        "Explain criterion by criterion what one enterprise qualifies for, and why.",
    ),
    "generate": LazyCommand(
        _DATA,
        "generate",
        "Generate a synthetic Shanghai population as registry files (and import them).",
    ),
    "grants": LazyCommand(
        _LIST, "grants", "Grants with their status and amount (cut to what you may see)."
    ),
    "import": LazyCommand(
        _DATA,
        "import_cmd",
        "Import registry files (CSV in UTF-8/GBK, Excel .xlsx or .xls, Parquet) into the profile store.",
    ),
    "inbox": LazyCommand(
        _L,
        "inbox",
        "An enterprise's in-app messages, newest first (the enterprise or its park operator).",
    ),
    "init": LazyCommand(
        _DATA, "init", "Create the data directory and an empty profile store (safe to re-run)."
    ),
    "login": LazyCommand(
        _A,
        "login",
        "Sign in: the token is stored for this database in your config directory (mode 0600).",
    ),
    "logout": LazyCommand(
        _A, "logout", "Sign out: revoke and forget this database's stored token."
    ),
    "export-matches": LazyCommand(
        _MATCH,
        "export_matches_command",
        "Write a bulk run's rows as a sheet (csv or xlsx), with enterprise names and yuan.",
    ),
    "mapping": LazyCommand(
        "huiqi.cli.mapping",
        "mapping",
        "Column mappings: which header of a registry file feeds which dictionary field.",
    ),
    "match": LazyCommand(
        _MATCH, "match", "Match every policy against every enterprise of a snapshot, in bulk."
    ),
    "notify": LazyCommand(_L, "notify", "Notifications: send what is waiting in the outbox."),
    "policy": LazyCommand("huiqi.cli.policy", "policy", "Write, check and test policies as code."),
    "publish": LazyCommand(
        _D,
        "publish",
        "Publish policy versions (frozen by hash) and deliver them: grants, offers, applications.",
    ),
    "records": LazyCommand(
        _LIST, "records", "Delivery records (offers, applications, grants, refusals, review flags)."
    ),
    "retire": LazyCommand(
        _D, "retire", "Retire a published policy version: no longer matched, offered or listed."
    ),
    "review": LazyCommand(
        _D,
        "review",
        "Resolve a review flag: keep, withdraw, top up or correct the record (a policy reviewer).",
    ),
    "serve": LazyCommand(
        "huiqi.cli.serve",
        "serve",
        "Serve the web portal and the JSON API (/api/v1) with several worker processes.",
    ),
    "simulate": LazyCommand(
        "huiqi.cli.simulate",
        "simulate",
        "Simulate a draft policy on the latest data before publishing it: nothing is stored.",
    ),
    "snapshots": LazyCommand(
        "huiqi.cli.snapshots", "snapshots", "List data snapshots (one per import or generation)."
    ),
    "token": LazyCommand(
        "huiqi.cli.tokens",
        "token",
        "API tokens for machine clients (other government systems, scheduled jobs).",
    ),
    "totals": LazyCommand(
        "huiqi.cli.dashboard",
        "totals",
        "Dashboard totals: how many grants or records, and how much money, by policy, status, district, department or month (from maintained counters; policy officers see their scope).",
    ),
    "user": LazyCommand(
        _A, "user", "Users and their roles (admins only; every change is an audit event)."
    ),
    "versions": LazyCommand(
        _LIST, "versions", "Published policy versions, with hash, budget and what is committed."
    ),
    "whoami": LazyCommand(
        "huiqi.cli.whoami", "whoami", "Who you are signed in as, and your roles."
    ),
}


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="HUIQI_DATA_DIR",
    help="Where huiqi keeps its data (default ./huiqi-data; env HUIQI_DATA_DIR).",
)
@click.option(
    "--database-url",
    envvar="HUIQI_DATABASE_URL",
    help="Operational database (default SQLite in the data dir; env HUIQI_DATABASE_URL).",
)
@click.version_option(__version__, prog_name="huiqi")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, database_url: str | None) -> None:
    """huiqi (惠企): deliver business-support policies to the enterprises that qualify."""
    from huiqi.config import get_settings
    from huiqi.fsmode import use_private_umask
    from huiqi.profiles.datadir import use_data_dir

    # Everything this process writes (DuckDB and SQLite side files included) is owner-only;
    # restored on exit so that an in-process caller (a test runner) keeps its own umask.
    previous_umask = use_private_umask()
    ctx.call_on_close(lambda: os.umask(previous_umask))
    ctx.ensure_object(dict)
    ctx.obj["data_dir"] = data_dir
    ctx.obj["database_url"] = database_url
    # The data directory's own dictionary fields are known to every command (lint included);
    # restored on exit, like the umask, for an in-process caller.
    use_data_dir(get_settings(data_dir).data_dir)
    ctx.call_on_close(lambda: use_data_dir(None))


def main() -> None:  # the console script and `python -m huiqi`
    cli()

"""``huiqi explain``: what one enterprise qualifies for, criterion by criterion, against
the policies in force, a published version, or policy files of one's own."""

from __future__ import annotations

import json
import re
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING

import click

from huiqi.cli.common import (
    EXIT_FINDINGS,
    VERSION,
    console,
    err_console,
    handle_errors,
    settings_from,
    signed_in,
    uscc_param,
)
from huiqi.db.engine import transaction
from huiqi.errors import NotFoundError

if TYPE_CHECKING:
    from huiqi.engine import CompiledPolicy

# The engine and the policy loader are imported by the command, when it runs.


def _explained_policies(
    ctx: click.Context,
    policy_id: str | None,
    policy_paths: tuple[Path, ...],
    version: int | None,
    hash_prefix: str | None,
) -> list[CompiledPolicy]:
    """The policies ``explain`` explains: one published version, or the library's."""
    if version is not None or hash_prefix is not None:
        # Options that do not go together are usage errors (exit 2), as click's own.
        if policy_paths:
            raise click.UsageError(
                "--policies explains library files; leave it out with --version/--hash", ctx
            )
        if version is not None and (policy_id is None or hash_prefix is not None):
            raise click.UsageError("--version N needs a POLICY_ID (and no --hash)", ctx)
        from huiqi.cli.published import MIN_HASH_PREFIX, published_policy

        if hash_prefix is not None:
            # As 'huiqi publish' and 'huiqi versions' print it: '5b25475fe118…', copied
            # with its ellipsis.
            hash_prefix = hash_prefix.strip().removesuffix("…").removesuffix("...").strip()
        if hash_prefix is not None and not re.fullmatch(
            rf"[0-9a-fA-F]{{{MIN_HASH_PREFIX},64}}", hash_prefix
        ):
            raise click.UsageError(
                f"--hash takes at least {MIN_HASH_PREFIX} hexadecimal characters of a"
                " published version's SHA-256 (as 'huiqi publish' prints it)",
                ctx,
            )
        from huiqi.db.engine import open_database

        factory = open_database(settings_from(ctx), ctx.obj.get("database_url"))
        return [
            published_policy(factory, policy_id=policy_id, version=version, hash_prefix=hash_prefix)
        ]
    from huiqi.engine import compile_library
    from huiqi.policies.loader import Library, load_library

    loaded = load_library(list(policy_paths) or None)
    published: list[CompiledPolicy] = []
    if not policy_paths:
        # The policies in force here: the data directory's newest published version of
        # each, in place of the library's text of the same policy, then the library's own
        # (each compiled once).
        from huiqi.cli.published import newest_published
        from huiqi.db.engine import open_database

        published = newest_published(open_database(settings_from(ctx), ctx.obj.get("database_url")))
        ids = {cp.policy.id for cp in published}
        loaded = Library([lp for lp in loaded.policies if lp.policy.id not in ids], loaded.errors)
    lib = compile_library(loaded)
    if policy_paths and lib.errors:
        # As 'huiqi match --policies': a file that does not load is named, not left out (it
        # read "no policy is within reach" and exited 0, or "no policy '…' in the --policies
        # files" for the very policy the file holds).
        for e in lib.errors:
            err_console.print(f"[red]error[/]: {e}", soft_wrap=True)
        raise SystemExit(EXIT_FINDINGS)
    policies = published + lib.compiled
    if policy_id:
        chosen = [cp for cp in policies if cp.policy.id == policy_id]
        if not chosen:
            where = (
                "the --policies files"
                if policy_paths
                else "the library or this data directory's published versions"
            )
            # 'sh-stable-jobs-refund' for sh-stable-jobs-refund-2026: the year left out,
            # or a letter slipped.
            known = sorted({cp.policy.id for cp in policies})
            close = [i for i in known if i.startswith(policy_id + "-")] or get_close_matches(
                policy_id, known, n=3
            )
            meant = f" (did you mean {', '.join(repr(i) for i in close)}?)" if close else ""
            raise NotFoundError(
                f"no policy '{policy_id}' in {where}{meant}; 'huiqi policy list' and"
                " 'huiqi versions' show their ids. To explain a retired published version,"
                " add --version N; a policy file of your own, --policies PATH"
            )
        return chosen
    return policies


@click.command()
@click.argument("uscc", callback=uscc_param)
@click.argument("policy_id", required=False)
@click.option(
    "--policies",
    "policy_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Policy files or folders (default: the shipped library).",
)
@click.option(
    "--version",
    "version",
    type=VERSION,
    help="Explain this published version of POLICY_ID, from the operational database.",
)
@click.option(
    "--hash",
    "hash_prefix",
    help="Explain the published version whose SHA-256 starts with this (6+ hex characters).",
)
@click.option("--snapshot", type=int, help="Snapshot id (default: the latest).")
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="Show every policy, not only eligible, near-miss and needs-data ones.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the explanations as JSON (traces).")
@click.pass_context
@handle_errors
def explain(
    ctx: click.Context,
    uscc: str,
    policy_id: str | None,
    policy_paths: tuple[Path, ...],
    version: int | None,
    hash_prefix: str | None,
    snapshot: int | None,
    show_all: bool,
    as_json: bool,
) -> None:
    """Explain criterion by criterion what one enterprise qualifies for, and why.

    By default the policies in force: the newest published version of each policy of
    the data directory (from its frozen text), and the library's policies not published
    here; --policies explains those files only. With --version or --hash, one version
    published to the operational database, from its frozen text (read only). --json
    prints a list of traces in their documented JSON form.
    """
    from huiqi.cli.render import render_explanation
    from huiqi.matching.service import explain_enterprise

    settings = settings_from(ctx)
    policies = _explained_policies(ctx, policy_id, policy_paths, version, hash_prefix)
    factory, actor = signed_in(ctx)
    with transaction(factory) as s:
        explanations = explain_enterprise(
            settings, s, actor=actor, uscc=uscc, policies=policies, snapshot_id=snapshot
        )
    one = bool(policy_id) or version is not None or hash_prefix is not None
    if not (show_all or one):
        explanations = [e for e in explanations if e.status != "not_eligible"]
    if as_json:
        click.echo(json.dumps([e.to_json() for e in explanations], ensure_ascii=False, indent=2))
        return
    if not explanations:
        console.print(
            "no policy is within reach for this enterprise (use --all to see every policy)"
        )
    for e in explanations:
        render_explanation(console, e)

"""`huiqi draft ...`: the console's policy drafts from the command line: list, show, save
(checked as on every save), publish and discard.

Each command calls the service function the console's pages call (``delivery.drafts``,
``delivery.publishjob``) as the signed-in user, which checks the role and the policy
scope; this module parses and prints. The engine and the ORM are imported by the
commands, not here: ``huiqi draft --help`` starts as fast as ``huiqi --help``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from huiqi.cli.common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    JSON_OPTION,
    console,
    counted,
    emit_json,
    err_console,
    handle_errors,
    settings_from,
    signed_in,
    yuan,
)
from huiqi.errors import ConfigError

POLICY_ID = re.compile(r"^[a-z][a-z0-9_-]*$")  # as policies.model says


def policy_id_param(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A policy id typed on the command line: one the model admits, else wrong usage."""
    if value is not None and (len(value) > 120 or not POLICY_ID.match(value)):
        raise click.BadParameter(
            f"'{value[:120]}' is no policy id: lower-case letters, digits, '-' and '_',"
            " starting with a letter ('huiqi draft list' lists them)",
            ctx=ctx,
            param=param,
        )
    return value


def _shown(moment: Any) -> str:
    from huiqi.db.clock import shown

    return shown(moment) if moment is not None else ""


def _checks_line(lint: dict[str, Any] | None) -> str:
    """The result of a draft's last save in a few words."""
    if lint is None:
        return "not saved yet"
    if lint["ok"]:
        return f"checks pass ({counted(lint['passed'], 'test case')} passed)"
    parts = [counted(lint["errors"], "lint error")] if lint["errors"] else []
    if lint["failed"]:
        parts.append(f"{counted(lint['failed'], 'test case')} failing")
    return "checks fail: " + (", ".join(parts) or "the text does not load")


def print_checks(lint: dict[str, Any]) -> None:
    """Every problem (by line) and failing test case of a draft's checks, on stderr, and
    their count on stdout, as 'huiqi policy lint' and 'huiqi policy test' print them."""
    for p in lint["problems"]:
        colour = "red" if p["severity"] == "error" else "yellow"
        where = f"line {p['line']}, column {p.get('column') or 1}: " if p.get("line") else ""
        err_console.print(
            f"[{colour}]{p['severity']}[/]: {escape(where + p['message'])}", soft_wrap=True
        )
    for case in lint["cases"]:
        if not case["ok"]:
            err_console.print(f"[red]FAIL[/] {escape(case['message'])}", soft_wrap=True)
    warnings = len(lint["problems"]) - lint["errors"]
    console.print(
        f"{counted(lint['errors'], 'error')}, {counted(warnings, 'warning')};"
        f" test cases: {lint['passed']} passed, {lint['failed']} failed"
    )


@click.group()
def draft() -> None:
    """Policy drafts as the console keeps them: list, show, save (checked), publish, discard."""


@draft.command("list")
@click.option("--all", "every", is_flag=True, help="Every policy of your scope, drafted or not.")
@JSON_OPTION
@click.pass_context
@handle_errors
def list_cmd(ctx: click.Context, every: bool, as_json: bool) -> None:
    """The drafts of the policies your scope covers, with the checks of their last save.

    As the console's policy list: policy authors, publishers and reviewers of the
    policy's scope. --all lists the policies without a draft too.
    """
    from huiqi.db.engine import reading
    from huiqi.delivery.policy_lines import list_policy_lines

    factory, actor = signed_in(ctx)
    with reading(factory) as s:
        lines = [x for x in list_policy_lines(s, actor=actor) if every or x.draft is not None]
    rows: list[dict[str, Any]] = [
        {
            "policy_id": x.policy_id,
            "status": x.status,
            "published_version": x.versions[0].version if x.versions else None,
            "draft": x.draft is not None,
            "base_version": x.draft.base_version if x.draft else None,
            "author": x.draft.author if x.draft else None,
            "updated_at": x.draft.updated_at if x.draft else None,
            "ok": x.draft.lint["ok"] if x.draft and x.draft.lint else None,
            "checks": _checks_line(x.draft.lint) if x.draft else "no draft",
        }
        for x in lines
    ]
    if as_json:
        emit_json(rows)
        return
    from huiqi.cli.common import rich_table

    columns = ["policy", "status", "published", "draft by", "saved", "checks"]
    table = [
        [
            r["policy_id"],
            r["status"],
            f"v{r['published_version']}" if r["published_version"] else "",
            escape(r["author"] or ""),
            _shown(r["updated_at"]),
            r["checks"],
        ]
        for r in rows
    ]
    if rows:
        console.print(rich_table(columns, table))
    else:  # a header over nothing reads as a failure to list
        console.print(
            "no drafts (of the policies your scope covers); 'huiqi draft save FILE' starts one"
        )


@draft.command("show")
@click.argument("policy_id", callback=policy_id_param)
@click.option("--text", "text_only", is_flag=True, help="Print only the YAML (to edit and save).")
@JSON_OPTION
@click.pass_context
@handle_errors
def show(ctx: click.Context, policy_id: str, text_only: bool, as_json: bool) -> None:
    """A policy's draft and the lint and test results of its last save.

    With no draft started, the text is the newest published version's. --text prints
    the YAML alone: 'huiqi draft show ID --text > ID.yaml', edit, 'huiqi draft save ID.yaml'.
    """
    from huiqi.db.engine import reading
    from huiqi.delivery.drafts import open_draft

    factory, actor = signed_in(ctx)
    with reading(factory) as s:
        view = open_draft(s, actor=actor, policy_id=policy_id)
        d = view.draft
        found: dict[str, Any] = {
            "policy_id": view.policy_id,
            "saved": d is not None,
            "base_version": d.base_version if d else None,
            "published_version": view.published.version if view.published else None,
            "author": d.author if d else None,
            "updated_at": d.updated_at if d else None,
            "may_publish": view.may_publish,
            "lint": view.lint,
            "text": view.text,
        }
    if as_json:
        emit_json(found)
        return
    if text_only:
        click.echo(found["text"], nl=not found["text"].endswith("\n"))
        return
    published = found["published_version"]
    if d is None:
        base = f"published v{published}" if published else "not published"
        console.print(f"{policy_id}: no draft ({base}); 'huiqi draft save FILE' starts one")
        return
    since = f" from v{found['base_version']}" if found["base_version"] else " (a new policy)"
    console.print(
        f"{policy_id}: draft{since}, saved by {escape(found['author'] or '')}"
        f" at {_shown(found['updated_at'])}; {_checks_line(found['lint'])}"
    )
    if found["lint"]:
        print_checks(found["lint"])
    console.print("'huiqi draft show ID --text' prints its YAML", style="dim")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the policy file as UTF-8"
        ) from None


def _id_of(text: str, path: Path) -> str:
    """The id the file's text gives (``id: ...``), for a draft saved without --policy."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError):  # nested past the parser's depth: no id
        data = None
    found = data.get("id") if isinstance(data, dict) else None
    if not isinstance(found, str) or not POLICY_ID.match(found) or len(found) > 120:
        raise click.UsageError(
            f"{path}: no policy id found in the text ('id: ...'); give the draft's policy"
            " with --policy ID"
        )
    return found


@draft.command("save")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--policy",
    "policy_id",
    callback=policy_id_param,
    help="Whose draft it is (default: the id the file gives).",
)
@JSON_OPTION
@click.pass_context
@handle_errors
def save(ctx: click.Context, file: Path, policy_id: str | None, as_json: bool) -> None:
    """Save a policy's draft from a YAML file (starting it if needed), checked.

    Every save runs the checks of 'huiqi policy lint' and 'huiqi policy test' and keeps
    their results with the draft, as the console's editor does; they are printed. A text
    that does not load is saved too, and says why (a new policy's first draft must load).
    Exits 4 when a check fails: such a draft is kept but cannot be published.
    """
    from huiqi.db.engine import reading, transaction
    from huiqi.delivery.drafts import open_draft, save_draft

    text = _read_text(file)
    if not text.strip():
        raise ConfigError(f"{file}: empty; write the policy (YAML) before saving")
    wanted = policy_id or _id_of(text, file)
    factory, actor = signed_in(ctx)
    with transaction(factory) as s:
        save_draft(s, actor=actor, policy_id=wanted, text=text)
    with reading(factory) as s:
        lint = open_draft(s, actor=actor, policy_id=wanted).lint
    assert lint is not None  # just saved
    if as_json:
        emit_json({"policy_id": wanted, **lint})
    else:
        console.print(f"saved the draft of {wanted}; {_checks_line(lint)}")
        print_checks(lint)
    if not lint["ok"]:
        raise SystemExit(EXIT_FINDINGS)


@draft.command("publish")
@click.argument("policy_id", callback=policy_id_param)
@JSON_OPTION
@click.pass_context
@handle_errors
def publish(ctx: click.Context, policy_id: str, as_json: bool) -> None:
    """Publish a policy's draft and deliver it, as the console's Publish button does.

    Needs the policy_publisher role for the policy's scope, and a draft whose lint and
    test cases pass (else refused, saying why, exit 4: change it and save it first). It
    runs as a publishing job that the console's job page shows too; the command waits.
    """
    from huiqi.db.engine import reading
    from huiqi.delivery.drafts import DraftConflict
    from huiqi.delivery.models import PolicyVersion
    from huiqi.delivery.publishjob import start_publish
    from huiqi.jobs import runner
    from huiqi.jobs.service import get_job

    factory, actor = signed_in(ctx)
    try:
        job_id = start_publish(settings_from(ctx), factory, actor=actor, policy_id=policy_id)
    except DraftConflict as exc:  # its checks fail: exit 4, as 'huiqi publish' says it
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise SystemExit(EXIT_FINDINGS) from None
    if not as_json:
        err_console.print(f"{policy_id}: publishing as job {job_id}…", soft_wrap=True)
    try:
        runner.wait(job_id)
    except KeyboardInterrupt:
        runner.abandon(factory)  # shown as interrupted: 'resume' delivers the rest
        raise
    with reading(factory) as s:
        job = get_job(s, actor=actor, job_id=job_id)
        pv = s.get(PolicyVersion, job.policy_version_id) if job.policy_version_id else None
        pro_rata = pv is not None and pv.budget_mode == "pro_rata"
    if as_json:
        emit_json(job)
    elif job.state == "done":
        # A pool's grants are provisional until 'huiqi allocate' shares out its budget:
        # "2 grants (75,000.00 yuan)" read as money granted.
        grants = (
            f"{counted(job.granted, 'provisional grant')} ({yuan(job.granted_fen)} yuan, pro"
            f" rata: shared out of the budget by 'huiqi allocate {policy_id}' after the window)"
            if pro_rata
            else f"{counted(job.granted, 'grant')} ({yuan(job.granted_fen)} yuan)"
        )
        console.print(
            f"published {policy_id} v{job.version} (job {job.id}): {grants},"
            f" {counted(job.offered, 'offer')}, {counted(job.applications, 'application')},"
            f" {counted(job.flagged, 'review flag')}"
        )
    if job.state != "done":
        err_console.print(
            f"[bold red]error:[/] job {job.id} {job.state}: {escape(job.message or '')}",
            soft_wrap=True,
        )
        raise SystemExit(EXIT_ERROR)


@draft.command("discard")
@click.argument("policy_id", callback=policy_id_param)
@click.pass_context
@handle_errors
def discard(ctx: click.Context, policy_id: str) -> None:
    """Discard a policy's draft (its published versions stay as they are)."""
    from huiqi.db.engine import transaction
    from huiqi.delivery.drafts import delete_draft

    factory, actor = signed_in(ctx)
    with transaction(factory) as s:
        delete_draft(s, actor=actor, policy_id=policy_id)
    console.print(f"discarded the draft of {policy_id}")

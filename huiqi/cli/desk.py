"""``huiqi desk …``: enterprises' requests (诉求) from the command line.

Each command signs in, calls one service function of :mod:`huiqi.desk`, which checks
access, and prints the result (``--json`` for scripts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from huiqi.cli.common import (
    AFTER_OPTION,
    EXIT_FINDINGS,
    JSON_OPTION,
    LIMIT_OPTION,
    RECORD_ID,
    WholeNumber,
    console,
    counted,
    emit_json,
    err_console,
    handle_errors,
    not_blank,
    require_published_policy,
    rich_table,
    settings_from,
    signed_in,
    uscc_param,
)
from huiqi.db.clock import shown
from huiqi.errors import NotFoundError

# huiqi.desk.queries.READ_STATUSES (the stored statuses and "withdrawn", stored as closed),
# not imported here: 'huiqi --help' loads no model (test_lazy).
REQUEST_STATUSES = ("open", "acknowledged", "answered", "reopened", "closed", "withdrawn")


@click.group()
def desk() -> None:
    """Enterprises' requests (诉求): file, route, answer, transfer, close, withdraw, rate, import,
    sweep, stats."""


def _write(ctx: click.Context, call: Callable[[Any, Any], Any]) -> Any:
    from huiqi.db.engine import transaction

    factory, actor = signed_in(ctx)
    with transaction(factory) as s:
        return call(s, actor)


def _show_request(row: Any, as_json: bool) -> None:
    if as_json:
        emit_json(row)
        return
    console.print(
        f"request {row.id} [{row.status}] {row.uscc} {row.category} → {row.department}\n"
        f"  acknowledge by {row.ack_due}, answer by {row.answer_due}"
        + (" (escalated)" if row.escalated else ""),
        markup=False,
    )
    console.print(f"  {row.text}", markup=False)
    for file in row.attachments:  # none: no line (an empty "files:" read as a lost list)
        console.print(f"  file: {file.filename} ({file.size:,} bytes)", markup=False)
    if row.reply:
        console.print(f"  reply: {row.reply}", markup=False)
    for step in row.steps:
        by = f" by {step.actor}" if step.actor else ""  # an official's step: no account name
        if step.kind == "filed" and row.channel == "hotline":
            # Its account is the importer's: the enterprise called the hotline.
            by = " via the 12345 hotline" + (f" (imported by {step.actor})" if step.actor else "")
        stars = f" {'★' * step.stars} ({step.stars} of 5)" if step.stars else ""
        # A step without a note ends there: "acknowledged by x:" promised a note.
        note = f": {step.text}" if step.text else ""
        console.print(f"  {shown(step.at)} {step.kind}{by}{stars}{note}", markup=False)


@desk.command("file")
@click.argument("uscc", callback=uscc_param)
@click.option("--category", required=True, help="policy, funding, financing, permits, space …")
@click.option("--text", required=True, callback=not_blank, help="What the enterprise asks.")
@click.option("--policy", "policy_id", help="The policy it concerns (its id).")
@click.option("--grant", "grant_id", type=RECORD_ID, help="The grant it concerns (its id).")
@click.option(
    "--file",
    "files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file to attach (PDF, PNG, JPEG, xlsx, docx); repeatable.",
)
@JSON_OPTION
@click.pass_context
@handle_errors
def desk_file(
    ctx: click.Context,
    uscc: str,
    category: str,
    text: str,
    policy_id: str | None,
    grant_id: int | None,
    files: tuple[Path, ...],
    as_json: bool,
) -> None:
    """File a request as the enterprise (or its park operator); it is routed to a department."""
    from huiqi.desk.filing import file_request

    attached = [(p.name, p.read_bytes()) for p in files]
    try:
        row = _write(
            ctx,
            lambda s, actor: file_request(
                s,
                actor=actor,
                uscc=uscc,
                category=category,
                text=text,
                policy_id=policy_id,
                grant_id=grant_id,
                files=attached,
                settings=settings_from(ctx),
            ),
        )
    except NotFoundError:
        if policy_id:  # a mistyped --policy: name the closest published id
            require_published_policy(ctx, policy_id)
        raise
    _show_request(row, as_json)


@desk.command("list")
@click.option("--uscc", callback=uscc_param, help="Only this enterprise.")
@click.option("--department", help="Only this department.")
@click.option(
    "--status",
    type=click.Choice(REQUEST_STATUSES),
    help="Only requests in this status.",
)
@click.option(
    "--escalated",
    is_flag=True,
    help="Only requests escalated as overdue and still waiting (with --status: in it).",
)
@click.option("--overdue", is_flag=True, help="Only requests whose awaited deadline has passed.")
@AFTER_OPTION
@LIMIT_OPTION
@JSON_OPTION
@click.pass_context
@handle_errors
def desk_list(
    ctx: click.Context,
    uscc: str | None,
    department: str | None,
    status: str | None,
    escalated: bool,
    overdue: bool,
    after_id: int,
    limit: int,
    as_json: bool,
) -> None:
    """Requests you may read: your enterprise's, or your department's queue."""
    from huiqi.db.engine import reading
    from huiqi.desk.queries import list_requests
    from huiqi.desk.workdays import china_date

    factory, actor = signed_in(ctx)
    today = china_date(dt.datetime.now(dt.UTC))
    with reading(factory) as s:
        rows = list_requests(
            s,
            actor=actor,
            uscc=uscc,
            department=department,
            status=status,
            escalated=True if escalated else None,
            overdue_on=today if overdue else None,
            after_id=after_id,
            limit=limit,
        )
    if as_json:
        emit_json(rows)
        _more_hint(rows, limit)
        return
    columns = ["id", "enterprise", "category", "department", "status", "answer by", "text"]
    console.print(
        rich_table(
            columns,
            [
                [
                    str(r.id),
                    r.uscc,
                    r.category,
                    r.department,
                    r.status + (" !" if r.overdue(today) else ""),
                    str(r.answer_due),
                    r.text[:40],
                ]
                for r in rows
            ],
        )
    )
    _more_hint(rows, limit)


def _more_hint(rows: list[Any], limit: int) -> None:
    """A full page says how to see the rest (on stderr: the table stays the table)."""
    from huiqi.desk.queries import MAX_LIMIT

    if rows and len(rows) >= min(limit, MAX_LIMIT):
        err_console.print(
            f"{counted(len(rows), 'request')} shown, more may follow: add --after {rows[-1].id}"
            " for the next page",
            soft_wrap=True,
        )


@desk.command("show")
@click.argument("request_id", type=RECORD_ID)
@JSON_OPTION
@click.pass_context
@handle_errors
def desk_show(ctx: click.Context, request_id: int, as_json: bool) -> None:
    """One request with its history."""
    from huiqi.db.engine import reading
    from huiqi.desk.queries import get_request

    factory, actor = signed_in(ctx)
    with reading(factory) as s:
        row = get_request(s, actor=actor, request_id=request_id)
    _show_request(row, as_json)


@desk.command("ack")
@click.argument("request_id", type=RECORD_ID)
@JSON_OPTION
@click.pass_context
@handle_errors
def desk_ack(ctx: click.Context, request_id: int, as_json: bool) -> None:
    """Acknowledge a request of your department."""
    from huiqi.desk.handling import acknowledge

    row = _write(ctx, lambda s, actor: acknowledge(s, actor=actor, request_id=request_id))
    _show_request(row, as_json)


@desk.command("reply")
@click.argument("request_id", type=RECORD_ID)
@click.option("--text", required=True, callback=not_blank, help="The answer the enterprise reads.")
@JSON_OPTION
@click.pass_context
@handle_errors
def desk_reply(ctx: click.Context, request_id: int, text: str, as_json: bool) -> None:
    """Answer a request of your department (the enterprise is told in its inbox)."""
    from huiqi.desk.handling import reply

    row = _write(ctx, lambda s, actor: reply(s, actor=actor, request_id=request_id, text=text))
    _show_request(row, as_json)


@desk.command("transfer")
@click.argument("request_id", type=RECORD_ID)
@click.option(
    "--to",
    "department",
    required=True,
    callback=not_blank,
    help="The department that owns it.",
)
@click.option("--reason", required=True, callback=not_blank, help="Why it goes there.")
@JSON_OPTION
@click.pass_context
@handle_errors
def desk_transfer(
    ctx: click.Context, request_id: int, department: str, reason: str, as_json: bool
) -> None:
    """Transfer a request of your department to another, with a reason (deadlines kept)."""
    from huiqi.desk.handling import transfer

    row = _write(
        ctx,
        lambda s, actor: transfer(
            s, actor=actor, request_id=request_id, department=department, reason=reason
        ),
    )
    _show_request(row, as_json)


@desk.command("rate")
@click.argument("request_id", type=RECORD_ID)
@click.option(
    "--stars", type=WholeNumber(1, 5), required=True, help="1 to 5; 1 or 2 reopens it once."
)
@click.option("--comment", help="What the enterprise thinks of the answer.")
@JSON_OPTION
@click.pass_context
@handle_errors
def desk_rate(
    ctx: click.Context, request_id: int, stars: int, comment: str | None, as_json: bool
) -> None:
    """Rate the answer to your enterprise's request."""
    from huiqi.desk.rating import rate

    row = _write(
        ctx,
        lambda s, actor: rate(s, actor=actor, request_id=request_id, stars=stars, comment=comment),
    )
    _show_request(row, as_json)


@desk.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The export's mapping file (default: the packaged 12345 one).",
)
@JSON_OPTION
@click.pass_context
@handle_errors
def desk_import(ctx: click.Context, path: Path, mapping: Path | None, as_json: bool) -> None:
    """Import a 12345-hotline export (CSV in UTF-8/GBK, .xlsx); bad rows are listed by line.

    Exit code 4 when rows were rejected (the good ones are imported)."""
    from huiqi.desk.hotline import import_hotline
    from huiqi.desk.hotline_mapping import load_hotline_mapping

    chosen = load_hotline_mapping(mapping)
    report = _write(ctx, lambda s, actor: import_hotline(s, actor=actor, path=path, mapping=chosen))
    if as_json:
        emit_json({k: v for k, v in vars(report).items() if k != "ids"})
    else:
        console.print(f"{report.file}: {_import_counts(report)}", markup=False, soft_wrap=True)
        for r in report.rejects[:200]:
            where = f", column '{r.column}' (field '{r.field}')" if r.column else ""
            console.print(f"  {path.name}, line {r.line}{where}: {r.reason}", markup=False)
        if len(report.rejects) > 200:
            console.print(f"  … and {len(report.rejects) - 200:,} more (use --json for all)")
    if report.rejects:
        raise SystemExit(EXIT_FINDINGS)  # as 'huiqi import' and 'huiqi complaints import'


def _import_counts(report: Any) -> str:
    """What an import did, counted: '2 rows read: 1 imported, none already imported, 1
    rejected'. A work order imported by an earlier import is not imported again."""
    read = f"{report.read:,} row{'' if report.read == 1 else 's'} read"
    already = (
        f"{report.already:,} already imported by an earlier import (not imported again)"
        if report.already
        else "none already imported"
    )
    rejected = f"{len(report.rejects):,} rejected" if report.rejects else "none rejected"
    return f"{read}: {report.imported:,} imported, {already}, {rejected}"


@desk.command("sweep")
@JSON_OPTION
@click.pass_context
@handle_errors
def desk_sweep(ctx: click.Context, as_json: bool) -> None:
    """Remind departments before deadlines and escalate overdue requests (the scheduler's job).

    Exits 4 when the working-day calendar has problems (a deadline it cannot count, or
    a year it does not know yet), each said on stderr; what could be swept is swept.
    """
    from huiqi.desk.sweep import sweep

    report = _write(ctx, lambda s, actor: sweep(s, actor=actor))
    if as_json:
        emit_json(report)
    else:
        console.print(
            f"{report.today}: {len(report.reminded)} reminded, {len(report.escalated)} escalated,"
            f" {report.messages} message(s) to officers' inboxes"
        )
    for problem in report.problems:
        err_console.print(f"problem: {problem}", markup=False, soft_wrap=True)
    if report.problems:
        raise SystemExit(EXIT_FINDINGS)


# The desk's statistics and routing rules, on this group (imported last: it reads ``desk``).
from huiqi.cli import desk_office as _office  # noqa: E402, F401

"""Ledger commands: disbursement, notifications, the inbox, listings and the audit log.

Each command parses its input, calls one service function as the signed-in user
(``huiqi login`` or ``HUIQI_TOKEN``) and renders the result; every access check
is inside the service function.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import click

from huiqi.cli.common import (
    EXIT_FINDINGS,
    JSON_OPTION,
    LIMIT_OPTION,
    RECORD_ID,
    console,
    counted,
    emit_json,
    handle_errors,
    not_blank,
    rich_table,
    settings_from,
    signed_in,
    signed_in_reading,
    uscc_param,
    yuan,
)
from huiqi.db.clock import china_day, shown
from huiqi.db.engine import reading, transaction
from huiqi.delivery import service as ledger


@click.group()
def disburse() -> None:
    """Disbursement batches for the finance system."""


@disburse.command("export")
@click.option("--policy", "policy_id", help="Only this policy's grants.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the files (default DATA_DIR/disbursements).",
)
@click.pass_context
@handle_errors
def disburse_export(ctx: click.Context, policy_id: str | None, out: Path | None) -> None:
    """Export unpaid grants as a batch (CSV and Excel); a grant is in one batch at a time,
    in a later one only after a failed payment ('huiqi disburse repay'), never once paid.

    Columns: batch_id, grant_id, uscc, enterprise_name, bank_account_name,
    bank_name, bank_account_number (left empty for the finance system),
    amount_yuan, policy_id, policy_version. With nothing to pay, no file is written and
    the command exits 1 (the reason on stderr).
    """
    from huiqi.delivery.disburse import export_batch

    factory, actor = signed_in(ctx)
    target = out or settings_from(ctx).data_dir / "disbursements"
    with transaction(factory) as s:
        pv_id = ledger.latest_version(s, policy_id).id if policy_id else None
        batch = export_batch(s, out_dir=target, actor=actor, policy_version_id=pv_id)
    console.print(
        f"batch {batch.id}: {counted(batch.grants, 'grant')}, {yuan(batch.total_fen)} yuan"
    )
    console.print(f"  {batch.csv_path}\n  {batch.xlsx_path}")
    # The bank columns are empty on purpose: huiqi holds no bank details (QA: a finance
    # officer read the empty columns as a broken file).
    console.print(
        "  the bank columns (bank_account_name, bank_name, bank_account_number) are left"
        " empty: the finance system fills them from its own payee records by USCC",
        soft_wrap=True,
    )


@disburse.command("results")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
@handle_errors
def disburse_results(ctx: click.Context, file: Path) -> None:
    """Apply the finance system's payment results (CSV in UTF-8 or GBK, or .xlsx).

    Columns (English or Chinese headers): grant_id (补贴编号), result (结果: paid|failed,
    成功|失败), reason (原因; required when failed), optional paid_date (支付日期,
    year first: 2026-03-31, 2026/3/31, 2026年3月31日; not before the batch's export, not after
    today), amount_yuan (金额, checked against the batch) and batch_id (批次; needed for a
    grant paid again after a failure). Bad rows are reported with line and column and
    skipped; re-importing a file changes nothing.
    """
    from huiqi.delivery.payments import import_payment_results

    factory, actor = signed_in(ctx)
    with transaction(factory) as s:
        report = import_payment_results(s, file, actor=actor)
    console.print(str(report))
    if report.errors:
        raise SystemExit(EXIT_FINDINGS)


@disburse.command("repay")
@click.argument("grant_id", type=RECORD_ID)
@click.option(
    "--reason",
    required=True,
    callback=not_blank,
    help="What was done about the failure (e.g. the corrected bank account); kept in the audit log.",
)
@click.pass_context
@handle_errors
def disburse_repay(ctx: click.Context, grant_id: int, reason: str) -> None:
    """Release a grant whose payment failed, once its cause is addressed, so that the next
    'huiqi disburse export' pays it again in a new batch.

    Only a payment_failed grant is released (an audit event with your reason); a paid
    grant is never paid again.
    """
    from huiqi.delivery.repayment import release_for_repayment

    factory, actor = signed_in(ctx)
    with transaction(factory) as s:
        grant = release_for_repayment(s, actor=actor, grant_id=grant_id, reason=reason)
        amount = grant.amount_fen
    console.print(
        f"grant {grant_id}: released for re-payment ({yuan(amount)} yuan);"
        " 'huiqi disburse export' takes it into the next batch"
    )


@disburse.command("batches")
@LIMIT_OPTION
@JSON_OPTION
@click.pass_context
@handle_errors
def disburse_batches(ctx: click.Context, limit: int, as_json: bool) -> None:
    """Disbursement batches, newest first."""
    with signed_in_reading(ctx) as (conn, actor):
        rows = ledger.list_batches(conn, actor=actor, limit=limit)
    if as_json:
        emit_json(rows)
        return
    console.print(
        rich_table(
            ["batch", "created", "by", "status", "grants", "total (yuan)", "csv"],
            [
                [
                    str(b.id),
                    shown(b.created_at),
                    b.created_by,
                    b.status,
                    f"{b.grants:,}",
                    yuan(b.total_fen),
                    b.csv_path or "",
                ]
                for b in rows
            ],
        )
    )


@click.group()
def notify() -> None:
    """Notifications: send what is waiting in the outbox."""


@notify.command("send")
@click.pass_context
@handle_errors
def notify_send(ctx: click.Context) -> None:
    """Send pending notifications through the configured channels (the scheduler's job).

    In-app inbox messages need no sending. External channels: email (HUIQI_SMTP_*)
    and a log file (HUIQI_NOTIFY_LOG). Retried, never duplicated.
    """
    from huiqi.delivery.channels import channels_from_env
    from huiqi.delivery.notify import send_pending

    factory, actor = signed_in(ctx)
    channels = channels_from_env()
    totals: dict[str, int] = {}
    after = 0
    # One batch per call, in id order, until every waiting row was tried once: a row
    # put back to pending is retried by the next run, not again at once (which would
    # use up its attempts while the server is down or a setting is wrong).
    while True:
        report = send_pending(factory, channels, actor=actor, after_id=after)
        for key, value in vars(report).items():
            if key != "last_id":
                totals[key] = totals.get(key, 0) + value
        if report.claimed == 0:
            break
        after = report.last_id
    names = "; ".join(_where(c) for c in channels)
    console.print(f"through {names}: " + ", ".join(f"{k} {v:,}" for k, v in totals.items()))


def _where(channel: object) -> str:
    """Where a channel's messages go, in words."""
    host, path = getattr(channel, "host", None), getattr(channel, "path", None)
    if host:
        return f"email via {host}:{getattr(channel, 'port', '')}"
    if path:
        return f"the log file {path}"
    return (
        "the application log only (development default: set HUIQI_SMTP_HOST for email or"
        " HUIQI_NOTIFY_LOG for a file)"
    )


@click.command()
@click.argument("uscc", callback=uscc_param)
@click.option("--unread", is_flag=True, help="Only unread messages.")
@LIMIT_OPTION
@JSON_OPTION
@click.pass_context
@handle_errors
def inbox(ctx: click.Context, uscc: str, unread: bool, limit: int, as_json: bool) -> None:
    """An enterprise's in-app messages, newest first (the enterprise or its park operator)."""
    from huiqi.delivery.inbox import inbox as read_inbox

    factory, actor = signed_in(ctx)
    with reading(factory) as s:
        rows = [
            {
                "id": n.id,
                "kind": n.kind,
                "subject": n.subject,
                "body": n.body,
                "created_at": n.created_at,
                "read_at": n.read_at,
            }
            for n in read_inbox(s, uscc.upper(), actor=actor, unread_only=unread, limit=limit)
        ]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        console.print("no messages")
    for n in rows:
        at = n["created_at"]
        day = china_day(at) if isinstance(at, dt.datetime) else at  # the day in China
        console.print(f"[{day:%Y-%m-%d}] {n['subject']}\n  {n['body']}")


@click.group()
def audit() -> None:
    """The audit log, its hash chain, and reproducibility checks."""


@audit.command("recompute")
@click.argument("grant_id", type=RECORD_ID)
@click.pass_context
@handle_errors
def audit_recompute(ctx: click.Context, grant_id: int) -> None:
    """Recompute a grant from its policy version and data snapshot; exit 4 if it differs."""
    factory, actor = signed_in(ctx)
    from huiqi.delivery.recompute import recompute  # the engine: imported only here

    rec = recompute(settings_from(ctx), factory, grant_id, actor=actor)
    console.print(
        f"grant {rec.grant_id}: {rec.policy} (sha256 {rec.content_hash[:12]}…) on snapshot {rec.snapshot_id}:"
        f" stored {rec.stored_status} {yuan(rec.stored_fen)} yuan, recomputed {rec.recomputed_status}"
        f" {yuan(rec.recomputed_fen)} yuan"
    )
    if rec.same:
        console.print("[green]same decision[/]")
        return
    for d in rec.differences:
        console.print(f"[red]differs[/]: {d}")
    raise SystemExit(EXIT_FINDINGS)


@audit.command("log")
@click.option("--uscc", callback=uscc_param, help="Only events about this enterprise.")
@click.option("--entity", help="e.g. grant:12, entitlement:7, user:3")
@click.option("--kind", help="e.g. grant, claim, user_added")
@click.option(
    "--before", "before_id", type=RECORD_ID, help="Only events before this id (next page)."
)
@LIMIT_OPTION
@JSON_OPTION
@click.pass_context
@handle_errors
def audit_log(
    ctx: click.Context,
    uscc: str | None,
    entity: str | None,
    kind: str | None,
    before_id: int | None,
    limit: int,
    as_json: bool,
) -> None:
    """The newest audit events (who, when, what, why); admins only."""
    if entity is not None and not re.fullmatch(r"[a-z_]+:\S+", entity):
        raise click.BadParameter(
            f"{entity!r} names no object: write <kind>:<id>, e.g. grant:12", param_hint="--entity"
        )
    factory, actor = signed_in(ctx)
    with reading(factory) as s:
        rows = ledger.audit_log(
            s,
            actor=actor,
            uscc=uscc,
            entity=entity,
            kind=kind,
            before_id=before_id,
            limit=limit,
        )
        # An unknown kind found nothing: say which kinds the log holds (audit_log checked
        # the actor may read it).
        from sqlalchemy import select

        from huiqi.delivery.models import Event

        kinds = (
            sorted(s.scalars(select(Event.kind).distinct()))
            if kind is not None and not rows
            else []
        )
    if kind is not None and not rows and kind not in kinds:
        console.print(
            f"no event of kind '{kind}'; the log holds: {', '.join(kinds) or 'nothing yet'}",
            markup=False,
        )
    if as_json:
        emit_json(rows)
        return
    for e in rows:
        console.print(
            f"{e.id:>7} {shown(e.at, seconds=True)} {e.actor:<12} {e.kind:<18}"
            f" {e.entity or '':<18} {e.uscc or '':<18} {e.reason or ''}"
        )


@audit.command("verify")
@JSON_OPTION
@click.pass_context
@handle_errors
def audit_verify(ctx: click.Context, as_json: bool) -> None:
    """Check the audit log's hash chain; exit 4 and name the first broken event if any."""
    factory, actor = signed_in(ctx)
    with reading(factory) as s:
        report = ledger.verify_audit(s, actor=actor)
    if as_json:
        emit_json({**vars(report), "ok": report.ok})
    elif report.ok:
        console.print(f"[green]audit chain intact[/]: {counted(report.checked, 'event')}")
    else:
        console.print(
            f"[red]audit chain broken[/] after {counted(report.checked, 'event')}: {report.problem}"
        )
    if not report.ok:
        raise SystemExit(EXIT_FINDINGS)

"""Delivery commands: publish, deliver, claim, applications, allocation, disbursement,
notifications, inbox, users and the audit log. Each is thin and calls huiqi.delivery."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.cli.common import (
    EXIT_FINDINGS,
    console,
    handle_errors,
    settings_from,
    yuan,
)
from huiqi.db.engine import open_database, transaction
from huiqi.delivery import applications as apps
from huiqi.delivery.access import Actor, actor_for, add_user, require
from huiqi.delivery.claims import claim as claim_offer
from huiqi.delivery.lifecycle import expire_offers
from huiqi.delivery.models import Entitlement, Event, Grant, PolicyVersion
from huiqi.delivery.publish import deliver as deliver_version
from huiqi.delivery.publish import publish as publish_file
from huiqi.delivery.recompute import recompute
from huiqi.errors import NotFoundError

AS_OPTION = click.option(
    "--as",
    "as_user",
    default="system",
    show_default=True,
    help="Act as this user (roles are checked).",
)


def _db(ctx: click.Context) -> sessionmaker[Session]:
    return open_database(settings_from(ctx), ctx.obj.get("database_url"))


def _actor(factory: sessionmaker[Session], username: str) -> Actor:
    with factory() as s:
        return actor_for(s, username)


@click.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--snapshot", type=int, help="Snapshot to match against (default: the latest).")
@AS_OPTION
@click.pass_context
@handle_errors
def publish(
    ctx: click.Context, files: tuple[Path, ...], snapshot: int | None, as_user: str
) -> None:
    """Publish policy versions (frozen by hash) and deliver them: grants, offers, applications.

    Re-running is safe: only missing records are created.
    """
    factory = _db(ctx)
    actor = _actor(factory, as_user)
    for f in files:
        pv, rep = publish_file(
            settings_from(ctx), factory, str(f), actor=actor, snapshot_id=snapshot
        )
        console.print(f"published {pv.policy_id} v{pv.version} (sha256 {pv.content_hash[:12]}…)")
        console.print(rep.summary())


@click.command()
@click.argument("policy_ids", nargs=-1)
@click.option("--snapshot", type=int, help="Snapshot to match against (default: the latest).")
@AS_OPTION
@click.pass_context
@handle_errors
def deliver(
    ctx: click.Context, policy_ids: tuple[str, ...], snapshot: int | None, as_user: str
) -> None:
    """Re-match published versions on a new snapshot: new records for the newly eligible,
    review flags for those no longer eligible (nothing is revoked)."""
    factory = _db(ctx)
    actor = _actor(factory, as_user)
    with factory() as s:
        query = select(PolicyVersion).order_by(PolicyVersion.id)
        if policy_ids:
            query = query.where(PolicyVersion.policy_id.in_(policy_ids))
        versions = s.scalars(query).all()
    if not versions:
        raise NotFoundError("no published policy versions; use 'huiqi publish' first")
    for pv in versions:
        console.print(
            deliver_version(
                settings_from(ctx), factory, pv.id, actor=actor, snapshot_id=snapshot
            ).summary()
        )


@click.command()
@click.argument("offer_id", type=int, required=False)
@click.option("--policy", "policy_id", help="Policy id (with --uscc) instead of an offer id.")
@click.option("--uscc", help="Enterprise USCC (with --policy).")
@click.option(
    "--attest", is_flag=True, help="Confirm the commitments (告知承诺) the offer asks for."
)
@AS_OPTION
@click.pass_context
@handle_errors
def claim(
    ctx: click.Context,
    offer_id: int | None,
    policy_id: str | None,
    uscc: str | None,
    attest: bool,
    as_user: str,
) -> None:
    """Confirm an offer (直达快享) with one command; claiming twice returns the same grant."""
    if offer_id is None and not (policy_id and uscc):
        raise click.UsageError("give an OFFER_ID, or --policy and --uscc")
    factory = _db(ctx)
    result = claim_offer(
        factory,
        actor=_actor(factory, as_user),
        entitlement_id=offer_id,
        policy_id=policy_id,
        uscc=uscc,
        attest=attest,
    )
    if result.grant_id is None:
        console.print(f"offer {result.entitlement_id}: {result.status} — {result.message}")
        raise SystemExit(EXIT_FINDINGS)
    console.print(
        f"offer {result.entitlement_id}: grant {result.grant_id}, {yuan(result.amount_fen)} yuan"
        f" ({result.message})"
    )


@click.group()
def application() -> None:
    """Pre-filled applications (申报): submit, approve, reject."""


@application.command("submit")
@click.argument("record_id", type=int)
@click.option(
    "--attest", is_flag=True, help="Confirm the commitments (告知承诺) the form asks for."
)
@AS_OPTION
@click.pass_context
@handle_errors
def application_submit(ctx: click.Context, record_id: int, attest: bool, as_user: str) -> None:
    """Submit a pre-filled application (as the enterprise)."""
    factory = _db(ctx)
    d = apps.submit(factory, record_id, actor=_actor(factory, as_user), attest=attest)
    console.print(f"application {d.entitlement_id}: {d.status}")


@application.command("approve")
@click.argument("record_id", type=int)
@AS_OPTION
@click.pass_context
@handle_errors
def application_approve(ctx: click.Context, record_id: int, as_user: str) -> None:
    """Approve a submitted application (as a policy officer): it becomes a grant."""
    factory = _db(ctx)
    d = apps.approve(factory, record_id, actor=_actor(factory, as_user))
    console.print(
        f"application {d.entitlement_id}: {d.status} {yuan(d.amount_fen)} yuan — {d.message}"
    )


@application.command("reject")
@click.argument("record_id", type=int)
@click.option("--reason", required=True, help="Why; the enterprise sees this text.")
@AS_OPTION
@click.pass_context
@handle_errors
def application_reject(ctx: click.Context, record_id: int, reason: str, as_user: str) -> None:
    """Reject an application with a reason the enterprise sees."""
    factory = _db(ctx)
    d = apps.reject(factory, record_id, actor=_actor(factory, as_user), reason=reason)
    console.print(f"application {d.entitlement_id}: {d.status} — {d.message}")


@click.command()
@AS_OPTION
@click.pass_context
@handle_errors
def expire(ctx: click.Context, as_user: str) -> None:
    """Expire offers whose policy has ended."""
    factory = _db(ctx)
    n = expire_offers(factory, actor=_actor(factory, as_user))
    console.print(f"{n:,} offers expired")


@click.command()
@click.argument("policy_id")
@AS_OPTION
@click.pass_context
@handle_errors
def allocate(ctx: click.Context, policy_id: str, as_user: str) -> None:
    """Pro-rata budgets: after the claim window, scale provisional grants to fit the budget."""
    from huiqi.delivery.budget import allocate_pro_rata

    factory = _db(ctx)
    actor = _actor(factory, as_user)
    require(actor, "policy_officer", "finance_officer")
    with transaction(factory) as s:
        pv = s.scalar(
            select(PolicyVersion)
            .where(PolicyVersion.policy_id == policy_id)
            .order_by(PolicyVersion.version.desc())
        )
        if pv is None:
            raise NotFoundError(f"policy '{policy_id}' is not published")
        result = allocate_pro_rata(s, pv.id, actor.username)
    console.print(str(result))


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
@AS_OPTION
@click.pass_context
@handle_errors
def disburse_export(
    ctx: click.Context, policy_id: str | None, out: Path | None, as_user: str
) -> None:
    """Export unpaid grants as a batch (CSV and Excel); a grant is never in two batches."""
    from huiqi.delivery.disburse import export_batch

    factory = _db(ctx)
    actor = _actor(factory, as_user)
    require(actor, "finance_officer")
    target = out or settings_from(ctx).data_dir / "disbursements"
    with transaction(factory) as s:
        pv_id = None
        if policy_id:
            pv = s.scalar(
                select(PolicyVersion)
                .where(PolicyVersion.policy_id == policy_id)
                .order_by(PolicyVersion.version.desc())
            )
            if pv is None:
                raise NotFoundError(f"policy '{policy_id}' is not published")
            pv_id = pv.id
        batch = export_batch(s, out_dir=target, actor=actor.username, policy_version_id=pv_id)
    console.print(f"batch {batch.id}: {batch.grants:,} grants, {yuan(batch.total_fen)} yuan")
    console.print(f"  {batch.csv_path}\n  {batch.xlsx_path}")


@disburse.command("results")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@AS_OPTION
@click.pass_context
@handle_errors
def disburse_results(ctx: click.Context, file: Path, as_user: str) -> None:
    """Apply the finance system's payment results (paid / failed with reason)."""
    from huiqi.delivery.disburse import import_payment_results

    factory = _db(ctx)
    actor = _actor(factory, as_user)
    require(actor, "finance_officer")
    with transaction(factory) as s:
        report = import_payment_results(s, file, actor=actor.username)
    console.print(str(report))


@click.group()
def notify() -> None:
    """Notifications: send what is waiting in the outbox."""


@notify.command("send")
@click.pass_context
@handle_errors
def notify_send(ctx: click.Context) -> None:
    """Send pending notifications through the configured channels (retried, never duplicated)."""
    from huiqi.delivery.channels import channels_from_env
    from huiqi.delivery.notify import send_pending

    factory, channels = _db(ctx), channels_from_env()
    totals: dict[str, int] = {}
    while True:  # one batch per call; keep going until the outbox is empty
        report = send_pending(factory, channels)
        for key, value in vars(report).items():
            totals[key] = totals.get(key, 0) + value
        if report.claimed == 0:
            break
    console.print(", ".join(f"{k} {v:,}" for k, v in totals.items()))


@click.command()
@click.argument("uscc")
@click.option("--unread", is_flag=True, help="Only unread messages.")
@AS_OPTION
@click.pass_context
@handle_errors
def inbox(ctx: click.Context, uscc: str, unread: bool, as_user: str) -> None:
    """An enterprise's in-app messages."""
    from huiqi.delivery.notify import inbox as read_inbox

    factory = _db(ctx)
    require(_actor(factory, as_user), "operator", "policy_officer", uscc=uscc)
    with factory() as s:
        for n in read_inbox(s, uscc, unread_only=unread):
            console.print(f"[{n.created_at:%Y-%m-%d}] {n.subject}\n  {n.body}")


@click.command()
@click.option("--uscc")
@click.option("--policy", "policy_id")
@click.option("--limit", default=50, show_default=True)
@click.pass_context
@handle_errors
def grants(ctx: click.Context, uscc: str | None, policy_id: str | None, limit: int) -> None:
    """List grants with their status and amount."""
    factory = _db(ctx)
    with factory() as s:
        q = (
            select(Grant, PolicyVersion)
            .join(PolicyVersion, PolicyVersion.id == Grant.policy_version_id)
            .order_by(Grant.id)
            .limit(limit)
        )
        if uscc:
            q = q.where(Grant.uscc == uscc)
        if policy_id:
            q = q.where(PolicyVersion.policy_id == policy_id)
        table = Table("grant", "USCC", "policy", "period", "amount (yuan)", "status")
        for g, pv in s.execute(q).all():
            table.add_row(
                str(g.id),
                g.uscc,
                f"{pv.policy_id} v{pv.version}",
                g.benefit_period,
                yuan(g.amount_fen),
                g.status,
            )
    console.print(table)


@click.group()
def audit() -> None:
    """The audit log and reproducibility checks."""


@audit.command("recompute")
@click.argument("grant_id", type=int)
@click.pass_context
@handle_errors
def audit_recompute(ctx: click.Context, grant_id: int) -> None:
    """Recompute a grant from its policy version and data snapshot; exit 4 if it differs."""
    rec = recompute(settings_from(ctx), _db(ctx), grant_id)
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
@click.option("--uscc")
@click.option("--limit", default=50, show_default=True)
@click.pass_context
@handle_errors
def audit_log(ctx: click.Context, uscc: str | None, limit: int) -> None:
    """The newest audit events (who, when, what, why)."""
    with _db(ctx)() as s:
        q = select(Event).order_by(Event.id.desc()).limit(limit)
        if uscc:
            q = q.where(Event.uscc == uscc)
        for e in s.scalars(q):
            console.print(
                f"{e.id:>7} {e.at:%Y-%m-%d %H:%M:%S} {e.actor:<12} {e.kind:<18} {e.entity or '':<18} {e.uscc or '':<18} {e.reason or ''}"
            )


@click.group()
def user() -> None:
    """Users and roles."""


@user.command("add")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    help="enterprise, policy_officer, finance_officer, operator, data_steward or admin",
)
@click.option("--uscc", help="For enterprise users: their enterprise.")
@click.option("--email", help="Where email notifications go.")
@click.pass_context
@handle_errors
def user_add(
    ctx: click.Context, username: str, role: str, uscc: str | None, email: str | None
) -> None:
    """Add a user with one role."""
    with transaction(_db(ctx)) as s:
        add_user(s, username=username, role=role, uscc=uscc, email=email)
    console.print(f"user {username} ({role}) added")


@click.command("records")
@click.option("--uscc")
@click.option("--status")
@click.option("--limit", default=50, show_default=True)
@click.pass_context
@handle_errors
def records(ctx: click.Context, uscc: str | None, status: str | None, limit: int) -> None:
    """Delivery records (offers, applications, grants, refusals, review flags)."""
    with _db(ctx)() as s:
        q = (
            select(Entitlement, PolicyVersion)
            .join(PolicyVersion, PolicyVersion.id == Entitlement.policy_version_id)
            .order_by(Entitlement.id)
            .limit(limit)
        )
        if uscc:
            q = q.where(Entitlement.uscc == uscc)
        if status:
            q = q.where(Entitlement.status == status)
        table = Table("id", "USCC", "policy", "mode", "status", "amount (yuan)", "flag", "reason")
        for e, pv in s.execute(q).all():
            table.add_row(
                str(e.id),
                e.uscc,
                f"{pv.policy_id} v{pv.version}",
                e.mode,
                e.status,
                yuan(e.computed_fen),
                "⚑" if e.review_flag else "",
                e.review_reason or e.status_reason or "",
            )
    console.print(table)


COMMANDS = [
    publish,
    deliver,
    claim,
    application,
    expire,
    allocate,
    disburse,
    notify,
    inbox,
    grants,
    records,
    audit,
    user,
]

"""Delivery commands: publish, retire, deliver, claim, applications, expiry and allocation.

Each command parses its input, calls one service function as the signed-in user
(``huiqi login`` or ``HUIQI_TOKEN``) and renders the result; every access check
is inside the service function.
"""

from __future__ import annotations

from pathlib import Path

import click

from huiqi.cli.common import (
    EXIT_FINDINGS,
    JSON_OPTION,
    RECORD_ID,
    VERSION,
    console,
    counted,
    emit_json,
    err_console,
    handle_errors,
    listing_filters,
    not_blank,
    settings_from,
    show_session_listing,
    signed_in,
    uscc_param,
    yuan,
)
from huiqi.cli.documents import application_attach, application_documents
from huiqi.cli.progress import TerminalProgress
from huiqi.db.clock import shown, utcnow
from huiqi.db.engine import transaction
from huiqi.delivery import applications as apps
from huiqi.delivery import service as ledger
from huiqi.delivery.claims import attest_hint
from huiqi.delivery.claims import claim as claim_offer
from huiqi.delivery.lifecycle import expire_offers, withdraw_retired_left_open
from huiqi.delivery.publish import deliver as deliver_version
from huiqi.delivery.publish import publish as publish_file
from huiqi.delivery.review import Outcome, resolve_flag
from huiqi.delivery.statuses import RecordStatus
from huiqi.delivery.versions import retire_named
from huiqi.errors import NotFoundError

# How a command-line user confirms the commitments (告知承诺) a claim or an application lacks.
ATTEST = "run the command again with --attest to confirm them"


@click.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--snapshot", type=int, help="Snapshot to match against (default: the latest).")
@click.pass_context
@handle_errors
def publish(ctx: click.Context, files: tuple[Path, ...], snapshot: int | None) -> None:
    """Publish policy versions (frozen by hash) and deliver them: grants, offers, applications.

    Needs the policy_publisher role for the policy's district or department.
    Re-running is safe: only missing records are created.
    """
    factory, actor = signed_in(ctx)
    for f in files:
        started = utcnow()
        pv, rep = publish_file(
            settings_from(ctx),
            factory,
            str(f),
            actor=actor,
            snapshot_id=snapshot,
            progress=TerminalProgress(f.stem),
        )
        if pv.published_at < started:  # the same text again: nothing new is published
            console.print(
                f"{pv.policy_id} v{pv.version} was already published (sha256"
                f" {pv.content_hash[:12]}…, {shown(pv.published_at)} by {pv.published_by});"
                " delivered again: only missing records are made"
            )
        else:
            console.print(
                f"published {pv.policy_id} v{pv.version} (sha256 {pv.content_hash[:12]}…)"
            )
        console.print(rep.summary())


@click.command()
@click.argument("policy_id")
@click.argument("version", type=VERSION)
@click.option(
    "--reason",
    required=True,
    callback=not_blank,
    help="Why it is retired (kept in the audit log).",
)
@JSON_OPTION
@click.pass_context
@handle_errors
def retire(ctx: click.Context, policy_id: str, version: int, reason: str, as_json: bool) -> None:
    """Retire a published policy version: no longer matched, offered or listed.

    Needs the policy_publisher role for the policy's district or department. Its offers
    not yet claimed and applications not yet submitted are withdrawn, each enterprise told
    why; what was granted stays granted and submitted applications still wait for a
    decision. The reason goes to the audit log. --json for scripts.
    """
    factory, actor = signed_in(ctx)
    with transaction(factory) as s:
        retired = retire_named(s, actor=actor, policy_id=policy_id, version=version, reason=reason)
        pv = retired.version
        done = {
            "id": pv.id,
            "policy_id": pv.policy_id,
            "version": pv.version,
            "status": str(pv.status),
            "withdrawn": retired.withdrawn,
        }
    if as_json:
        emit_json({**done, "reason": reason.strip()})
        return
    n = retired.withdrawn
    console.print(
        f"retired {policy_id} v{version}; withdrew {n:,} open offer(s) and unsubmitted"
        " application(s), each enterprise told why"
        if n
        else f"retired {policy_id} v{version}; it had no open offers or unsubmitted applications"
    )


@click.command()
@click.argument("policy_ids", nargs=-1)
@click.option("--snapshot", type=int, help="Snapshot to match against (default: the latest).")
@click.option(
    "--changed",
    is_flag=True,
    help="Re-match only the enterprises changed since the last delivery, against every"
    " published version (the scheduler's job after an import).",
)
@click.pass_context
@handle_errors
def deliver(
    ctx: click.Context, policy_ids: tuple[str, ...], snapshot: int | None, changed: bool
) -> None:
    """Re-match published versions on a new snapshot: new records for the newly eligible,
    review flags for those no longer eligible (nothing is revoked).

    Runs as the scheduler service account, or a policy_publisher for its own policies.
    With --changed (scheduler only), only the enterprises whose data changed are visited:
    the time it takes follows the changes, not the population.
    """
    factory, actor = signed_in(ctx)
    if changed:
        if policy_ids:
            raise click.UsageError("--changed re-matches every published version; name none")
        from huiqi.delivery.incremental import deliver_changes

        report = deliver_changes(settings_from(ctx), factory, actor=actor, snapshot_id=snapshot)
        console.print(report.summary())
        return
    with transaction(factory) as s:
        versions = ledger.list_versions(s, actor=actor)
    if policy_ids:
        # An id with no published version in the actor's scope was skipped without a word,
        # and when none was left the message said nothing was published at all.
        unknown = sorted(set(policy_ids) - {v.policy_id for v in versions})
        if unknown:
            raise NotFoundError(
                f"no published version of {', '.join(unknown)} that you may deliver;"
                " 'huiqi versions' lists them"
            )
        versions = [v for v in versions if v.policy_id in policy_ids]
    if not versions:
        raise NotFoundError("no published policy versions; use 'huiqi publish' first")
    for v in versions:
        console.print(
            deliver_version(
                settings_from(ctx), factory, v.id, actor=actor, snapshot_id=snapshot
            ).summary()
        )


@click.command()
@click.argument("offer_id", type=RECORD_ID, required=False)
@click.option("--policy", "policy_id", help="Policy id (with --uscc) instead of an offer id.")
@click.option("--uscc", callback=uscc_param, help="Enterprise USCC (with --policy).")
@click.option(
    "--attest", is_flag=True, help="Confirm the commitments (告知承诺) the offer asks for."
)
@click.pass_context
@handle_errors
def claim(
    ctx: click.Context, offer_id: int | None, policy_id: str | None, uscc: str | None, attest: bool
) -> None:
    """Confirm an offer (直达快享) as the enterprise (or its park operator); claiming twice
    returns the same grant.

    A claim that makes no grant (the budget is spent, the enterprise's cap is reached,
    就高不重复) exits 4 with the reason on stderr.
    """
    if offer_id is None and not (policy_id and uscc):
        raise click.UsageError("give an OFFER_ID, or --policy and --uscc")
    factory, actor = signed_in(ctx)
    with attest_hint(ATTEST):
        result = claim_offer(
            factory,
            actor=actor,
            entitlement_id=offer_id,
            policy_id=policy_id,
            uscc=uscc,
            attest=attest,
        )
    if result.grant_id is None:
        from rich.markup import escape

        # On stderr, as every refusal: stdout carries only results a script can read.
        err_console.print(
            f"[bold red]refused:[/] offer {result.entitlement_id} is {result.status}, no grant"
            f" was made: {escape(result.message)}",
            soft_wrap=True,
        )
        raise SystemExit(EXIT_FINDINGS)
    console.print(
        f"record {result.entitlement_id}: grant {result.grant_id}, {yuan(result.amount_fen)} yuan"
        f" ({result.message})"
    )


@click.group()
def application() -> None:
    """Pre-filled applications (申报): list, documents, attach, submit, withdraw, approve, reject."""


@application.command("list")
@click.option(
    "--status",
    type=click.Choice([s.value for s in RecordStatus]),
    help="Only applications in this status.",
)
@listing_filters
@click.pass_context
@handle_errors
def application_list(
    ctx: click.Context,
    uscc: str | None,
    policy_id: str | None,
    status: str | None,
    after_id: int,
    limit: int,
    as_json: bool,
) -> None:
    """Applications you may see; 'decidable' ones (submitted and eligible) can be approved."""
    show_session_listing(
        ctx,
        lambda s, actor: ledger.list_applications(
            s,
            actor=actor,
            uscc=uscc,
            policy_id=policy_id,
            status=status,
            after_id=after_id,
            limit=limit,
        ),
        as_json=as_json,
        policy_id=policy_id,
        columns=[
            "record",
            "USCC",
            "policy",
            "status",
            "on the data",
            "estimate (yuan)",
            "decidable",
        ],
        row=lambda r: [
            str(r.record_id),
            r.uscc,
            f"{r.policy_id} v{r.version}",
            r.status,
            r.match_status,
            yuan(r.estimated_fen),
            "yes" if r.decidable else "",
        ],
    )


@application.command("submit")
@click.argument("record_id", type=RECORD_ID)
@click.option(
    "--attest", is_flag=True, help="Confirm the commitments (告知承诺) the form asks for."
)
@click.pass_context
@handle_errors
def application_submit(ctx: click.Context, record_id: int, attest: bool) -> None:
    """Submit a pre-filled application (as the enterprise or its park operator)."""
    factory, actor = signed_in(ctx)
    with attest_hint(ATTEST):
        d = apps.submit(factory, record_id, actor=actor, attest=attest)
    if d.message == apps.ALREADY_SUBMITTED:  # a second call changes nothing, and says so
        console.print(f"application {d.entitlement_id} was already submitted; nothing changed")
        return
    console.print(f"application {d.entitlement_id}: {d.status}")


@application.command("withdraw")
@click.argument("record_id", type=RECORD_ID)
@click.option("--reason", help="Why (optional); kept in the audit log.")
@click.pass_context
@handle_errors
def application_withdraw(ctx: click.Context, record_id: int, reason: str | None) -> None:
    """Withdraw a submitted application before it is decided (as the enterprise or its park
    operator); it can be submitted again while the policy accepts applications."""
    from huiqi.delivery.withdrawal import withdraw

    factory, actor = signed_in(ctx)
    d = withdraw(factory, record_id, actor=actor, reason=reason)
    console.print(f"application {d.entitlement_id}: {d.status} — {d.message}")


@application.command("approve")
@click.argument("record_id", type=RECORD_ID)
@click.pass_context
@handle_errors
def application_approve(ctx: click.Context, record_id: int) -> None:
    """Approve a submitted application that is eligible on the data: it becomes a grant.

    A near miss (one criterion not met on the data) cannot be approved until new
    data makes it eligible (import, then 'huiqi deliver'); reject it or wait. An approval
    that makes no grant (the budget is spent, the enterprise's cap is reached, 就高不重复)
    exits 4 with the reason on stderr, as a refused claim does.
    """
    factory, actor = signed_in(ctx)
    d = apps.approve(factory, record_id, actor=actor)
    if d.grant_id is None:
        from rich.markup import escape

        err_console.print(
            f"[bold red]refused:[/] application {d.entitlement_id} is {d.status}, no grant"
            f" was made: {escape(d.message)}",
            soft_wrap=True,
        )
        raise SystemExit(EXIT_FINDINGS)
    # The decision's message adds only what the status does not say already.
    said = f" — {d.message}" if d.message and d.message != d.status else ""
    console.print(f"application {d.entitlement_id}: {d.status} {yuan(d.amount_fen)} yuan{said}")


@application.command("reject")
@click.argument("record_id", type=RECORD_ID)
@click.option(
    "--reason", required=True, callback=not_blank, help="Why; the enterprise sees this text."
)
@click.pass_context
@handle_errors
def application_reject(ctx: click.Context, record_id: int, reason: str) -> None:
    """Reject an application with a reason the enterprise sees."""
    factory, actor = signed_in(ctx)
    d = apps.reject(factory, record_id, actor=actor, reason=reason)
    console.print(f"application {d.entitlement_id}: {d.status} — {d.message}")


@click.command()
@click.argument("decision", type=click.Choice([o.value for o in Outcome]))
@click.argument("record_id", type=RECORD_ID)
@click.option("--reason", required=True, callback=not_blank, help="Why; kept in the audit log.")
@click.pass_context
@handle_errors
def review(ctx: click.Context, decision: str, record_id: int, reason: str) -> None:
    """Resolve a review flag: keep, withdraw, top up or correct the record (a policy reviewer).

    'huiqi records --flagged' lists the flags. Withdrawing withdraws an open offer,
    closes an open application, and withdraws a grant not yet sent for payment (its amount
    back in the budget); a grant in a batch or paid is not undone, the decision is recorded.
    top-up is for a record that 就高不重复 excluded because a lower policy of its group
    was already sent for payment: the higher policy grants the difference. correct is for
    a record that a newer version of its policy excluded behind an earlier version's grant
    and that would give another amount: the newer amount replaces an earlier grant not yet
    sent for payment, or its difference is granted on top of one sent (less than was sent
    is refused: recover it outside huiqi and keep the record).
    """
    factory, actor = signed_in(ctx)
    d = resolve_flag(factory, record_id, actor=actor, outcome=decision, reason=reason)
    console.print(f"record {d.record_id}: {d.outcome}, {d.status} — {d.message}")


@click.command()
@click.pass_context
@handle_errors
def expire(ctx: click.Context) -> None:
    """Expire offers whose policy has ended (the scheduler's job).

    Also withdraws the offers and unsubmitted applications still open under retired
    versions (versions retired before retiring withdrew them), telling each enterprise
    why; running it again withdraws nothing more.
    """
    factory, actor = signed_in(ctx)
    n = expire_offers(factory, actor=actor)
    console.print(f"{counted(n, 'offer')} expired")
    left = withdraw_retired_left_open(factory, actor=actor)
    if left:
        console.print(
            f"{counted(left, 'offer or application', 'offers and applications')} under retired"
            " versions withdrawn"
        )


@click.command()
@click.argument("policy_id")
@click.pass_context
@handle_errors
def allocate(ctx: click.Context, policy_id: str) -> None:
    """Pro-rata budgets: after the claim window, scale provisional grants to fit the budget."""
    from huiqi.delivery.sharing import allocate_pro_rata

    factory, actor = signed_in(ctx)
    with transaction(factory) as s:
        result = allocate_pro_rata(s, ledger.latest_version(s, policy_id).id, actor=actor)
    console.print(str(result))


# What an application must attach (its own module: huiqi/cli/documents.py).
application.add_command(application_documents)
application.add_command(application_attach)

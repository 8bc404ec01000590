"""The ledger's listings: ``huiqi versions``, ``grants`` and ``records``.

Each checks the sign-in and calls one service function as the signed-in user; every
access check is inside it. On the embedded SQLite database and on PostgreSQL they first
try the quick path (:mod:`huiqi.cli.quick`: the same statements and checks through the
driver, without importing SQLAlchemy), which declines whatever it does not cover.
"""

from __future__ import annotations

from types import ModuleType

import click
from rich.markup import escape

from huiqi.cli.common import JSON_OPTION, handle_errors, listing_filters, show_listing, yuan
from huiqi.cli.flagtext import flag_conditions
from huiqi.cli.quick import listings as quick
from huiqi.delivery.statuses import GrantStatus, RecordStatus


def _service() -> ModuleType:
    """The ledger's service (SQLAlchemy): imported when the full path runs."""
    from huiqi.delivery import service

    return service


def _page(
    uscc: str | None, policy_id: str | None, status: str | None, after_id: int, limit: int
) -> dict[str, object]:
    """A listing's filters and page, as both paths take them."""
    return {
        "uscc": uscc,
        "policy_id": policy_id,
        "status": status,
        "after_id": after_id,
        "limit": limit,
    }


@click.command()
@click.option(
    "--status",
    type=click.Choice([s.value for s in GrantStatus]),
    help="Only grants in this status.",
)
@listing_filters
@click.pass_context
@handle_errors
def grants(
    ctx: click.Context,
    uscc: str | None,
    policy_id: str | None,
    status: str | None,
    after_id: int,
    limit: int,
    as_json: bool,
) -> None:
    """Grants with their status and amount (cut to what you may see)."""
    page = _page(uscc, policy_id, status, after_id, limit)
    show_listing(
        ctx,
        lambda s, actor: _service().list_grants(s, actor=actor, **page),
        quick=lambda: quick.grants(ctx, **page),
        as_json=as_json,
        policy_id=policy_id,
        columns=["grant", "USCC", "policy", "period", "amount (yuan)", "status"],
        row=lambda g: [
            str(g.id),
            g.uscc,
            f"{g.policy_id} v{g.version}",
            g.benefit_period,
            yuan(g.amount_fen),
            g.status,
        ],
    )


@click.command("records")
@click.option(
    "--status",
    type=click.Choice([s.value for s in RecordStatus]),
    help="Only records in this status.",
)
@click.option("--flagged", is_flag=True, default=None, help="Only records flagged for review.")
@listing_filters
@click.pass_context
@handle_errors
def records(
    ctx: click.Context,
    uscc: str | None,
    policy_id: str | None,
    status: str | None,
    flagged: bool | None,
    after_id: int,
    limit: int,
    as_json: bool,
) -> None:
    """Delivery records (offers, applications, grants, refusals, review flags).

    With --json, match_status is eligible or near_miss as matched at delivery, and
    not_eligible while a later snapshot has flagged the record as no longer eligible.
    The amount is what the record's grant gives where it has one (under a cap, or a
    就高不重复 top-up's difference); --json has the policy's amount (amount_fen) and
    the grant's (granted_fen). A record flagged as no longer eligible lists the
    conditions its enterprise fails, with its figures against the thresholds
    (--json: review_criteria).
    """
    page = _page(uscc, policy_id, status, after_id, limit)
    show_listing(
        ctx,
        lambda s, actor: _service().list_records(s, actor=actor, flagged=flagged, **page),
        quick=lambda: quick.records(ctx, flagged=flagged, **page),
        as_json=as_json,
        policy_id=policy_id,
        columns=["id", "USCC", "policy", "mode", "status", "amount (yuan)", "flag", "reason"],
        # A record with a grant shows what the grant gives (capped, or a top-up's
        # difference); --json has both (amount_fen, granted_fen).
        row=lambda r: [
            str(r.id),
            r.uscc,
            f"{r.policy_id} v{r.version}",
            r.mode,
            r.status,
            yuan(r.amount_fen if r.granted_fen is None else r.granted_fen),
            "⚑" if r.review_flag else "",
            # A flag "no longer eligible" says which conditions fail, under its reason.
            escape(
                "\n".join([r.reason or "", *flag_conditions(r.match_status, r.review_criteria)])
            ),
        ],
    )


@click.command()
@click.option("--policy", "policy_id")
@JSON_OPTION
@click.pass_context
@handle_errors
def versions(ctx: click.Context, policy_id: str | None, as_json: bool) -> None:
    """Published policy versions, with hash, budget and what is committed."""
    show_listing(
        ctx,
        lambda s, actor: _service().list_versions(s, actor=actor, policy_id=policy_id),
        quick=lambda: quick.versions(ctx, policy_id=policy_id),
        as_json=as_json,
        policy_id=policy_id,
        columns=["id", "policy", "mode", "region", "sha256", "budget (yuan)", "committed", "by"],
        row=lambda v: [
            str(v.id),
            # A retired version says so (published is the rule; --json has every status).
            f"{v.policy_id} v{v.version}" + (f" ({v.status})" if v.status != "published" else ""),
            v.delivery,
            f"{v.level} {v.region}",
            v.content_hash[:12],
            yuan(v.budget_fen),
            # Only a budget's spending is kept as committed: without one, no figure (0.00
            # read as "nothing granted" beside a policy that had granted millions).
            yuan(v.committed_fen) if v.budget_fen is not None else "—",
            v.published_by,
        ],
    )

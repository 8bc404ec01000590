"""The dashboards' totals from the command line (``huiqi totals``)."""

from __future__ import annotations

import click

from huiqi.cli.common import JSON_OPTION, handle_errors, show_session_listing, yuan


@click.command()
@click.option(
    "--kind",
    type=click.Choice(["grant", "record"]),
    default="grant",
    show_default=True,
    help="Count grants, or delivery records (offers, applications, grants, refusals).",
)
@click.option(
    "--by",
    default="policy,status",
    show_default=True,
    help="Comma-separated groupings: policy, status, district, department, month.",
)
@click.option("--policy", "policy_id", help="Only this policy id.")
@click.option("--status", help="Only this status.")
@click.option(
    "--district",
    help="Only this district, as the data records it (six digits, e.g. 310115).",
)
@click.option("--from", "month_from", help="From this month on (YYYY-MM).")
@click.option("--to", "month_to", help="Up to this month (YYYY-MM).")
@JSON_OPTION
@click.pass_context
@handle_errors
def totals(
    ctx: click.Context,
    kind: str,
    by: str,
    policy_id: str | None,
    status: str | None,
    district: str | None,
    month_from: str | None,
    month_to: str | None,
    as_json: bool,
) -> None:
    """Dashboard totals: how many grants or records, and how much money, by policy, status,
    district, department or month (from maintained counters; policy officers see their
    scope)."""
    from huiqi.delivery import dashboard

    groups = [g.strip() for g in by.split(",") if g.strip()]
    unknown = [g for g in groups if g not in dashboard.DIMENSIONS]
    if unknown:
        raise click.BadParameter(
            f"{unknown[0]!r}: choose from {', '.join(dashboard.DIMENSIONS)}", param_hint="--by"
        )
    shown = [d for d in dashboard.DIMENSIONS if d in groups]
    show_session_listing(
        ctx,
        lambda s, actor: dashboard.totals(
            s,
            actor=actor,
            kind=kind,
            by=shown,
            policy_id=policy_id,
            status=status,
            district=district,
            month_from=month_from,
            month_to=month_to,
        ),
        as_json=as_json,
        policy_id=policy_id,
        columns=[*shown, "count", "amount (yuan)"],
        row=lambda t: [
            *(str(getattr(t, "policy_id" if d == "policy" else d) or "") for d in shown),
            str(t.n),
            yuan(t.amount_fen),
        ],
    )

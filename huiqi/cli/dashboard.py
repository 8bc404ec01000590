"""The dashboards' totals from the command line (``huiqi totals``)."""

from __future__ import annotations

import re

import click

from huiqi.cli.common import JSON_OPTION, handle_errors, show_session_listing, yuan
from huiqi.delivery.statuses import GrantStatus, RecordStatus

# A filter value the counters cannot hold printed an empty table and exited 0, as if
# nothing had been granted; the API refuses the same months (422).
STATUSES = {"grant": [s.value for s in GrantStatus], "record": [s.value for s in RecordStatus]}
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
DISTRICT = re.compile(r"\d{6}")


def _month(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not MONTH.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not a month; write YYYY-MM, e.g. 2026-03")
    return value


def _district(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value and not DISTRICT.fullmatch(value):
        raise click.BadParameter(
            f"{value!r} is not a district code; write its six digits, e.g. 310115"
            " ('' for the enterprises with no district recorded)"
        )
    return value


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
@click.option("--status", help="Only this status (a grant's, or with --kind record a record's).")
@click.option(
    "--district",
    callback=_district,
    help="Only this district, as the data records it (six digits, e.g. 310115).",
)
@click.option("--from", "month_from", callback=_month, help="From this month on (YYYY-MM).")
@click.option("--to", "month_to", callback=_month, help="Up to this month (YYYY-MM).")
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
    if status is not None and status not in STATUSES[kind]:
        raise click.BadParameter(
            f"{status!r} is not a {kind}'s status: choose from {', '.join(STATUSES[kind])}",
            param_hint="--status",
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

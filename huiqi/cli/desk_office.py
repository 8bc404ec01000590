"""``huiqi desk stats``, ``route-add``, ``routes``, ``withdraw`` and ``close``: the desk's
figures, its routing rules (which department a new request goes to), and ending a request
unanswered, commands of the ``desk`` group."""

from __future__ import annotations

import datetime as dt

import click

from huiqi.cli.common import (
    JSON_OPTION,
    RECORD_ID,
    console,
    counted,
    emit_json,
    handle_errors,
    not_blank,
    rich_table,
    signed_in,
)
from huiqi.cli.desk import _show_request, _write, desk


@desk.command("stats")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Filed on or after (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Filed on or before (YYYY-MM-DD).")
@JSON_OPTION
@click.pass_context
@handle_errors
def desk_stats_cmd(
    ctx: click.Context, since: dt.datetime | None, until: dt.datetime | None, as_json: bool
) -> None:
    """Volume by category and department, on-time rate, satisfaction, repeat requests."""
    from huiqi.db.engine import reading
    from huiqi.desk.stats import desk_stats

    factory, actor = signed_in(ctx)
    with reading(factory) as s:
        stats = desk_stats(
            s,
            actor=actor,
            since=since.date() if since else None,
            until=until.date() if until else None,
        )
    if as_json:
        emit_json(stats)
        return
    pct = lambda x: "–" if x is None else f"{x * 100:.1f} %"  # noqa: E731
    console.print(
        f"{counted(stats.requests, 'request')}; answered {stats.answered:,}, on time"
        f" {pct(stats.on_time_rate)}; {counted(stats.ratings, 'rating')}, average"
        f" {stats.average_stars or '–'}, satisfied {pct(stats.satisfied_rate)};"
        f" {counted(stats.repeat_requests, 'repeat request')} from"
        f" {counted(stats.repeat_enterprises, 'enterprise')}"
    )
    for title, volumes in (("category", stats.by_category), ("department", stats.by_department)):
        console.print(
            rich_table(
                [title, "requests", "waiting", "answered", "on time"],
                [
                    [v.key, str(v.requests), str(v.open), str(v.answered), str(v.on_time)]
                    for v in volumes
                ],
            )
        )


@desk.command("route-add")
@click.option("--department", required=True, callback=not_blank, help="Where matching requests go.")
@click.option("--category", help="Only requests of this category.")
@click.option("--keywords", default="", help="Words, separated by spaces or commas.")
@click.option("--priority", type=int, default=100, show_default=True, help="Lower goes first.")
@JSON_OPTION
@click.pass_context
@handle_errors
def desk_route_add(
    ctx: click.Context,
    department: str,
    category: str | None,
    keywords: str,
    priority: int,
    as_json: bool,
) -> None:
    """Add a routing rule (an admin)."""
    from huiqi.desk.routing import add_rule

    rule = _write(
        ctx,
        lambda s, actor: add_rule(
            s,
            actor=actor,
            department=department,
            category=category,
            keywords=keywords,
            priority=priority,
        ),
    )
    if as_json:
        emit_json(rule)
        return
    console.print(
        f"rule {rule.id}: {rule.category or '*'} {' '.join(rule.keywords)} → {rule.department}"
    )


@desk.command("routes")
@JSON_OPTION
@click.pass_context
@handle_errors
def desk_routes(ctx: click.Context, as_json: bool) -> None:
    """The routing rules in the order they are tried."""
    from huiqi.db.engine import reading
    from huiqi.desk.categories import list_categories
    from huiqi.desk.routing import list_rules

    factory, actor = signed_in(ctx)
    with reading(factory) as s:
        rules = list_rules(s, actor=actor)
        categories = list_categories(s)
    if as_json:
        emit_json(rules)
        return
    if rules:
        console.print(
            rich_table(
                ["id", "priority", "category", "keywords", "department", "active"],
                [
                    [
                        str(r.id),
                        str(r.priority),
                        r.category or "*",
                        " ".join(r.keywords),
                        r.department,
                        "yes" if r.active else "no",
                    ]
                    for r in rules
                ],
            )
        )
    else:
        console.print("no routing rules of the office's own ('huiqi desk route-add' adds one)")
    # What routes a request no rule claims: an empty table read as "nothing is routed".
    console.print("When no rule matches, a request goes to its category's department:")
    console.print(
        rich_table(
            ["category", "label", "department"],
            [[c.code, c.label_zh, c.department] for c in categories],
        )
    )


@desk.command("withdraw")
@click.argument("request_id", type=RECORD_ID)
@click.option("--reason", help="Why (optional); kept in the request's history.")
@JSON_OPTION
@click.pass_context
@handle_errors
def desk_withdraw(ctx: click.Context, request_id: int, reason: str | None, as_json: bool) -> None:
    """Withdraw your enterprise's request before it is answered (it is closed; again: no change)."""
    from huiqi.desk.closing import withdraw

    row = _write(
        ctx, lambda s, actor: withdraw(s, actor=actor, request_id=request_id, reason=reason)
    )
    _show_request(row, as_json)


@desk.command("close")
@click.argument("request_id", type=RECORD_ID)
@click.option(
    "--reason",
    required=True,
    callback=not_blank,
    help="Why (a duplicate, solved by phone); the enterprise reads it.",
)
@JSON_OPTION
@click.pass_context
@handle_errors
def desk_close(ctx: click.Context, request_id: int, reason: str, as_json: bool) -> None:
    """Close an unanswered request of your department with a reason (counted as its answer)."""
    from huiqi.desk.closing import close

    row = _write(ctx, lambda s, actor: close(s, actor=actor, request_id=request_id, reason=reason))
    _show_request(row, as_json)

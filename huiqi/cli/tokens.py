"""Token commands: API tokens for machine clients (create, list, revoke)."""

from __future__ import annotations

import click
from rich.table import Table

from huiqi.accounts import tokens
from huiqi.cli.common import (
    JSON_OPTION,
    RECORD_ID,
    WholeNumber,
    console,
    emit_json,
    handle_errors,
    signed_in,
)
from huiqi.db.clock import shown
from huiqi.db.engine import transaction


@click.group()
def token() -> None:
    """API tokens for machine clients (other government systems, scheduled jobs)."""


@token.command("create")
@click.argument("name")
@click.option("--user", "username", help="For another user (admins), e.g. 'scheduler'.")
@click.option(
    "--days",
    default=tokens.API_DAYS,
    show_default=True,
    type=WholeNumber(1, tokens.MAX_TOKEN_DAYS),
    help="Lifetime in days.",
)
@click.pass_context
@handle_errors
def token_create(ctx: click.Context, name: str, username: str | None, days: int) -> None:
    """Create an API token; it is shown once (use it as HUIQI_TOKEN or a Bearer header)."""
    factory, actor = signed_in(ctx)
    with transaction(factory) as s:
        made, secret = tokens.create_token(s, actor=actor, name=name, days=days, username=username)
    console.print(
        f"token {made.id} '{made.name}' for {made.username}, expires {shown(made.expires_at)}"
    )
    click.echo(secret)


@token.command("list")
@click.option("--user", "username", help="Another user's tokens (admins); '*' for everyone's.")
@JSON_OPTION
@click.pass_context
@handle_errors
def token_list(ctx: click.Context, username: str | None, as_json: bool) -> None:
    """Tokens (never their secrets): name, kind, expiry, last use, revoked or not."""
    factory, actor = signed_in(ctx)
    with transaction(factory) as s:
        found = tokens.list_tokens(s, actor=actor, username=username)
    if as_json:
        emit_json(found)
        return
    table = Table("id", "user", "name", "kind", "prefix", "expires", "last used", "state")
    for t in found:
        table.add_row(
            str(t.id),
            t.username,
            t.name,
            t.kind,
            t.prefix + "…",
            shown(t.expires_at),
            shown(t.last_used_at) if t.last_used_at else "",
            "active" if t.active else ("revoked" if t.revoked_at else "expired"),
        )
    console.print(table)


@token.command("revoke")
@click.argument("token_id", type=RECORD_ID)
@click.pass_context
@handle_errors
def token_revoke(ctx: click.Context, token_id: int) -> None:
    """Revoke a token (your own, or any as an admin)."""
    factory, actor = signed_in(ctx)
    with transaction(factory) as s:
        before = tokens.get_revoked_at(s, token_id)
        t = tokens.revoke_token(s, actor=actor, token_id=token_id)
    if before is not None:  # a second call changes nothing, and says so
        console.print(
            f"token {t.id} '{t.name}' of {t.username} was already revoked ({shown(before)});"
            " nothing changed"
        )
        return
    console.print(f"token {t.id} '{t.name}' of {t.username} revoked")

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
        # Two active tokens of one name are allowed (a new one made before the old one is
        # revoked), but 'revoke the id on cron's row' is then ambiguous: name the others.
        namesakes = [
            t.id
            for t in tokens.list_tokens(s, actor=actor, username=made.username)
            if t.name == made.name and t.active and t.id != made.id and t.kind == made.kind
        ]
    console.print(
        f"token {made.id} '{made.name}' for {made.username}, expires {shown(made.expires_at)}"
    )
    click.echo(secret)
    if namesakes:
        ids = ", ".join(str(i) for i in namesakes)
        click.echo(
            f"note: {made.username}'s token{'s' if len(namesakes) > 1 else ''} {ids} named"
            f" '{made.name}' {'are' if len(namesakes) > 1 else 'is'} still active; once the new"
            f" token {made.id} is in use, revoke the old: 'huiqi token revoke {namesakes[0]}'",
            err=True,
        )


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

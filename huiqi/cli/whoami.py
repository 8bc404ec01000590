"""``huiqi whoami``: checks the sign-in as every command does, without the account
services (in a module of its own: ``accounts.py`` loads them and the ORM)."""

from __future__ import annotations

import click

from huiqi.cli.common import JSON_OPTION, console, emit_json, handle_errors, signed_in_actor


@click.command()
@JSON_OPTION
@click.pass_context
@handle_errors
def whoami(ctx: click.Context, as_json: bool) -> None:
    """Who you are signed in as, and your roles."""
    actor = signed_in_actor(ctx)
    if as_json:
        emit_json({"username": actor.username, "roles": [str(g) for g in actor.grants]})
        return
    console.print(actor.describe())

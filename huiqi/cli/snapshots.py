"""``huiqi snapshots``: the profile store's snapshots (DuckDB).

In a module of its own: ``data.py`` loads SQLAlchemy for the commands that write, and the
sign-in check here goes through the quick path (:mod:`huiqi.cli.quick`) where it can.
"""

from __future__ import annotations

import click

from huiqi.cli.common import (
    JSON_OPTION,
    console,
    emit_json,
    handle_errors,
    settings_from,
    signed_in_actor,
)
from huiqi.db.clock import shown


@click.command()
@JSON_OPTION
@click.pass_context
@handle_errors
def snapshots(ctx: click.Context, as_json: bool) -> None:
    """List data snapshots (one per import or generation)."""
    from huiqi.profiles.service import list_snapshots

    actor = signed_in_actor(ctx)
    found = list_snapshots(settings_from(ctx), actor=actor)
    if as_json:
        emit_json(found)
        return
    for s in found:
        console.print(
            f"{s.snapshot_id:>4}  {shown(s.created_at, seconds=True)}  {s.kind:<8} {s.registry or '':<16}"
            f" read {s.rows_read:,} accepted {s.rows_accepted:,} rejected {s.rows_rejected:,}"
            f"  {s.source_file or ''}"
        )

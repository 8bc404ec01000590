"""The quick path of ``huiqi versions``, ``grants`` and ``records``: the service's access
checks, then its statement (precompiled) through the driver, as the same typed rows.

Served here: actors who read every row (finance officers, admins, policy officers whose
scope is ``*``), enterprises and park operators (their rows are cut by lists of their
enterprises and parks). Policy officers scoped to districts or departments, and any
check that would read the database (a park operator's ``--uscc``), take the full path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from huiqi.accounts.roles import POLICY_ROLES
from huiqi.cli.quick.read import Declined, fetch, quick_reading
from huiqi.delivery.listing_access import (
    check_reader,
    check_versions_reader,
    clamp_limit,
    reader_scope,
)
from huiqi.delivery.rows import GrantRow, RecordRow, VersionRow
from huiqi.delivery.statuses import GrantStatus, RecordStatus, parse_status

if TYPE_CHECKING:
    from enum import StrEnum

    import click

    from huiqi.accounts.access import Actor
    from huiqi.cli.quick.read import Conn


class _NoReads:
    """The session an access check gets on the quick path: a check that would read the
    database (a park operator's lookup) declines, and the full path makes it."""

    def __getattr__(self, name: str) -> Any:
        raise Declined(f"the access check reads the database ({name})")


def _key(listing: str, shape: str = "", **present: object) -> str:
    """As :func:`huiqi.cli.quick.generate.key_of` (tests/cli/test_quick.py)."""
    head = f"{listing}@{shape}" if shape else listing
    return "+".join([head, *(name for name, value in present.items() if value)])


def versions(ctx: click.Context, *, policy_id: str | None) -> Sequence[VersionRow] | None:
    """:func:`huiqi.delivery.service.list_versions`, or None where the full path must run."""

    def read(conn: Conn, actor: Actor) -> list[VersionRow]:
        check_versions_reader(actor)
        name = _key("versions", policy_id=policy_id)
        return [VersionRow(*r) for r in fetch(conn, name, {"policy_id": policy_id})]

    return _quick(ctx, read)


def _page(
    listing: str,
    actor: Actor,
    statuses: type[StrEnum],
    *,
    uscc: str | None,
    policy_id: str | None,
    status: str | None,
    after_id: int,
    limit: int,
) -> tuple[str, dict[str, Any]]:
    """As :func:`huiqi.delivery.listing_queries.scoped_listing`: the status parsed, then the
    access check; the statement's name and its inputs."""
    parsed = parse_status(statuses, status) if status else None
    officers = (*POLICY_ROLES,)
    inputs: dict[str, Any] = {}
    shape = ""
    if not check_reader(_NoReads(), actor, officers, uscc):  # type: ignore[arg-type]
        scope = reader_scope(actor, officers)
        if scope.policies:
            raise Declined("a policy officer's district or department scope")
        if scope.own is None and not scope.parks:
            raise Declined("no scope: the full path refuses")
        inputs.update(own=scope.own, parks=scope.parks)
        shape = "+".join(
            n for n, v in (("own", scope.own is not None), ("parks", scope.parks)) if v
        )
    filters = {"uscc": uscc, "policy_id": policy_id, "status": parsed is not None}
    inputs |= {
        "uscc": uscc,
        "policy_id": policy_id,
        "status": parsed.value if parsed is not None else None,
        "after_id": after_id,
        "limit": clamp_limit(limit),
    }
    return _key(listing, shape, **filters), inputs


def grants(ctx: click.Context, **page: Any) -> Sequence[GrantRow] | None:
    """:func:`huiqi.delivery.service.list_grants`, or None where the full path must run."""

    def read(conn: Conn, actor: Actor) -> list[GrantRow]:
        name, inputs = _page("grants", actor, GrantStatus, **page)
        return [GrantRow(*r) for r in fetch(conn, name, inputs)]

    return _quick(ctx, read)


def records(ctx: click.Context, *, flagged: bool | None, **page: Any) -> Sequence[RecordRow] | None:
    """:func:`huiqi.delivery.service.list_records`, or None where the full path must run."""

    def read(conn: Conn, actor: Actor) -> list[RecordRow]:
        name, inputs = _page("records", actor, RecordStatus, **page)
        if flagged is not None:
            name += "+flagged" if flagged else "+unflagged"
        rows = [RecordRow(*r) for r in fetch(conn, name, inputs)]
        if any(r.conditions_incomplete for r in rows):
            # Its labels and gaps are its version's, compiled on the full path.
            raise Declined("a flag's conditions are completed from its policy version")
        return rows

    return _quick(ctx, read)


def _quick(ctx: click.Context, read: Any) -> Any:
    try:
        with quick_reading(ctx) as (conn, actor):
            return read(conn, actor)
    except Declined:
        return None

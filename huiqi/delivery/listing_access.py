"""Who may read the ledger's listings: the access checks of versions, grants and records.

Kept apart from the statements (:mod:`huiqi.delivery.listing_queries`, SQLAlchemy): the
command line's quick listings (:mod:`huiqi.cli.quick`) make these same checks, then read
through the database driver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from huiqi.accounts.access import (
    AccessDenied,
    Actor,
    acts_for,
    policy_scope_terms,
    reads_every_policy,
    require_enterprise,
)
from huiqi.accounts.districts import district_of, officer_districts, require_in_districts
from huiqi.accounts.roles import Role

if TYPE_CHECKING:
    from huiqi.db.engine import Reads

MAX_LIMIT = 10_000
READ_ALL = (Role.FINANCE_OFFICER, Role.ADMIN)


def clamp_limit(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))


def check_reader(
    session: Reads, actor: Actor, officers: tuple[Role, ...], uscc: str | None
) -> bool:
    """A listing's access check: refuse an actor who may not read ``uscc``'s rows (when the
    listing is cut to one enterprise); then whether it reads every row (else its rows are
    cut to its scope). The command line's quick listings (:mod:`huiqi.cli.quick`) make this
    same check before they read."""
    if uscc is not None:
        what = "read this enterprise's records"
        require_enterprise(session, actor, uscc, what, *officers, *READ_ALL)
        if not actor.has(*READ_ALL) and not acts_for(session, actor, uscc):
            # A district officer asking about an enterprise of another district is
            # refused, not shown an empty list (huiqi.accounts.districts).
            districts = officer_districts(actor, officers)
            if districts is not None:
                district = district_of(session, uscc)
                require_in_districts(actor, uscc, district, districts, what)
    return actor.has(*READ_ALL) or reads_every_policy(actor, officers)


def check_versions_reader(actor: Actor) -> None:
    """Who may list published versions: anyone signed in who holds a role."""
    if not actor.grants:
        raise AccessDenied(f"{actor.describe()} holds no role")


class ReaderScope(NamedTuple):
    """What an actor who does not read every row reads of a listing."""

    own: list[str] | None  # the enterprises it is (None: it holds no enterprise role)
    parks: list[str]  # the parks whose enterprises it reads as their operator
    policies: list[tuple[str, str]]  # its policy scopes (huiqi.accounts.access)


def reader_scope(actor: Actor, officers: tuple[Role, ...]) -> ReaderScope:
    """The scope of an actor for whom :func:`check_reader` said it does not read every row."""
    own = actor.scopes(Role.ENTERPRISE)
    parks = [p for p in actor.scopes(Role.PARK_OPERATOR) if p]
    policies = policy_scope_terms(actor, officers) or []
    return ReaderScope([s for s in own if s] if own else None, parks, policies)

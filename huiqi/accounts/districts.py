"""An officer scoped to districts reads about the enterprises registered in them.

A policy officer of ``district:310104`` acts for the enterprises of district 310104: its
listings are cut to the policies of that district, and a simulation to its enterprises
(:mod:`huiqi.matching.district_scope`). Asked about one enterprise by its USCC, it is
refused when the enterprise is registered in another district, or in none, as any page
about something outside the actor's scope refuses (403 with what is wrong and who may),
not answered with an empty page that reads as "this enterprise has nothing". An officer
with a city-wide or department scope, or with a role that reads every enterprise
(finance, admin), is never refused here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from huiqi.accounts.access import AccessDenied, Actor
from huiqi.accounts.roles import Role

if TYPE_CHECKING:
    from huiqi.db.engine import Reads

DISTRICT = re.compile(r"^district:(\d{6})$")


def officer_districts(actor: Actor, officers: Iterable[Role]) -> list[str] | None:
    """The districts whose enterprises ``actor`` reads as one of ``officers``, when every
    grant it holds of them is a district scope; None when one covers more (a city-wide or
    department scope, a role held without scope) or it holds none of them.

    >>> from huiqi.accounts.roles import RoleGrant
    >>> officer_districts(Actor("o", (RoleGrant(Role.POLICY_REVIEWER, "district:310104"),)),
    ...                   [Role.POLICY_REVIEWER])
    ['310104']
    """
    roles = set(officers)
    return scoped_districts([g.scope for g in actor.grants if g.role in roles])


def scoped_districts(scopes: list[str | None]) -> list[str] | None:
    """The districts of ``scopes`` when every one is a district scope; None when one
    covers more (a city-wide or department scope, no scope) or there is none."""
    found = [m.group(1) for s in scopes if s and (m := DISTRICT.match(s))]
    if not scopes or len(found) < len(scopes):
        return None
    return sorted(set(found))


def district_of(session: Reads, uscc: str) -> str | None:
    """The district an enterprise is registered in, as the ledger's directory knows it."""
    # Imported here, as huiqi.accounts.access.park_of does: the command line's quick
    # listings make these checks through the database driver.
    from sqlalchemy import select

    from huiqi.delivery.tables import enterprise_directory as directory

    found: str | None = session.scalar(
        select(directory.c.district_code).where(directory.c.uscc == uscc)
    )
    return found


def require_in_districts(
    actor: Actor, uscc: str, district: str | None, districts: list[str] | None, what: str
) -> None:
    """Refuse ``actor`` (scoped to ``districts``; None: every district) ``what`` about the
    enterprise ``uscc`` registered in ``district`` (None: no district recorded)."""
    if districts is None or (district is not None and district in districts):
        return
    known = ", ".join(districts)
    if district is None:
        raise AccessDenied(
            f"{actor.describe()} may not {what}: enterprise {uscc} has no district recorded,"
            f" so it is outside the districts you act for ({known}); a city-wide officer may"
        )
    raise AccessDenied(
        f"{actor.describe()} may not {what}: enterprise {uscc} is registered in district"
        f" {district}, outside the districts you act for ({known}); an officer of that"
        " district or a city-wide officer may"
    )

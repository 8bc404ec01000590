"""The console offers each officer the pages their roles open, and only those: signed in
with each role alone, every page the console lists opens (200) and every page it leaves
out is refused (403) by the service behind it. The list is presentation; this test ties
it to the services' own checks."""

from __future__ import annotations

import re

import pytest
from portal_data import PASSWORD, Portal, sign_in

from huiqi.accounts import service as accounts
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.db.engine import transaction
from huiqi.web.console_pages import PAGES

SCOPED = {Role.POLICY_AUTHOR, Role.POLICY_PUBLISHER, Role.POLICY_REVIEWER}
SCOPED |= {Role.DESK_OFFICER, Role.DESK_HEAD}
ROLES = [r for r in Role if r not in (Role.ENTERPRISE, Role.PARK_OPERATOR, Role.SCHEDULER)]
# A console page, a level down too (/console/complaints/import).
LINK = re.compile(r'<a href="(/console/[a-z]+(?:/[a-z]+)?)"')


@pytest.fixture(scope="module")
def officers(portal: Portal) -> Portal:
    with transaction(portal.factory) as s:
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        for role in ROLES:
            grant = RoleGrant(role, "*" if role in SCOPED else None)
            accounts.add_user(
                s, actor=admin, username=f"nav-{role.value}", roles=[grant], password=PASSWORD
            )
    return portal


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_each_role_is_offered_exactly_the_pages_it_may_open(officers: Portal, role: Role) -> None:
    client = sign_in(officers.client(), f"nav-{role.value}")
    index = client.get("/console")
    assert index.status_code == 200
    offered = set(LINK.findall(index.text))
    assert offered == {p.path for p in PAGES if role in p.roles}
    assert offered, f"{role} holds a staff role but the console offers it nothing"
    assert 'href="/console"' in client.get("/policies").text  # the console is in its menu
    for p in PAGES:
        status = client.get(p.path).status_code
        assert status == (200 if p.path in offered else 403), (role, p.path, status)
    # A console page's navigation bar offers the same pages as the index.
    first = sorted(offered)[0]
    assert set(LINK.findall(client.get(first).text)) >= offered


def test_an_enterprise_is_offered_no_console(officers: Portal) -> None:
    client = sign_in(officers.client(), "ent0")
    assert 'href="/console"' not in client.get("/home").text
    index = client.get("/console")
    assert index.status_code == 200 and not LINK.findall(index.text)


def test_an_enterprise_is_refused_every_console_page(
    officers: Portal,
) -> None:
    """Regression: /console/applications opened (200) for an enterprise and listed its own
    submitted application in the reviewers' queue, with the reject form; the services let
    an enterprise read its own applications, so the queue page itself now asks for the
    roles the console offers it to."""
    client = sign_in(officers.client(), "ent0")
    for p in PAGES:
        status = client.get(p.path).status_code
        assert status == 403, (p.path, status)

"""A small portal world for the web tests: a profile store, three published policies (an
automatic grant, an offer to confirm, an application), a library policy in the catalogue
only, and one signed-up user per enterprise (password ``PASSWORD``)."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import build_store, policy_yaml, uscc

from huiqi.accounts import service as accounts
from huiqi.accounts import tokens
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.accounts.testing import OFFICER
from huiqi.config import Settings
from huiqi.db.engine import session_factory, transaction
from huiqi.db.testing import fresh_database
from huiqi.delivery.publish import deliver
from huiqi.delivery.versions import publish_text
from huiqi.policies.loader import library_dir
from huiqi.web.app import create_app
from huiqi.web.settings import WebSettings

PASSWORD = "portal-test-pass-2026"
AUTO, OFFER, APPLY = "web-auto", "web-offer", "web-apply"
LIBRARY_POLICY = "jd-rd-expense-subsidy-2026"  # in the catalogue only: "研发费用"
ENTERPRISES = 8  # ent0 … ent7, each its own user; tests that claim use their own
DISTRICT = "310115"  # the district of the test policies (helpers.policy_yaml)
# The officers: the right one for each queue, and ones with the wrong role or scope.
STAFF = {
    "officer": [RoleGrant(Role.POLICY_REVIEWER, "*")],
    "reviewer-elsewhere": [RoleGrant(Role.POLICY_REVIEWER, "district:310104")],
    "author": [RoleGrant(Role.POLICY_AUTHOR, "*")],
    "steward": [RoleGrant(Role.DATA_STEWARD)],
    "finance": [RoleGrant(Role.FINANCE_OFFICER)],
    "desk-policy": [RoleGrant(Role.DESK_OFFICER, "department:市经济信息化委")],
    "desk-finance": [RoleGrant(Role.DESK_OFFICER, "department:市财政局")],
}


@dataclass
class Portal:
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    usccs: list[str]

    def app(self, web: WebSettings | None = None):  # type: ignore[no-untyped-def]
        return create_app(self.settings, self.factory, web or WebSettings())

    def client(
        self, web: WebSettings | None = None, *, https: bool = False, address: str = "testclient"
    ) -> TestClient:
        """A browser of this portal (at a client network address of its own, if given)."""
        return TestClient(
            self.app(web),
            base_url=f"http{'s' if https else ''}://testserver",
            client=(address, 50000),
        )

    def token(self, username: str) -> str:
        """An API token of this user (``huiqi token create``)."""
        with transaction(self.factory) as s:
            actor, _ = tokens.sign_in(s, username=username, password=PASSWORD, client="test")
            _, secret = tokens.create_token(s, actor=actor, name="api test")
        return secret


@contextmanager
def portal_world(tmp: Path) -> Iterator[Portal]:
    codes = [uscc(i) for i in range(ENTERPRISES)]
    settings, _ = build_store(tmp / "data", {c: 2 + i for i, c in enumerate(codes)})
    with fresh_database("sqlite", tmp) as engine:
        factory = session_factory(engine)
        for pid, mode in ((AUTO, "auto"), (OFFER, "confirm"), (APPLY, "apply")):
            pv, _ = publish_text(
                factory, policy_yaml(pid, delivery=mode), f"{pid}.yaml", actor=OFFICER
            )
            deliver(settings, factory, pv.id, actor=OFFICER)
        text = (library_dir() / f"{LIBRARY_POLICY}.yaml").read_text("utf-8")
        publish_text(factory, text, f"{LIBRARY_POLICY}.yaml", actor=OFFICER)
        with transaction(factory) as s:
            accounts.init_admin(s, username="admin", password=PASSWORD)
            admin = accounts.actor_of(accounts.find_user(s, "admin"))
            for name, grants in STAFF.items():
                accounts.add_user(s, actor=admin, username=name, roles=grants, password=PASSWORD)
            for i, code in enumerate(codes):
                accounts.add_user(
                    s,
                    actor=admin,
                    username=f"ent{i}",
                    roles=[RoleGrant(Role.ENTERPRISE, code)],
                    password=PASSWORD,
                )
        yield Portal(settings, engine, factory, codes)


def add_user(portal: Portal, username: str, grants: list[RoleGrant]) -> None:
    """One more user of this portal (password ``PASSWORD``), added by its admin."""
    with transaction(portal.factory) as s:
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        accounts.add_user(s, actor=admin, username=username, roles=grants, password=PASSWORD)


def add_publishers(portal: Portal) -> Portal:
    """``publisher``, an author and publisher of the test policies' district, and
    ``outsider``, one of another district."""
    for name, scope in (("publisher", f"district:{DISTRICT}"), ("outsider", "district:310104")):
        add_user(
            portal,
            name,
            [RoleGrant(Role.POLICY_AUTHOR, scope), RoleGrant(Role.POLICY_PUBLISHER, scope)],
        )
    return portal


CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def page_token(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a page of this client's session carries."""
    found = CSRF.search(client.get(path).text)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    token = page_token(client)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client

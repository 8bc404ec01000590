"""Actors and requests for the desk's tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import Actor
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.accounts.testing import ADMIN
from huiqi.db.engine import transaction
from huiqi.desk.filing import file_request
from huiqi.desk.routing import add_rule
from huiqi.desk.rows import RequestRow
from huiqi.profiles.uscc import make

A, B = make("91310115MA1000001"), make("91310104MA1000002")
FINANCE_BUREAU = "市财政局"
SCIENCE = "市科委"
# Friday 13 Feb 2026, 10:00 in Shanghai: the last working day before the Spring Festival.
BEFORE_FESTIVAL = dt.datetime(2026, 2, 13, 2, 0)


def desk_officer(department: str, role: Role = Role.DESK_OFFICER) -> Actor:
    return Actor(f"desk-{department}", (RoleGrant(role, f"department:{department}"),))


def enterprise(uscc: str) -> Actor:
    return Actor(f"u-{uscc}", (RoleGrant(Role.ENTERPRISE, uscc),))


def science_rule(factory: sessionmaker[Session]) -> None:
    """研发/高新 texts go to the science commission."""
    with transaction(factory) as s:
        add_rule(s, actor=ADMIN, department=SCIENCE, keywords="研发 高新技术企业", priority=10)


def filed(factory: sessionmaker[Session], **kw: Any) -> RequestRow:
    args: dict[str, Any] = {
        "actor": enterprise(A),
        "uscc": A,
        "category": "funding",
        "text": "稳岗返还资金什么时候到账？",
        "now": BEFORE_FESTIVAL,
    }
    args.update(kw)
    with transaction(factory) as s:
        return file_request(s, **args)

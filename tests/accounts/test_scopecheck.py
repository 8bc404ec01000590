"""A policy role's department scope must name a department some policy names (the
library's, or a version or draft in the ledger), unless the admin says it is new."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts import service as accounts
from huiqi.accounts import tokens
from huiqi.accounts.access import Actor
from huiqi.accounts.roles import Role, RoleError, RoleGrant
from huiqi.db.engine import transaction
from huiqi.delivery.models import Event, PolicyDraft

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from factories import policy_version

PASSWORD = "a-long-password-1"
LIBRARY = "上海市经济和信息化委员会"  # the issuer of six library policies


def _admin(factory: sessionmaker[Session]) -> Actor:
    with transaction(factory) as s:
        accounts.init_admin(s, username="root", password=PASSWORD)
        actor, _ = tokens.sign_in(s, username="root", password=PASSWORD)
    return actor


def _add(factory: sessionmaker[Session], admin: Actor, name: str, scope: str, **kw: bool) -> None:
    with transaction(factory) as s:
        accounts.add_user(
            s,
            actor=admin,
            username=name,
            roles=[RoleGrant(Role.POLICY_PUBLISHER, scope)],
            **kw,
        )


@pytest.mark.parametrize(
    ("scope", "meant"),
    [
        ("department:市经济信息化委", f"did you mean '{LIBRARY}'"),  # the desk's short name
        ("department:Shanghai Municipal Commission of Commerce", "did you mean '上海市商务委员会'"),
        ("department:NoSuchDepartment", f"departments: .*{LIBRARY}"),  # nothing close: the list
    ],
)
def test_a_department_no_policy_names_is_refused_with_the_close_ones(
    sessions: sessionmaker[Session], scope: str, meant: str
) -> None:
    """Regression: ``user add NAME --role policy_publisher=department:NoSuchDepartment`` was
    accepted silently, and the officer saw no policy at all."""
    admin = _admin(sessions)
    with pytest.raises(RoleError, match=meant) as refused:
        _add(sessions, admin, "typo", scope)
    assert refused.value.exit_code == 2
    assert "add --new-department" in str(refused.value)
    with sessions() as s:
        assert s.scalar(select(Event.id).where(Event.kind == "user_added")) is None


def test_library_ledger_and_draft_departments_are_known(sessions: sessionmaker[Session]) -> None:
    admin = _admin(sessions)
    with transaction(sessions) as s:
        policy_version(
            s,
            policy_id="p-elsewhere",
            title_zh="t",
            delivery="confirm",
            level="city",
            region="310000",
            department="外来局",  # a policy written elsewhere, published here
            published_by="seed",
        )
        s.add(
            PolicyDraft(
                policy_id="p-draft",
                source_yaml="id: p-draft\n",
                level="city",
                region="310000",
                department="起草局",
                author="seed",
            )
        )
    for n, name in enumerate((LIBRARY, "外来局", "起草局")):
        _add(sessions, admin, f"ok{n}", f"department:{name}")
    # A desk role's department is the desk's routing, not a policy's: still only a warning.
    with transaction(sessions) as s:
        accounts.add_user(
            s, actor=admin, username="desk", roles=[RoleGrant(Role.DESK_OFFICER, "department:外")]
        )


def test_a_new_department_is_accepted_when_said_and_recorded(
    sessions: sessionmaker[Session],
) -> None:
    admin = _admin(sessions)
    _add(sessions, admin, "first", "department:新设局", new_departments=True)
    with transaction(sessions) as s:
        accounts.add_user(
            s, actor=admin, username="other", roles=[RoleGrant(Role.POLICY_AUTHOR, "*")]
        )
    grant = RoleGrant(Role.POLICY_AUTHOR, "department:又一局")
    with transaction(sessions) as s, pytest.raises(RoleError, match="no policy names '又一局'"):
        accounts.change_user(s, actor=admin, username="other", add_roles=[grant])
    with transaction(sessions) as s:
        accounts.change_user(
            s, actor=admin, username="other", add_roles=[grant], new_departments=True
        )
    with sessions() as s:
        said = [
            (e.kind, e.data.get("new_departments"))
            for e in s.scalars(select(Event).order_by(Event.id))
            if e.kind in ("user_added", "user_changed")
        ]
    assert said == [
        ("user_added", ["新设局"]),
        ("user_added", None),
        ("user_changed", ["又一局"]),
    ]

"""Accounts: the first admin, users and roles, passwords, sign-in and API tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher, Type, extract_parameters
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts import service as accounts
from huiqi.accounts import tokens
from huiqi.accounts.access import AccessDenied, Actor, NotSignedIn
from huiqi.accounts.credentials import WeakPassword, hash_password, verify_password
from huiqi.accounts.models import ApiToken, User
from huiqi.accounts.roles import Role, RoleError, RoleGrant
from huiqi.accounts.userfields import check_username
from huiqi.db.engine import reading_connection, transaction
from huiqi.delivery.models import Event
from huiqi.errors import StateConflict
from huiqi.profiles.uscc import make

PASSWORD = "a-long-password-1"
USCC = make("91310115MA1000001")


def _admin(factory: sessionmaker[Session]) -> Actor:
    with transaction(factory) as s:
        accounts.init_admin(s, username="root", password=PASSWORD)
        actor, _ = tokens.sign_in(s, username="root", password=PASSWORD)
    return actor


def _events(factory: sessionmaker[Session], kind: str) -> list[Event]:
    with factory() as s:
        return list(s.scalars(select(Event).where(Event.kind == kind)))


def test_admin_init_once_then_only_admins_add_users(sessions: sessionmaker[Session]) -> None:
    admin = _admin(sessions)
    with transaction(sessions) as s, pytest.raises(StateConflict, match="already exists"):
        accounts.init_admin(s, username="mallory", password=PASSWORD)
    with transaction(sessions) as s:
        names = {u.username: u.roles for u in accounts.list_users(s, actor=admin)}
    assert names == {"root": ("admin",), "scheduler": ("scheduler",)}
    officer = Actor.of("o", "policy_publisher=*")
    with transaction(sessions) as s, pytest.raises(AccessDenied, match="may not add users"):
        accounts.add_user(
            s, actor=officer, username="mallory", roles=[RoleGrant(Role.ADMIN)], password=PASSWORD
        )
    assert _events(sessions, "user_added") == []


def test_user_changes_are_audit_events(sessions: sessionmaker[Session]) -> None:
    admin = _admin(sessions)
    with transaction(sessions) as s:
        accounts.add_user(
            s,
            actor=admin,
            username="ent",
            roles=[RoleGrant.parse(f"enterprise={USCC.lower()}")],
            password=PASSWORD,
        )
        changed = accounts.change_user(
            s,
            actor=admin,
            username="ent",
            add_roles=[RoleGrant.parse("park_operator=园区甲")],
            email="cfo@example.com",
        )
        accounts.set_disabled(s, actor=admin, username="ent")
    assert changed.roles == (f"enterprise={USCC}", "park_operator=园区甲")
    kinds = [e.kind for e in _events(sessions, "user_added")]
    kinds += [e.kind for e in _events(sessions, "user_changed")]
    kinds += [e.kind for e in _events(sessions, "user_disabled")]
    assert kinds == ["user_added", "user_changed", "user_disabled"]
    assert all(e.actor == "root" for e in _events(sessions, "user_changed"))
    with transaction(sessions) as s, pytest.raises(AccessDenied, match="wrong user name"):
        tokens.sign_in(s, username="ent", password=PASSWORD)


def test_passwords_are_argon2id_hashes(sessions: sessionmaker[Session]) -> None:
    _admin(sessions)
    with sessions() as s:
        stored = s.scalar(select(User.password_hash).where(User.username == "root"))
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_password(stored, PASSWORD) and not verify_password(stored, PASSWORD + "x")
    assert not verify_password(None, PASSWORD)
    with pytest.raises(WeakPassword):
        hash_password("short")


def test_the_product_hashes_with_the_recommended_argon2id_parameters(
    sessions: sessionmaker[Session], product_hasher: PasswordHasher
) -> None:
    """The tests sign in through a cheap hasher (conftest.py); the product's own stores
    argon2id at the library's recommended cost, which sign-in verifies."""
    _admin(sessions)
    with sessions() as s:
        stored = s.scalar(select(User.password_hash).where(User.username == "root"))
    assert stored is not None
    used, recommended = extract_parameters(stored), PasswordHasher()
    assert used.type is Type.ID
    assert (used.memory_cost, used.time_cost, used.parallelism) == (
        recommended.memory_cost,
        recommended.time_cost,
        recommended.parallelism,
    )
    assert used.memory_cost >= 19 * 1024 and used.time_cost >= 2  # OWASP's least for argon2id
    assert verify_password(stored, PASSWORD) and not verify_password(stored, PASSWORD + "x")


def test_wrong_password_is_refused_and_recorded(sessions: sessionmaker[Session]) -> None:
    _admin(sessions)
    for name in ("root", "nobody"):
        with transaction(sessions) as s, pytest.raises(AccessDenied, match="wrong user name"):
            tokens.sign_in(s, username=name, password="not-the-password")
    failed = _events(sessions, "login_failed")
    assert [e.actor for e in failed] == ["root", "nobody"]
    assert failed[0].entity is not None and failed[1].entity is None


def test_tokens_expire_are_revoked_and_die_with_a_disabled_user(
    sessions: sessionmaker[Session],
) -> None:
    admin = _admin(sessions)
    with transaction(sessions) as s:
        accounts.add_user(
            s, actor=admin, username="robot", roles=[RoleGrant(Role.SCHEDULER)], password=None
        )
        made, secret = tokens.create_token(s, actor=admin, name="cron", username="robot")
        assert tokens.actor_from_token(s, secret).username == "robot"
        stored = s.scalar(select(ApiToken.token_hash).where(ApiToken.id == made.id))
    assert stored is not None and secret not in stored and len(stored) == 64
    with transaction(sessions) as s:
        s.execute(
            update(ApiToken)
            .where(ApiToken.id == made.id)
            .values(expires_at=dt.datetime(2020, 1, 1))
        )
    with transaction(sessions) as s, pytest.raises(NotSignedIn, match="expired"):
        tokens.actor_from_token(s, secret)
    with transaction(sessions) as s:
        _, second = tokens.create_token(s, actor=admin, name="cron2", username="robot")
        assert [t.name for t in tokens.list_tokens(s, actor=admin, username="robot")] == [
            "cron",
            "cron2",
        ]
        accounts.set_disabled(s, actor=admin, username="robot")
    with transaction(sessions) as s, pytest.raises(NotSignedIn, match="revoked"):
        tokens.actor_from_token(s, second)
    with transaction(sessions) as s, pytest.raises(NotSignedIn, match="sign in first"):
        tokens.actor_from_token(s, None)
    with transaction(sessions) as s, pytest.raises(NotSignedIn, match="not known"):
        tokens.actor_from_token(s, "hq_forged")


def test_a_new_password_revokes_the_users_sessions_and_tokens(
    sessions: sessionmaker[Session],
) -> None:
    """Regression (QA): an admin's password reset after a suspected compromise left the
    user's portal session and its API tokens working; only the old password stopped."""
    admin = _admin(sessions)
    with transaction(sessions) as s:
        accounts.add_user(
            s, actor=admin, username="cfo", roles=[RoleGrant.parse(f"enterprise={USCC}")],
            password=PASSWORD,
        )  # fmt: skip
        _, signed_in = tokens.sign_in(s, username="cfo", password=PASSWORD)
        _, minted = tokens.create_token(s, actor=admin, name="script", username="cfo")
    with transaction(sessions) as s:
        changed = accounts.change_user(s, actor=admin, username="cfo", password="new-pass-2026!")
    assert changed.username == "cfo"
    for secret in (signed_in, minted):
        with transaction(sessions) as s, pytest.raises(NotSignedIn, match="revoked"):
            tokens.actor_from_token(s, secret)
    (event,) = _events(sessions, "user_changed")
    assert event.data["changes"] == ["password", "tokens revoked"]
    with transaction(sessions) as s:  # the new password opens a new session
        actor, _ = tokens.sign_in(s, username="cfo", password="new-pass-2026!")
    assert actor.username == "cfo"
    # A change of email alone revokes nothing.
    with transaction(sessions) as s:
        _, fresh = tokens.create_token(s, actor=admin, name="script2", username="cfo")
        accounts.change_user(s, actor=admin, username="cfo", email="cfo@example.com")
    with transaction(sessions) as s:
        assert tokens.actor_from_token(s, fresh).username == "cfo"


def test_the_scheduler_account_takes_no_other_role(sessions: sessionmaker[Session]) -> None:
    """Regression (QA): 'huiqi user change scheduler --add-role admin' was allowed, and
    the scheduler's token lies in a file for cron."""
    admin = _admin(sessions)
    with (
        transaction(sessions) as s,
        pytest.raises(accounts.AccountError, match="scheduled work only"),
    ):
        accounts.change_user(
            s, actor=admin, username="scheduler", add_roles=[RoleGrant(Role.ADMIN)]
        )
    with sessions() as s:
        (user,) = [u for u in accounts.list_users(s, actor=admin) if u.username == "scheduler"]
    assert list(user.roles) == ["scheduler"]


def test_a_token_is_checked_alike_on_a_core_connection(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """The command line checks its token on a Core connection (no ORM): the same actor,
    roles and scopes as on a session; refused when revoked; a read records no last use
    (a write does)."""
    admin = _admin(sessions)
    roles = [RoleGrant(Role.FINANCE_OFFICER), RoleGrant.parse(f"enterprise={USCC}")]
    with transaction(sessions) as s:
        accounts.add_user(s, actor=admin, username="clerk", roles=roles, password=None)
        made, secret = tokens.create_token(s, actor=admin, name="cli", username="clerk")
    with transaction(sessions) as s:
        on_session = tokens.actor_from_token(s, secret)
    with reading_connection(engine) as conn:
        assert tokens.actor_from_token(conn, secret) == on_session
        assert on_session.username == "clerk" and set(on_session.grants) == set(roles)
        used = select(ApiToken.last_used_at).where(ApiToken.id == made.id)
        before = conn.scalar(used)
    assert before is not None  # the session's check was in a writing transaction
    with transaction(sessions) as s:
        s.execute(update(ApiToken).where(ApiToken.id == made.id).values(last_used_at=None))
    with reading_connection(engine) as conn:
        tokens.actor_from_token(conn, secret)
        assert conn.scalar(used) is None
    with transaction(sessions) as s:
        tokens.revoke_token(s, actor=admin, token_id=made.id)
    with reading_connection(engine) as conn, pytest.raises(NotSignedIn, match="revoked"):
        tokens.actor_from_token(conn, secret)


def test_a_user_revokes_only_its_own_tokens(sessions: sessionmaker[Session]) -> None:
    admin = _admin(sessions)
    with transaction(sessions) as s:
        for name in ("a", "b"):
            accounts.add_user(
                s, actor=admin, username=name, roles=[RoleGrant(Role.FINANCE_OFFICER)]
            )
        a_token, _ = tokens.create_token(s, actor=admin, name="t", username="a")
        b = accounts.actor_of(s.scalars(select(User).where(User.username == "b")).one())
        with pytest.raises(AccessDenied, match="revoke other users' tokens"):
            tokens.revoke_token(s, actor=b, token_id=a_token.id)
        mine, _ = tokens.create_token(s, actor=b, name="mine")
        assert not tokens.revoke_token(s, actor=b, token_id=mine.id).active


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("emperor", "unknown role 'emperor'"),
        ("enterprise", "needs a scope"),
        ("enterprise=91310115MA1H8R7C6D", "not a valid unified social credit code"),
        ("policy_publisher=310115", "a policy scope is district"),
        ("finance_officer=anything", "has no scope"),
        ("policy_author=department:", "needs the department's name"),
        # A mistyped district covered no policy, silently (regression).
        ("policy_author=district:999999", r"'999999' is not a district code.*310115 \(浦东新区\)"),
        # A district written by its name was refused with the syntax alone (regression).
        ("policy_author=district:浦东新区", r"did you mean district:310115 \(浦东新区\)\?$"),
        ("policy_publisher=浦东", r"did you mean district:310115 \(浦东新区\)\?$"),
        ("policy_reviewer=上海市徐汇区", r"did you mean district:310104 \(徐汇区\)\?$"),
    ],
)
def test_role_grants_refuse_what_they_cannot_mean(text: str, message: str) -> None:
    with pytest.raises(RoleError, match=message):
        RoleGrant.parse(text)
    assert RoleGrant.parse("policy_author=district:310115").scope == "district:310115"


@given(st.text(max_size=60))
def test_role_grant_parsing_never_crashes(text: str) -> None:
    """Role text comes from the command line and the web: refused clearly or understood."""
    try:
        grant = RoleGrant.parse(text)
    except RoleError:
        return
    assert RoleGrant.parse(str(grant)) == grant


def test_a_refusal_names_the_allowed_roles_in_one_order_in_every_process() -> None:
    """'allowed:' listed a set of roles in the order it was unpacked in, which changes with
    each process's hash seed: the same refusal read differently from one run to the next."""
    from huiqi.accounts.access import require_role
    from huiqi.accounts.roles import Role

    ent = Actor.of("ent", "enterprise=91310115MA1H8R7C41")
    messages = set()
    for roles in (
        (Role.POLICY_REVIEWER, Role.DATA_STEWARD, Role.POLICY_AUTHOR),
        (Role.DATA_STEWARD, Role.POLICY_AUTHOR, Role.POLICY_REVIEWER),
    ):
        with pytest.raises(AccessDenied) as denied:
            require_role(ent, "list data snapshots", *roles)
        messages.add(str(denied.value))
    assert messages == {
        "ent (enterprise=91310115MA1H8R7C41) may not list data snapshots; allowed: "
        "policy_author, policy_reviewer, data_steward"
    }


@pytest.mark.parametrize("name", ["a\x00b", "tab\tname", "bell\x07", "del\x7f", "zw\u200bsp"])
def test_a_user_name_with_a_control_character_is_refused(
    sessions: sessionmaker[Session], name: str
) -> None:
    """Regression: a name with a NUL or another control character was created on SQLite
    and could then never sign in through the web (a form cannot send it; PostgreSQL
    cannot even store a NUL)."""
    admin = _admin(sessions)
    with transaction(sessions) as s, pytest.raises(accounts.AccountError, match="control"):
        accounts.add_user(
            s,
            actor=admin,
            username=name,
            roles=[RoleGrant(Role.ENTERPRISE, USCC)],
            password=PASSWORD,
        )
    with transaction(sessions) as s:
        assert name not in {u.username for u in accounts.list_users(s, actor=admin)}


@given(st.text(min_size=1, max_size=64))
def test_an_accepted_user_name_is_printable_and_unspaced(name: str) -> None:
    try:
        kept = check_username(name)
    except accounts.AccountError:
        return
    assert kept == name.strip() and kept.isprintable() and not any(c.isspace() for c in kept)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Root", "differs from the user 'root' only in letter case"),
        ("ＲＯＯＴ", "full-width or compatibility characters that read as 'ROOT'"),
        ("ｒｏｏｔ", "write the name as 'root'"),
        ("Scheduler", "differs from the user 'scheduler' only in letter case"),
    ],
)
def test_a_name_that_reads_as_an_existing_user_is_refused(
    sessions: sessionmaker[Session], name: str, message: str
) -> None:
    """Regression (QA, session 29): 'Admin' and full-width 'ａｄｍｉｎ' were accepted beside
    'admin', and read as the same person in listings and the audit log."""
    admin = _admin(sessions)
    with transaction(sessions) as s, pytest.raises(accounts.AccountError, match=message):
        accounts.add_user(s, actor=admin, username=name, roles=[RoleGrant(Role.ADMIN)])
    with transaction(sessions) as s:  # a different name is fine, Chinese included
        accounts.add_user(s, actor=admin, username="财政局-李", roles=[RoleGrant(Role.ADMIN)])


@pytest.mark.parametrize(
    "email", ["cfo", "cfo@", "@example.gov.cn", "cfo@example", "a b@example.cn", "x@y.cn\u202e"]
)
def test_an_email_that_is_no_address_is_refused(
    sessions: sessionmaker[Session], email: str
) -> None:
    admin = _admin(sessions)
    with transaction(sessions) as s, pytest.raises(accounts.AccountError, match="not an email"):
        accounts.add_user(
            s, actor=admin, username="cfo", roles=[RoleGrant(Role.ADMIN)], email=email
        )
    with transaction(sessions) as s:
        accounts.add_user(
            s, actor=admin, username="cfo", roles=[RoleGrant(Role.ADMIN)], email=" cfo@czj.sh.cn "
        )
        with pytest.raises(accounts.AccountError, match="not an email"):
            accounts.change_user(s, actor=admin, username="cfo", email="cfo at czj")
        changed = accounts.change_user(s, actor=admin, username="cfo", email="")
    assert changed.email is None


@pytest.mark.parametrize(
    ("change", "field", "said"),
    [
        (
            {"add_roles": [RoleGrant.parse("policy_author=department:NoSuchDepartment")]},
            "add_roles",
            "no policy names 'NoSuchDepartment' as its issuing department",
        ),
        ({"remove_roles": [RoleGrant(Role.DATA_STEWARD)]}, "remove_roles", "would hold no role"),
        ({}, "add_roles", "nothing to change"),
        ({"new_departments": True}, "add_roles", "nothing to change"),
    ],
)
def test_a_refused_change_names_the_field_it_is_about(
    sessions: sessionmaker[Session], change: dict[str, object], field: str, said: str
) -> None:
    """Regression (qa5): change_user's unknown department, its last role removed and
    nothing to change named no field, where its other refusals name theirs."""
    admin = _admin(sessions)
    with transaction(sessions) as s:
        accounts.add_user(s, actor=admin, username="st", roles=[RoleGrant(Role.DATA_STEWARD)])
    with transaction(sessions) as s, pytest.raises((RoleError, accounts.AccountError)) as info:
        accounts.change_user(s, actor=admin, username="st", **change)  # type: ignore[arg-type]
    assert said in str(info.value)
    assert info.value.field == field

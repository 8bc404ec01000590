"""``/api/v1/users``: the accounts, for admins: list them by name (a keyset: there is a
user per enterprise), add one with its roles, change its roles, email, name or password,
disable or enable it. The same service calls as ``huiqi user`` and the console's users
page (``accounts.service.list_users``, ``add_user``, ``change_user``, ``set_disabled``),
which check the admin role and record the audit event.

A user is shown with its roles as held (``role`` or ``role=scope``) and whether it has a
password, never the password or its hash; a password sent is written once, never
echoed. A user's name is the rest of the path, '/' included (``huiqi user add`` and the
console accept one, and a single sign-on's names may hold one): ``PATCH
/users/财政局/张三`` or ``/users/财政局%2F张三`` changes ``财政局/张三``, and
``POST /users/ops/disable/disable`` disables ``ops/disable``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from huiqi.accounts import service as accounts
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.db.engine import reading, transaction
from huiqi.web.api.fields import NoControl, refusing
from huiqi.web.api.v1 import ERRORS
from huiqi.web.deps import Factory, SignedIn, Who, actor_of, checked_first, role_gate

router = APIRouter(prefix="/api/v1/users", responses=ERRORS, tags=["users"])
LONGEST = 64  # the longest user name (accounts.userfields.check_username)
MAX_GRANTS = 50  # roles one request adds or removes
# Refused (403) before a body is validated when the caller is no admin (not 422 for it).
Admin = Annotated[Who, checked_first(accounts.require_admin)]


Name = Annotated[
    str,
    Path(min_length=1, max_length=LONGEST, description="the user's name"),
    NoControl,
]
Grant = Annotated[
    StrictStr,
    Field(min_length=1, max_length=200, description="role, or role=scope as held"),
]
Grants = Annotated[list[Grant], Field(max_length=MAX_GRANTS)]
Password = Annotated[
    StrictStr | None,
    Field(
        max_length=200,
        description="at least 10 characters, 4 different (none: the user signs in by API"
        " token only); never shown again",
    ),
]
Email = Annotated[StrictStr | None, Field(max_length=254)]
DisplayName = Annotated[StrictStr | None, Field(max_length=200), NoControl]


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str | None
    email: str | None
    roles: list[str]  # as held: "role" or "role=scope"
    disabled: bool
    has_password: bool

    @classmethod
    def of(cls, u: accounts.UserPublic) -> UserPublic:
        return cls(
            id=u.id,
            username=u.username,
            display_name=u.display_name,
            email=u.email,
            roles=list(u.roles),
            disabled=u.disabled,
            has_password=u.has_password,
        )


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[StrictStr, Field(min_length=1, max_length=LONGEST)]
    roles: Annotated[list[Grant], Field(min_length=1, max_length=MAX_GRANTS)]
    email: Email = None
    display_name: DisplayName = None
    password: Password = None
    new_departments: Annotated[
        StrictBool,
        Field(description="accept a department scope that no policy names yet"),
    ] = False


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    add_roles: Grants = []
    remove_roles: Grants = []
    email: Email = None
    display_name: DisplayName = None
    password: Annotated[
        StrictStr | None,
        Field(max_length=200, description="a new password: revokes the user's tokens"),
    ] = None
    new_departments: StrictBool = False


def _grants(texts: list[str], field: str) -> list[RoleGrant]:
    """Grants as typed (``role`` or ``role=scope``); RoleError (400) naming the roles, and
    the body's ``field`` they came in."""
    with refusing(field):
        return [RoleGrant.parse(t) for t in texts]


@router.get("", dependencies=[role_gate("manage users", Role.ADMIN)])
def list_users(
    factory: Factory,
    who: SignedIn,
    starting: Annotated[
        str | None,
        Query(max_length=LONGEST, description="only names that start with this"),
        NoControl,
    ] = None,
    after: Annotated[
        str | None,
        Query(
            max_length=LONGEST,
            description="the last name of the previous page (a keyset, in name order)",
        ),
        NoControl,
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[UserPublic]:
    """The users in name order with their roles (admins); the next page is
    ``after=<the last name of this one>``, with the same ``starting``."""
    with reading(factory) as s:
        rows = accounts.list_users(
            s, actor=actor_of(who), starting=starting or None, after=after or None, limit=limit
        )
    return [UserPublic.of(u) for u in rows]


@router.post("")
def add_user(factory: Factory, who: Admin, body: UserCreate) -> UserPublic:
    """Add a user with its roles (as ``huiqi user add``; an audit event ``user_added``);
    400 for a name taken or not usable, an unknown role or a scope it does not take."""
    # What the service refuses without naming a field of its own is a role's scope.
    with transaction(factory) as s, refusing("roles"):
        added = accounts.add_user(
            s,
            actor=actor_of(who),
            username=body.username,
            roles=_grants(body.roles, "roles"),
            password=body.password or None,
            email=body.email,
            display_name=body.display_name,
            new_departments=body.new_departments,
        )
    return UserPublic.of(added)


@router.patch("/{username:path}")
def change_user(factory: Factory, who: Admin, username: Name, body: UserUpdate) -> UserPublic:
    """Add or remove roles, change the email, name or password (as ``huiqi user change``;
    an audit event ``user_changed``); 404 for no such user, 400 for nothing to change, a
    role not held, or an admin removing its own admin role."""
    with transaction(factory) as s:
        changed = accounts.change_user(
            s,
            actor=actor_of(who),
            username=username,
            add_roles=_grants(body.add_roles, "add_roles"),
            remove_roles=_grants(body.remove_roles, "remove_roles"),
            password=body.password,
            email=body.email,
            display_name=body.display_name,
            new_departments=body.new_departments,
        )
    return UserPublic.of(changed)


def _set_disabled(factory: Factory, who: Who, username: str, disabled: bool) -> UserPublic:
    with transaction(factory) as s:
        user = accounts.set_disabled(s, actor=actor_of(who), username=username, disabled=disabled)
    return UserPublic.of(user)


@router.post("/{username:path}/disable")
def disable(factory: Factory, who: Admin, username: Name) -> UserPublic:
    """Disable a user: its sessions and API tokens are revoked (an audit event
    ``user_disabled``); 400 for an admin disabling itself."""
    return _set_disabled(factory, who, username, True)


@router.post("/{username:path}/enable")
def enable(factory: Factory, who: Admin, username: Name) -> UserPublic:
    """Enable a disabled user again (an audit event ``user_enabled``)."""
    return _set_disabled(factory, who, username, False)

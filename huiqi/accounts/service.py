"""Account operations: the first admin, users and their roles (sign-in and tokens are in
``huiqi.accounts.tokens``).

Every function takes the database session (the caller commits) and, except
sign-in and the first admin, the acting user; each checks access itself and
records what it changed as an audit event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.credentials import hash_password
from huiqi.accounts.models import ApiToken, User, UserRole
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.accounts.scopecheck import check_policy_departments
from huiqi.accounts.userfields import check_email, check_new_name, check_username
from huiqi.db.clock import utcnow
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery.audit import record_event
from huiqi.errors import AccountError, NotFoundError, StateConflict

SCHEDULER = "scheduler"
NOTHING_TO_CHANGE = (
    "nothing to change; give --add-role, --remove-role, --password, --email or --name"
)
# The service account's display name, as huiqi writes it (the users page translates it).
SCHEDULER_NAME = "scheduled work (service account)"


@dataclass(frozen=True)
class UserPublic:
    id: int
    username: str
    display_name: str | None
    email: str | None
    roles: tuple[str, ...]
    disabled: bool
    has_password: bool


def _public(user: User) -> UserPublic:
    return UserPublic(
        user.id,
        user.username,
        user.display_name,
        user.email,
        tuple(sorted(str(RoleGrant(Role(r.role), r.scope)) for r in user.roles)),
        user.disabled,
        user.password_hash is not None,
    )


def actor_of(user: User) -> Actor:
    return Actor(
        user.username,
        tuple(sorted({RoleGrant(Role(r.role), r.scope) for r in user.roles})),
        user.id,
    )


def require_admin(actor: Actor) -> None:
    """AccessDenied for anyone but an admin: the API asks it before it reads a body that
    adds or changes a user (403 for the role, not 422 for the body); the service
    functions below ask it again."""
    require_role(actor, "manage users", Role.ADMIN)


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user '{username}'; 'huiqi user list' shows them")
    return user


def has_admin(session: Session) -> bool:
    return bool(
        session.scalar(
            select(func.count())
            .select_from(UserRole)
            .join(User, User.id == UserRole.user_id)
            .where(UserRole.role == Role.ADMIN, User.disabled.is_(False))
        )
    )


def has_users(session: Session) -> bool:
    """Whether the database has any account (none before 'huiqi admin init')."""
    return session.scalar(select(User.id).limit(1)) is not None


def check_first_admin(session: Session, username: str | None = None) -> str:
    """Refuse a first admin where one exists (or a user name that cannot be one) before
    anyone types a password for it; the name as it will be stored.

    An existing admin is a state the request does not fit (StateConflict, exit 1), not a
    refused access (exit 5): nobody may run it a second time, signed in or not."""
    if has_admin(session):
        raise StateConflict(
            "an admin already exists in this database ('huiqi admin init' creates only the"
            " first); sign in as an admin ('huiqi login NAME') and add another with"
            " 'huiqi user add'"
        )
    return check_username(username) if username is not None else ""


def init_admin(
    session: Session, *, username: str, password: str, email: str | None = None
) -> UserPublic:
    """Create the first admin and the ``scheduler`` service account. Refused once an admin exists."""
    name = check_first_admin(session, username)
    check_new_name(session, name)
    user = User(username=name, email=check_email(email), password_hash=hash_password(password))
    user.roles = [UserRole(role=Role.ADMIN, scope=None)]
    session.add(user)
    if session.scalar(select(User.id).where(User.username == SCHEDULER)) is None:
        service = User(username=SCHEDULER, display_name=SCHEDULER_NAME)
        service.roles = [UserRole(role=Role.SCHEDULER, scope=None)]
        session.add(service)
    session.flush()
    record_event(
        session,
        actor=name,
        kind="admin_init",
        entity=f"user:{user.id}",
        reason=reasons.ADMIN_CREATED(name=name, service=SCHEDULER),
    )
    return _public(user)


def check_new_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    roles: Sequence[RoleGrant],
    email: str | None = None,
    new_departments: bool = False,
) -> tuple[str, str | None]:
    """Refuse what :func:`add_user` would refuse, before anyone types a password for the
    new user; the name and the email address as they will be stored."""
    name, email, _ = _checked_new_user(session, actor, username, roles, email, new_departments)
    return name, email


def _checked_new_user(
    session: Session,
    actor: Actor,
    username: str,
    roles: Sequence[RoleGrant],
    email: str | None,
    new_departments: bool,
) -> tuple[str, str | None, list[str]]:
    """:func:`check_new_user`'s checks; also the new departments accepted."""
    require_role(actor, "add users", Role.ADMIN)
    name = check_username(username)
    if not roles:
        raise AccountError(
            "a user needs at least one role (--role ROLE or --role ROLE=SCOPE)", field="roles"
        )
    check_new_name(session, name)
    email = check_email(email)
    return name, email, check_policy_departments(session, roles, new_departments=new_departments)


def add_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    roles: Sequence[RoleGrant],
    password: str | None = None,
    email: str | None = None,
    display_name: str | None = None,
    new_departments: bool = False,
) -> UserPublic:
    """An admin adds a user with its roles (a user without a password signs in by API token
    only). A policy role scoped to a department no policy names is refused unless
    ``new_departments`` (:func:`huiqi.accounts.scopecheck.check_policy_departments`)."""
    name, email, new = _checked_new_user(session, actor, username, roles, email, new_departments)
    user = User(
        username=name,
        email=email,
        display_name=display_name,
        password_hash=hash_password(password) if password else None,
    )
    user.roles = [UserRole(role=g.role, scope=g.scope) for g in sorted(set(roles))]
    session.add(user)
    session.flush()
    record_event(
        session,
        actor=actor,
        kind="user_added",
        entity=f"user:{user.id}",
        reason=reasons.USER_ADDED(name=name, roles=", ".join(map(str, sorted(set(roles))))),
        data={"roles": [str(g) for g in sorted(set(roles))], "email": email}
        | ({"new_departments": new} if new else {}),
    )
    return _public(user)


def change_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    add_roles: Iterable[RoleGrant] = (),
    remove_roles: Iterable[RoleGrant] = (),
    password: str | None = None,
    email: str | None = None,
    display_name: str | None = None,
    new_departments: bool = False,
) -> UserPublic:
    """An admin changes a user's roles, password, email or name (each change is an event).
    A new password revokes the user's sessions and API tokens. A policy role scoped to a
    department no policy names is refused unless ``new_departments``, as in :func:`add_user`."""
    require_role(actor, "change users", Role.ADMIN)
    user = find_user(session, username)
    changes: list[str] = []
    held = {RoleGrant(Role(r.role), r.scope): r for r in user.roles}
    add_roles = list(add_roles)
    new = check_policy_departments(
        session,
        [g for g in add_roles if g not in held],
        new_departments=new_departments,
        field="add_roles",
    )
    for g in remove_roles:
        if g not in held:
            raise AccountError(f"'{username}' does not hold {g}", field="remove_roles")
        if g.role is Role.ADMIN and user.username == actor.username:
            raise AccountError("an admin cannot remove its own admin role", field="remove_roles")
        user.roles.remove(held.pop(g))
        changes.append(f"-{g}")
    for g in add_roles:
        if user.username == SCHEDULER and g.role is not Role.SCHEDULER:
            # Its token lies in a file for cron (scheduler.token): a role beyond the
            # scheduled work would hand that file everything the role opens.
            raise AccountError(
                f"the '{SCHEDULER}' service account runs scheduled work only; give {g} to a"
                " person's account ('huiqi user add NAME --role ...')",
                field="add_roles",
            )
        if g not in held:
            user.roles.append(UserRole(role=g.role, scope=g.scope))
            held[g] = user.roles[-1]
            changes.append(f"+{g}")
    if not held:
        raise AccountError(
            f"'{username}' would hold no role; disable the user instead", field="remove_roles"
        )
    if password is not None:
        user.password_hash = hash_password(password)
        changes.append("password")
        # A reset after a suspected compromise must end what the old password opened:
        # every session and API token of the user (it signs in again with the new one).
        if _revoke_tokens(session, user.id):
            changes.append("tokens revoked")
    if email is not None:
        user.email = check_email(email)
        changes.append("email")
    if display_name is not None:
        user.display_name = display_name or None
        changes.append("name")
    if not changes:
        already = [str(g) for g in add_roles if g in held]
        if already:  # a command run twice, or a role the user had: say so, not "give one"
            raise AccountError(
                f"'{username}' already holds {', '.join(already)}; nothing changed",
                field="add_roles",
            )
        # About the change as a whole; named by its first field, a role to add, as the
        # console's form says it ("choose a role to add or one to remove").
        raise AccountError(NOTHING_TO_CHANGE, field="add_roles")
    session.flush()
    record_event(
        session,
        actor=actor,
        kind="user_changed",
        entity=f"user:{user.id}",
        reason=reasons.USER_CHANGED(name=user.username, changes=", ".join(changes)),
        data={"changes": changes} | ({"new_departments": new} if new else {}),
    )
    return _public(user)


def _revoke_tokens(session: Session, user_id: int) -> int:
    """Revoke every live session and API token of a user; how many."""
    done = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(getattr(done, "rowcount", 0) or 0)


def set_disabled(
    session: Session, *, actor: Actor, username: str, disabled: bool = True
) -> UserPublic:
    """An admin disables a user (its tokens are revoked) or enables it again."""
    require_role(actor, "disable or enable users", Role.ADMIN)
    user = find_user(session, username)
    if disabled and user.username == actor.username:
        raise AccountError("an admin cannot disable itself")
    if user.disabled == disabled:  # a second call changes nothing and records nothing
        return _public(user)
    user.disabled = disabled
    if disabled:
        _revoke_tokens(session, user.id)
    record_event(
        session,
        actor=actor,
        kind="user_disabled" if disabled else "user_enabled",
        entity=f"user:{user.id}",
        reason=(reasons.USER_DISABLED if disabled else reasons.USER_ENABLED)(name=user.username),
    )
    return _public(user)


def list_users(
    session: Session,
    *,
    actor: Actor,
    starting: str | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> list[UserPublic]:
    """The users by name; those whose name starts with ``starting``, after the name
    ``after`` (the next page: a keyset, as there is a user per enterprise), at most
    ``limit`` of them."""
    require_role(actor, "list users", Role.ADMIN)
    query = select(User).order_by(User.username)
    if starting:
        query = query.where(User.username.startswith(starting, autoescape=True))
    if after is not None:
        query = query.where(User.username > after)
    if limit is not None:
        query = query.limit(max(1, limit))
    return [_public(u) for u in session.scalars(query)]


def enterprise_emails(session: Session, usccs: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Email addresses of the enterprise users of these enterprises (for notifications)."""
    wanted = set(usccs)
    if not wanted:
        return {}
    found: dict[str, list[str]] = {}
    for uscc, address in session.execute(
        select(UserRole.scope, User.email)
        .join(User, User.id == UserRole.user_id)
        .where(
            UserRole.role == Role.ENTERPRISE,
            UserRole.scope.in_(wanted),
            User.email.is_not(None),
            User.disabled.is_(False),
        )
        .order_by(User.id)
    ):
        address = (address or "").strip()
        if uscc and address and address not in found.setdefault(uscc, []):
            found[uscc].append(address)
    return {uscc: tuple(a) for uscc, a in found.items()}

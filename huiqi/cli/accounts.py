"""Account commands: admin init, login, logout, user … (token …: ``tokens.py``; whoami:
``whoami.py``)"""

from __future__ import annotations

import os

import click
from rich.table import Table

from huiqi.accounts import service as accounts
from huiqi.accounts import tokens
from huiqi.accounts.access import AccessDenied
from huiqi.accounts.roles import RoleGrant
from huiqi.accounts.scopecheck import scope_warnings
from huiqi.accounts.throttle import ThrottlePolicy, check_sign_in_allowed
from huiqi.cli.common import (
    JSON_OPTION,
    WholeNumber,
    console,
    database,
    emit_json,
    handle_errors,
    signed_in,
)
from huiqi.cli.signin import forget_token, prompt_password, store_token, stored_token
from huiqi.db.engine import transaction

ROLE_HELP = (
    "ROLE or ROLE=SCOPE, repeatable: enterprise=<USCC>, park_operator=<park>,"
    " policy_author|policy_publisher|policy_reviewer=district:<code>|department:<name>|*,"
    " desk_officer|desk_head=department:<name>|*,"
    " finance_officer, data_steward, complaint_officer, scheduler, admin"
)
NEW_DEPARTMENT_OPTION = click.option(
    "--new-department",
    "new_departments",
    is_flag=True,
    help=(
        "Accept a policy role's department:<name> that no policy names yet (a department"
        " about to issue its first policy); without it such a scope is refused as mistyped."
    ),
)


@click.group()
def admin() -> None:
    """Set up administration."""


@admin.command("init")
@click.option("--username", envvar="HUIQI_ADMIN_USERNAME", help="env HUIQI_ADMIN_USERNAME")
@click.option("--email", envvar="HUIQI_ADMIN_EMAIL", help="env HUIQI_ADMIN_EMAIL")
@click.pass_context
@handle_errors
def admin_init(ctx: click.Context, username: str | None, email: str | None) -> None:
    """Create the first admin (and the 'scheduler' service account); refused once one exists.

    Interactive by default. For automation, set HUIQI_ADMIN_USERNAME and
    HUIQI_ADMIN_PASSWORD (or HUIQI_ADMIN_PASSWORD_FILE, a file holding it).
    """
    factory, _url = database(ctx)
    # Refused before any prompt: an existing admin, or a name that cannot be one.
    with transaction(factory) as s:
        accounts.check_first_admin(s, username)
    name = username or click.prompt("admin user name")
    with transaction(factory) as s:
        accounts.check_first_admin(s, name)
    password = _password_from_env("HUIQI_ADMIN_PASSWORD") or prompt_password(confirm=True)
    with transaction(factory) as s:
        user = accounts.init_admin(s, username=name, password=password, email=email)
    console.print(
        f"admin '{user.username}' created; sign in with 'huiqi login {user.username}'."
        f" Scheduled jobs run as '{accounts.SCHEDULER}': give them a token with"
        f" 'huiqi token create cron --user {accounts.SCHEDULER}'."
    )


def _password_from_env(variable: str) -> str | None:
    """A password from ``variable``, or from the file named by ``variable``_FILE: a file
    that cannot be read said only "/path: No such file or directory", naming no setting."""
    from huiqi.config import read_secret

    return read_secret(os.environ, variable)


# The address under which the command line's refused sign-ins are counted.
CLI_ADDRESS = "local"


@click.command()
@click.argument("username")
@click.option(
    "--days",
    default=tokens.LOGIN_DAYS,
    show_default=True,
    type=WholeNumber(1, tokens.MAX_TOKEN_DAYS),
    help="Token lifetime in days.",
)
@click.pass_context
@handle_errors
def login(ctx: click.Context, username: str, days: int) -> None:
    """Sign in: the token is stored for this database in your config directory (mode 0600).

    The password is asked for, or read from HUIQI_PASSWORD / HUIQI_PASSWORD_FILE.
    """
    factory, url = database(ctx)
    # The portal's throttle, with this server's command line as one more address: checked
    # before the password is asked for.
    with transaction(factory) as s:
        if not accounts.has_users(s):
            # A mistyped --data-dir makes a new, empty database: 'wrong user name or
            # password' sent the user to an admin that does not exist.
            raise AccessDenied(
                f"the database {url} has no accounts yet, so nobody can sign in to it: a new"
                " deployment starts with 'huiqi admin init'; if you meant another data"
                " directory or database, name it with --data-dir (HUIQI_DATA_DIR) or"
                " --database-url (HUIQI_DATABASE_URL)"
            )
        check_sign_in_allowed(
            s, username=username, address=CLI_ADDRESS, policy=ThrottlePolicy.from_env(os.environ)
        )
    password = _password_from_env("HUIQI_PASSWORD") or prompt_password()
    refused: AccessDenied | None = None
    replaced = stored_token(url)
    with transaction(factory) as s:
        try:
            actor, token = tokens.sign_in(
                s,
                username=username,
                password=password,
                client="cli",
                days=days,
                address=CLI_ADDRESS,
            )
        except AccessDenied as err:
            refused = err  # commit the 'login_failed' event, then refuse
        else:
            if replaced:
                # The token this one replaces in the config file: revoked, not left active
                # with nobody holding it any more (signing in as another user, or again).
                tokens.sign_out(s, secret=replaced)
    if refused is not None:
        raise AccessDenied(f"{refused.message}; {_refusal_hint(username)}") from None
    path = store_token(url, actor.username, token)
    console.print(f"signed in as {actor.describe()}; token stored in {path}")


def _refusal_hint(username: str) -> str:
    """What to do after a refused sign-in, from the name typed alone: whether the account
    exists, has a password or is disabled is not said, so that no one learns user names by
    trying them (the web sign-in gives the same refusal)."""
    if username.strip() == accounts.SCHEDULER:
        return (
            f"'{accounts.SCHEDULER}' is the service account of scheduled jobs, which has no"
            " password unless an admin set one: give the jobs an API token instead (an admin"
            f" runs 'huiqi token create NAME --user {accounts.SCHEDULER}') and set it as"
            " HUIQI_TOKEN"
        )
    return (
        "check the user name and the password; without an account, or with a disabled one,"
        " ask an admin: 'huiqi user list' shows the accounts, 'huiqi user add NAME --role"
        " ROLE' adds one, 'huiqi user enable NAME' enables one again and 'huiqi user change"
        " NAME --password' sets a new password"
    )


@click.command()
@click.pass_context
@handle_errors
def logout(ctx: click.Context) -> None:
    """Sign out: revoke and forget this database's stored token."""
    factory, url = database(ctx)
    token = forget_token(url)
    if token:
        with transaction(factory) as s:
            tokens.sign_out(s, secret=token)
    console.print("signed out" if token else "nobody was signed in here")


@click.group()
def user() -> None:
    """Users and their roles (admins only; every change is an audit event)."""


@user.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help=ROLE_HELP)
@click.option("--email", help="Where email notifications go.")
@click.option("--name", "display_name", help="Display name.")
@click.option(
    "--password/--no-password",
    "with_password",
    default=True,
    show_default=True,
    help="Ask for a password (or read HUIQI_NEW_PASSWORD); --no-password: API tokens only.",
)
@NEW_DEPARTMENT_OPTION
@JSON_OPTION
@click.pass_context
@handle_errors
def user_add(
    ctx: click.Context,
    username: str,
    roles: tuple[str, ...],
    email: str | None,
    display_name: str | None,
    with_password: bool,
    new_departments: bool,
    as_json: bool,
) -> None:
    """Add a user with one or more scoped roles."""
    grants = [RoleGrant.parse(r) for r in roles]
    factory, actor = signed_in(ctx)
    if with_password:
        # A name taken or mistyped, a bad address or an unknown department was refused only
        # after the password had been typed twice.
        with transaction(factory) as s:
            accounts.check_new_user(
                s,
                actor=actor,
                username=username,
                roles=grants,
                email=email,
                new_departments=new_departments,
            )
    password = (
        (_password_from_env("HUIQI_NEW_PASSWORD") or prompt_password(confirm=True))
        if with_password
        else None
    )
    with transaction(factory) as s:
        added = accounts.add_user(
            s,
            actor=actor,
            username=username,
            roles=grants,
            password=password,
            email=email,
            display_name=display_name,
            new_departments=new_departments,
        )
        warnings = scope_warnings(s, grants)
    if as_json:
        emit_json(added)
        return
    console.print(f"user {added.username} added: {', '.join(added.roles)}")
    for line in warnings:
        console.print(f"warning: {line}", markup=False)


@user.command("change")
@click.argument("username")
@click.option("--add-role", "add", multiple=True, help=ROLE_HELP)
@click.option("--remove-role", "remove", multiple=True, help="A role (with scope) to take away.")
@click.option("--email")
@click.option("--name", "display_name")
@click.option(
    "--password",
    "new_password",
    is_flag=True,
    help="Set a new password (asked for); the user's sessions and API tokens are revoked.",
)
@NEW_DEPARTMENT_OPTION
@click.pass_context
@handle_errors
def user_change(
    ctx: click.Context,
    username: str,
    add: tuple[str, ...],
    remove: tuple[str, ...],
    email: str | None,
    display_name: str | None,
    new_password: bool,
    new_departments: bool,
) -> None:
    """Change a user's roles, email, name or password."""
    if not (add or remove or new_password or email is not None or display_name is not None):
        raise click.UsageError(accounts.NOTHING_TO_CHANGE, ctx)
    factory, actor = signed_in(ctx)
    password = (
        (_password_from_env("HUIQI_NEW_PASSWORD") or prompt_password(confirm=True))
        if new_password
        else None
    )
    with transaction(factory) as s:
        changed = accounts.change_user(
            s,
            actor=actor,
            username=username,
            add_roles=[RoleGrant.parse(r) for r in add],
            remove_roles=[RoleGrant.parse(r) for r in remove],
            password=password,
            email=email,
            display_name=display_name,
            new_departments=new_departments,
        )
        warnings = scope_warnings(s, [RoleGrant.parse(r) for r in add])
    console.print(f"user {changed.username}: {', '.join(changed.roles)}")
    if password is not None:
        console.print(
            "new password set; the user's sessions and API tokens are revoked (it signs in"
            " again, and scripts that used its tokens need new ones)"
        )
    for line in warnings:
        console.print(f"warning: {line}", markup=False)


@user.command("disable")
@click.argument("username")
@click.pass_context
@handle_errors
def user_disable(ctx: click.Context, username: str) -> None:
    """Disable a user and revoke its tokens."""
    factory, actor = signed_in(ctx)
    with transaction(factory) as s:
        accounts.require_admin(actor)
        before = accounts.find_user(s, username).disabled
        accounts.set_disabled(s, actor=actor, username=username, disabled=True)
    if before:  # a second call changes nothing, and says so
        console.print(f"user {username} was already disabled; nothing changed")
        return
    console.print(f"user {username} disabled")


@user.command("enable")
@click.argument("username")
@click.pass_context
@handle_errors
def user_enable(ctx: click.Context, username: str) -> None:
    """Enable a disabled user again (it signs in anew)."""
    factory, actor = signed_in(ctx)
    with transaction(factory) as s:
        accounts.require_admin(actor)
        before = accounts.find_user(s, username).disabled
        accounts.set_disabled(s, actor=actor, username=username, disabled=False)
    if not before:  # a second call changes nothing, and says so
        console.print(f"user {username} was already enabled; nothing changed")
        return
    console.print(f"user {username} enabled")


@user.command("list")
@JSON_OPTION
@click.pass_context
@handle_errors
def user_list(ctx: click.Context, as_json: bool) -> None:
    """Every user, its roles, and whether it can sign in with a password."""
    factory, actor = signed_in(ctx)
    with transaction(factory) as s:
        users = accounts.list_users(s, actor=actor)
    if as_json:
        emit_json(users)
        return
    table = Table("user", "roles", "email", "password", "disabled")
    for u in users:
        table.add_row(
            u.username,
            "\n".join(u.roles),
            u.email or "",
            "yes" if u.has_password else "no",
            "yes" if u.disabled else "",
        )
    console.print(table)

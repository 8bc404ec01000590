"""The account services' refusals as the users page words them, in its language.

:mod:`huiqi.accounts.service` and :mod:`huiqi.accounts.roles` word their refusals for the
command line ("change it with 'huiqi user change'", "--role ROLE=SCOPE"). The users page
(:mod:`huiqi.web.views.users_page`) shows each through :func:`account_message`: the first
service text below that matches, as the page's own template (no command, no option), in
the page's language with the values put back; any other text as
:func:`huiqi.web.refusals.localise` reads it.
"""

from __future__ import annotations

import gettext
import re

from huiqi.web.i18n import N_
from huiqi.web.patterns import refusal
from huiqi.web.refusal_values import ROLE_NAMES
from huiqi.web.refusals import localise

# A value the services write with repr(): quoted in single quotes, or in double quotes
# when it holds a single one.
_REPR = r"'.*'|\".*\""
_GRANT = r"[a-z_]+(?:=.+)?"

# (the service's text with its values as %(name)s, the page's template of the same
# values); the first whose service text matches wins.
_TEXTS: list[tuple[str, str, dict[str, str]]] = [
    (
        "%(name)s is not a user name: 1–64 characters, no spaces or control characters",
        N_("%(name)s is not a user name: 1–64 characters, no spaces or control characters"),
        {"name": _REPR},
    ),
    (
        "%(name)s holds full-width or compatibility characters that read as %(plain)s;"
        " write the name as %(again)s",
        N_(
            "%(name)s holds full-width or compatibility characters that read as %(plain)s;"
            " write the name as %(plain)s"
        ),
        {"name": _REPR, "plain": _REPR, "again": _REPR},
    ),
    (
        "a user needs at least one role (--role ROLE or --role ROLE=SCOPE)",
        N_("a user needs at least one role: choose one"),
        {},
    ),
    (
        "user '%(name)s' exists; change it with 'huiqi user change'",
        N_("user '%(name)s' exists; change its roles in the list of users"),
        {},
    ),
    (
        "'%(name)s' differs from the user '%(like)s' only in letter case; choose a name that"
        " cannot be mistaken for it",
        N_(
            "'%(name)s' differs from the user '%(like)s' only in letter case; choose a name"
            " that cannot be mistaken for it"
        ),
        {"like": r".*"},
    ),
    (
        "%(value)s is not an email address; write it as name@example.gov.cn",
        N_("%(value)s is not an email address; write it as name@example.gov.cn"),
        {"value": _REPR},
    ),
    (
        "no user '%(name)s'; 'huiqi user list' shows them",
        N_("no user '%(name)s'; the list of users shows them"),
        {},
    ),
    ("'%(name)s' does not hold %(grant)s", N_("'%(name)s' does not hold %(grant)s"), {}),
    (
        "an admin cannot remove its own admin role",
        N_("an admin cannot remove its own admin role"),
        {},
    ),
    ("an admin cannot disable itself", N_("an admin cannot disable itself"), {}),
    (
        "the 'scheduler' service account runs scheduled work only; give %(grant)s to a"
        " person's account ('huiqi user add NAME --role ...')",
        N_(
            "the 'scheduler' service account runs scheduled work only; give %(grant)s to a"
            " person's account"
        ),
        {},
    ),
    (
        "'%(name)s' would hold no role; disable the user instead",
        N_("'%(name)s' would hold no role; disable the user instead"),
        {},
    ),
    (
        "'%(name)s' already holds %(grant)s; nothing changed",
        N_("'%(name)s' already holds %(grant)s; nothing changed"),
        {},
    ),
    (
        "nothing to change; give --add-role, --remove-role, --password, --email or --name",
        N_("nothing to change: choose a role to add or one to remove"),
        {},
    ),
    # huiqi.accounts.credentials: a new password.
    (
        "a password needs at least %(n)s characters",
        N_("a password needs at least %(n)s characters"),
        {},
    ),
    (
        "a password needs at least 4 different characters",
        N_("a password needs at least 4 different characters"),
        {},
    ),
    # huiqi.accounts.roles: a role or scope typed in the form.
    (
        "unknown role '%(code)s'; roles: %(known)s",
        N_("unknown role '%(code)s'; choose one of the list"),
        {"code": r".*"},
    ),
    (
        "the %(role)s role has no scope; drop '%(scope)s'",
        N_("the %(role)s role has no scope; leave the scope empty"),
        {},
    ),
    (
        "the %(role)s role needs a scope: %(need)s",
        N_("the %(role)s role needs a scope: %(need)s"),
        {},
    ),
    (
        "'%(scope)s' is not a valid unified social credit code (USCC)",
        N_("'%(scope)s' is not a valid unified social credit code (USCC)"),
        {},
    ),
    (
        "a policy scope is district:<6-digit code>, department:<name> or *; got"
        " '%(scope)s'; did you mean %(hint)s?",
        N_(
            "a policy scope is district:<6-digit code>, department:<name> or *; got"
            " '%(scope)s'; did you mean %(hint)s?"
        ),
        {"scope": r"[^']*"},
    ),
    (
        "a policy scope is district:<6-digit code>, department:<name> or *; got '%(scope)s'",
        N_("a policy scope is district:<6-digit code>, department:<name> or *; got '%(scope)s'"),
        {},
    ),
    (
        "'%(code)s' is not a district code; the districts are %(known)s",
        N_("'%(code)s' is not a district code; the districts are %(known)s"),
        {"code": r"\d{6}"},
    ),
    (
        "a desk scope is department:<name> or *; got '%(scope)s'",
        N_("a desk scope is department:<name> or *; got '%(scope)s'"),
        {},
    ),
    (
        "department:<name> needs the department's name",
        N_("department:<name> needs the department's name"),
        {},
    ),
    # huiqi.accounts.scopecheck: a department no policy names (the form's checkbox is the
    # command line's --new-department).
    (
        "%(grant)s: no policy names '%(name)s' as its issuing department (in the library, or"
        " published or drafted here), so the user would see no policy; %(hint)s A department"
        " scope names the issuing department exactly as the policy file writes it in Chinese"
        " (department.zh); for a department that has issued no policy yet, add"
        " --new-department.",
        N_(
            "%(grant)s: no policy names '%(name)s' as its issuing department, so the user"
            " would see no policy; %(hint)s Write the department exactly as its policies"
            " name it in Chinese, or tick 'a department with no policy yet'."
        ),
        {"grant": r"\S+", "name": r"[^']*", "hint": r".*?"},
    ),
]

# What a role's scope is, as huiqi.accounts.roles.check_scope names it.
N_("the enterprise's USCC")
N_("the park's name (as in the profiles' park field)")
N_("department:<name> or *")
N_("district:<code>, department:<name> or *")

# The hint of a department no policy names (huiqi.accounts.scopecheck).
_HINTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"did you mean (?P<close>.+)\?"), N_("did you mean %(close)s?")),
    (re.compile(r"departments: (?P<known>.*)\."), N_("departments: %(known)s.")),
]

# The shapes of the values above that no other refusal names.
_SHAPES = {"scope": r".*", "role": r"[a-z_]+", "need": r".+", "hint": r".+", "grant": _GRANT}

ACCOUNT_TEXTS: list[tuple[re.Pattern[str], str]] = [
    (refusal(service, **(_SHAPES | shapes))[0], page) for service, page, shapes in _TEXTS
]


def account_message(catalogue: gettext.NullTranslations, text: str) -> str:
    """An account service's refusal as the users page words it, in ``catalogue``'s
    language (any other text as :func:`huiqi.web.refusals.localise` reads it)."""
    for pattern, template in ACCOUNT_TEXTS:
        match = pattern.fullmatch(text)
        if match:
            values = {k: _value(catalogue, k, v) for k, v in match.groupdict().items()}
            return catalogue.gettext(template) % values
    return localise(catalogue, text)


def _value(catalogue: gettext.NullTranslations, name: str, value: str) -> str:
    """A value of a refusal in the page's language: a role by its name, a scope's
    description and a hint from the catalogue; anything else (a user's name, a scope
    typed) as written."""
    if name == "role":
        return catalogue.gettext(ROLE_NAMES.get(value, value))
    if name == "need" and value:
        return catalogue.gettext(value)
    if name == "hint":
        for pattern, template in _HINTS:
            match = pattern.fullmatch(value)
            if match:
                return catalogue.gettext(template) % match.groupdict()
    return value

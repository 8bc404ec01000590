"""Roles and their scopes: who a user acts as, and for which enterprises or policies.

Each role is granted with a scope of one kind:

=================  ==============  ==================================================
role               scope           acts for
=================  ==============  ==================================================
enterprise         a USCC          that one enterprise
park_operator      a park name     the enterprises registered in that park
policy_author      a policy scope  drafts, lints, tests and simulates policies
policy_publisher   a policy scope  publishes and re-delivers policy versions
policy_reviewer    a policy scope  decides applications (申报) and review flags
desk_officer       a desk scope    answers enterprises' requests (诉求) routed to a department
desk_head          a desk scope    a department's head: sees its requests, gets the overdue ones
finance_officer    none            disbursement batches and payment results
data_steward       none            registry imports and snapshots
complaint_officer  none            complaints: imports, detection runs, reviews flagged
                                   complainants (sees masked identities, never clear ones)
scheduler          none            scheduled work: deliver, expire, notify, allocate
admin              none            users, roles, tokens and the audit log
=================  ==============  ==================================================

A *policy scope* is ``district:<6-digit code>`` (that district's policies),
``department:<issuing department, as written in the policy>`` or ``*`` (every
policy, for a city-wide office). A *desk scope* is ``department:<department>`` (the
requests routed to it) or ``*`` (every department's, for the city's service centre).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from huiqi.errors import HuiqiError
from huiqi.profiles.uscc import is_valid


class Role(StrEnum):
    ENTERPRISE = "enterprise"
    PARK_OPERATOR = "park_operator"
    POLICY_AUTHOR = "policy_author"
    POLICY_PUBLISHER = "policy_publisher"
    POLICY_REVIEWER = "policy_reviewer"
    DESK_OFFICER = "desk_officer"
    DESK_HEAD = "desk_head"
    FINANCE_OFFICER = "finance_officer"
    DATA_STEWARD = "data_steward"
    COMPLAINT_OFFICER = "complaint_officer"
    SCHEDULER = "scheduler"
    ADMIN = "admin"


POLICY_ROLES = frozenset({Role.POLICY_AUTHOR, Role.POLICY_PUBLISHER, Role.POLICY_REVIEWER})
DESK_ROLES = frozenset({Role.DESK_OFFICER, Role.DESK_HEAD})
UNSCOPED_ROLES = frozenset(
    {Role.FINANCE_OFFICER, Role.DATA_STEWARD, Role.COMPLAINT_OFFICER, Role.SCHEDULER, Role.ADMIN}
)
_DISTRICT = re.compile(r"^district:(\d{6})$")


class RoleError(HuiqiError):
    """A role or scope given for a user is not one huiqi knows: wrong usage (exit 2), as
    any other mistyped option."""

    exit_code = 2


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip())
    except ValueError:
        raise RoleError(
            f"unknown role '{text}'; roles: {', '.join(r.value for r in Role)}"
        ) from None


def check_scope(role: Role, scope: str | None) -> str | None:
    """The scope, normalised, or a RoleError saying what this role needs."""
    scope = scope.strip() if scope else None
    if role in UNSCOPED_ROLES:
        if scope:
            raise RoleError(f"the {role} role has no scope; drop '{scope}'")
        return None
    if not scope:
        need = {
            Role.ENTERPRISE: "the enterprise's USCC",
            Role.PARK_OPERATOR: "the park's name (as in the profiles' park field)",
        }.get(
            role,
            "department:<name> or *"
            if role in DESK_ROLES
            else "district:<code>, department:<name> or *",
        )
        raise RoleError(f"the {role} role needs a scope: {need}")
    if role is Role.ENTERPRISE:
        code = scope.upper()
        if not is_valid(code):
            raise RoleError(f"'{scope}' is not a valid unified social credit code (USCC)")
        return code
    if role in POLICY_ROLES and not (
        scope == "*" or _DISTRICT.match(scope) or scope.startswith("department:")
    ):
        raise RoleError(
            f"a policy scope is district:<6-digit code>, department:<name> or *; got '{scope}'"
            + _district_named(scope)
        )
    if role in POLICY_ROLES and _DISTRICT.match(scope):
        # A mistyped district would hold a role that covers no policy at all.
        from huiqi.profiles.dictionary import load_dictionary

        districts = load_dictionary().codelist("districts")
        code = scope.removeprefix("district:")
        if code not in districts.codes:
            known = ", ".join(f"{c} ({districts.label(c)})" for c in districts.codes)
            raise RoleError(f"'{code}' is not a district code; the districts are {known}")
    if role in DESK_ROLES and not (scope == "*" or scope.startswith("department:")):
        raise RoleError(f"a desk scope is department:<name> or *; got '{scope}'")
    if scope.startswith("department:") and not scope.removeprefix("department:").strip():
        raise RoleError("department:<name> needs the department's name")
    return scope


def _district_named(scope: str) -> str:
    """'; did you mean district:310115 (浦东新区)?' for a district written by its name
    (district:浦东新区, 浦东新区, 上海市浦东新区); else nothing."""
    from huiqi.profiles.dictionary import load_dictionary

    districts = load_dictionary().codelist("districts")
    name = scope.removeprefix("district:").strip()
    for prefix in districts.extra.get("city_prefixes") or []:
        name = name.removeprefix(str(prefix))
    for code, entry in districts.codes.items():
        zh = str(entry.get("zh", ""))
        if name and name in (zh, zh.removesuffix("区"), zh.removesuffix("新区")):
            return f"; did you mean district:{code} ({zh})?"
    return ""


@dataclass(frozen=True, order=True)
class RoleGrant:
    """One role held with one scope (None for unscoped roles)."""

    role: Role
    scope: str | None = None

    def __str__(self) -> str:
        return f"{self.role}={self.scope}" if self.scope else str(self.role)

    @classmethod
    def parse(cls, text: str) -> RoleGrant:
        """``role`` or ``role=scope`` (as typed on the command line)."""
        role_text, _, scope = text.partition("=")
        role = parse_role(role_text)
        return cls(role, check_scope(role, scope or None))


def policy_in_scope(scope: str | None, *, level: str, region: str, department: str | None) -> bool:
    """Whether a policy scope covers a policy of this level, region and department."""
    if scope == "*":
        return True
    if scope is None:
        return False
    district = _DISTRICT.match(scope)
    if district:
        return level == "district" and region == district.group(1)
    if scope.startswith("department:"):
        return department is not None and department == scope.removeprefix("department:")
    return False

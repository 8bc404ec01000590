"""Whether a role's scope names something that exists.

A desk officer scoped to ``department:市财政厅`` (for 市财政局) or a park operator of a park
no enterprise is registered in sees nothing, and nobody is told why; ``huiqi user add`` and
``change`` print what :func:`scope_warnings` finds (the role is still granted: a desk's
department is routed to, and a park's enterprises imported, after its staff is added).

A policy officer scoped to a department no policy names (``department:市财政厅``, or
``department:NoSuchDepartment``) would see no policy either. The departments policies name
are known (the library's, and every version and draft in the ledger), so such a scope is
refused (:func:`check_policy_departments`), naming the close ones, unless the admin says it
is a new department: one about to issue its first policy, whose author must hold the scope
before any policy of it exists.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.accounts.roles import DESK_ROLES, POLICY_ROLES, Role, RoleError, RoleGrant

_SHOWN = 12  # names listed in a warning


def _listed(names: Iterable[str]) -> str:
    found = sorted(n for n in set(names) if n)
    more = f", … ({len(found)} in all)" if len(found) > _SHOWN else ""
    return ", ".join(found[:_SHOWN]) + more if found else "none yet"


def scope_warnings(session: Session, grants: Iterable[RoleGrant]) -> list[str]:
    """What each scope names that the ledger does not know, one line each."""
    from huiqi.delivery.tables import enterprise_directory as directory
    from huiqi.desk.routing import departments

    said: list[str] = []
    for g in grants:
        scope = g.scope or ""
        if g.role in DESK_ROLES and scope.startswith("department:"):
            name = scope.removeprefix("department:")
            known = departments(session)
            if name not in known:
                said.append(
                    f"{g}: the desk has no department '{name}' (departments: {_listed(known)});"
                    " the user sees no request until one is routed there"
                )
        elif g.role == Role.PARK_OPERATOR and scope:
            hit = session.scalar(select(directory.c.uscc).where(directory.c.park == scope).limit(1))
            if hit is None:
                parks = session.scalars(select(directory.c.park).distinct().limit(200))
                said.append(
                    f"{g}: no enterprise the ledger knows is registered in park '{scope}'"
                    f" (parks: {_listed(p for p in parks if p)}); the user sees no enterprise"
                    " until one is"
                )
    return said


def policy_departments(session: Session) -> tuple[set[str], dict[str, str]]:
    """The issuing departments policies name, as a department scope must write them (the
    policy's ``department.zh``): of the shipped library and of every version (published or
    retired) and draft in the ledger; and the library's English names (case-folded), each
    to its Chinese one."""
    from huiqi.delivery.models import PolicyDraft, PolicyVersion
    from huiqi.policies.loader import load_library

    names: set[str] = set()
    english: dict[str, str] = {}
    for loaded in load_library().policies:  # a library file that fails to load names none
        department = loaded.policy.department
        names.add(department.zh)
        english[department.en.casefold()] = department.zh
    for column in (PolicyVersion.department, PolicyDraft.department):
        names.update(n for n in session.scalars(select(column).distinct()) if n)
    return names, english


def _close(name: str, known: set[str], english: dict[str, str]) -> list[str]:
    """The known departments ``name`` was probably meant as, the likeliest first."""
    found = [english[name.casefold()]] if name.casefold() in english else []
    found += difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.5)
    found += sorted(k for k in known if name in k or k in name)  # 经信委 in 市经信委员会
    return list(dict.fromkeys(found))[:3]


def check_policy_departments(
    session: Session,
    grants: Iterable[RoleGrant],
    *,
    new_departments: bool = False,
    field: str = "roles",
) -> list[str]:
    """Refuse (RoleError, exit 2) a policy role scoped to a department no policy names,
    saying which it was probably meant as; with ``new_departments`` accept it: the names
    so accepted, for the audit event. ``field``: the request's field the roles came in
    (``roles`` of a new user, ``add_roles`` of a change), which the refusal names."""
    wanted = [
        (g, (g.scope or "").removeprefix("department:"))
        for g in grants
        if g.role in POLICY_ROLES and (g.scope or "").startswith("department:")
    ]
    if not wanted:
        return []
    known, english = policy_departments(session)
    unknown = [(g, name) for g, name in wanted if name not in known]
    if not unknown or new_departments:
        return sorted({name for _, name in unknown})
    problems = []
    for g, name in unknown:
        close = _close(name, known, english)
        hint = (
            f"did you mean {' or '.join(repr(c) for c in close)}?"
            if close
            else f"departments: {_listed(known)}."
        )
        problems.append(
            RoleError(
                f"{g}: no policy names '{name}' as its issuing department (in the library,"
                f" or published or drafted here), so the user would see no policy; {hint}"
                " A department scope names the issuing department exactly as the policy"
                " file writes it in Chinese (department.zh); for a department that has"
                " issued no policy yet, add --new-department."
            )
        )
    raise RoleError(problems[0].message, more=tuple(problems[1:]), field=field)

"""The officer console's pages and the roles each is for.

The console's index and its navigation bar show an officer only the pages their roles
open; a desk officer is not offered the finance page only to be refused there. This is
presentation: every page still asks the service layer, which decides. The roles below
are the ones those services accept (tests/web/test_console_nav.py signs in as every
demo account and checks that each page shown opens and each page hidden is refused).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from huiqi.accounts.access import AccessDenied, Actor
from huiqi.accounts.roles import DESK_ROLES, POLICY_ROLES, Role
from huiqi.web.i18n import N_

_READ_ALL = frozenset({Role.FINANCE_OFFICER, Role.ADMIN})  # the ledger's city-wide readers


@dataclass(frozen=True)
class ConsolePage:
    path: str
    label: str  # the navigation bar's word
    title: str  # the index's line
    roles: frozenset[Role]


PAGES: tuple[ConsolePage, ...] = (
    ConsolePage(
        "/console/policies",
        N_("Policies"),
        N_("Policies: drafts, versions, publishing"),
        POLICY_ROLES,
    ),
    ConsolePage(
        "/console/applications",
        N_("Applications"),
        N_("Applications to review (申报)"),
        frozenset({Role.POLICY_REVIEWER}) | _READ_ALL,
    ),
    ConsolePage(
        "/console/corrections",
        N_("Corrections"),
        N_("Data-correction requests"),
        frozenset({Role.DATA_STEWARD}),
    ),
    ConsolePage(
        "/console/imports",
        N_("Imports"),
        N_("Registry imports: history, reports, new import"),
        frozenset({Role.DATA_STEWARD}),
    ),
    ConsolePage(
        "/console/requests",
        N_("Requests"),
        N_("Enterprises' requests (诉求)"),
        DESK_ROLES,
    ),
    ConsolePage(
        "/console/inbox",
        N_("Officer inbox"),
        N_("Officer inbox: reminders and escalations of requests"),
        DESK_ROLES,
    ),
    ConsolePage(
        "/console/flagged",
        N_("Flagged records"),
        N_("Records flagged for review"),
        POLICY_ROLES | _READ_ALL,
    ),
    ConsolePage(
        "/console/complaints",
        N_("Flagged complainants"),
        N_("Flagged complainants (职业举报): evidence and decisions"),
        frozenset({Role.COMPLAINT_OFFICER}),
    ),
    ConsolePage(
        "/console/complaints/import",
        N_("Complaint imports"),
        N_("Import a complaint system's export"),
        # As the service (huiqi.complaints.intake.require_importer), the command and the
        # API: a data steward imports the city's data, complaints included (qa13).
        frozenset({Role.COMPLAINT_OFFICER, Role.DATA_STEWARD}),
    ),
    ConsolePage(
        "/console/complaints/about",
        N_("Complaints about an enterprise"),
        N_("Complaints about an enterprise, grouped to answer once"),
        frozenset({Role.COMPLAINT_OFFICER}),
    ),
    ConsolePage(
        "/console/dashboard",
        N_("Dashboard"),
        N_("Dashboard"),
        POLICY_ROLES | _READ_ALL,
    ),
    ConsolePage(
        "/console/simulate",
        N_("Simulation"),
        N_("Simulate a draft policy before publishing"),
        frozenset({Role.POLICY_AUTHOR, Role.POLICY_PUBLISHER}),
    ),
    ConsolePage(
        "/console/finance",
        N_("Finance"),
        N_("Finance: disbursement batches and payment results"),
        _READ_ALL,
    ),
    ConsolePage(
        "/console/users",
        N_("Users"),
        N_("Users: accounts, roles, disabling"),
        frozenset({Role.ADMIN}),
    ),
    ConsolePage(
        "/console/tokens",
        N_("API tokens"),
        N_("API tokens: issue, list and revoke"),
        frozenset({Role.ADMIN}),
    ),
    ConsolePage(
        "/console/audit",
        N_("Audit log"),
        N_("Audit log: who did what, when and why"),
        frozenset({Role.ADMIN}),
    ),
)

STAFF_ROLES: frozenset[Role] = frozenset().union(*(p.roles for p in PAGES))


def require_page(actor: Actor, path: str) -> None:
    """AccessDenied unless the console offers ``actor`` the page at ``path``: a queue
    page (review queues, the desk's) is for staff, even where the service behind it would
    list an enterprise's own rows (its applications, its requests) for the API."""
    opened = next((p for p in PAGES if p.path == path), None)
    if opened is not None and not actor.has(*opened.roles):
        allowed = ", ".join(sorted(str(r) for r in opened.roles))
        raise AccessDenied(f"{actor.describe()} may not open {path}; allowed: {allowed}")


def is_page(path: str) -> bool:
    """Whether ``path`` is one of the console's pages (not one of its forms or files)."""
    return any(p.path == path for p in PAGES)


def pages_for(roles: Iterable[Role]) -> list[ConsolePage]:
    """The console pages someone holding ``roles`` is offered, in the console's order."""
    held = set(roles)
    return [p for p in PAGES if p.roles & held]


def landing(actor: Actor | None) -> str:
    """Where a signed-in user lands (and the site's root sends them): an enterprise or its
    park operator on its home, an officer on the console its roles open (qa4: officers
    landed on the public catalogue and had to find the console), anyone else on the
    catalogue."""
    if actor is None:
        return "/policies"
    if actor.has(Role.ENTERPRISE, Role.PARK_OPERATOR):
        return "/home"
    return "/console" if pages_for(g.role for g in actor.grants) else "/policies"

"""What the enterprise portal shows, put together from service calls: the home's cards
grouped by status, and one policy explained for one enterprise.

Every read goes through a service function with the actor (``list_records``,
``list_grants``, ``explain_enterprise``), which cuts it to what the actor may see.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from huiqi import clock
from huiqi.accounts.access import AccessDenied, Actor, acts_for
from huiqi.accounts.roles import Role
from huiqi.catalogue.service import PolicyCard, list_policies
from huiqi.config import Settings
from huiqi.db.engine import reading
from huiqi.delivery import service as ledger
from huiqi.delivery.park import park_enterprises
from huiqi.delivery.rows import GrantRow, RecordRow
from huiqi.delivery.versions import compile_version
from huiqi.engine import CompiledPolicy, PolicyTrace
from huiqi.errors import HuiqiError, NotFoundError
from huiqi.matching.service import explain_enterprise
from huiqi.matching.visibility import park_member
from huiqi.profiles.uscc import validate
from huiqi.web.i18n import N_

# The home's groups, in the order shown: key → heading (in the catalogue).
GROUPS: tuple[tuple[str, str], ...] = (
    ("auto", N_("Granted automatically")),
    ("confirm", N_("Waiting for your one-click confirmation")),
    ("apply", N_("Apply with a pre-filled form")),
    ("granted", N_("Granted")),
    ("paid", N_("Paid")),
    ("expired", N_("Expired")),
    ("other", N_("Other decisions")),
)
# Why a record is where it is, when the ledger gave no reason of its own.
REASONS = {
    "auto": N_("You meet every criterion; granted without an application."),
    "confirm": N_("You meet every criterion; confirm with one click to receive it."),
    "apply": N_("An application is required; the form is filled in from your data."),
    "granted": N_("Granted."),
    "paid": N_("Paid to your account."),
    "expired": N_("The offer ended before it was confirmed."),
    "other": N_("See the policy page for the details."),
}
# The same, read by someone other than the enterprise itself (its park operator): "you"
# would name the park. Regression (qa12): a park operator read "您符合全部条件".
THEIR_GROUPS = {"confirm": N_("Waiting for the enterprise's one-click confirmation")}
THEIR_REASONS = {
    "auto": N_("The enterprise meets every criterion; granted without an application."),
    "confirm": N_(
        "The enterprise meets every criterion; it confirms with one click to receive it."
    ),
    "apply": N_("An application is required; the form is filled in from the enterprise's data."),
    "paid": N_("Paid to the enterprise's account."),
}
HOME_LIMIT = 10_000  # the ledger's largest page; a park's home reads page after page


class PortalError(HuiqiError):
    """The portal cannot tell which enterprise is meant."""


@dataclass(frozen=True)
class HomeCard:
    record: RecordRow
    grant: GrantRow | None
    policy: PolicyCard | None
    group: str
    amount_fen: int | None
    deadline: dt.date | None
    reason: str


@dataclass(frozen=True)
class ParkLine:
    """One enterprise of a park operator's park: what it has received and what it is
    missing (offers not yet claimed, applications not yet filed)."""

    uscc: str
    name: str | None
    granted_fen: int  # grants in force, paid or not
    paid_fen: int
    waiting: int  # one-click offers not yet claimed
    waiting_fen: int
    to_apply: int  # pre-filled applications not yet submitted


@dataclass(frozen=True)
class Home:
    groups: list[tuple[str, str, list[HomeCard]]]  # key, heading, cards
    granted_this_year_fen: int
    paid_this_year_fen: int
    year: int
    park: list[ParkLine] | None = None  # a park operator's enterprises, on its own home


PARK_PAGE = 100  # enterprises of a park per page of its operator's home


@dataclass(frozen=True)
class ParkPage:
    """Which enterprises of the park one page of the home shows (1-based)."""

    number: int
    pages: int
    first: int  # the page's first enterprise, counted from 1 (0 when there is none)
    last: int
    total: int


# Grants that count for nothing: superseded under 就高不重复, or withdrawn after review
# before they were paid (huiqi.delivery.statuses.GrantStatus).
NOT_COUNTED = ("superseded", "withdrawn")


def park_page(home: Home, number: int) -> tuple[Home, ParkPage | None]:
    """One page of a park operator's home: its enterprises' lines and their cards only (a
    park of 2,639 enterprises made a 2 MB page). The totals stay the whole park's."""
    if home.park is None:
        return home, None
    total = len(home.park)
    pages = max(1, -(-total // PARK_PAGE))
    number = min(max(number, 1), pages)
    lines = home.park[(number - 1) * PARK_PAGE : number * PARK_PAGE]
    shown = {line.uscc for line in lines}
    groups = [
        (key, title, kept)
        for key, title, cards in home.groups
        if (kept := [c for c in cards if c.record.uscc in shown])
    ]
    first = (number - 1) * PARK_PAGE + 1 if lines else 0
    info = ParkPage(number, pages, first, first + len(lines) - 1 if lines else 0, total)
    return replace(home, park=lines, groups=groups), info


def park_lines(
    session: Session,
    actor: Actor,
    records: list[RecordRow],
    grants: list[GrantRow],
    settings: Settings | None = None,
) -> list[ParkLine]:
    """Every enterprise of the actor's parks (those with nothing delivered too)."""
    lines: dict[str, list[int]] = {}
    for g in grants:
        if g.status not in NOT_COUNTED:
            line = lines.setdefault(g.uscc, [0, 0, 0, 0, 0])
            line[0] += g.amount_fen
            line[1] += g.amount_fen if g.status == "paid" else 0
    for r in records:
        line = lines.setdefault(r.uscc, [0, 0, 0, 0, 0])
        if r.status == "offered":
            line[2] += 1
            line[3] += r.amount_fen or 0
        elif r.status == "application_open":
            line[4] += 1
    return [
        ParkLine(e.uscc, e.name, *lines.get(e.uscc, [0, 0, 0, 0, 0]))
        for e in park_enterprises(session, actor=actor, settings=settings)
    ]


def withdrawn_unpaid(records: list[RecordRow], grants: list[GrantRow]) -> set[int]:
    """The grants a reviewer withdrew before they were exported (huiqi.delivery.review):
    ``withdrawn`` since migration 0023; one withdrawn before it stays ``granted`` with its
    record withdrawn, so no export takes it either. Neither is ever paid: a page must not
    call it "approved, awaiting payment" nor count it among the year's grants."""
    withdrawn = {(r.uscc, r.policy_id, r.version) for r in records if r.status == "withdrawn"}
    return {
        g.id
        for g in grants
        if g.status == "withdrawn"
        or (g.status == "granted" and (g.uscc, g.policy_id, g.version) in withdrawn)
    }


def group_of(record: RecordRow, grant: GrantRow | None) -> str:
    if grant is not None and grant.status == "paid":
        return "paid"
    if record.status == "granted" and record.mode == "auto":
        return "auto"
    return {
        "offered": "confirm",
        "application_open": "apply",
        "granted": "granted",
        "claimed": "granted",
        "approved": "granted",
        "expired": "expired",
    }.get(record.status, "other")


def every_row(listing: Any, session: Session, actor: Actor, uscc: str | None) -> list[Any]:
    """Every row of a ledger listing (``list_records``, ``list_grants``) for one enterprise
    or a park operator's park, page after page until one comes back empty: a park's rows
    outnumber one page, and its totals must count them all. Anyone else listing without
    ``uscc`` (an officer reads the whole ledger) gets one page, as before."""
    bounded = uscc is not None or not any(
        g.role not in (Role.ENTERPRISE, Role.PARK_OPERATOR) for g in actor.grants
    )
    rows: list[Any] = []
    while True:
        after = rows[-1].id if rows else 0
        page = listing(session, actor=actor, uscc=uscc, after_id=after, limit=HOME_LIMIT)
        rows.extend(page)
        if not page or not bounded:
            return rows


def not_delivered_yet(settings: Settings, session: Session, actor: Actor, uscc: str) -> bool:
    """Whether ``uscc`` is an enterprise of the actor's park by the latest snapshot that the
    ledger's directory does not know (it has delivered nothing to it)."""
    return (
        actor.has(Role.PARK_OPERATOR)
        and not acts_for(session, actor, uscc)
        and park_member(settings, actor, uscc) is not None
    )


def build_home(
    session: Session,
    *,
    actor: Actor,
    uscc: str | None,
    today: dt.date | None = None,
    settings: Settings | None = None,
) -> Home:
    """The home's cards: every record of the enterprise (``uscc``), or of every enterprise
    the actor acts for when None (a park operator's park), with its grant."""
    day = today or clock.today()
    if uscc and settings is not None and not_delivered_yet(settings, session, actor, uscc):
        # One of its park's enterprises the ledger has delivered nothing to: the park's
        # table links to it, and its home is empty (it was a 403: the ledger's listings
        # know the park only from what they delivered).
        records: list[RecordRow] = []
        grants: list[GrantRow] = []
    else:
        records = every_row(ledger.list_records, session, actor, uscc)
        grants = every_row(ledger.list_grants, session, actor, uscc)
        # Withdrawn after review before export: never paid, so the card shows the record.
        unpaid = withdrawn_unpaid(records, grants)
        grants = [g for g in grants if g.id not in unpaid]
    by_key = {(g.uscc, g.policy_id, g.version): g for g in grants if g.status not in NOT_COUNTED}
    cards = {c.policy_id: c for c in list_policies(session)}
    grouped: dict[str, list[HomeCard]] = {key: [] for key, _ in GROUPS}
    own = set(actor.scopes(Role.ENTERPRISE))  # the enterprises the user is ("you")
    for r in records:
        if r.status in ("pending", "superseded"):
            continue
        grant = by_key.get((r.uscc, r.policy_id, r.version))
        group = group_of(r, grant)
        policy = cards.get(r.policy_id)
        grouped[group].append(
            HomeCard(
                record=r,
                grant=grant,
                policy=policy,
                group=group,
                amount_fen=grant.amount_fen if grant else r.amount_fen,
                deadline=r.expires_on or (policy.valid_to if policy else None),
                reason=r.reason
                or (REASONS[group] if r.uscc in own else THEIR_REASONS.get(group, REASONS[group])),
            )
        )
    live = [g for g in grants if g.status not in NOT_COUNTED]
    yours = uscc in own if uscc else bool(own)
    park = (
        park_lines(session, actor, records, grants, settings)
        if uscc is None and actor.has(Role.PARK_OPERATOR)
        else None
    )
    return Home(
        groups=[
            (key, title if yours else THEIR_GROUPS.get(key, title), grouped[key])
            for key, title in GROUPS
            if grouped[key]
        ],
        granted_this_year_fen=sum(g.amount_fen for g in live if g.created_at.year == day.year),
        paid_this_year_fen=sum(
            g.amount_fen
            for g in live
            if g.status == "paid" and g.paid_at is not None and g.paid_at.year == day.year
        ),
        year=day.year,
        park=park,
    )


_COMPILED: dict[str, CompiledPolicy] = {}
_LOCK = threading.Lock()


def explain_policy(
    settings: Settings,
    factory: sessionmaker[Session],
    *,
    actor: Actor,
    uscc: str,
    policy_id: str,
) -> PolicyTrace:
    """The newest published version of a policy, explained for one enterprise (its
    criteria met or not with each value's source and year, and the amount's computation)."""
    with reading(factory) as s:
        try:
            pv = ledger.latest_version(s, policy_id)
        except NotFoundError:
            # The ledger's refusal names a CLI command; a page or API caller has the catalogue.
            raise NotFoundError(
                f"policy '{policy_id}' is not published; the catalogue lists what is"
            ) from None
        compiled = _COMPILED.get(pv.content_hash)
        if compiled is None:
            compiled = compile_version(pv)
            with _LOCK:
                if len(_COMPILED) > 2048:
                    _COMPILED.clear()
                _COMPILED[pv.content_hash] = compiled
        traces = explain_enterprise(settings, s, actor=actor, uscc=uscc, policies=[compiled])
    return traces[0]


def asked_enterprise(requested: str | None) -> str | None:
    """The USCC an address or form asks about, checked (None: none asked). A code that
    cannot be one is said as such, not refused as another enterprise's (it was a 403,
    "may not read this enterprise's records", for a mistyped code on some pages)."""
    text = (requested or "").strip().upper()
    return validate(text, prefixes=None) if text else None


class Caller(Protocol):
    """The signed-in caller as :func:`enterprise_of` reads it (``huiqi.web.deps.Who``)."""

    @property
    def enterprise(self) -> str | None: ...

    @property
    def portal(self) -> bool: ...


def enterprise_of(who: Caller, requested: str | None) -> str:
    """The enterprise a request is about: the one asked for, else the caller's own."""
    chosen = asked_enterprise(requested) or who.enterprise
    if chosen:
        return chosen
    if not who.portal:
        # An officer (a steward, finance, the desk…) on an enterprise's own page: it has
        # none. It read "say which enterprise: open it from your park's list", a park
        # operator's advice (QA, qa5).
        raise AccessDenied(
            N_(
                "this is an enterprise's own page (its records, data, inbox, near misses);"
                " an officer reads an enterprise's through the console"
            )
        )
    # A park operator (no enterprise of its own) gets here from the portal's links.
    raise PortalError(
        N_(
            "say which enterprise: open it from your park's list on the home page (/home),"
            " or give its USCC (uscc=...)"
        )
    )

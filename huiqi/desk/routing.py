"""Routing: which department owns a request, by admin-edited rules over its category and
the words of its text.

The text is cut into words with jieba (Chinese has no spaces); each rule's keywords are
added to the segmenter's dictionary first, so a keyword is matched as a word and not as
a few characters that happen to sit side by side ("租金" is found in "厂房租金补贴"; "房租"
is not). Rules are tried by priority, then id; the first whose category (or any) and one
of whose keywords (or none given) match wins. When none does, the category's own
department owns the request.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.models import User, UserRole
from huiqi.accounts.roles import Role
from huiqi.delivery.audit import record_event
from huiqi.delivery.freetext import clean_text
from huiqi.delivery.models import PolicyVersion
from huiqi.desk.categories import get_category
from huiqi.desk.errors import DeskConflict, RoutingError
from huiqi.desk.models import DeskCategory, DeskRequest, DeskRoute

MAX_KEYWORDS = 50
_LOCK = threading.Lock()


@dataclass(frozen=True)
class RouteRow:
    id: int
    priority: int
    category: str | None
    keywords: tuple[str, ...]
    department: str
    active: bool


def _row(r: DeskRoute) -> RouteRow:
    return RouteRow(r.id, r.priority, r.category, tuple(r.keywords.split()), r.department, r.active)


@functools.cache
def _tokenizer() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba.Tokenizer()


def segment(text: str, keywords: tuple[str, ...] = ()) -> set[str]:
    """The words of ``text`` (search mode: long words and the words inside them), with
    ``keywords`` known to the segmenter as words."""
    tok = _tokenizer()
    with _LOCK:  # the segmenter's dictionary is shared: add and cut under one lock
        for word in keywords:
            if tok.FREQ.get(word, 0) == 0:
                tok.add_word(word)
        return {w.strip() for w in tok.lcut_for_search(text) if w.strip()}


class Router:
    """The categories and active rules, read once, to route many requests (an import)."""

    def __init__(self, session: Session) -> None:
        self.categories = {c.code: c for c in session.scalars(select(DeskCategory))}
        self.rules = list(
            session.scalars(
                select(DeskRoute)
                .where(DeskRoute.active.is_(True))
                .order_by(DeskRoute.priority, DeskRoute.id)
            )
        )
        self.keywords = tuple(sorted({k for r in self.rules for k in r.keywords.split()}))

    def route(self, category: str, text: str) -> tuple[str, int | None]:
        """The department that owns a request of ``category`` with ``text``, and the rule
        that chose it (None: the category's default department)."""
        cat = self.categories[category]
        words = segment(text, self.keywords) if self.keywords else set()
        for rule in self.rules:
            if rule.category is not None and rule.category != cat.code:
                continue
            keywords = rule.keywords.split()
            if not keywords or any(k in words for k in keywords):
                return rule.department, rule.id
        return cat.department, None


def route(session: Session, category: str, text: str) -> tuple[str, int | None]:
    """:meth:`Router.route` for one request."""
    return Router(session).route(get_category(session, category).code, text)


def departments(session: Session) -> list[str]:
    """The departments requests can go to: the categories' and the active rules'."""
    found = set(session.scalars(select(DeskCategory.department)))
    found |= set(session.scalars(select(DeskRoute.department).where(DeskRoute.active.is_(True))))
    return sorted(found)


def policy_department(session: Session, policy_id: str | None) -> str | None:
    """The department that owns a policy, as its newest version names it (a district's
    own, for a district-level policy); None for no policy, or one never published."""
    if not policy_id:
        return None
    return session.scalar(
        select(PolicyVersion.department)
        .where(PolicyVersion.policy_id == policy_id)
        .order_by(PolicyVersion.version.desc())
        .limit(1)
    )


def known_department(session: Session, name: str) -> bool:
    """Whether ``name`` is a department of the desk or one that owns a published policy."""
    if not name:
        return False
    owning = select(PolicyVersion.id).where(PolicyVersion.department == name).limit(1)
    return name in departments(session) or session.scalar(owning) is not None


def staffed(session: Session, department: str) -> bool:
    """Whether an enabled desk officer handles ``department``'s requests (its scope is
    ``department:<name>`` or ``*``), or the department's own desk head does (its scope is
    ``department:<name>``: it sees and answers them). A desk head of every department
    (``*``) oversees the desk and is not counted. Regression (qa2): a department whose
    only handler was its own desk head was taken for one nobody handles."""
    own = f"department:{department}"
    officers = select(UserRole.user_id).where(
        or_(
            and_(UserRole.role == str(Role.DESK_OFFICER), UserRole.scope.in_([own, "*"])),
            and_(UserRole.role == str(Role.DESK_HEAD), UserRole.scope == own),
        )
    )
    found = select(User.id).where(User.id.in_(officers), User.disabled.is_(False)).limit(1)
    return session.scalar(found) is not None


def unstaffed_owner(session: Session, req: DeskRequest) -> str | None:
    """The department that owns ``req``'s policy when no desk officer handles its
    requests (None otherwise): a request transferred there would be seen by a desk head of
    every department only, and answered by nobody."""
    owner = policy_department(session, req.policy_id)
    if owner and owner not in departments(session) and not staffed(session, owner):
        return owner
    return None


def transfer_targets(session: Session, req: DeskRequest) -> list[str]:
    """Where ``req`` may be transferred: the desk's departments (``departments``) and, for
    a request about a policy, the department that owns that policy, less the one holding
    it now. Regression (qa4): a request about a district-level policy could go only to
    the city's departments (the categories' and rules'), never to the district department
    that owns the policy. Regression (qa13): the owning department is offered only when a
    desk officer handles its requests (``unstaffed_owner``). Who may transfer it is
    ``handling.transfer``'s check."""
    found = set(departments(session))
    owner = policy_department(session, req.policy_id)
    if owner and owner != unstaffed_owner(session, req):
        found.add(owner)
    found.discard(req.department)
    return sorted(found)


def list_rules(session: Session, *, actor: Actor) -> list[RouteRow]:
    """The routing rules in the order they are tried (admins and desk officers)."""
    require_role(actor, "read routing rules", Role.ADMIN, Role.DESK_OFFICER, Role.DESK_HEAD)
    rules = session.scalars(select(DeskRoute).order_by(DeskRoute.priority, DeskRoute.id))
    return [_row(r) for r in rules]


def check_keywords(keywords: Any) -> tuple[str, ...]:
    """Keywords as a tuple of words: text split on spaces and commas (either width), or a
    list of words; each without spaces, at most 20 characters, at most 50 of them."""
    if isinstance(keywords, str):
        parts = keywords.replace(",", " ").replace("，", " ").replace("、", " ").split()
    elif isinstance(keywords, list | tuple) and all(isinstance(k, str) for k in keywords):
        parts = [k.strip() for k in keywords if k.strip()]
    else:
        raise RoutingError("keywords are words separated by spaces or commas")
    if len(parts) > MAX_KEYWORDS:
        raise RoutingError(f"a rule has at most {MAX_KEYWORDS} keywords, not {len(parts)}")
    for word in parts:
        if len(word) > 20 or any(c.isspace() or ord(c) < 32 for c in word):
            raise RoutingError(f"{word!r} is not a keyword: one word of at most 20 characters")
    return tuple(dict.fromkeys(parts))


def add_rule(
    session: Session,
    *,
    actor: Actor,
    department: str,
    category: str | None = None,
    keywords: Any = "",
    priority: int = 100,
) -> RouteRow:
    """Add a routing rule (admin); audit event ``desk_route_added``."""
    require_role(actor, "edit routing rules", Role.ADMIN)
    dept = clean_text(department, "the department", RoutingError, required=True, max_length=200)
    if category is not None:
        category = get_category(session, category).code
    words = check_keywords(keywords)
    if category is None and not words:
        raise RoutingError("a rule needs a category, keywords or both (else it takes everything)")
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 10_000:
        raise RoutingError(f"a priority is a whole number 0–10000, not {priority!r}")
    same = session.scalar(
        select(DeskRoute.id).where(
            DeskRoute.active.is_(True),
            DeskRoute.priority == priority,
            DeskRoute.category.is_(None) if category is None else DeskRoute.category == category,
            DeskRoute.keywords == " ".join(words),
            DeskRoute.department == dept,
        )
    )
    if same is not None:  # adding the same rule again (a command run twice) adds nothing
        raise DeskConflict(
            f"rule {same} is this rule already (the same category, keywords, priority and"
            " department); nothing added: 'huiqi desk routes' lists the rules"
        )
    rule = DeskRoute(
        priority=priority,
        category=category,
        keywords=" ".join(words),
        department=dept,
        active=True,
        created_by=actor.username,
    )
    session.add(rule)
    session.flush()
    record_event(
        session,
        actor=actor,
        kind="desk_route_added",
        entity=f"desk_route:{rule.id}",
        data={
            "department": dept,
            "category": category,
            "keywords": list(words),
            "priority": priority,
        },
    )
    return _row(rule)


def disable_rule(session: Session, *, actor: Actor, rule_id: int) -> RouteRow:
    """Stop using a rule (kept for the requests it routed); audit event ``desk_route_disabled``."""
    require_role(actor, "edit routing rules", Role.ADMIN)
    rule = session.get(DeskRoute, rule_id)
    if rule is None:
        raise RoutingError(f"no routing rule {rule_id}")
    rule.active = False
    record_event(session, actor=actor, kind="desk_route_disabled", entity=f"desk_route:{rule.id}")
    session.flush()
    return _row(rule)

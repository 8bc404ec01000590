"""The public catalogue: every published policy (its newest version), with filters and search.

Published policies are public, so these functions take no actor: anyone, signed in
or not, reads the same catalogue. A card is made from the version's frozen text
(parsed, never compiled: the catalogue needs no engine) and kept per content hash,
so a process parses each version once.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi import reference
from huiqi.catalogue.search import SearchText, normalise, parse_query
from huiqi.delivery.models import PolicyVersion
from huiqi.delivery.statuses import VersionStatus
from huiqi.errors import HuiqiError, NotFoundError
from huiqi.money import FEN_PER_YUAN, fen_from_yuan
from huiqi.policies.documents import Document
from huiqi.policies.loader import parse_policy

MODES = ("auto", "confirm", "apply")
LEVELS = ("city", "district")


class CatalogueQueryError(HuiqiError):
    """A catalogue filter has a value the catalogue does not know."""


@dataclass(frozen=True)
class Bilingual:
    zh: str
    en: str


@dataclass(frozen=True)
class CriterionLabel:
    id: str
    label: Bilingual
    attested: bool


@dataclass(frozen=True)
class SourceDoc:
    document: str
    article: str | None
    url: str | None
    issued: dt.date | None


@dataclass(frozen=True)
class PolicyCard:
    """What the catalogue shows of one published policy (its newest version)."""

    policy_id: str
    version: int
    title: Bilingual
    summary: Bilingual | None
    department: Bilingual
    contact: str | None
    level: str
    region: str
    district: Bilingual | None
    delivery: str
    valid_from: dt.date
    valid_to: dt.date
    max_fen: int | None  # the most one enterprise can get (cap), None when uncapped
    budget_fen: int | None
    amount_formula: str
    source: SourceDoc
    criteria: tuple[CriterionLabel, ...]
    tags: tuple[str, ...]
    published_at: dt.datetime
    search: SearchText = field(repr=False, compare=False)
    # The materials an applicant attaches (申报 policies only: policies.documents).
    documents: tuple[Document, ...] = ()


@dataclass(frozen=True)
class CatalogueFilter:
    """Filters of the catalogue; each left empty keeps every policy.

    ``district`` keeps the policies an enterprise of that district may receive: the
    city's and that district's own. ``amount_min_yuan`` keeps policies whose cap
    reaches it, and uncapped ones (their amount depends on the enterprise).
    ``deadline_after`` keeps policies still valid on that day. ``department`` keeps the
    policies of that issuing department, named exactly (in Chinese or English; case and
    full-width forms aside): a department's sub-units, named after it with the unit in
    brackets (上海市人力资源和社会保障局（市就业促进中心）), only with ``subunits``. A piece
    of a name is what the search box (``q``) is for.
    """

    q: str | None = None
    department: str | None = None
    subunits: bool = False
    level: str | None = None
    district: str | None = None
    mode: str | None = None
    deadline_after: dt.date | None = None
    amount_min_yuan: Decimal | None = None

    def check(self) -> None:
        """Refuse values the catalogue does not know, saying which are known."""
        if self.level and self.level not in LEVELS:
            raise CatalogueQueryError(
                f"level '{self.level}' is not one of {', '.join(LEVELS)}", field="level"
            )
        if self.mode and self.mode not in MODES:
            raise CatalogueQueryError(
                f"mode '{self.mode}' is not one of {', '.join(MODES)}", field="mode"
            )
        if self.district and self.district not in districts():
            raise CatalogueQueryError(
                f"district '{self.district}' is not a Shanghai district code (e.g. 310115)",
                field="district",
            )
        if self.amount_min_yuan is not None and self.amount_min_yuan < 0:
            raise CatalogueQueryError(
                f"amount_min '{self.amount_min_yuan}' is negative; write an amount of 0 yuan"
                " or more (e.g. 50000), or leave it empty",
                field="amount_min",
            )


@functools.cache
def districts() -> dict[str, Bilingual]:
    """Shanghai's district codes and names (the reference list)."""
    codes = reference.load("districts")["codes"]
    return {str(code): Bilingual(v["zh"], v["en"]) for code, v in codes.items()}


_CARDS: dict[str, PolicyCard] = {}
_LOCK = threading.Lock()
_MAX_CACHED = 8192


def _fen(value: Decimal | None) -> int | None:
    return None if value is None else fen_from_yuan(value)


def fixed_most(formula: str) -> Decimal | None:
    """The most a formula can give when every amount it can give is written in it: a
    number, or a CASE whose every result is a number (开业费 2,000 or 5,000 yuan); None
    when an amount depends on the enterprise's data."""
    from sqlglot import exp

    from huiqi.engine.compile.parse import parse_rule

    def number(node: exp.Expression | None) -> Decimal | None:
        if isinstance(node, exp.Paren):
            return number(node.this)
        if isinstance(node, exp.Neg):
            inner = number(node.this)
            return -inner if inner is not None else None
        if isinstance(node, exp.Literal) and not node.is_string:
            return Decimal(node.this)
        return None

    try:
        tree = parse_rule(formula)
    except Exception:  # a published formula parses; anything else is left uncapped
        return None
    if isinstance(tree, exp.Least):  # LEAST(…, 300000): at most its smallest number
        bounds = [number(a) for a in [tree.this, *tree.expressions]]
        known = [b for b in bounds if b is not None]
        return min(known) if known else None
    if isinstance(tree, exp.Case):
        results = [number(branch.args.get("true")) for branch in tree.args.get("ifs") or []]
        results.append(number(tree.args.get("default")) if tree.args.get("default") else Decimal(0))
        return None if any(r is None for r in results) else max(r for r in results if r is not None)
    return number(tree)


def _card(pv: Any, text: str) -> PolicyCard:
    policy, _ = parse_policy(text, f"{pv.policy_id}@{pv.version}")
    caps = [c for c in (policy.amount.cap, policy.per_enterprise_cap) if c is not None]
    fixed = fixed_most(policy.amount.formula)
    if fixed is not None:  # "up to" what the formula itself writes, when it writes it
        caps.append(fixed)
    summary = Bilingual(policy.summary.zh, policy.summary.en) if policy.summary else None
    title = Bilingual(policy.title.zh, policy.title.en)
    department = Bilingual(policy.department.zh, policy.department.en)
    criteria = tuple(
        CriterionLabel(c.id, Bilingual(c.label.zh, c.label.en), c.attested) for c in policy.criteria
    )
    body = " ".join(
        [
            summary.zh + " " + summary.en if summary else "",
            department.zh,
            department.en,
            policy.source.document,
            policy.source.article or "",
            *(c.label.zh + " " + c.label.en for c in criteria),
            *policy.tags,
            policy.id,
        ]
    )
    return PolicyCard(
        policy_id=pv.policy_id,
        version=pv.version,
        title=title,
        summary=summary,
        department=department,
        contact=policy.contact,
        level=policy.level,
        region=policy.region,
        district=districts().get(policy.region) if policy.level == "district" else None,
        delivery=policy.delivery,
        valid_from=policy.valid_from,
        valid_to=policy.valid_to,
        max_fen=_fen(min(caps)) if caps else None,
        budget_fen=pv.budget_fen,
        amount_formula=policy.amount.formula,
        source=SourceDoc(
            policy.source.document, policy.source.article, policy.source.url, policy.source.issued
        ),
        criteria=criteria,
        tags=tuple(policy.tags),
        published_at=pv.published_at,
        documents=tuple(policy.documents),
        search=SearchText.of(title=title.zh + " " + title.en, body=body),
    )


def _newest_versions(
    session: Session,
    policy_id: str | None = None,
    *,
    among: Collection[str] | None = None,
    retired: bool = False,
) -> list[PolicyCard]:
    """The cards of each policy's newest published version (of ``policy_id`` alone, or of
    the policies ``among``); with ``retired``, of its newest version whatever its status."""
    newest = select(PolicyVersion.policy_id, func.max(PolicyVersion.version).label("v"))
    if not retired:  # a retired version is not in the catalogue
        newest = newest.where(PolicyVersion.status == VersionStatus.PUBLISHED)
    newest = newest.group_by(PolicyVersion.policy_id)
    if policy_id is not None:
        newest = newest.where(PolicyVersion.policy_id == policy_id)
    if among is not None:
        newest = newest.where(PolicyVersion.policy_id.in_(sorted(among)))
    sub = newest.subquery()
    rows = session.execute(
        select(
            PolicyVersion.id,
            PolicyVersion.policy_id,
            PolicyVersion.version,
            PolicyVersion.content_hash,
            PolicyVersion.budget_fen,
            PolicyVersion.published_at,
        )
        .join(
            sub, (sub.c.policy_id == PolicyVersion.policy_id) & (sub.c.v == PolicyVersion.version)
        )
        .order_by(PolicyVersion.policy_id)
    ).all()
    missing = [r.id for r in rows if r.content_hash not in _CARDS]
    if missing:
        texts = dict(
            session.execute(
                select(PolicyVersion.id, PolicyVersion.source_yaml).where(
                    PolicyVersion.id.in_(missing)
                )
            ).all()
        )
        made = {r.content_hash: _card(r, texts[r.id]) for r in rows if r.id in texts}
        with _LOCK:
            if len(_CARDS) + len(made) > _MAX_CACHED:
                _CARDS.clear()
            _CARDS.update(made)
    return [_CARDS[r.content_hash] for r in rows]


def _fen_at_least(yuan: Decimal | None) -> int | None:
    """The fewest whole fen that reach ``yuan``: a minimum of 0.001 yuan is 1 fen (caps are
    whole fen), where fen_from_yuan refused it and the catalogue answered with a 500."""
    if yuan is None:
        return None
    return int((yuan * FEN_PER_YUAN).to_integral_value(rounding=ROUND_CEILING))


def list_policies(session: Session, *, filters: CatalogueFilter | None = None) -> list[PolicyCard]:
    """Published policies that pass the filters: the best search hits first, else by id."""
    chosen = filters or CatalogueFilter()
    chosen.check()
    query = parse_query(chosen.q)
    department = " ".join(normalise(chosen.department).split()) if chosen.department else None
    floor = _fen_at_least(chosen.amount_min_yuan)
    scored = []
    for card in _newest_versions(session):
        if chosen.level and card.level != chosen.level:
            continue
        if chosen.mode and card.delivery != chosen.mode:
            continue
        if chosen.district and not (card.level == "city" or card.region == chosen.district):
            continue
        if chosen.deadline_after and card.valid_to < chosen.deadline_after:
            continue
        if floor is not None and card.max_fen is not None and card.max_fen < floor:
            continue
        if department and not _issued_by(card.department, department, chosen.subunits):
            continue
        score = card.search.score(query)
        if score:
            scored.append((-score, card.policy_id, card))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [card for _, _, card in scored]


def _issued_by(issuer: Bilingual, department: str, subunits: bool) -> bool:
    """Whether ``issuer`` is ``department`` (normalised), or one of its sub-units: its
    name followed by the unit's in brackets (full-width brackets fold to ASCII)."""
    for name in (issuer.zh, issuer.en):
        held = " ".join(normalise(name).split())
        if held == department:
            return True
        if subunits and held.startswith(department) and held[len(department) :].lstrip()[:1] == "(":
            return True
    return False


def policy_titles(session: Session, policy_ids: Iterable[str]) -> dict[str, Bilingual]:
    """The titles of these policies, by id, as the catalogue names them (its newest
    published version); a policy the catalogue no longer lists (every version retired) by
    its newest version's. An id no version was ever published under is left out.

    For pages and charts that name policies the ledger counts by id (the dashboard)."""
    wanted = set(policy_ids)
    if not wanted:
        return {}
    titles = {c.policy_id: c.title for c in _newest_versions(session, among=wanted)}
    retired = wanted - titles.keys()
    if retired:
        cards = _newest_versions(session, among=retired, retired=True)
        titles.update({c.policy_id: c.title for c in cards})
    return titles


def get_policy(session: Session, policy_id: str) -> PolicyCard:
    """One published policy's card (its newest version); NotFoundError if unpublished."""
    found = _newest_versions(session, policy_id)
    if not found:
        raise NotFoundError(f"policy '{policy_id}' is not published; the catalogue lists what is")
    return found[0]


def departments(cards: list[PolicyCard]) -> list[Bilingual]:
    """The issuing departments of these cards, once each, by Chinese name."""
    seen = {c.department.zh: c.department for c in cards}
    return [seen[k] for k in sorted(seen)]

"""The officers' dashboard: grants and their money by district, department and month, and
by policy × status, from ``delivery.dashboard.totals`` (the charts read the same totals as
JSON from ``/api/v1/dashboard/totals``), and the enterprises' ratings per policy."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from huiqi.accounts.access import AccessDenied
from huiqi.catalogue.service import districts, policy_titles
from huiqi.db.engine import reading
from huiqi.delivery.counts import NO_DISTRICT
from huiqi.delivery.dashboard import totals
from huiqi.delivery.indicators import indicators
from huiqi.delivery.ratings import rating_summary
from huiqi.web import i18n
from huiqi.web.deps import Factory, Lang, SignedIn, actor_of
from huiqi.web.i18n import N_
from huiqi.web.render import page

router = APIRouter(include_in_schema=False)
# A grant's statuses as the stacked chart's legend names them.
GRANT_STATUSES = {
    "provisional": N_("provisional"),
    "granted": N_("granted"),
    "in_batch": N_("in a payment batch"),
    "paid": N_("paid"),
    "payment_failed": N_("payment failed"),
    "superseded": N_("superseded"),
    "withdrawn": N_("withdrawn"),
}


@router.get("/console/dashboard")
def dashboard(request: Request, factory: Factory, who: SignedIn, lang: Lang) -> Response:
    actor = actor_of(who)
    with reading(factory) as s:
        by_policy = totals(s, actor=actor, kind="grant", by=("policy", "status"))
        headline = indicators(s, actor=actor)
        try:
            ratings: list[Any] | None = rating_summary(s, actor=actor)
        except AccessDenied:  # finance officers read totals, not ratings
            ratings = None
        # Titles in the page's language (the ledger's rows keep the Chinese one), as the
        # catalogue names them; a retired policy by its newest version's.
        named = {r.policy_id for r in by_policy if r.policy_id is not None}
        named |= {b.policy_id for b in headline.budgets}
        named |= {c.policy_id for c in headline.conversion}
        named |= {r.policy_id for r in ratings or []}
        titles = policy_titles(s, named)
    names = {code: {"zh": b.zh, "en": b.en} for code, b in districts().items()}
    # the counters' bucket of enterprises the ledger records no district for
    names[NO_DISTRICT] = {"zh": "未登记所在区", "en": "No district recorded"}
    translate = i18n.translations(lang).gettext
    statuses = {key: translate(text) for key, text in GRANT_STATUSES.items()}
    context = {
        "by_policy": by_policy,
        "grants_fen": sum(r.amount_fen for r in by_policy),
        "grants_n": sum(r.n for r in by_policy),
        "ratings": ratings,
        "titles": titles,
        "ind": headline,
        "district_names": json.dumps(names, ensure_ascii=False),
        "status_names": json.dumps(statuses, ensure_ascii=False),
    }
    return page(request, "console_dashboard.html", context)

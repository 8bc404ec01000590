"""Simulation before publishing, for policy authors and publishers: a draft policy's YAML
over the whole population of the latest snapshot, with the eligible count, the cost against
the budget, the breakdowns (charts) and, for a new version, who gains and who loses.

Nothing is stored. ``matching.simulate.simulate`` checks that the draft is in the officer's
scope; a draft that does not load or compile is shown next to the text, with its line."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from huiqi.accounts.access import AccessDenied
from huiqi.catalogue.service import list_policies
from huiqi.db.engine import reading
from huiqi.delivery import service as ledger
from huiqi.delivery.drafts import open_draft
from huiqi.errors import HuiqiError
from huiqi.matching.simulate import DIMENSIONS, Simulation, require_simulator, simulate
from huiqi.web.deps import AppSettings, Factory, Lang, SignedIn, actor_of
from huiqi.web.i18n import N_
from huiqi.web.render import page
from huiqi.web.views.forms import Form

router = APIRouter(include_in_schema=False)
MAX_DRAFT = 200_000  # characters: a policy file is a few kilobytes
HEADINGS = {
    "district_code": N_("Eligible by district"),
    "industry_section": N_("Eligible by industry"),
    "size_class": N_("Eligible by size class"),
}


def _charts(result: Simulation, lang: str) -> dict[str, str]:
    """Each breakdown as the bars its chart draws (static/bar-charts.js): the eligible
    count per bucket, labelled in the page's language."""
    charts = {}
    for name in DIMENSIONS:
        buckets = result.breakdowns.get(name, ())
        charts[name] = json.dumps(
            [
                {"label": b.label_en if lang == "en" else b.label_zh, "value": b.eligible}
                for b in buckets
            ],
            ensure_ascii=False,
        )
    return charts


def _page(
    request: Request,
    factory: Factory,
    text: str,
    *,
    result: Simulation | None = None,
    error: str | None = None,
    problems: list[dict[str, Any]] | None = None,
    lang: str = "zh-CN",
    status_code: int = 200,
) -> Response:
    with reading(factory) as s:
        policies = list_policies(s)
    context: dict[str, Any] = {
        "text": text,
        "result": result,
        "error": error,
        "problems": problems or [],
        "policies": policies,
        "headings": HEADINGS,
        "charts": _charts(result, lang) if result else {},
    }
    return page(request, "console_simulate.html", context, status_code=status_code)


@router.get("/console/simulate")
def simulate_form(
    request: Request, factory: Factory, who: SignedIn, start: str = "", draft: str = ""
) -> Response:
    """The draft editor, started from a published policy's text when ``start`` names one,
    or from a saved draft's text when ``draft`` names its policy (in the officer's scope)."""
    require_simulator(actor_of(who))
    text = ""
    if draft:
        with reading(factory) as s:
            text = open_draft(s, actor=actor_of(who), policy_id=draft[:120]).text
    elif start:
        with reading(factory) as s:
            text = ledger.latest_version(s, start[:120]).source_yaml
    return _page(request, factory, text)


@router.post("/console/simulate")
def simulate_draft(
    request: Request,
    settings: AppSettings,
    factory: Factory,
    who: SignedIn,
    lang: Lang,
    form: Form,
) -> Response:
    require_simulator(actor_of(who))
    text = form.get("text", "")
    if not text.strip():
        return _page(
            request, factory, text, error=N_("Paste the draft policy (YAML)."), status_code=400
        )
    if len(text) > MAX_DRAFT:
        error = f"the draft has {len(text):,} characters; a policy file has at most {MAX_DRAFT:,}"
        return _page(request, factory, text[:MAX_DRAFT], error=error, status_code=400)
    try:
        with reading(factory) as s:
            result = simulate(
                settings,
                s,
                actor=actor_of(who),
                text=text,
                filename="draft.yaml",
                held=request.app.state.held_frame,
            )
    except AccessDenied as exc:
        # The officer may simulate, but not this text's policy (its region or department,
        # or its id, is another office's): said next to the text, which is kept to be
        # corrected; a 403 page lost what was pasted (qa8).
        return _page(request, factory, text, error=str(exc), status_code=403)
    except HuiqiError as exc:  # the draft does not load or compile: line and column
        # Each problem as the draft editor lists it (its line and column, then its message
        # in the page's language); str(exc) led with "draft.yaml, line L, column C, field
        # '…': ", which the catalogue cannot read, so the Chinese page showed English.
        problems = [
            {
                "line": one.location.line if one.location else None,
                "column": one.location.column if one.location else None,
                "message": one.message,
            }
            for one in exc.all
        ]
        return _page(request, factory, text, problems=problems, status_code=400)
    return _page(request, factory, text, result=result, lang=lang)

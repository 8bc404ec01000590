"""The policy calculator page (政策计算器), open to anyone: a few questions, then which
published policies may apply and why. The answers travel in the query string (a GET:
nothing is stored and nothing changes, so the page can be bookmarked or shared)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from huiqi.db.engine import reading
from huiqi.matching.answers import AnswerErrors
from huiqi.matching.calculator import VERDICTS, calculate, calculator_questions
from huiqi.web.deps import Factory, Viewer
from huiqi.web.i18n import N_
from huiqi.web.render import page

router = APIRouter(include_in_schema=False)

# The dictionary's units, shown translated next to a question (``_(q.unit)``).
UNITS = (N_("yuan"), N_("persons"), N_("items"), N_("years"), N_("floors"), N_("tce"), N_("m2"))

_MAX_ANSWER = 200


@router.get("/calculator")
def calculator_page(request: Request, factory: Factory, who: Viewer) -> Response:
    del who  # read so that a signed-in visitor sees the page with their header
    with reading(factory) as s:
        questions = calculator_questions(s)
        keys = {q.key for q in questions}
        # Only the calculator's own questions, and only those answered.
        given = {
            k: v.strip()[:_MAX_ANSWER]
            for k, v in request.query_params.items()
            if k in keys and v.strip()
        }
        asked = "check" in request.query_params
        result, errors = None, {}
        if asked:
            try:
                result = calculate(s, answers=given)
            except AnswerErrors as exc:
                errors = exc.errors
    grouped = (
        {v: [o for o in result.outcomes if o.verdict == v] for v in VERDICTS} if result else None
    )
    return page(
        request,
        "calculator.html",
        {
            "questions": questions,
            "given": given,
            "errors": errors,
            "grouped": grouped,
            "verdicts": VERDICTS,
        },
    )

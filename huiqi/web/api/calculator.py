"""``/api/v1/calculator``: the policy calculator (政策计算器) for anyone, without an account.

The questions are the fields the policies in force read; the answers are checked per
question and evaluated through the same compiled rules as bulk matching; nothing is
stored. The service functions are ``huiqi.matching.calculator``'s.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field, StrictBool, StrictInt

from huiqi.db.engine import reading
from huiqi.matching.answers import Question
from huiqi.matching.calculator import PolicyOutcome, calculate, calculator_questions
from huiqi.web.api.amounts import yuan
from huiqi.web.api.fields import RequestBody
from huiqi.web.api.schemas import TextPublic
from huiqi.web.api.v1 import ERRORS
from huiqi.web.deps import Factory

router = APIRouter(prefix="/api/v1/calculator", responses=ERRORS, tags=["calculator"])

# An answer as a form or a script sends it: text, a whole number or yes/no (no floats:
# amounts are exact, so a figure with decimals comes as text, e.g. "1234.50").
Answer = Annotated[str, Field(max_length=200)] | StrictInt | StrictBool | None


class CodePublic(BaseModel):
    code: str
    label: TextPublic


class QuestionPublic(BaseModel):
    key: str
    field: str
    label: TextPublic
    type: str
    source: str
    year_offset: int | None
    unit: str | None
    codes: list[CodePublic]
    minimum: str | None
    maximum: str | None

    @classmethod
    def of(cls, q: Question) -> QuestionPublic:
        return cls(
            key=q.key,
            field=q.field,
            label=TextPublic(zh=q.label_zh, en=q.label_en),
            type=q.type,
            source=q.source,
            year_offset=q.year_offset,
            unit=q.unit,
            codes=[
                CodePublic(code=c.code, label=TextPublic(zh=c.label_zh, en=c.label_en))
                for c in q.codes
            ],
            minimum=None if q.minimum is None else str(q.minimum),
            maximum=None if q.maximum is None else str(q.maximum),
        )


class CalculatorRequest(RequestBody):
    answers: dict[Annotated[str, Field(max_length=80)], Answer] = Field(max_length=200)


class OutcomePublic(BaseModel):
    policy_id: str
    version: int
    title: TextPublic
    department: str
    delivery: str
    verdict: str
    amount_fen: int | None
    amount_yuan: str | None
    met: int
    total: int
    needs: list[str]
    reason: TextPublic

    @classmethod
    def of(cls, o: PolicyOutcome) -> OutcomePublic:
        return cls(
            policy_id=o.policy_id,
            version=o.version,
            title=TextPublic(zh=o.title_zh, en=o.title_en),
            department=o.department_zh,
            delivery=o.delivery,
            verdict=o.verdict,
            amount_fen=o.amount_fen,
            amount_yuan=yuan(o.amount_fen),
            met=o.met,
            total=o.total,
            needs=list(o.needs),
            reason=TextPublic(zh=o.reason_zh, en=o.reason_en),
        )


class CalculatorPublic(BaseModel):
    counts: dict[str, int]
    outcomes: list[OutcomePublic]


@router.get("/questions")
def questions(factory: Factory) -> list[QuestionPublic]:
    """What the calculator asks: every field the published policies read."""
    with reading(factory) as s:
        return [QuestionPublic.of(q) for q in calculator_questions(s)]


@router.post("")
def calculator(factory: Factory, body: Annotated[CalculatorRequest, Body()]) -> CalculatorPublic:
    """Which published policies may apply to these answers, which need more answers, and
    which do not apply, criterion by criterion; a refused answer is a 400 naming the
    question. Nothing is stored."""
    with reading(factory) as s:
        result = calculate(s, answers=body.answers)
    return CalculatorPublic(
        counts=result.counts(), outcomes=[OutcomePublic.of(o) for o in result.outcomes]
    )

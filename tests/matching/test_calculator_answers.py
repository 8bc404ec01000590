"""Property tests of the calculator's answer checking: whatever comes from outside, the
result is typed values inside the dictionary's ranges and code lists, or AnswerErrors
naming exactly the refused keys; never another exception."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi import clock
from huiqi.matching.answers import AnswerErrors, Question, check_answers
from huiqi.matching.calculator import calculator_questions
from huiqi.profiles.daterules import PAST_DATES

QUESTIONS = calculator_questions(None)
BY_KEY = {q.key: q for q in QUESTIONS}

anything = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=False)
    | st.text(max_size=30)
    | st.dates(),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=5,
)
keys = st.sampled_from(sorted(BY_KEY)) | st.text(max_size=12)


def _valid_value(q: Question) -> st.SearchStrategy[Any]:
    """Values a form could send that are right for the question (as text, mostly)."""
    if q.type == "integer":
        low, high = int(q.minimum or 0), int(q.maximum or 10**6)
        return st.integers(low, high).map(str) | st.integers(low, high)
    if q.type in ("money", "decimal"):
        low, high = q.minimum or Decimal(0), q.maximum or Decimal(10**9)
        return st.decimals(low, high, places=2).map(str)
    if q.type in ("date", "qualification"):
        # What has happened (a registration, a move into the city) is not in the future.
        latest = clock.today() if q.field in PAST_DATES else dt.date(2030, 12, 31)
        return st.dates(dt.date(1990, 1, 1), latest).map(dt.date.isoformat)
    if q.type == "boolean":
        return st.sampled_from(["是", "否", "true", "false", True, False])
    if q.type == "enum":
        return st.sampled_from([c.code for c in q.codes])
    if q.type == "tags":
        return st.lists(st.from_regex(r"[a-z0-9_]{1,10}", fullmatch=True), max_size=3)
    if q.field == "industry_class":
        return st.sampled_from(["3911", "6513", "C2710", "7310"])
    return st.text(min_size=1, max_size=20).filter(str.strip)


def _in_dictionary(q: Question, value: Any) -> bool:
    if q.type == "integer":
        return isinstance(value, int) and q.minimum <= value <= q.maximum  # type: ignore[operator]
    if q.type in ("money", "decimal"):
        return isinstance(value, Decimal) and q.minimum <= value <= q.maximum  # type: ignore[operator]
    if q.type in ("date", "qualification"):
        return isinstance(value, dt.date)
    if q.type == "boolean":
        return isinstance(value, bool)
    if q.type == "enum":
        return value in {c.code for c in q.codes}
    if q.type == "tags":
        return isinstance(value, list) and all(isinstance(t, str) for t in value)
    return isinstance(value, str)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, anything, max_size=6))
def test_any_input_is_typed_and_in_range_or_refused_per_key(answers: dict[str, Any]) -> None:
    try:
        checked = check_answers(answers, QUESTIONS)
    except AnswerErrors as exc:
        assert exc.errors and set(exc.errors) <= {str(k) for k in answers}
        assert all(isinstance(m, str) and m for m in exc.errors.values())
        return
    assert set(checked) <= set(answers)
    for key, value in checked.items():
        assert _in_dictionary(BY_KEY[key], value), (key, value)


@st.composite
def valid_answers(draw: st.DrawFn) -> dict[str, Any]:
    chosen = draw(st.lists(st.sampled_from(QUESTIONS), unique_by=lambda q: q.key, max_size=8))
    return {q.key: draw(_valid_value(q)) for q in chosen}


@settings(max_examples=200, deadline=None)
@given(valid_answers())
def test_valid_answers_are_all_kept(answers: dict[str, Any]) -> None:
    checked = check_answers(answers, QUESTIONS)
    assert set(checked) == set(answers)
    for key, value in checked.items():
        assert _in_dictionary(BY_KEY[key], value)


@settings(max_examples=100, deadline=None)
@given(valid_answers(), st.sampled_from(sorted(k for k, q in BY_KEY.items() if q.maximum)))
def test_one_value_past_its_range_is_refused_alone(answers: dict[str, Any], key: str) -> None:
    q = BY_KEY[key]
    assert q.maximum is not None
    answers[key] = str(q.maximum + 1)
    try:
        check_answers(answers, QUESTIONS)
    except AnswerErrors as exc:
        assert set(exc.errors) == {key} and "range" in exc.errors[key]
    else:
        raise AssertionError(f"{key} = {answers[key]} was accepted")


def test_answers_typed_as_people_write_them_are_read() -> None:
    """Regression: '１２' typed with a Chinese input method, '2025/1/5' and '2025年1月5日'
    (the dates registry imports read) were refused by the calculator and the portal's
    "report as wrong" form ("expected a date YYYY-MM-DD, got '2025/1/5'")."""
    got = check_answers(
        {
            "employees": "１２",
            "revenue": "１，２３４．５",
            "registration_date": "2025/1/5",
            "relocated_in_date": "2025年1月5日",
        },
        QUESTIONS,
    )
    assert got == {
        "employees": 12,
        "revenue": Decimal("1234.5"),
        "registration_date": dt.date(2025, 1, 5),
        "relocated_in_date": dt.date(2025, 1, 5),
    }
    for same in ("2025-01-05", "20250105", "2025.1.5"):
        assert check_answers({"registration_date": same}, QUESTIONS) == {
            "registration_date": dt.date(2025, 1, 5)
        }


def test_a_registration_or_move_after_today_is_refused_and_today_is_not() -> None:
    """Regression (QA): the calculator took a registration dated 2030 and evaluated the
    policies for an enterprise founded in the future; the importer refuses such a date."""
    today = clock.today()
    tomorrow = today + dt.timedelta(days=1)
    for key in ("registration_date", "relocated_in_date"):
        for future in ("2030-01-01", tomorrow.isoformat()):
            try:
                check_answers({key: future, "employees": "12"}, QUESTIONS)
            except AnswerErrors as exc:
                assert exc.errors == {
                    key: f"{future} is after today, {today}: give a date that has passed"
                }
            else:
                raise AssertionError(f"{key} = {future} was accepted")
        assert check_answers({key: today.isoformat()}, QUESTIONS) == {key: today}


def test_an_amount_typed_with_its_unit_is_read_in_yuan() -> None:
    """QA (qa5): "100万" for the registered capital was refused as not a number; an amount
    is read with 元, 万(元) or 亿(元) after it, exactly, and another unit is still refused."""
    q = BY_KEY["registered_capital"]
    assert q.type == "money"
    for typed, yuan in [
        ("100万", Decimal(1_000_000)),
        ("100 万元", Decimal(1_000_000)),
        ("1.5亿元", Decimal(150_000_000)),
        ("5,000元", Decimal(5000)),
        ("１００万", Decimal(1_000_000)),
        ("0.123456万", Decimal("1234.56")),
    ]:
        assert check_answers({q.key: typed}, QUESTIONS) == {q.key: yuan}, typed
    for typed in ("100万美元", "0.1234567万", "100千元"):
        with pytest.raises(AnswerErrors) as refused:
            check_answers({q.key: typed}, QUESTIONS)
        assert set(refused.value.errors) == {q.key}
    employees = BY_KEY["employees"]
    with pytest.raises(AnswerErrors) as refused:
        check_answers({employees.key: "10万"}, QUESTIONS)  # a count takes no money unit
    assert set(refused.value.errors) == {employees.key}

"""The policy calculator's questions, and the checking of the answers a visitor gives.

The questions are not a hand-written form: they are the fields the policies in force
read, described by the data dictionary (label, type, unit, code list, plausible
range). A yearly field is asked for the policies' data year (``revenue``) and, where a
rule reads an earlier year, for that year too (``rd_expense[-1]``, the rule language's
own spelling). A qualification is asked as the date it was obtained. Derived fields
are asked through what they derive from (the industry section through the 4-digit
industry class); what no visitor can answer (contracts, group totals, the USCC's
region) is not asked, and stays unknown.

Answers come from outside (a web form, a JSON body), so :func:`check_answers` accepts
text as a form sends it, refuses anything that is not one of the questions, the wrong
type, outside its code list or its dictionary range, and says so per question
(:class:`AnswerErrors`), never stopping at the first.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from huiqi import clock
from huiqi.engine import CompiledPolicy
from huiqi.engine.frame_columns import FrameColumn
from huiqi.errors import HuiqiError
from huiqi.profiles.daterules import PAST_DATES
from huiqi.profiles.dictionary import Dictionary, Field, load_dictionary
from huiqi.profiles.industry import IndustryCodeError, normalise_class
from huiqi.profiles.numberrules import FULL_WIDTH, HALF_WIDTH

# Derived fields and the question that stands for them.
ASKED_AS = {"industry_section": "industry_class"}
# Derived from what a visitor cannot give (the USCC): never asked.
NOT_ASKED = frozenset({"uscc", "uscc_region", "name"})
# A certificate is usually valid for three years (高新技术企业, 专精特新...).
CERTIFICATE_YEARS = 3
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")
# What an input method types ("１２", "１２３４．５"), read as the ASCII it stands for.
_HALF_WIDTH = str.maketrans(FULL_WIDTH, HALF_WIDTH)
# A date year first, as people write it: 2025-01-05, 2025/1/5, 2025.1.5, 2025年1月5日.
_YEAR_FIRST = re.compile(
    r"^([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})$|^([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日?$"
)
_TAG = re.compile(r"^[a-z0-9_]{1,40}$")
_TRUE = frozenset({"true", "1", "yes", "y", "是", "on"})
_FALSE = frozenset({"false", "0", "no", "n", "否", "off"})
_DECIMAL_PLACES = {"money": 2, "decimal": 6}
# An amount as people type it with its unit: 100万, 1.5亿元, 5000元 (QA, qa5: "100万" for
# the registered capital was refused as not a number).
_MONEY_WORDS = re.compile(r"^\s*([+-]?[0-9][0-9,]*(?:\.[0-9]+)?)\s*(万元|万|亿元|亿|元)\s*$")
_SCALES = {"元": 1, "万": 10_000, "万元": 10_000, "亿": 100_000_000, "亿元": 100_000_000}
# More answers than any form has questions: refused before looking at them.
MAX_ANSWERS = 500


@dataclass(frozen=True)
class Code:
    code: str
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class Question:
    """One question of the calculator: a dictionary field in one year (or none)."""

    key: str  # what the answer is keyed by: "revenue", "rd_expense[-1]", "high_tech"
    field: str
    label_zh: str
    label_en: str
    type: str  # the dictionary type; a qualification is answered by a date
    source: str
    year_offset: int | None = None  # 0: the data year, -1: the year before; None: not yearly
    unit: str | None = None
    codes: tuple[Code, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    pattern: str | None = None


class AnswerErrors(HuiqiError):
    """Some answers are wrong; ``errors`` maps each question key to what is wrong with it."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        listed = "; ".join(f"{k}: {v}" for k, v in sorted(self.errors.items()))
        super().__init__(f"{len(self.errors)} answer(s) refused: {listed}")
        # The request's field: the one answer refused, else the answers as a whole.
        self.field = f"answers.{next(iter(self.errors))}" if len(self.errors) == 1 else "answers"


def key_of(field: str, offset: int | None) -> str:
    """The answer key of a field in a year: ``revenue``, ``revenue[-1]``."""
    return field if not offset else f"{field}[{offset}]"


def _question(f: Field, offset: int | None, d: Dictionary) -> Question:
    codes: tuple[Code, ...] = ()
    if f.type == "enum" and f.codes:
        cl = d.codelist(f.codes)
        codes = tuple(Code(c, cl.label(c, "zh"), cl.label(c, "en")) for c in cl.codes)
    return Question(
        key=key_of(f.name, offset),
        field=f.name,
        label_zh=f.label.zh,
        label_en=f.label.en,
        type=f.type,
        source=f.source,
        year_offset=offset,
        unit=f.unit,
        codes=codes,
        minimum=f.min,
        maximum=f.max,
        pattern=f.pattern,
    )


def question_of(f: Field, offset: int | None = None) -> Question:
    """The question that asks for one dictionary field (in one year offset)."""
    return _question(f, offset, load_dictionary())


def asked_key(column: FrameColumn, data_year: int) -> str | None:
    """The question whose answer fills a frame column of a policy (None: not asked)."""
    name = ASKED_AS.get(column.field, column.field)
    if name in NOT_ASKED or column.kind in ("contracts", "group"):
        return None
    if column.kind == "yearly":
        assert column.year is not None
        return key_of(name, column.year - data_year)
    return name


def questions_for(
    policies: Iterable[CompiledPolicy], dictionary: Dictionary | None = None
) -> list[Question]:
    """The questions that can decide the given policies, in dictionary order."""
    d = dictionary or load_dictionary()
    wanted: dict[str, tuple[str, int | None]] = {}
    for cp in policies:
        for column in cp.requirements:
            key = asked_key(column, cp.policy.data_year)
            if key is None:
                continue
            name = ASKED_AS.get(column.field, column.field)
            offset = None
            if column.kind == "yearly" and column.year is not None:
                offset = column.year - cp.policy.data_year
            wanted.setdefault(key, (name, offset if d.field(name).yearly else None))
    order = {name: i for i, name in enumerate(d.names)}
    keyed = sorted(wanted.items(), key=lambda kv: (order[kv[1][0]], -(kv[1][1] or 0)))
    return [_question(d.field(name), offset, d) for _, (name, offset) in keyed]


# ---------------------------------------------------------------- checking answers


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any, q: Question) -> Decimal | int:
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    shown = value
    if isinstance(value, str):
        value = value.translate(_HALF_WIDTH)
    if q.type == "integer":
        if isinstance(value, int):
            number: Decimal | int = value
        elif isinstance(value, str) and _INTEGER.match(value.strip()):
            number = int(value.strip())
        else:
            raise ValueError(f"expected a whole number (such as 25), got {shown!r}")
    else:
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"expected a number, got {shown!r}")
            value = repr(value)
        text = value.strip().replace(",", "") if isinstance(value, str) else value
        worded = _MONEY_WORDS.match(value) if q.type == "money" and isinstance(value, str) else None
        if worded is not None:
            amount = Decimal(worded.group(1).replace(",", "")) * _SCALES[worded.group(2)]
            text = f"{amount.normalize():f}"
        if isinstance(text, int | Decimal) and not isinstance(text, bool):
            text = str(text)
        if not isinstance(text, str) or not _DECIMAL.match(text):
            raise ValueError(f"expected a number such as 1234.56, got {shown!r}")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"expected a number such as 1234.56, got {shown!r}") from None
        places = _DECIMAL_PLACES.get(q.type, 6)
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            raise ValueError(f"at most {places} decimal places, got {text}")
    if (q.minimum is not None and number < q.minimum) or (
        q.maximum is not None and number > q.maximum
    ):
        unit = f" {q.unit}" if q.unit else ""
        raise ValueError(f"{number} is outside the plausible range {q.minimum}..{q.maximum}{unit}")
    return number


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        if not isinstance(value, str):
            raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}")
        text = value.strip().translate(_HALF_WIDTH)
        found = _YEAR_FIRST.match(text)
        try:
            if found is None:
                value = dt.date.fromisoformat(text)
            else:
                year, _, month, day, year2, month2, day2 = found.groups()
                value = dt.date(int(year or year2), int(month or month2), int(day or day2))
        except ValueError:
            raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}") from None
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"{value} is not between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"expected yes or no (true/false), got {value!r}")


def _tags(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(t, str) for t in items):
        raise ValueError("expected tags as a list or comma-separated text, such as ai,regional_hq")
    tags = sorted({t.strip() for t in items if t.strip()})
    bad = [t for t in tags if not _TAG.match(t)]
    if bad:
        raise ValueError(f"tags are lower-case letters, digits and _; not {bad}")
    return tags


def _code(q: Question, text: str) -> str:
    """A code of the question's list, given as the code or as the name the portal shows
    (浦东新区 for 310115, in Chinese or in English); anything else is refused naming
    every accepted code with its name."""
    if any(c.code == text for c in q.codes):
        return text
    named = {
        c.code
        for c in q.codes
        if text == c.label_zh or (c.label_en and text.casefold() == c.label_en.casefold())
    }
    if len(named) == 1:
        return named.pop()
    accepted = ", ".join(f"{c.code} {c.label_zh}" for c in q.codes)
    raise ValueError(f"{text!r} is neither a code nor a name of the list; give one of: {accepted}")


def check_answer(q: Question, value: Any) -> Any:
    """One answer as the typed value the engine reads, or ValueError saying what is wrong."""
    if q.type in ("integer", "money", "decimal"):
        return _number(value, q)
    if q.type in ("date", "qualification"):
        return _date(value)
    if q.type == "boolean":
        return _boolean(value)
    if q.type == "tags":
        return _tags(value)
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    text = value.strip()
    if q.type == "enum":
        return _code(q, text)
    if q.field == "industry_class":
        try:
            return normalise_class(text)
        except IndustryCodeError as exc:
            raise ValueError(exc.message) from None
    if q.pattern and not re.match(q.pattern, text):
        raise ValueError(f"{text!r} does not have the form {q.pattern}")
    if len(text) > 400:
        raise ValueError("at most 400 characters")
    return text


def _not_to_come(q: Question, typed: Any, today: dt.date) -> Any:
    """Regression (QA): the calculator took a registration dated 2030 and evaluated the
    policies for an enterprise founded in the future. What has happened is refused when
    dated after today, as the importer refuses it (huiqi.profiles.daterules.PAST_DATES); a
    correction checks its dates against its own day (huiqi.delivery.corrections)."""
    if q.field in PAST_DATES and isinstance(typed, dt.date) and typed > today:
        raise ValueError(f"{typed} is after today, {today}: give a date that has passed")
    return typed


def check_answers(answers: Mapping[str, Any], questions: Iterable[Question]) -> dict[str, Any]:
    """The answers given, typed and checked, keyed by question; blank answers are left out.

    Raises AnswerErrors with every refused answer (and every key that is no question).
    """
    by_key = {q.key: q for q in questions}
    if not isinstance(answers, Mapping):
        raise AnswerErrors({"": "answers are a mapping of question to value"})
    if len(answers) > MAX_ANSWERS:
        raise AnswerErrors({"": f"at most {MAX_ANSWERS} answers, not {len(answers)}"})
    checked: dict[str, Any] = {}
    errors: dict[str, str] = {}
    today = clock.today()
    for key, value in answers.items():
        q = by_key.get(key) if isinstance(key, str) else None
        if q is None:
            errors[str(key)] = "not one of the calculator's questions"
            continue
        if _blank(value):
            continue
        try:
            checked[key] = _not_to_come(q, check_answer(q, value), today)
        except ValueError as exc:
            errors[key] = str(exc)
    if errors:
        raise AnswerErrors(errors)
    return checked

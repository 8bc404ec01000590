"""The policy calculator (政策计算器): which policies may apply, from a visitor's answers.

Anyone may use it, with no account, and nothing is stored. The answers become one
in-memory ``RawProfile`` (per data year of the policies) and go through the very same
compiled rules and backend interface as matching and explanations (the pure-Python
reference backend by default: one profile, no snapshot), so the calculator cannot
tell a visitor something the engine would not decide.

Each policy in force (``published.policies_in_force``) gets one verdict:

* ``may_apply``       every criterion is met by the answers (and the amount is known);
* ``needs_data``      nothing fails, but some criteria need answers (``needs``: which);
* ``does_not_apply``  a criterion fails.

with each criterion's state (met / not_met / unknown / to_confirm) and a one-line
reason in Chinese and English. A qualification left unanswered counts as not held, as
in the registries (no certificate on file).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from huiqi.engine import (
    Backend,
    CompiledPolicy,
    PolicyTrace,
    ValueRead,
    ZeroDivisor,
    get_backend,
)
from huiqi.engine.frame_columns import FrameColumn
from huiqi.engine.profile import RawProfile
from huiqi.matching.answers import (
    ASKED_AS,
    CERTIFICATE_YEARS,
    Question,
    asked_key,
    check_answers,
    questions_for,
)
from huiqi.matching.nearmiss import near_miss_of
from huiqi.matching.published import policies_in_force
from huiqi.matching.shortfall import shortfall_en, shortfall_zh
from huiqi.money import format_yuan
from huiqi.profiles.dictionary import load_dictionary
from huiqi.profiles.industry import section_of
from huiqi.profiles.size_class import classify
from huiqi.profiles.uscc import make

# The visitor's stand-in identity: a valid code no enterprise is given (region 000000).
VISITOR = make("91000000CALCULATE")
VERDICTS = ("may_apply", "needs_data", "does_not_apply")
_VERDICT = {"eligible": "may_apply", "needs_data": "needs_data"}
_UNITS_ZH = {"yuan": "元", "persons": "人", "items": "项", "years": "岁", "floors": "层"}


@dataclass(frozen=True)
class CriterionOutcome:
    id: str
    label_zh: str
    label_en: str
    state: str  # met | not_met | unknown | to_confirm
    reason_zh: str
    reason_en: str
    needs: tuple[str, ...] = ()  # question keys whose answers would decide it


@dataclass(frozen=True)
class PolicyOutcome:
    policy_id: str
    version: int
    title_zh: str
    title_en: str
    department_zh: str
    delivery: str
    verdict: str  # one of VERDICTS
    amount_fen: int | None  # the amount the answers give, when it may apply
    met: int
    total: int
    criteria: tuple[CriterionOutcome, ...]
    needs: tuple[str, ...]  # question keys to answer (needs_data)
    reason_zh: str
    reason_en: str


@dataclass(frozen=True)
class CalculatorResult:
    """Per policy, may apply first; ``answers`` echoes the checked answers."""

    outcomes: tuple[PolicyOutcome, ...]
    answers: dict[str, Any]

    def counts(self) -> dict[str, int]:
        return {v: sum(o.verdict == v for o in self.outcomes) for v in VERDICTS}


def calculator_questions(session: Session | None) -> list[Question]:
    """The questions of the calculator: every field the policies in force read."""
    return questions_for(policies_in_force(session))


def _profile(
    answers: Mapping[str, Any], questions: Mapping[str, Question], year: int
) -> RawProfile:
    prof = RawProfile(uscc=VISITOR)
    for key, value in answers.items():
        q = questions[key]
        if q.type == "qualification":
            until = value.replace(year=value.year + CERTIFICATE_YEARS) - dt.timedelta(days=1)
            prof.qualifications.append((q.field, value, until))
        elif q.year_offset is not None:
            prof.years.setdefault(year + q.year_offset, {})[q.field] = value
        else:
            prof.static[q.field] = value
    if "industry_class" in prof.static:
        prof.static["industry_section"] = section_of(prof.static["industry_class"])
    for values in prof.years.values():
        if "size_class" not in values:  # derived, as the importer derives it
            size = classify(
                prof.static.get("industry_class"),
                values.get("employees"),
                values.get("revenue"),
                values.get("total_assets"),
            )
            if size is not None:
                values["size_class"] = size
    return prof


def _value_text(r: ValueRead, lang: str) -> str:
    if r.value is None:
        return "?"
    if r.type == "boolean":
        return ("是" if r.value else "否") if lang == "zh" else ("yes" if r.value else "no")
    if r.type == "money" and isinstance(r.value, Decimal):
        text = format_yuan(int((r.value * 100).to_integral_value()))
    elif r.type == "enum":
        f = load_dictionary().get(r.field)
        codes = f.codes if f is not None else None
        text = (
            load_dictionary().codelist(codes).label(str(r.value), lang) if codes else str(r.value)
        )
    else:
        text = str(r.value)
    unit = (_UNITS_ZH.get(r.unit, r.unit) if lang == "zh" else r.unit) if r.unit else ""
    return f"{text} {unit}".strip()


def _read_text(r: ValueRead, lang: str) -> str:
    label = (r.label if lang == "zh" else r.label_en) or r.field
    year = f"（{r.year}）" if lang == "zh" and r.year else (f" ({r.year})" if r.year else "")
    return f"{label}{year} {_value_text(r, lang)}"


def _needs(reads: Sequence[ValueRead], data_year: int) -> tuple[str, ...]:
    keys: list[str] = []
    for r in reads:
        if r.value is not None:
            continue
        key = asked_key(FrameColumn.parse(r.column), data_year)
        if key is not None and key not in keys:
            keys.append(key)
    return tuple(keys)


def _criterion(c: Any, data_year: int, zeros: Sequence[ZeroDivisor] = ()) -> CriterionOutcome:
    reads = c.reads
    values_zh = "，".join(_read_text(r, "zh") for r in reads)
    values_en = ", ".join(_read_text(r, "en") for r in reads)
    needs: tuple[str, ...] = ()
    if c.state == "met":
        zh, en = f"符合：{values_zh}" if reads else "符合", f"met: {values_en}" if reads else "met"
    elif c.state == "not_met":
        zh, en = f"不符合：{values_zh}", f"not met: {values_en}"
    elif c.state == "to_confirm":
        zh, en = "由企业承诺确认（告知承诺）", "confirmed by the enterprise's own declaration"
    else:
        needs = _needs(reads, data_year)
        missing = [r for r in reads if r.value is None]
        if needs:
            zh = "需要回答：" + "，".join(_read_text(r, "zh").removesuffix(" ?") for r in missing)
            en = "answer: " + ", ".join(_read_text(r, "en").removesuffix(" ?") for r in missing)
        elif zeros:  # answered, but a ratio divides by the 0 given: nothing more to ask
            zh = "；".join(z.text_zh for z in zeros)
            en = "; ".join(z.text_en for z in zeros)
        else:
            zh = "需要登记数据（计算器无法提供），请登录后查看"
            en = "needs registry data the calculator cannot ask for; sign in to see it"
    return CriterionOutcome(c.id, c.label_zh, c.label_en, c.state, zh, en, needs)


def _outcome(cp: CompiledPolicy, trace: PolicyTrace) -> PolicyOutcome:
    p = cp.policy
    criteria = tuple(
        _criterion(c, p.data_year, [z for z in trace.zero_divisors if z.criterion == c.id])
        for c in trace.criteria
    )
    verdict = _VERDICT.get(trace.status, "does_not_apply")
    needs: list[str] = []
    for c in criteria:
        needs.extend(k for k in c.needs if k not in needs)
    needs.extend(k for k in _needs(trace.missing, p.data_year) if k not in needs)
    amount = trace.amount_fen if verdict == "may_apply" else None
    if verdict == "may_apply" and amount == 0:
        # A grant of nothing is no grant (huiqi.delivery.zero): not "may apply, 0.00 yuan".
        verdict, amount = "does_not_apply", None
        zh = "按您的回答计算金额为 0 元，不予发放"
        en = "the amount on your answers is 0 yuan: nothing would be granted"
    elif verdict == "may_apply":
        zh = f"可能符合全部 {trace.total} 项条件，预计金额 {format_yuan(amount)} 元"
        en = f"may meet all {trace.total} criteria; about {format_yuan(amount)} yuan"
    elif verdict == "needs_data" and needs:
        zh = f"符合 {trace.met}/{trace.total} 项，还需回答 {len(needs)} 个问题"
        en = f"meets {trace.met} of {trace.total}; answer {len(needs)} more question(s)"
    elif verdict == "needs_data" and trace.zero_divisors:
        zh = f"符合 {trace.met}/{trace.total} 项；" + "；".join(
            z.text_zh for z in trace.zero_divisors
        )
        en = f"meets {trace.met} of {trace.total}; " + "; ".join(
            z.text_en for z in trace.zero_divisors
        )
    elif verdict == "needs_data":
        zh = f"符合 {trace.met}/{trace.total} 项，其余需要登记数据，请登录后查看"
        en = f"meets {trace.met} of {trace.total}; the rest needs registry data: sign in to see it"
    else:
        failed = next((c for c in criteria if c.state == "not_met"), None)
        zh = f"不符合：{failed.label_zh}" if failed else "无法评估：" + (trace.error or "")
        en = f"not met: {failed.label_en}" if failed else "cannot evaluate: " + (trace.error or "")
        near = near_miss_of(cp, trace)
        if near is not None and near.gap is not None:
            # A near miss on the visitor's answers says by how much, as explain does.
            zh += f"（{shortfall_zh(near.gap)}）"
            en += f" ({shortfall_en(near.gap)})"
    return PolicyOutcome(
        policy_id=p.id,
        version=p.version,
        title_zh=p.title.zh,
        title_en=p.title.en,
        department_zh=p.department.zh,
        delivery=p.delivery,
        verdict=verdict,
        amount_fen=amount,
        met=trace.met,
        total=trace.total,
        criteria=criteria,
        needs=tuple(needs),
        reason_zh=zh,
        reason_en=en,
    )


def calculate(
    session: Session | None,
    *,
    answers: Mapping[str, Any],
    policies: Sequence[CompiledPolicy] | None = None,
    backend: Backend | str = "python",
) -> CalculatorResult:
    """Evaluate every policy in force (or ``policies``) on a visitor's answers.

    Anonymous and read-only: nothing is stored. Raises ``AnswerErrors`` (per question)
    when an answer is refused.
    """
    in_force = list(policies) if policies is not None else list(policies_in_force(session))
    questions = {q.key: q for q in questions_for(in_force)}
    checked = check_answers(answers, questions.values())
    engine = backend if isinstance(backend, Backend) else get_backend(backend)
    by_year: dict[int, list[CompiledPolicy]] = defaultdict(list)
    for cp in in_force:
        by_year[cp.policy.data_year].append(cp)
    outcomes: list[PolicyOutcome] = []
    for year, group in sorted(by_year.items()):
        prof = _profile(checked, questions, year)
        traces = engine.trace([prof], group)
        by_id = {t.policy_id: t for t in traces}
        outcomes.extend(_outcome(cp, by_id[cp.policy.id]) for cp in group)
    rank = {v: i for i, v in enumerate(VERDICTS)}
    outcomes.sort(key=lambda o: (rank[o.verdict], -(o.amount_fen or 0), o.policy_id))
    return CalculatorResult(tuple(outcomes), checked)


__all__ = [
    "ASKED_AS",
    "CalculatorResult",
    "CriterionOutcome",
    "PolicyOutcome",
    "calculate",
    "calculator_questions",
]

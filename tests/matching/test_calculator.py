"""The policy calculator: the library's (or the ledger's) policies on a visitor's answers,
through the same compiled rules; refusals per question."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import OFFICER
from huiqi.delivery.versions import publish_text
from huiqi.engine import compile_policy, get_backend
from huiqi.matching.answers import AnswerErrors
from huiqi.matching.calculator import calculate, calculator_questions
from huiqi.policies.loader import library_dir, load_policy, load_policy_text

JIADING_HTE = dict(
    district_code="310114",
    high_tech="2025-11-20",
    credit_dishonest="否",
    rd_expense="1500000",
)


def _outcome(result, policy_id):  # type: ignore[no-untyped-def]
    return next(o for o in result.outcomes if o.policy_id == policy_id)


def test_questions_are_the_fields_the_library_reads() -> None:
    keys = [q.key for q in calculator_questions(None)]
    assert {"district_code", "industry_class", "revenue", "rd_expense[-1]", "high_tech"} <= set(
        keys
    )
    assert "industry_section" not in keys  # asked through the industry class
    assert "uscc_region" not in keys  # no visitor can give it
    district = next(q for q in calculator_questions(None) if q.key == "district_code")
    assert any(c.code == "310114" and c.label_zh == "嘉定区" for c in district.codes)


def test_all_answers_met_may_apply_with_the_amount() -> None:
    result = calculate(None, answers=JIADING_HTE)
    o = _outcome(result, "jd-hte-award-2026")
    assert o.verdict == "may_apply"
    assert o.amount_fen == 250_000_00
    assert [c.state for c in o.criteria] == ["met"] * 4
    assert "嘉定区" in o.criteria[0].reason_zh
    assert result.outcomes[0].verdict == "may_apply"  # may apply comes first


def test_a_missing_answer_is_needs_data_naming_the_question() -> None:
    answers = {k: v for k, v in JIADING_HTE.items() if k != "rd_expense"}
    o = _outcome(calculate(None, answers=answers), "jd-hte-award-2026")
    assert o.verdict == "needs_data"
    assert o.needs == ("rd_expense",)
    (unknown,) = [c for c in o.criteria if c.state == "unknown"]
    assert unknown.id == "rd_spend" and unknown.needs == ("rd_expense",)
    assert o.amount_fen is None


def test_a_failing_answer_does_not_apply_with_the_reason() -> None:
    o = _outcome(
        calculate(None, answers={**JIADING_HTE, "rd_expense": "999999"}), "jd-hte-award-2026"
    )
    assert o.verdict == "does_not_apply"
    assert "研发费用" in o.reason_zh or "R&D" in o.reason_en
    failed = [c for c in o.criteria if c.state == "not_met"]
    assert [c.id for c in failed] == ["rd_spend"] and "999,999.00" in failed[0].reason_zh


def test_the_year_before_is_its_own_question() -> None:
    answers = {
        "district_code": "310114",
        "revenue": "50000000",
        "rd_expense": "2345678.91",
        "rd_expense[-1]": "1800000",
        "rd_expense_domestic": "2000000",
    }
    o = _outcome(calculate(None, answers=answers), "jd-rd-expense-subsidy-2026")
    assert o.verdict == "may_apply" and o.amount_fen == 54_567_89  # the policy's own test case


def test_the_same_verdicts_as_the_engine_on_every_backend() -> None:
    """The calculator is the engine: DuckDB on the same answers gives the same outcomes."""
    answers = {**JIADING_HTE, "industry_class": "3911", "employees": "80", "revenue": "1e3"}
    with pytest.raises(AnswerErrors):
        calculate(None, answers=answers)
    answers["revenue"] = "60000000"
    python = calculate(None, answers=answers)
    duck = calculate(None, answers=answers, backend=get_backend("duckdb"))
    assert python == duck


def test_refusals_are_per_question() -> None:
    with pytest.raises(AnswerErrors) as caught:
        calculate(
            None,
            answers={
                "district_code": "999999",
                "employees": "-3",
                "revenue": "12.345",
                "registration_date": "2024-13-01",
                "industry_class": "99",
                "favourite_colour": "blue",
                "credit_dishonest": "maybe",
            },
        )
    errors = caught.value.errors
    assert set(errors) == {
        "district_code",
        "employees",
        "revenue",
        "registration_date",
        "industry_class",
        "favourite_colour",
        "credit_dishonest",
    }
    assert "310114" in errors["district_code"]  # says what is allowed
    assert "range" in errors["employees"]
    assert "2 decimal" in errors["revenue"]
    assert "YYYY-MM-DD" in errors["registration_date"]
    assert "not one of the calculator's questions" in errors["favourite_colour"]


def test_blank_answers_are_not_answers() -> None:
    result = calculate(None, answers={"district_code": "", "revenue": "   ", "employees": None})
    assert result.answers == {}


def test_published_versions_replace_the_library(sessions: sessionmaker[Session]) -> None:
    text = (library_dir() / "jd-hte-award-2026.yaml").read_text(encoding="utf-8")
    publish_text(sessions, text, "jd.yaml", actor=OFFICER)
    with sessions() as s:
        result = calculate(s, answers=JIADING_HTE)
        assert [o.policy_id for o in result.outcomes] == ["jd-hte-award-2026"]
        assert [q.key for q in calculator_questions(s)] == [
            "district_code",
            "credit_dishonest",
            "rd_expense",
            "high_tech",
        ]


def test_given_policies_are_evaluated_alone() -> None:
    cp = compile_policy(load_policy(library_dir() / "jd-little-giant-award-2026.yaml"))
    result = calculate(
        None,
        answers={"district_code": "310114", "little_giant": "2025-08-01", "revenue": "86000000"},
        policies=[cp],
    )
    (o,) = result.outcomes
    assert (o.verdict, o.amount_fen) == ("may_apply", 300_000_00)
    assert isinstance(result.answers["revenue"], Decimal)


RD_RATIO = """\
id: rd-ratio-check
version: 1
title: {zh: 研发人员占比奖励, en: R&D staff ratio award}
department: {zh: 某区科委, en: District Science Commission}
source: {document: 某府规〔2026〕1号, article: 第一条}
level: city
region: "310000"
valid_from: 2026-01-01
valid_to: 2026-12-31
data_year: 2025
delivery: auto
criteria:
  - id: rd_ratio
    label: {zh: 研发人员占从业人员不低于10%, en: R&D staff at least 10 % of employees}
    expr: rd_staff / employees >= 0.1
amount: {formula: "10000"}
"""


def test_an_answer_of_zero_as_a_divisor_says_so_instead_of_asking_for_registry_data() -> None:
    """Regression: a ratio over the 0 a visitor answered (rd_staff / employees with
    employees 0) is unknown, and the calculator said it needed registry data the
    calculator cannot ask for, although every question was answered."""
    cp = compile_policy(load_policy_text(RD_RATIO, "rd-ratio-check.yaml"))
    result = calculate(None, answers={"rd_staff": "2", "employees": "0"}, policies=[cp])
    (o,) = result.outcomes
    assert (o.verdict, o.needs) == ("needs_data", ())
    (c,) = o.criteria
    assert c.reason_en == "employees is 0: rd_staff / employees cannot be computed"
    assert c.reason_zh == "从业人员（employees）为0，无法计算 rd_staff / employees"
    assert o.reason_en == "meets 0 of 1; employees is 0: rd_staff / employees cannot be computed"


def test_a_policy_whose_window_has_closed_is_offered_by_nobody(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The calculator and "almost eligible" told a visitor in 2026 that the 2025 job-
    retention refund might apply, a year after its last day."""
    from huiqi.matching.published import policies_in_force

    def in_force(s: Session | None) -> set[str]:
        return {cp.policy.id for cp in policies_in_force(s)}

    monkeypatch.setenv("HUIQI_TODAY", "2025-12-31")  # its last day
    assert "sh-stable-jobs-refund-2025" in in_force(None)
    monkeypatch.setenv("HUIQI_TODAY", "2026-01-01")
    library = in_force(None)
    assert "sh-stable-jobs-refund-2025" not in library
    assert "sh-stable-jobs-refund-2026" in library
    # The ledger's published versions, the same way.
    text = (library_dir() / "jd-hte-award-2026.yaml").read_text(encoding="utf-8")
    publish_text(sessions, text, "jd.yaml", actor=OFFICER)
    with sessions() as s:
        assert in_force(s) == {"jd-hte-award-2026"}
        assert [o.policy_id for o in calculate(s, answers=JIADING_HTE).outcomes] == [
            "jd-hte-award-2026"
        ]
        monkeypatch.setenv("HUIQI_TODAY", "2027-01-01")
        assert in_force(s) == set()
        assert calculate(s, answers={}).outcomes == ()
        assert calculator_questions(s) == []


TINY = """\
id: tiny-share
version: 1
title: {zh: 极小比例补贴, en: A tiny share}
department: {zh: 测试局, en: Test bureau}
level: city
region: "310000"
source: {document: 测试文件}
valid_from: 2026-01-01
valid_to: 2026-12-31
delivery: auto
data_year: 2025
criteria:
  - id: has_revenue
    label: {zh: 有营业收入, en: Has revenue}
    expr: revenue > 0
amount:
  formula: "0.001 * revenue"
"""


def test_an_amount_of_nothing_is_not_offered_as_may_apply() -> None:
    """Regression (QA): a contract of 0.01 yuan listed the compute voucher as '可能适用 …
    预计金额 0.00 元'; a grant of nothing is never made."""
    cp = compile_policy(load_policy_text(TINY, "tiny.yaml"))
    nothing = _outcome(calculate(None, answers={"revenue": "1"}, policies=[cp]), "tiny-share")
    assert nothing.verdict == "does_not_apply" and nothing.amount_fen is None
    assert "0 元" in nothing.reason_zh and "0 yuan" in nothing.reason_en
    some = _outcome(calculate(None, answers={"revenue": "100000"}, policies=[cp]), "tiny-share")
    assert some.verdict == "may_apply" and some.amount_fen == 100_00


def test_a_near_miss_on_the_answers_says_by_how_much() -> None:
    """Explain and the portal say by how much a near miss misses; the calculator said only
    'not met: R&D spending at least 1 M', on answers 1 yuan short."""
    near = _outcome(
        calculate(None, answers={**JIADING_HTE, "rd_expense": "999999"}), "jd-hte-award-2026"
    )
    assert near.reason_zh.startswith("不符合：") and "还差" in near.reason_zh, near.reason_zh
    assert "short by 1" in near.reason_en and "yuan" in near.reason_en, near.reason_en
    far = _outcome(calculate(None, answers={**JIADING_HTE, "rd_expense": "5"}), "jd-hte-award-2026")
    assert far.verdict == "does_not_apply"
    assert "还差" not in far.reason_zh and "short by" not in far.reason_en, far.reason_en

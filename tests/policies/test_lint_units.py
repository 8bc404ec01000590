"""Lint warns when a figure the text gives in 万元 or as a percentage is written into a
rule or an amount as the bare number: the commonest slip of a policy author, which
loaded, compiled and linted clean (0 warnings) and paid 10,000 times too little."""

from __future__ import annotations

from huiqi.engine.compile.compiler import EXAMPLE_POLICY
from huiqi.policies.lint import lint_library
from huiqi.policies.loader import Library, library_dir, load_library, load_policy_text


def _warnings(text: str) -> list[str]:
    lp = load_policy_text(text, "p.yaml")
    return [
        f"{f.where}: {f.message}"
        for f in lint_library(Library([lp], []))
        if "万" in f.message or "%" in f.message
    ]


def test_a_label_in_wan_yuan_over_a_bare_number_is_a_warning_at_the_rule() -> None:
    text = EXAMPLE_POLICY.replace("营业收入不低于100万元", "营业收入不低于1000万元").replace(
        "revenue >= 1000000", "revenue >= 1000"
    )
    assert _warnings(text) == [
        "p.yaml, line 16, column 11: criterion 'big_enough': the label says 1000万元 but the "
        "rule compares with 1000; amounts in rules are yuan: write 10000000"
    ]


def test_a_percentage_written_as_a_whole_number_is_a_warning() -> None:
    text = EXAMPLE_POLICY.replace("营业收入不低于100万元", "研发费用不低于营业收入的3%").replace(
        "revenue >= 1000000", "rd_expense >= 3 * revenue"
    )
    [warning] = _warnings(text)
    assert warning.endswith(
        "the label says 3% but the rule uses 3; a share is a fraction in a rule: write 0.03"
    )


def test_a_cap_in_wan_yuan_is_a_warning_and_the_right_figures_are_not() -> None:
    text = EXAMPLE_POLICY.replace("title: {zh: 示例,", "title: {zh: 示例（最高50万元）,").replace(
        'amount: {formula: "10000"}', 'amount: {formula: "0.1 * revenue", cap: 50}'
    )
    [warning] = _warnings(text)
    assert "amount.cap has 50 where the policy's text says 50万元" in warning
    assert warning.endswith("write 500000")
    assert _warnings(text.replace("cap: 50}", "cap: 500000}")) == []
    assert _warnings(EXAMPLE_POLICY) == []  # 100万元 over revenue >= 1000000


def test_the_shipped_library_has_no_such_warning() -> None:
    lib = load_library([library_dir()])
    assert [f for f in lint_library(lib) if "万" in f.message or "%" in f.message] == []


def _kinds(text: str, kind: str) -> list[str]:
    lp = load_policy_text(text, "p.yaml")
    return [f"{f.where}: {f.message}" for f in lint_library(Library([lp], [])) if f.kind == kind]


def test_a_cap_written_in_fen_is_a_warning() -> None:
    """QA: a cap of 50000000 under a text saying 最高50万元 (the 500000 yuan in fen,
    100 times too large) linted clean; so did 5000000 under "最高50000元"."""
    wan = EXAMPLE_POLICY.replace("title: {zh: 示例,", "title: {zh: 示例（最高50万元）,").replace(
        'amount: {formula: "10000"}', 'amount: {formula: "0.1 * revenue", cap: 50000000}'
    )
    [warning] = _kinds(wan, "fen_slip")
    assert "amount.cap has 50000000, 100 times the 50万元 the policy's text says" in warning
    assert warning.endswith("that is the amount in fen; amounts are yuan: write 500000")
    plain = wan.replace("最高50万元", "最高50000元").replace("cap: 50000000", "cap: 5000000")
    [warning] = _kinds(plain, "fen_slip")
    assert "amount.cap has 5000000, 100 times the 50000元" in warning
    assert warning.endswith("write 50000")
    assert _kinds(wan.replace("cap: 50000000", "cap: 500000"), "fen_slip") == []


def test_a_cap_or_floor_above_the_whole_budget_is_a_warning() -> None:
    """QA: a cap in fen with no figure in the text to compare linted clean, although
    above the policy's whole budget no grant can reach it."""
    text = EXAMPLE_POLICY.replace(
        'amount: {formula: "10000"}',
        'amount: {formula: "0.1 * revenue", cap: 100000000, floor: 20000000}\nbudget: 10000000',
    )
    warnings = _kinds(text, "beyond_budget")
    assert len(warnings) == 2
    assert (
        "amount.cap 100000000 is more than the whole budget 10000000, so no grant" in (warnings[0])
    )
    assert "amount.floor 20000000 is more than the whole budget" in warnings[1]
    fine = text.replace("cap: 100000000, floor: 20000000", "cap: 1000000, floor: 2000")
    assert _kinds(fine, "beyond_budget") == []


def test_the_shipped_library_has_no_fen_or_budget_warning() -> None:
    lib = load_library([library_dir()])
    assert [f for f in lint_library(lib) if f.kind in ("fen_slip", "beyond_budget")] == []

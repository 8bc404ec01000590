"""``huiqi policy lint`` (and the console's check) warns when an eligible enterprise can
receive 0.00 yuan: such an enterprise is recorded as ``zero_amount`` and never granted, so
the formula most likely lacks a criterion or a floor. Before, lint said nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from huiqi.cli.main import cli
from huiqi.engine.compile.compiler import compile_policy
from huiqi.engine.policycheck import check_text
from huiqi.engine.zero_amounts import zero_amount_findings
from huiqi.policies.loader import library_dir, load_library, load_policy_text

HEAD = """id: zero-check
version: 1
title: {zh: 测试, en: Test}
department: {zh: 测试局, en: Test bureau}
level: district
region: "310115"
source: {document: 测试文件}
valid_from: 2026-01-01
valid_to: 2026-12-31
delivery: auto
data_year: 2025
criteria:
  - id: insured
    label: {zh: 参保, en: Insures staff}
    expr: insured_employees > %(least)s
amount:
  formula: "%(formula)s"
"""


def _policy(formula: str, least: int = 0, floor: str | None = None) -> str:
    text = HEAD % {"formula": formula, "least": least}
    return text + (f"  floor: {floor}\n" if floor else "")


def _findings(text: str) -> list[str]:
    loaded = load_policy_text(text, "zero-check.yaml")
    return [
        f"{f.where}: {f.message}"
        for f in zero_amount_findings([(compile_policy(loaded), loaded.marks)])
    ]


def test_a_formula_that_gives_zero_to_an_eligible_enterprise_is_warned_at_the_formula() -> None:
    (warning,) = _findings(_policy("insured_employees * 1000 - 1000"))
    assert warning.startswith("zero-check.yaml, line 17, column 12, field 'amount.formula'")
    assert "can receive 0.00 yuan (for example with insured_employees[2025] = 1)" in warning
    assert "gives 0 or less" in warning and "floor" in warning


def test_an_amount_below_half_a_fen_is_warned_as_rounding_to_zero() -> None:
    (warning,) = _findings(_policy("0.001 * insured_employees"))
    assert "the formula gives 0.001 yuan, less than half a fen, which rounds to 0.00" in warning


@pytest.mark.parametrize(
    ("formula", "least", "floor"),
    [
        ("insured_employees * 1000 - 1000", 1, None),  # a criterion excludes the one who gets 0
        ("insured_employees * 1000 - 1000", 0, "500"),  # a floor
        ("insured_employees * 1000", 0, None),
    ],
)
def test_no_warning_when_no_eligible_enterprise_can_get_zero(
    formula: str, least: int, floor: str | None
) -> None:
    assert _findings(_policy(formula, least, floor)) == []


def test_a_code_that_gives_zero_is_found_though_the_edge_frame_lacks_it() -> None:
    """Regression: 'CASE WHEN size_class = 'micro' THEN 0 …' gave 856 zero_amount records
    on a generated population and lint said nothing: the edge frame holds the first and
    last codes of a list, not 'micro'."""
    formula = "CASE WHEN size_class = 'micro' THEN 0 ELSE 1000 * insured_employees END"
    (warning,) = _findings(_policy(formula))
    assert "size_class[2025] = micro" in warning


def test_a_threshold_in_the_formula_is_tried_from_the_policys_own_eligible_case() -> None:
    """No edge enterprise has 38 to 40 insured staff; the policy's eligible test case does,
    and the formula's own number (38) is where it gives 0."""
    text = _policy("1000 * (insured_employees - 38)").replace(
        "expr: insured_employees > 0", "expr: insured_employees >= 38 AND insured_employees <= 40"
    )
    text += (
        "tests:\n"
        "  - name: forty\n"
        "    profile: {insured_employees: 40}\n"
        '    expect: {status: eligible, amount: "2000.00"}\n'
    )
    (warning,) = _findings(text)
    assert "insured_employees[2025] = 38" in warning


def test_the_console_check_places_the_warning_on_the_formula() -> None:
    report = check_text(_policy("insured_employees * 1000 - 1000"), "zero-check.yaml")
    (zero,) = [p for p in report.problems if "0.00 yuan" in p.message]
    assert (zero.severity, zero.line, zero.column, zero.field) == (
        "warning",
        17,
        12,
        "amount.formula",
    )


def test_policy_lint_prints_the_warning(tmp_path: Path) -> None:
    path = tmp_path / "zero-check.yaml"
    path.write_text(_policy("insured_employees * 1000 - 1000"), encoding="utf-8")
    out = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path / "data"), "policy", "lint", str(path)]
    )
    assert "can receive 0.00 yuan" in out.output, out.output


def _gated(formula: str, field: str, case: str, amount: str) -> str:
    """A policy whose criteria no edge enterprise meets (10 to 100 insured staff), so only
    its eligible test case's probes can find a 0.00 amount."""
    text = _policy(formula).replace(
        "expr: insured_employees > 0",
        f"expr: insured_employees BETWEEN 10 AND 100 AND {field} > 0",
    )
    return text + (
        "tests:\n"
        "  - name: forty\n"
        f"    profile: {{insured_employees: 40, {case}}}\n"
        f'    expect: {{status: eligible, amount: "{amount}"}}\n'
    )


def test_the_smallest_count_is_tried() -> None:
    """Regression: with one R&D person the award is 0.001 yuan, but the probes held only
    the formula's numbers and their neighbours (0.001 ± 1: no whole number), so lint said
    nothing while the edge frame had no eligible enterprise."""
    (warning,) = _findings(_gated("0.001 * rd_staff", "rd_staff", "rd_staff: 5", "0.01"))
    assert "rd_staff[2025] = 1" in warning and "gives 0.001 yuan" in warning


def test_the_smallest_decimal_step_is_tried() -> None:
    (warning,) = _findings(
        _gated(
            "10 * office_floor_area", "office_floor_area", 'office_floor_area: "120.5"', "1205.00"
        )
    )
    assert "office_floor_area = 0.000001" in warning and "gives 0.00001 yuan" in warning


@pytest.mark.parametrize(
    ("formula", "amount"),
    [
        ("0.3 * rent_paid", "1200.00"),
        ("LEAST(0.3 * rent_paid, 36000)", "1200.00"),
        ("0.0002 * rent_paid", "0.80"),
    ],
)
def test_a_share_of_a_few_fen_rounding_to_zero_is_not_warned(formula: str, amount: str) -> None:
    """A share below 50 % of 1 fen of rent rounds to 0.00 under any such policy (the real
    稳岗返还 refunds 30 % of premiums, with no minimum): that is the fen rounding, not a
    missing criterion, and warning on it flagged 7 of the 37 library policies, 3 or 4 of
    them depending on which probe happened to hold 1 fen."""
    assert _findings(_gated(formula, "rent_paid", "rent_paid: 4000", amount)) == []


def test_a_formula_that_gives_exactly_zero_on_a_few_fen_is_still_warned() -> None:
    (warning,) = _findings(
        _gated("GREATEST(rent_paid - 0.5, 0)", "rent_paid", "rent_paid: 4000", "3999.50")
    )
    assert "gives 0 or less" in warning


def test_the_shipped_library_has_no_zero_amount_warning() -> None:
    lib = load_library([library_dir()])
    compiled = [(compile_policy(lp), lp.marks) for lp in lib.policies]
    assert zero_amount_findings(compiled) == []


GROWTH = """id: zero-growth
version: 1
title: {zh: 测试, en: Test}
department: {zh: 测试局, en: Test bureau}
level: district
region: "310114"
source: {document: 测试文件}
valid_from: 2026-01-01
valid_to: 2026-12-31
delivery: auto
data_year: 2025
criteria:
  - id: in_jiading
    label: {zh: 注册在嘉定区}
    expr: district_code = '310114'
  - id: software
    label: {zh: 软件和信息技术服务业}
    expr: industry_class >= '6500' AND industry_class <= '6599'
  - id: growth
    label: {zh: 营业收入增长不低于10%}
    expr: revenue >= %(rate)s * revenue[-1]
amount:
  formula: LEAST(0.01 * revenue, 200000)
tests:
  - name: grew
    profile: {district_code: "310114", industry_class: "6513", revenue: {2024: 10000000, 2025: 12000000}}
    expect: {status: eligible, amount: "120000.00"}
"""


def test_a_growth_that_holds_at_zero_both_years_is_warned() -> None:
    """Regression (QA, qa7): 'revenue >= 1.1 * revenue[-1]' holds at 0 and 0, where the
    formula pays 0.00; lint changed one year of the test case at a time (growth then
    failed) and said nothing, and publishing recorded 2 enterprises as zero_amount."""
    (warning,) = _findings(GROWTH.replace("%(rate)s", "1.1"))
    assert "can receive 0.00 yuan (for example with revenue[2025] = 0.00)" in warning


def test_a_growth_that_cannot_hold_at_zero_is_not_warned() -> None:
    text = GROWTH.replace("expr: revenue >= %(rate)s * revenue[-1]", "expr: revenue > revenue[-1]")
    assert _findings(text) == []

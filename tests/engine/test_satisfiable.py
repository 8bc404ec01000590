"""Criteria that can never all hold are a lint error naming them, the field and the fix;
satisfiable ones (an OR with a way out, NULL, what the analysis cannot read) never are."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import OFFICER
from huiqi.delivery.models import PolicyVersion
from huiqi.delivery.versions import publish_text
from huiqi.engine import satisfiable
from huiqi.engine.compile.compiler import EXAMPLE_POLICY, CompiledPolicy, compile_policy
from huiqi.engine.constraints import Atom, Var, feasible
from huiqi.engine.policycheck import check_text
from huiqi.engine.satisfiable import contradiction_errors, contradictions
from huiqi.errors import PolicyChecksFailed
from huiqi.policies.loader import library_dir, load_library, load_policy_text
from huiqi.policies.yamlmarks import Marks

CRITERION = "  - id: {id}\n    label: {{zh: {zh}, en: {id}}}\n    expr: {expr}\n"


def policy(*exprs: str, labels: tuple[str, ...] = ()) -> str:
    """The example policy with one criterion per expression, ids c1, c2, ..."""
    block = "".join(
        CRITERION.format(id=f"c{i}", zh=labels[i - 1] if labels else f"条件{i}", expr=e)
        for i, e in enumerate(exprs, start=1)
    )
    head, tail = EXAMPLE_POLICY.split("criteria:\n")
    return head + "criteria:\n" + block + tail[tail.index("amount:") :]


def _compiled(text: str) -> tuple[CompiledPolicy, Marks]:
    loaded = load_policy_text(text, "p.yaml")
    return compile_policy(loaded), loaded.marks


def found(*exprs: str) -> list[tuple[list[str], list[str]]]:
    cp = compile_policy(load_policy_text(policy(*exprs), "p.yaml"))
    return [([cp.checked[i].id for i in core], fields) for core, fields in contradictions(cp)]


@pytest.mark.parametrize(
    ("exprs", "expected"),
    [
        (("revenue > 10000000", "revenue < 5000000"), [(["c1", "c2"], ["revenue (2024)"])]),
        (("revenue > 10 AND revenue < 5",), [(["c1"], ["revenue (2024)"])]),
        (
            ("industry_section IN ('C')", "industry_section = 'I'"),
            [(["c1", "c2"], ["industry_section"])],
        ),
        (("employees = 3 AND employees <> 3",), [(["c1"], ["employees (2024)"])]),
        (("revenue BETWEEN 5 AND 1 * 1",), [(["c1"], ["revenue (2024)"])]),
        (("NOT (revenue > 5)", "revenue > 7"), [(["c1", "c2"], ["revenue (2024)"])]),
        # Only the criteria that contradict each other are named, each one needed.
        (
            ("NOT credit_dishonest", "revenue >= 100", "employees > 0", "revenue < 50"),
            [(["c2", "c4"], ["revenue (2024)"])],
        ),
        # Whole numbers: no number of employees is above 3 and below 4.
        (("employees > 3", "employees < 4"), [(["c1", "c2"], ["employees (2024)"])]),
        # NULL: a comparison is TRUE for a known value only.
        (("revenue IS NULL", "revenue >= 0"), [(["c1", "c2"], ["revenue (2024)"])]),
        # Every branch of an OR contradicts the other criterion.
        (
            ("revenue < 5 OR revenue IS NULL", "revenue > 7"),
            [(["c1", "c2"], ["revenue (2024)"])],
        ),
        (
            ("holds(high_tech)", "NOT holds(high_tech)"),
            [(["c1", "c2"], ["high_tech held on 2024-12-31"])],
        ),
        (
            (
                "registration_date >= DATE '2024-06-01'",
                "registration_date < as_of - INTERVAL 1 YEAR",
            ),
            [(["c1", "c2"], ["registration_date"])],
        ),
        # The same expression is the same value on a row.
        (
            ("has_tag(tags, 'regional_hq')", "NOT has_tag(tags, 'regional_hq')"),
            [(["c1", "c2"], ["tags"])],
        ),
        (
            ("COALESCE(rent_paid, 0) > 100", "COALESCE(rent_paid, 0) < 10"),
            [(["c1", "c2"], ["rent_paid (2024)"])],
        ),
        (("1 > 2",), [(["c1"], [])]),
        # Two separate contradictions are both reported.
        (
            ("revenue > 10", "employees < 1", "revenue < 5", "employees > 2"),
            [(["c1", "c3"], ["revenue (2024)"]), (["c2", "c4"], ["employees (2024)"])],
        ),
    ],
)
def test_criteria_that_can_never_all_hold_are_found(
    exprs: tuple[str, ...], expected: list[tuple[list[str], list[str]]]
) -> None:
    assert found(*exprs) == expected


@pytest.mark.parametrize(
    "exprs",
    [
        ("revenue > 5", "revenue < 10"),
        ("revenue >= 5", "revenue <= 5"),
        ("revenue > 5", "revenue < 6"),  # money is not whole: 5.50 yuan
        ("revenue > 10 OR revenue < 5", "revenue > 7"),
        ("revenue IS NULL OR revenue > 10", "revenue < 5 OR revenue IS NULL"),
        ("NOT (revenue > 5 AND revenue < 10)", "revenue > 7"),
        ("employees >= 3", "employees <= 4", "employees <> 3"),
        ("industry_section IN ('C', 'I')", "industry_section <> 'C'"),
        # What the analysis cannot read is no condition: across columns, arithmetic.
        ("rd_expense >= 0.5 * revenue", "rd_expense < 0.1 * revenue"),
        ("revenue > employees", "revenue < employees"),
        ("revenue / employees > 10", "revenue / employees < 5"),
        # A year apart is another value.
        ("revenue > 10", "revenue[-1] < 5"),
        ("holds(high_tech)", "NOT holds(high_tech, DATE '2023-12-31')"),
        ("COALESCE(rent_paid, 0) > 100", "rent_paid IS NULL"),
        ("years_since(registration_date) < 3", "years_since(registration_date) >= 2"),
        ("IF(revenue > 10, TRUE, FALSE)", "revenue < 20"),
        # Constants the compiler widens (CAST ... AS DECIMAL) are not read: no condition.
        (
            "revenue >= 1000000000000000000000000000000 - 1",
            "revenue < 1000000000000000000000000000000",
        ),
        # A NULL is not bounded by the field's range.
        ("revenue IS NULL",),
        ("employees IS NULL OR employees < 0",),
        # The range bounds a field's own value, not a group's total.
        ("group_total(revenue) > 20000000000000",),
    ],
)
def test_satisfiable_criteria_are_never_reported(exprs: tuple[str, ...]) -> None:
    assert found(*exprs) == []


def test_38_digit_bounds_are_compared_exactly() -> None:
    # 38 digits, exactly: rounded to Python's 28, the upper bound fell to the lower and
    # the whole numbers X + 1 and X + 2 between them were missed. (In a rule, employees
    # this large are outside the dictionary's range: see the test below.)
    x = Var("employees__2024", ("employees (2024)",), discrete=True)
    low = Decimal(12345678901234567890123456780000000000)
    high = Decimal(12345678901234567890123456780000000003)
    assert feasible([Atom(x, ">", (low,), "number"), Atom(x, "<", (high,), "number")])
    next_up = Decimal(12345678901234567890123456780000000001)
    assert not feasible([Atom(x, ">", (low,), "number"), Atom(x, "<", (next_up,), "number")])


@pytest.mark.parametrize(
    ("exprs", "expected"),
    [
        (("employees < 0",), [(["c1"], ["employees (2024)"])]),
        (("revenue > 10000000000001",), [(["c1"], ["revenue (2024)"])]),
        (("founder_age < 16 OR founder_age > 100",), [(["c1"], ["founder_age"])]),
        (("revenue > 5", "employees > 5000000"), [(["c2"], ["employees (2024)"])]),
        (
            ("employees > 12345678901234567890123456780000000000",),
            [(["c1"], ["employees (2024)"])],
        ),
    ],
)
def test_criteria_outside_the_dictionarys_range_are_found(
    exprs: tuple[str, ...], expected: list[tuple[list[str], list[str]]]
) -> None:
    assert found(*exprs) == expected


def test_the_range_error_says_the_range_and_that_imports_refuse_values_outside() -> None:
    text = policy("employees < 0 OR employees > 6000000")
    (error,) = contradiction_errors([_compiled(text)])
    assert "criterion 'c1': it is never true for data huiqi accepts" in error.message
    assert "employees to 0..5000000 persons" in error.message
    assert "an import refuses values outside" in error.message
    # At the range's edges the criterion can hold: no error.
    assert contradiction_errors([_compiled(policy("employees <= 0 OR employees >= 5000000"))]) == []


def test_a_search_too_long_is_given_up_without_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    exprs = ("revenue < 5 OR revenue < 6 OR revenue < 7", "revenue > 10")
    assert found(*exprs) == [(["c1", "c2"], ["revenue (2024)"])]
    monkeypatch.setattr(satisfiable, "MAX_STEPS", 2)
    assert found(*exprs) == []


def test_the_message_names_the_criteria_their_labels_the_field_and_the_fix() -> None:
    text = policy(
        "NOT credit_dishonest",
        "revenue >= 10000000",
        "revenue < 500",
        labels=("信用良好", "营业收入不低于1000万元", "营业收入低于500万元"),
    )
    check = check_text(text, "p.yaml")
    assert not check.ok
    (problem,) = [p for p in check.problems if "contradict" in p.message]
    assert problem.severity == "error"
    assert (problem.line, problem.column, problem.field) == (19, 11, "criteria[1].expr")
    assert problem.message == (
        "criteria 'c2' (营业收入不低于1000万元), 'c3' (营业收入低于500万元) contradict each"
        " other on revenue (2024): no enterprise can meet them all, so none can be eligible;"
        " correct a threshold (amounts in rules are yuan) or the direction of a comparison,"
        " or remove the criterion that does not belong"
    )


def test_one_criterion_that_is_never_true_is_reported_at_its_expression() -> None:
    cp = compile_policy(load_policy_text(policy("revenue > 10 AND revenue < 5"), "p.yaml"))
    (error,) = contradiction_errors([(cp, load_policy_text(policy("x"), "p.yaml").marks)])
    assert str(error.location) == "p.yaml, line 16, column 11, field 'criteria[0].expr'"
    assert error.message == (
        "criterion 'c1': its conditions on revenue (2024) contradict each other, so it is"
        " never true and no enterprise can be eligible; correct a threshold (amounts in"
        " rules are yuan) or the direction of a comparison"
    )


def test_the_shipped_library_has_no_contradictory_criteria() -> None:
    lib = load_library([library_dir()])
    assert lib.policies and not lib.errors
    assert contradiction_errors([(compile_policy(lp), lp.marks) for lp in lib.policies]) == []


def test_publishing_refuses_it_and_records_nothing(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(PolicyChecksFailed, match="contradict each other on revenue"):
        publish_text(sessions, policy("revenue > 10", "revenue < 5"), "p.yaml", actor=OFFICER)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(PolicyVersion)) == 0
    pv, new = publish_text(
        sessions, policy("revenue > 10", "revenue < 50"), "p.yaml", actor=OFFICER
    )
    assert new and pv.version == 1

"""The draft editor says in Chinese which criteria can never all hold (engine.satisfiable),
values kept: the criteria with their labels, the fields, what to change."""

from __future__ import annotations

import pytest

from huiqi.engine.compile.compiler import EXAMPLE_POLICY
from huiqi.engine.policycheck import check_text
from huiqi.web.i18n import translations
from huiqi.web.refusals import localise


def _draft(*exprs: str) -> str:
    block = "".join(
        f"  - id: c{i}\n    label: {{zh: 营业收入条件{i}, en: c{i}}}\n    expr: {e}\n"
        for i, e in enumerate(exprs, start=1)
    )
    head, tail = EXAMPLE_POLICY.split("criteria:\n")
    return head + "criteria:\n" + block + tail[tail.index("amount:") :]


@pytest.mark.parametrize(
    ("exprs", "chinese"),
    [
        (
            ("revenue > 10000000", "revenue < 5000000"),
            "条件 'c1' (营业收入条件1), 'c2' (营业收入条件2) 在 revenue (2024) 上相互矛盾："
            "没有企业能同时满足，因此任何企业都不会符合条件；请修正门槛值（规则中的金额以元为单位）"
            "或比较方向，或删除不应有的条件",
        ),
        (
            ("revenue > 10 AND revenue < 5",),
            "条件“c1”：其对 revenue (2024) 的各项要求相互矛盾，因此该条件永远不成立，任何企业都不会"
            "符合条件；请修正门槛值（规则中的金额以元为单位）或比较方向",
        ),
        (
            ("1 > 2",),
            "条件“c1”：该条件永远不成立，因此任何企业都不会符合条件；请修正门槛值（规则中的金额以元为"
            "单位）或比较方向",
        ),
    ],
)
def test_contradictory_criteria_are_explained_in_chinese(
    exprs: tuple[str, ...], chinese: str
) -> None:
    (problem,) = [p for p in check_text(_draft(*exprs)).problems if p.severity == "error"]
    assert localise(translations("zh-CN"), problem.message) == chinese
    assert localise(translations("en"), problem.message) == problem.message


def test_the_text_without_fields_reads_in_chinese_too() -> None:
    english = (
        "criteria 'a' (甲), 'b' (乙) contradict each other: no enterprise can meet them all, so"
        " none can be eligible; correct a threshold (amounts in rules are yuan) or the"
        " direction of a comparison, or remove the criterion that does not belong"
    )
    assert localise(translations("zh-CN"), english).startswith("条件 'a' (甲), 'b' (乙) 相互矛盾：")

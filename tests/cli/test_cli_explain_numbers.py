"""``huiqi explain`` writes its numbers one way: money to the fen (two decimals, more only
where the exact amount before rounding has them), other numbers as written, without
trailing zeros. Regression (qa9): one panel read "computed: 19,260.0000 yuan" beside
"1,119.228", a cap of "500000" beside an amount of "12.30", and "250.50 人"."""

from __future__ import annotations

from rich.console import Console

from huiqi.cli.render import render_explanation
from huiqi.engine.trace import PolicyTrace


def _field(field: str, label: str, type_: str, unit: str | None) -> dict[str, object]:
    return {
        "field": field,
        "label": label,
        "label_en": field,
        "type": type_,
        "year": 2025,
        "source": "tax",
        "unit": unit,
    }


def _text(computed: str, cap: str, values: dict[str, str]) -> str:
    trace = PolicyTrace.from_json(
        {
            "format": 1,
            "policy_id": "p",
            "version": 1,
            "title": {"zh": "奖励", "en": "Award"},
            "delivery": "auto",
            "status": "eligible",
            "met": 1,
            "total": 1,
            "criteria": [
                {
                    "id": "c",
                    "label": "条件",
                    "expression": "revenue > 0",
                    "state": "met",
                    "values": values,
                }
            ],
            "amount": {
                "formula": "0.06 * revenue",
                "values": {},
                "computed_yuan": computed,
                "floor": None,
                "cap": cap,
                "amount_fen": 1926000,
            },
            "fields": {
                "revenue__2025": _field("revenue", "营业收入", "money", "yuan"),
                "employees__2025": _field("employees", "从业人员", "decimal", "persons"),
                "rd_ratio__2025": _field("rd_ratio", "研发比例", "decimal", "%"),
            },
            "missing": [],
        }
    )
    console = Console(record=True, width=200, color_system=None)
    render_explanation(console, trace)
    return console.export_text()


def test_money_is_to_the_fen_and_plain_numbers_carry_no_padding() -> None:
    text = _text(
        "19260.0000",
        "500000",
        {"revenue__2025": "321000.5", "employees__2025": "250.50", "rd_ratio__2025": "3.1000"},
    )
    assert "computed: 19,260.00 yuan" in text
    assert "cap: 500,000.00 yuan" in text
    assert "amount (rounded half up to the fen): 19,260.00 yuan" in text
    assert "营业收入 2025 = 321,000.50 元" in text
    assert "从业人员 2025 = 250.5 人" in text
    assert "研发比例 2025 = 3.1 %" in text


def test_an_exact_amount_before_rounding_keeps_its_digits() -> None:
    text = _text("1119.228", "1000000.5", {"revenue__2025": "18653.80"})
    assert "computed: 1,119.228 yuan" in text
    assert "cap: 1,000,000.50 yuan" in text
    assert "营业收入 2025 = 18,653.80 元" in text

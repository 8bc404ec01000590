"""``huiqi explain`` of a near miss says by how much it misses, in text and in --json.
Regression: it named the failing criterion and its values, never the distance to the
threshold (8.5 m of revenue against 10 m: short by 1.5 m)."""

from __future__ import annotations

import json
from pathlib import Path

import cliutil
import pytest

from huiqi.config import Settings
from huiqi.profiles.importer import import_file
from huiqi.profiles.uscc import make

SMALL = make("91310115MA1H8R0C4")
POLICY = """\
id: revenue-award
version: 1
title: {zh: 营收奖励, en: Revenue award}
department: {zh: 某区经委, en: District Economic Commission}
source: {document: 某府规〔2026〕2号, article: 第一条}
level: district
region: "310115"
valid_from: 2026-01-01
valid_to: 2026-12-31
data_year: 2025
delivery: apply
criteria:
  - id: revenue
    label: {zh: 营业收入不低于1000万元, en: Revenue at least 10 million yuan}
    expr: revenue >= 10000000
  - id: staff
    label: {zh: 从业人员不超过300人, en: At most 300 employees}
    expr: employees <= 400
amount: {formula: "10000"}
"""
ZH = "营业收入 850 万元，要求不低于 1,000 万元，还差 150 万元"
EN = "Revenue 8,500,000 yuan, >= 10,000,000 yuan required: short by 1,500,000 yuan"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gap")
    settings = Settings(root / "data")
    market = [["统一社会信用代码", "企业名称"], [SMALL, "甲公司"]]
    stats = [["统一社会信用代码", "年度", "从业人员"], [SMALL, "2025", "320"]]
    tax = [["统一社会信用代码", "年度", "营业收入(元)"], [SMALL, "2025", "8500000.00"]]
    for name, rows in (("market", market), ("statistics", stats), ("tax", tax)):
        assert (
            import_file(settings, cliutil.write_csv(root / f"{name}.csv", rows)).rows_rejected == 0
        )
    (root / "revenue-award.yaml").write_text(POLICY, encoding="utf-8")
    return root


def test_explain_says_by_how_much_a_near_miss_misses(data: Path) -> None:
    tokens = cliutil.accounts(data / "data")
    args = ("explain", SMALL, "--policies", str(data / "revenue-award.yaml"))

    code, out = cliutil.run(data / "data", *args, "--json", token=tokens["officer"])
    assert code == 0, out
    (e,) = json.loads(out)
    assert e["status"] == "near_miss"
    revenue, staff = e["criteria"]
    assert revenue["gap"] == {
        "field": "revenue",
        "year": 2025,
        "unit": "yuan",
        "op": ">=",
        "actual": "8500000.00",
        "required": "10000000",
        "shortfall": "1500000.00",
        "direction": "short",
        "beyond": False,
        "text": {"zh": ZH, "en": EN},
    }
    assert "gap" not in staff  # met: nothing to close

    code, out = cliutil.run(data / "data", *args, token=tokens["officer"])
    assert code == 0, out
    flat = " ".join(out.split())
    assert f"gap: {EN} ({ZH})" in flat, out

"""``huiqi explain`` of a ratio whose divisor is 0 says which divisor is 0. It broke: the
status was "needs data" (division by zero is unknown, by design) but the explanation
listed nothing missing, in the text, in ``--json`` and in what delivery stores."""

from __future__ import annotations

import json
from pathlib import Path

import cliutil
import pytest

from huiqi.config import Settings
from huiqi.engine.api import explain
from huiqi.engine.compile.compiler import compile_policy
from huiqi.policies.loader import load_policy
from huiqi.profiles.importer import import_file
from huiqi.profiles.uscc import make

NO_STAFF, STAFFED = make("91310115MA1H8R0C4"), make("91310115MA1H8R1C4")
POLICY = """\
id: rd-ratio-award
version: 1
title: {zh: 研发人员占比奖励, en: R&D staff ratio award}
department: {zh: 某区科委, en: District Science Commission}
source: {document: 某府规〔2026〕1号, article: 第一条}
level: district
region: "310115"
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
SAYS_EN = "employees is 0: rd_staff / employees cannot be computed"
SAYS_ZH = "从业人员（employees）为0，无法计算 rd_staff / employees"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("zero")
    settings = Settings(root / "data")
    market = [["统一社会信用代码", "企业名称"], [NO_STAFF, "甲公司"], [STAFFED, "乙公司"]]
    stats = [
        ["统一社会信用代码", "年度", "从业人员", "研发人员"],
        [NO_STAFF, "2025", "0", "2"],
        [STAFFED, "2025", "20", "2"],
    ]
    for f in (
        cliutil.write_csv(root / "market.csv", market),
        cliutil.write_csv(root / "statistics.csv", stats),
    ):
        assert import_file(settings, f).rows_rejected == 0
    (root / "rd-ratio-award.yaml").write_text(POLICY, encoding="utf-8")
    return root


@pytest.mark.parametrize("backend", ["single", "numpy", "duckdb"])
def test_explain_in_process_names_the_divisor_that_is_zero(data: Path, backend: str) -> None:
    cp = compile_policy(load_policy(data / "rd-ratio-award.yaml"))
    settings = Settings(data / "data")

    (trace,) = explain(settings, NO_STAFF, [cp], backend=backend)
    (staffed,) = explain(settings, STAFFED, [cp], backend=backend)

    assert (trace.status, trace.missing) == ("needs_data", ())
    assert [(z.criterion, z.text_en, z.text_zh) for z in trace.zero_divisors] == [
        ("rd_ratio", SAYS_EN, SAYS_ZH)
    ]
    assert staffed.status == "eligible" and staffed.zero_divisors == ()


def test_the_cli_says_which_divisor_is_zero_in_text_and_json(data: Path) -> None:
    tokens = cliutil.accounts(data / "data")
    args = ("explain", NO_STAFF, "--policies", str(data / "rd-ratio-award.yaml"))

    code, out = cliutil.run(data / "data", *args, "--json", token=tokens["officer"])
    assert code == 0, out
    (e,) = json.loads(out)
    assert (e["status"], e["missing"]) == ("needs_data", [])
    assert e["zero_divisors"] == [
        {
            "criterion": "rd_ratio",
            "quotient": "rd_staff / employees",
            "divisor": "employees",
            "columns": ["employees__2025"],
            "text": {"zh": SAYS_ZH, "en": SAYS_EN},
        }
    ]

    code, out = cliutil.run(data / "data", *args, token=tokens["officer"])
    assert code == 0, out
    flat = " ".join(out.split())
    assert f"cannot compute: {SAYS_EN} ({SAYS_ZH})" in flat, out

"""``huiqi application documents RECORD_ID``: the materials an application must attach
(its policy's ``documents``), required or optional, beside the files attached; refused
to whoever may not read the application."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cliutil
import pytest

from huiqi.config import Settings
from huiqi.profiles.importer import import_file
from huiqi.profiles.uscc import make

APPLICANT = make("91310115MA1H8R0C4")
POLICY = """\
id: docs-award
version: 1
title: {zh: 材料测试奖励, en: Documents award}
department: {zh: 某区经委, en: District Economic Commission}
source: {document: 某府规〔2026〕3号（示例）, article: 第一条}
level: district
region: "310115"
valid_from: 2026-01-01
valid_to: 2026-12-31
data_year: 2025
delivery: apply
criteria:
  - id: district
    label: {zh: 注册在浦东新区, en: Registered in Pudong}
    expr: district_code = '310115'
  - id: revenue
    label: {zh: 营业收入不低于100万元, en: Revenue at least 1 million yuan}
    expr: revenue >= 1000000
amount: {formula: "10000"}
documents:
  - label: {zh: 申请表, en: Application form}
  - label: {zh: 审计报告}
    required: false
tests:
  - name: revenue high enough
    profile: {district_code: "310115", revenue: 2000000}
    expect: {status: eligible, amount: "10000"}
  - name: revenue too low
    profile: {district_code: "310115", revenue: 100000}
    expect: {status: not_eligible, failing: [revenue]}
"""


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("docs")
    settings = Settings(root / "data")
    market = [["统一社会信用代码", "企业名称", "注册区划代码"], [APPLICANT, "甲公司", "310115"]]
    tax = [["统一社会信用代码", "年度", "营业收入(元)"], [APPLICANT, "2025", "2000000"]]
    for name, rows in (("market", market), ("tax", tax)):
        assert import_file(settings, _csv(root / f"{name}.csv", rows)).rows_rejected == 0
    (root / "docs-award.yaml").write_text(POLICY, encoding="utf-8")
    return root


def test_the_checklist_of_an_application(data: Path) -> None:
    tokens = cliutil.accounts(data / "data", ent=[f"enterprise={APPLICANT}"])
    code, out = cliutil.run(
        data / "data", "publish", str(data / "docs-award.yaml"), token=tokens["officer"]
    )
    assert code == 0, out
    code, out = cliutil.run(data / "data", "application", "list", "--json", token=tokens["officer"])
    assert code == 0, out
    (app,) = json.loads(out)
    record = str(app["record_id"])

    code, out = cliutil.run(data / "data", "application", "documents", record, token=tokens["ent"])
    assert code == 0, out
    flat = " ".join(out.split())
    assert f"application {record} · docs-award v1" in flat
    assert "申请表 (Application form) — required" in flat
    assert "审计报告 — optional" in flat
    assert "files attached (0): none" in flat

    code, out = cliutil.run(
        data / "data", "application", "documents", record, "--json", token=tokens["officer"]
    )
    assert code == 0, out
    body = json.loads(out)
    assert body["documents"] == [
        {"label": {"zh": "申请表", "en": "Application form"}, "required": True},
        {"label": {"zh": "审计报告", "en": None}, "required": False},
    ]
    assert (body["policy_id"], body["version"], body["files"]) == ("docs-award", 1, [])

    # The finance officer reads no application's files, nor its checklist: exit 5.
    code, out = cliutil.run(
        data / "data", "application", "documents", record, token=tokens["finance"]
    )
    assert code == 5, out

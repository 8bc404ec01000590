"""``huiqi application documents RECORD_ID``: the materials an application must attach
(its policy's ``documents``), required or optional, beside the files attached; refused
to whoever may not read the application."""

from __future__ import annotations

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


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("docs")
    settings = Settings(root / "data")
    market = [["统一社会信用代码", "企业名称", "注册区划代码"], [APPLICANT, "甲公司", "310115"]]
    tax = [["统一社会信用代码", "年度", "营业收入(元)"], [APPLICANT, "2025", "2000000"]]
    for name, rows in (("market", market), ("tax", tax)):
        assert (
            import_file(settings, cliutil.write_csv(root / f"{name}.csv", rows)).rows_rejected == 0
        )
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
    assert "申请表 (Application form) — required; MISSING" in flat
    assert "审计报告 — optional; not attached" in flat
    assert "other files (0): none" in flat
    assert f"'huiqi application attach {record} FILE --document 申请表'" in flat

    code, out = cliutil.run(
        data / "data", "application", "documents", record, "--json", token=tokens["officer"]
    )
    assert code == 0, out
    body = json.loads(out)
    assert body["documents"] == [
        {"label": {"zh": "申请表", "en": "Application form"}, "required": True, "files": []},
        {"label": {"zh": "审计报告", "en": None}, "required": False, "files": []},
    ]
    assert (body["policy_id"], body["version"], body["files"]) == ("docs-award", 1, [])
    assert body["missing"] == ["申请表"]

    # The finance officer reads no application's files, nor its checklist: exit 5.
    code, out = cliutil.run(
        data / "data", "application", "documents", record, token=tokens["finance"]
    )
    assert code == 5, out


def test_a_required_document_holds_back_the_submission_until_a_file_is_attached_as_it(
    tmp_path: Path, data: Path
) -> None:
    """An application is not submitted while a document its policy requires has no file
    attached as it (exit 4, naming the document and the command); 'huiqi application
    attach … --document' attaches one (by its Chinese or English name), and then it is."""
    tokens = cliutil.accounts(data / "data", ent=[f"enterprise={APPLICANT}"])
    code, out = cliutil.run(
        data / "data", "publish", str(data / "docs-award.yaml"), token=tokens["officer"]
    )
    assert code == 0, out
    code, out = cliutil.run(data / "data", "application", "list", "--json", token=tokens["ent"])
    (app,) = json.loads(out)
    record = str(app["record_id"])
    assert app["status"] == "application_open", app
    ent = tokens["ent"]
    code, out = cliutil.run(data / "data", "application", "submit", record, token=ent)
    assert code == 4, out
    flat = " ".join(out.split())
    assert f"application {record} lacks documents its policy requires: 申请表" in flat, flat
    assert f"'huiqi application attach {record} FILE --document 申请表'" in flat

    pdf = tmp_path / "申请表.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% a form\n%%EOF\n")
    other = tmp_path / "notes.pdf"
    other.write_bytes(b"%PDF-1.4\n% notes\n%%EOF\n")
    code, out = cliutil.run(
        data / "data", "application", "attach", record, str(pdf), "--document", "营业执照",
        token=ent,
    )  # fmt: skip
    assert code == 1 and "'营业执照' is not a document policy docs-award lists; it lists:" in out
    code, out = cliutil.run(data / "data", "application", "attach", record, str(other), token=ent)
    assert code == 0 and "attached notes.pdf" in out, out
    code, out = cliutil.run(data / "data", "application", "submit", record, token=ent)
    assert code == 4, out  # a file attached as no document counts for none
    code, out = cliutil.run(
        data / "data", "application", "attach", record, str(pdf), "--document", "APPLICATION FORM",
        token=ent,
    )  # fmt: skip
    assert code == 0 and "as 申请表" in out, out
    code, out = cliutil.run(data / "data", "application", "documents", record, "--json", token=ent)
    body = json.loads(out)
    assert body["missing"] == [] and len(body["documents"][0]["files"]) == 1
    assert {f["document"] for f in body["files"]} == {"申请表", None}
    code, out = cliutil.run(data / "data", "application", "submit", record, token=ent)
    assert code == 0, out

"""The contract-based corpus voucher from registry files to an explanation: import the
business registry, the credit list, relations and contracts; match the latest snapshot;
explain one enterprise."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from huiqi.config import Settings
from huiqi.engine.api import explain, run_matching
from huiqi.engine.compile.compiler import compile_policy
from huiqi.policies.loader import load_policy_text
from huiqi.profiles.importer import import_file
from huiqi.profiles.uscc import make

LIBRARY = Path(__file__).resolve().parents[2] / "huiqi" / "policies" / "library"
BUYER, SISTER, LONER = (make(f"91310115MA1H8R{i}C4") for i in range(3))
VENDOR = make("91440300MA5G7K2P1")
TOTAL = "unrelated_contract_total__c__20250101__20251231__corpus"


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_registry_files_to_match_and_explanation(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "data")
    files = [
        write_csv(
            tmp_path / "market.csv",
            [
                ["统一社会信用代码", "企业名称"],
                [BUYER, "甲公司"],
                [SISTER, "乙公司"],
                [LONER, "丙公司"],
            ],
        ),
        write_csv(
            tmp_path / "credit.csv",
            [["统一社会信用代码", "列入失信名单"], [BUYER, "否"], [SISTER, "否"], [LONER, "否"]],
        ),
        write_csv(
            tmp_path / "relations.csv",
            [
                [
                    "统一社会信用代码",
                    "关联方类型",
                    "关联方标识",
                    "关系类型",
                    "持股比例(%)",
                    "起始日期",
                    "终止日期",
                ],
                [BUYER, "自然人", "310101199001011234", "法定代表人", "", "2019-05-01", ""],
                [SISTER, "自然人", "310101199001011234", "法定代表人", "", "2021-01-01", ""],
            ],
        ),
        write_csv(
            tmp_path / "contracts.csv",
            [
                [
                    "买方统一社会信用代码",
                    "合同编号",
                    "卖方统一社会信用代码",
                    "合同类型",
                    "合同金额(元)",
                    "签订日期",
                ],
                # The sister company shares the buyer's legal representative: related.
                [BUYER, "HT-1", SISTER, "语料采购", "4000000.00", "2025-02-01"],
                [BUYER, "HT-2", VENDOR, "语料采购", "1000000.05", "2025-03-01"],
                [BUYER, "HT-3", VENDOR, "大模型调用或部署", "900000", "2025-03-01"],
                [SISTER, "HT-1", BUYER, "语料采购", "700000", "2025-04-01"],
            ],
        ),
    ]
    reports = [import_file(settings, f) for f in files]
    assert [r.mapping for r in reports] == ["market", "credit", "relations", "contracts"]
    assert all(r.rows_rejected == 0 for r in reports)
    snapshot = reports[-1].snapshot_id
    frozen = settings.snapshots_dir / str(snapshot)
    assert duckdb.sql(f"SELECT count(*) FROM '{frozen / 'contracts.parquet'}'").fetchall() == [(4,)]

    text = (LIBRARY / "sh-corpus-voucher-contracts-2026.yaml").read_text("utf-8")
    cp = compile_policy(load_policy_text(text, "sh-corpus-voucher-contracts-2026.yaml"))
    run = run_matching(settings, [cp])
    assert run.snapshot_id == snapshot and run.enterprises == 3
    matches = duckdb.sql(
        f"SELECT uscc, status, amount_fen FROM '{run.output_dir / 'matches.parquet'}' ORDER BY uscc"
    ).fetchall()
    # 30 % of the 1,000,000.05 bought from the outside vendor (half-up); the sister's
    # contract is not counted; the sister bought only from its related party, the third
    # enterprise nothing (2025 is covered: that is 0, not unknown). Neither is a near miss:
    # a contract total is not a threshold with a margin (engine/compile/nearness).
    assert matches == [(BUYER, "eligible", 30000002)]

    (trace,) = explain(settings, BUYER, [cp])
    data = trace.to_json()
    assert data["status"] == "eligible"
    assert data["criteria"][0]["values"] == {TOTAL: "1000000.05"}
    assert data["amount"]["values"] == {TOTAL: "1000000.05"}
    assert (
        data["fields"][TOTAL]["label"] == "非关联方合同金额合计（2025-01-01至2025-12-31，语料采购）"
    )
    assert data["fields"][TOTAL]["source"] == "ai_platform"
    # Which contracts were counted: the vendor's corpus contract, not the sister's.
    assert data["contracts"] == {TOTAL: {"count": 1, "contract_ids": ["HT-2"]}}
    (loner,) = explain(settings, LONER, [cp])
    # 2025 is covered: no contract is 0, not unknown (a known failure, not a near miss).
    assert loner.status == "not_eligible"
    assert loner.to_json()["criteria"][0]["values"] == {TOTAL: "0.00"}

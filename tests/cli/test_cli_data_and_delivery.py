"""The CLI end to end for importing files, the demo, and the delivery workflow of the README."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from huiqi.cli.main import cli
from huiqi.profiles.uscc import make


def run(data: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(data), *args])
    return result.exit_code, result.output


def test_import_gbk_file_keeps_good_rows_and_exits_4_on_a_bad_one(tmp_path: Path) -> None:
    good, bad = make("91310115MA0000001"), "91310115MA1H8R7C6D"
    text = (
        "统一社会信用代码,企业名称,成立日期,注册区划代码,行业代码,登记注册类型\n"
        f"{good},上海测试科技有限公司,2021-03-04,310115,6513,有限责任公司\n"
        f"{bad},上海错误代码有限公司,2021-03-04,310115,6513,有限责任公司\n"
    )
    path = tmp_path / "market.csv"
    path.write_bytes(text.encode("gbk"))
    code, out = run(tmp_path / "data", "import", str(path), "--mapping", "market")
    assert code == 4, out
    assert "Rows: 2 read, 1 accepted, 1 rejected" in out
    assert "line 3, column '统一社会信用代码' (field 'uscc')" in out
    assert "check character is 'D' but should be '7'" in out
    code, out = run(tmp_path / "data", "snapshots")
    assert code == 0 and "rejected 1" in out


def test_demo_runs_on_a_small_population(tmp_path: Path) -> None:
    code, out = run(tmp_path, "demo", "--enterprises", "500")
    assert code == 0, out
    assert "Matches per policy" in out and "Top near-misses" in out
    assert (tmp_path / "profiles.duckdb").exists()


def test_readme_delivery_workflow(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "generate", "-n", "2000", "--seed", "3")[0] == 0
    assert run(data, "user", "add", "officer", "--role", "policy_officer")[0] == 0
    assert run(data, "user", "add", "finance", "--role", "finance_officer")[0] == 0
    library = Path(__file__).resolve().parents[2] / "huiqi" / "policies" / "library"
    code, out = run(
        data, "publish", str(library / "sh-stable-jobs-refund-2026.yaml"), "--as", "officer"
    )
    assert code == 0 and "granted" in out, out
    code, out = run(
        data, "publish", str(library / "sh-startup-opening-subsidy-2026.yaml"), "--as", "officer"
    )
    assert code == 0 and "offered" in out, out
    with sqlite3.connect(data / "huiqi.db") as con:
        offer_id, uscc = con.execute(
            "SELECT id, uscc FROM entitlements WHERE status = 'offered' ORDER BY id LIMIT 1"
        ).fetchone()
    # A finance officer may not claim for an enterprise: access denied, exit 5.
    code, out = run(data, "claim", str(offer_id), "--as", "finance")
    assert code == 5 and "may not do this" in out
    assert run(data, "user", "add", "ent", "--role", "enterprise", "--uscc", uscc)[0] == 0
    code, first = run(data, "claim", str(offer_id), "--as", "ent")
    code2, second = run(data, "claim", str(offer_id), "--as", "ent")
    assert code == code2 == 0
    assert "already claimed" in second
    assert first.split("grant ")[1].split(",")[0] == second.split("grant ")[1].split(",")[0]
    code, out = run(data, "disburse", "export", "--as", "finance")
    assert code == 0 and "batch 1" in out, out
    code, out = run(data, "disburse", "export", "--as", "finance")
    assert "0 grants" in out
    with sqlite3.connect(data / "huiqi.db") as con:
        (grant_id,) = con.execute("SELECT MIN(id) FROM grants").fetchone()
    code, out = run(data, "audit", "recompute", str(grant_id))
    assert code == 0 and "same decision" in out, out
    code, out = run(data, "inbox", uscc, "--as", "ent")
    assert code == 0 and "已确认领取" in out
    code, out = run(data, "audit", "log", "--limit", "5")
    assert code == 0 and "batch" in out

"""The CLI end to end in a data directory whose path is hostile to SQL text."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import duckdb
from cliutil import accounts, run

from huiqi.profiles.uscc import make

LIBRARY = Path(__file__).resolve().parents[2] / "huiqi" / "policies" / "library"


def test_quote_space_and_chinese_in_the_data_dir_path(tmp_path: Path) -> None:
    """Regression: the snapshot COPY pasted the path into SQL, so a ' in it broke every import."""
    data = tmp_path / "惠企 data's dir"
    market = tmp_path / "企业 it's.csv"
    market.write_text(
        "统一社会信用代码,企业名称,成立日期,注册区划代码,行业代码,登记注册类型\n"
        f"{make('91310115MA0000001')},上海测试科技有限公司,2021-03-04,310115,6513,有限责任公司\n"
        "91310115MA1H8R7C6D,上海错误代码有限公司,2021-03-04,310115,6513,有限责任公司\n",
        encoding="utf-8",
    )
    tokens = accounts(data)
    steward, officer, finance = tokens["steward"], tokens["officer"], tokens["finance"]
    code, out = run(data, "import", str(market), "--mapping", "market", token=steward)
    assert code == 4 and "1 rejected" in out, out
    assert run(data, "generate", "-n", "300", "--seed", "5", token=steward)[0] == 0
    code, out = run(data, "match", token=officer)
    assert code == 0 and "matches:" in out, out
    policy = str(LIBRARY / "sh-stable-jobs-refund-2026.yaml")
    code, out = run(data, "publish", policy, token=officer)
    assert code == 0 and "granted" in out, out
    with duckdb.connect(str(data / "profiles.duckdb"), read_only=True) as con:
        row = con.execute("SELECT uscc FROM enterprises ORDER BY uscc LIMIT 1").fetchone()
    assert row is not None
    code, out = run(data, "explain", row[0], "--all", token=officer)
    assert code == 0, out
    code, out = run(data, "disburse", "export", token=finance)
    assert code == 0 and "batch 1" in out, out
    for folder, dirs, files in os.walk(data):
        for name in dirs:
            assert stat.S_IMODE((Path(folder) / name).stat().st_mode) == 0o700, name
        for name in files:
            assert stat.S_IMODE((Path(folder) / name).stat().st_mode) == 0o600, name

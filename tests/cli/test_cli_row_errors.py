"""Issue 9: one value must never stop a city-wide run, here through the CLI.

The real way a value reaches the engine outside the dictionary's range: an office's own
field is imported under a wide range, then the office narrows the range in
``<data dir>/dictionary.yaml``. The rules compile against the narrowed range (64-bit
arithmetic is enough for it), while the latest snapshot still holds the old value.
Matching, explaining and publishing then make that enterprise an 'error' row with the
database's reason, count and report it, grant it nothing, and match everyone else.
"""

from __future__ import annotations

import json
from pathlib import Path

from cliutil import accounts, run

from huiqi.profiles.uscc import make

SMALL, MIDDLE, HUGE = (make(f"91310115MA000000{i}") for i in (1, 2, 3))

DICTIONARY = """\
registries:
  economy: {zh: 区经委, en: District economy commission}
fields:
  - name: carbon_reduction
    type: decimal
    yearly: true
    unit: tce
    range: [0, RANGE_MAX]
    label: {zh: 年度碳减排量, en: Carbon reduction in the year}
    source: economy
"""

MAPPING = """\
name: carbon
registry: economy
layout: yearly
columns:
  统一社会信用代码: uscc
  年度: year
  碳减排量(吨标准煤): carbon_reduction
"""

POLICY = """\
id: carbon-award
version: 1
title: {zh: 减碳奖励（示例）, en: Carbon award (example)}
department: {zh: 市经济信息化委, en: The city's economy commission}
level: city
region: "310000"
source: {document: 示例文件}
valid_from: 2026-01-01
valid_to: 2026-12-31
delivery: auto
data_year: 2025
criteria:
  - id: carbon
    label: {zh: 年度碳减排量不低于100吨标准煤, en: At least 100 tce saved}
    expr: carbon_reduction >= 100
amount: {formula: "20 * carbon_reduction", cap: 500000}
"""


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def flat(out: str) -> str:
    return " ".join(out.split())


def test_a_value_outside_a_narrowed_range_is_an_error_row_and_the_others_are_matched(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    tokens = accounts(data)
    steward, officer = tokens["steward"], tokens["officer"]
    _write(data / "dictionary.yaml", DICTIONARY.replace("RANGE_MAX", "900000000000"))
    rows = [["统一社会信用代码", "年度", "碳减排量(吨标准煤)"]]
    rows += [[SMALL, "2025", "90"], [MIDDLE, "2025", "250.5"], [HUGE, "2025", "800000000000"]]
    csv = _write(tmp_path / "carbon.csv", "\n".join(",".join(r) for r in rows) + "\n")
    mapping = _write(tmp_path / "carbon.yaml", MAPPING)
    code, out = run(data, "import", str(csv), "--mapping", str(mapping), token=steward)
    assert code == 0, out
    # The office narrows its range; the snapshot keeps the value imported before.
    _write(data / "dictionary.yaml", DICTIONARY.replace("RANGE_MAX", "1000000"))
    policy = _write(tmp_path / "carbon-award.yaml", POLICY)
    code, out = run(data, "policy", "lint", str(policy))
    assert code == 0, out

    code, out = run(data, "match", "--policies", str(policy), "--json", token=officer)
    assert code == 0, out
    summary = json.loads(out)
    (award,) = summary["policies"]
    assert (award["eligible"], award["near_miss"], award["error"]) == (1, 1, 1)
    assert summary["errors"] == 1 and award["amount_fen"] == 501000
    (reason,) = award["error_reasons"]
    assert reason.startswith("1 row: evaluating this enterprise failed (Out of Range Error")
    run_dir = Path(summary["output_dir"])
    assert json.loads((run_dir / "summary.json").read_text())["errors"] == 1

    code, out = run(data, "match", "--policies", str(policy), token=officer)
    assert code == 0, out
    assert "1 enterprise×policy rows are errors (not offered, not granted)" in flat(out)
    assert "carbon-award: 1 row: evaluating this enterprise failed" in flat(out)

    code, out = run(data, "explain", HUGE, "--policies", str(policy), "--json", token=officer)
    assert code == 0, out
    (trace,) = json.loads(out)
    assert trace["status"] == "error" and "Overflow" in trace["error"]
    assert trace["amount"]["amount_fen"] is None

    code, out = run(data, "publish", str(policy), token=officer)
    assert code == 0, out
    assert "granted 1 (5,010.00 yuan)" in flat(out)
    assert "errors (not delivered) 1: 1: evaluating this enterprise failed" in flat(out)
    code, out = run(data, "grants", "--json", token=officer)
    assert code == 0, out
    assert [g["uscc"] for g in json.loads(out)] == [MIDDLE]

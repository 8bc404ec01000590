"""An office adds fields in <data dir>/dictionary.yaml: imported, used in a policy, explained,
matched; removing one that a published version reads is refused."""

from __future__ import annotations

import json
from pathlib import Path

from cliutil import accounts, run

from huiqi.cli.common import EXIT_FINDINGS
from huiqi.profiles.uscc import make

GREEN, GREY, BAD = make("91310115MA0000001"), make("91310115MA0000002"), make("91310115MA0000003")

DICTIONARY = """\
registries:
  economy: {zh: 区经委 绿色制造名单, en: District economy commission (green manufacturing)}
code_lists:
  green_levels:
    national: {zh: 国家级, en: National}
    municipal: {zh: 市级, en: Municipal}
fields:
  - name: green_factory_level
    type: enum
    codes: green_levels
    label: {zh: 绿色工厂等级, en: Green-factory level}
    source: economy
  - name: carbon_reduction
    type: decimal
    yearly: true
    unit: tce
    range: [0, 1000000]
    label: {zh: 年度碳减排量, en: Carbon reduction in the year}
    source: economy
"""

STATIC_MAPPING = """\
name: green_list
registry: economy
layout: static
columns:
  统一社会信用代码: uscc
  绿色工厂等级: green_factory_level
"""

YEARLY_MAPPING = """\
name: green_carbon
registry: economy
layout: yearly
columns:
  统一社会信用代码: uscc
  年度: year
  碳减排量(吨标准煤): carbon_reduction
"""

POLICY = """\
id: xh-green-factory-award-2026
version: 1
title: {zh: 绿色工厂减碳奖励（示例）, en: Green-factory carbon award (example)}
department: {zh: 某区经济委员会, en: A district economy commission}
level: district
region: "310104"
source: {document: 某区关于促进绿色制造的若干措施（示例）}
valid_from: 2026-01-01
valid_to: 2026-12-31
delivery: confirm
data_year: 2025
criteria:
  - id: green_factory
    label: {zh: 获评市级以上绿色工厂, en: A municipal or national green factory}
    expr: green_factory_level IN ('national', 'municipal')
  - id: carbon
    label: {zh: 年度碳减排量不低于100吨标准煤, en: At least 100 tce saved in the year}
    expr: carbon_reduction >= 100
  - id: district
    label: {zh: 本区企业, en: Registered in the district}
    expr: district_code = '310104'
amount: {formula: "20 * carbon_reduction", cap: 500000}
tests:
  - name: national green factory
    profile: {green_factory_level: national, carbon_reduction: "250.5", district_code: "310104"}
    expect: {status: eligible, amount: "5010.00"}
  - name: too little saved
    profile: {green_factory_level: municipal, carbon_reduction: 99, district_code: "310104"}
    expect: {status: near_miss, failing: [carbon]}
"""


def flat(out: str) -> str:
    """The output with line wrapping undone (Rich wraps long lines)."""
    return " ".join(out.split())


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _csv(path: Path, rows: list[list[str]]) -> Path:
    return _write(path, "\n".join(",".join(r) for r in rows) + "\n")


def test_a_field_added_by_configuration_is_imported_used_explained_and_matched(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    tokens = accounts(data)
    steward, officer = tokens["steward"], tokens["officer"]
    _write(data / "dictionary.yaml", DICTIONARY)

    code, out = run(data, "dictionary", "check")
    assert code == 0, out
    assert "green_factory_level" in out and "2 fields added" in out

    market = _csv(
        tmp_path / "market.csv",
        [
            ["统一社会信用代码", "企业名称", "注册区划代码"],
            [GREEN, "上海绿色制造有限公司", "310104"],
            [GREY, "上海灰色制造有限公司", "310104"],
        ],
    )
    code, out = run(data, "import", str(market), "--mapping", "market", token=steward)
    assert code == 0, out
    static = _csv(
        tmp_path / "green.csv",
        [["统一社会信用代码", "绿色工厂等级"], [GREEN, "国家级"], [GREY, "市级"]],
    )
    mapping = _write(tmp_path / "green_list.yaml", STATIC_MAPPING)
    code, out = run(data, "import", str(static), "--mapping", str(mapping), token=steward)
    assert code == 0, out
    yearly = _csv(
        tmp_path / "carbon.csv",
        [
            ["统一社会信用代码", "年度", "碳减排量(吨标准煤)"],
            [GREEN, "2025", "250.5"],
            [GREY, "2025", "90"],  # within 20 % of the 100 required: a near miss
            [BAD, "2025", "2000000"],  # above the office's own range
        ],
    )
    mapping = _write(tmp_path / "green_carbon.yaml", YEARLY_MAPPING)
    code, out = run(data, "import", str(yearly), "--mapping", str(mapping), token=steward)
    assert code == 4, out  # one row refused, the others kept
    assert "Rows: 3 read, 2 accepted, 1 rejected" in out
    assert "line 4, column '碳减排量(吨标准煤)' (field 'carbon_reduction')" in out
    assert "plausible range of carbon_reduction: 0..1000000 tce" in flat(out)

    policy = _write(tmp_path / "green-policy.yaml", POLICY)
    code, out = run(data, "policy", "test", str(policy))
    assert code == 0 and "2 passed, 0 failed" in out, out
    typo = _write(tmp_path / "typo.yaml", POLICY.replace("'municipal'", "'district'"))
    code, out = run(data, "policy", "lint", str(typo))
    assert code == 4
    assert "'district' is not a code of green_levels; allowed: municipal, national" in flat(out)

    code, out = run(data, "match", "--policies", str(policy), "--json", token=officer)
    assert code == 0, out
    summary = json.loads(out)
    per_policy = {p["policy_id"]: p for p in summary["policies"]}
    assert per_policy["xh-green-factory-award-2026"]["eligible"] == 1
    assert per_policy["xh-green-factory-award-2026"]["near_miss"] == 1

    code, out = run(data, "explain", GREEN, "--policies", str(policy), token=officer)
    assert code == 0, out
    assert "年度碳减排量 2025 = 250.5 吨标准煤" in out
    assert "绿色工厂等级 = 国家级 (national)" in out
    assert "区经委 绿色制造名单" in out
    code, out = run(data, "explain", GREEN, "--policies", str(policy), "--json", token=officer)
    trace = json.loads(out)[0]
    assert trace["status"] == "eligible" and trace["amount"]["amount_fen"] == 501000
    assert trace["fields"]["carbon_reduction__2025"]["unit"] == "tce"
    assert trace["fields"]["carbon_reduction__2025"]["label_en"] == "Carbon reduction in the year"

    # Published, the field cannot be removed from the dictionary.
    code, out = run(data, "publish", str(policy), token=officer)
    assert code == 0, out
    without = DICTIONARY[: DICTIONARY.index("  - name: carbon_reduction")]
    _write(data / "dictionary.yaml", without)
    code, out = run(data, "dictionary", "check")
    assert code == 4
    assert "field 'carbon_reduction' is read by published xh-green-factory-award-2026 v1" in flat(
        out
    )
    code, out = run(data, "versions", token=officer)
    assert code == 1
    assert "no longer declares field(s) that published policy versions read:" in flat(out)
    assert "'carbon_reduction' (read by xh-green-factory-award-2026 v1)" in flat(out)
    _write(data / "dictionary.yaml", DICTIONARY)
    code, out = run(data, "versions", token=officer)
    assert code == 0 and "xh-green-factory-award-2026" in out


def test_dictionary_file_errors_name_line_and_column(tmp_path: Path) -> None:
    data = tmp_path / "data"
    broken = DICTIONARY.replace("type: decimal", "type: float")
    _write(tmp_path / "placeholder", "")
    data.mkdir(mode=0o700)
    _write(data / "dictionary.yaml", broken)
    code, out = run(data, "dictionary", "check")
    assert code == EXIT_FINDINGS
    assert (
        "dictionary.yaml, line 14, column 11, field 'fields[1].type': unknown type 'float'"
        in flat(out)
    )
    _write(data / "dictionary.yaml", DICTIONARY.replace("name: carbon_reduction", "name: revenue"))
    code, out = run(data, "dictionary", "check")
    assert code == EXIT_FINDINGS
    assert "'revenue' is a standard field (营业收入)" in flat(out)
    # Regression: without its range the entry was refused for the range, and the name only
    # once a range was added.
    _write(
        data / "dictionary.yaml",
        DICTIONARY.replace("name: carbon_reduction", "name: revenue")
        .replace("    range: [0, 1000000]\n", "")
        .replace("type: decimal", "type: money"),
    )
    code, out = run(data, "dictionary", "check")
    assert code == EXIT_FINDINGS and "'revenue' is a standard field (营业收入)" in flat(out), out
    assert "needs a plausible range" not in flat(out)


def test_every_bad_field_of_the_dictionary_is_listed_with_its_brackets_intact(
    tmp_path: Path,
) -> None:
    """An office's first dictionary.yaml: 'dictionary check' showed its first mistake only,
    and printed 'range: [minimum, maximum]' as 'range: ' (the terminal's markup took the
    brackets for a style)."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    broken = (
        DICTIONARY.replace("name: green_factory_level", "name: revenue")
        .replace("    range: [0, 1000000]\n", "")
        .replace("type: decimal", "type: money")
    )
    _write(data / "dictionary.yaml", broken)
    code, out = run(data, "dictionary", "check")
    assert code == EXIT_FINDINGS, out
    text = flat(out)
    assert "dictionary.yaml: 2 errors to fix" in text
    assert "line 8, column 11, field 'fields[0].name': 'revenue' is a standard field" in text
    assert (
        "field 'fields[1]': a money field needs a plausible range: range: [minimum, maximum]"
        in (text)
    )


def test_mapping_new_drafts_an_office_field_from_its_label(tmp_path: Path) -> None:
    """A header naming an office field (its zh label) is matched by `huiqi mapping new`,
    and the drafted mapping imports without editing."""
    data = tmp_path / "data"
    tokens = accounts(data)
    _write(data / "dictionary.yaml", DICTIONARY)
    market = _csv(
        tmp_path / "market.csv",
        [
            ["统一社会信用代码", "企业名称", "注册区划代码"],
            [GREEN, "上海绿色制造有限公司", "310104"],
        ],
    )
    code, out = run(data, "import", str(market), "--mapping", "market", token=tokens["steward"])
    assert code == 0, out
    green = _csv(tmp_path / "green.csv", [["统一社会信用代码", "绿色工厂等级"], [GREEN, "国家级"]])
    draft = tmp_path / "green-draft.yaml"
    code, out = run(data, "mapping", "new", str(green), "--out", str(draft))
    assert code == 0, out
    assert "green_factory_level" in draft.read_text(encoding="utf-8")
    code, out = run(data, "mapping", "check", str(draft))
    assert code == 0, out
    code, out = run(data, "import", str(green), "--mapping", str(draft), token=tokens["steward"])
    assert code == 0, out


def test_a_field_added_after_the_latest_snapshot_is_unknown_when_matched(
    tmp_path: Path,
) -> None:
    """A dictionary field added after the latest import has no column in that snapshot:
    'huiqi match' of a policy reading it stopped with DuckDB's binder error and a
    traceback (numpy and duckdb backends); its value is unknown, so needs data."""
    data = tmp_path / "data"
    tokens = accounts(data)
    market = _csv(
        tmp_path / "market.csv",
        [
            ["统一社会信用代码", "企业名称", "注册区划代码"],
            [GREEN, "上海绿色制造有限公司", "310104"],
            [GREY, "上海灰色制造有限公司", "310104"],
        ],
    )
    code, out = run(data, "import", str(market), "--mapping", "market", token=tokens["steward"])
    assert code == 0, out
    _write(data / "dictionary.yaml", DICTIONARY)
    policy = _write(tmp_path / "green-policy.yaml", POLICY)
    for backend in _backends():
        # Spark and PostgreSQL read the snapshot's files themselves (no DuckDB view over
        # them): they died on the absent column too, until sources.py wrote such a file
        # with the field's column NULL.
        code, out = run(
            data,
            "match",
            "--policies",
            str(policy),
            "--backend",
            backend,  # spark on its default master, local[2], as every test process uses
            "--json",
            token=tokens["officer"],
            **_backend_env(backend),
        )
        assert code == 0, (backend, out)
        per_policy = {p["policy_id"]: p for p in json.loads(out)["policies"]}
        assert per_policy["xh-green-factory-award-2026"]["needs_data"] == 2, (backend, out)


def _backends() -> list[str]:
    """numpy and duckdb always; postgres with a test database; spark where it can run."""
    import os

    from huiqi.engine.spark.session import missing

    names = ["numpy", "duckdb"]
    if os.environ.get("HUIQI_TEST_DATABASE_URL"):
        names.append("postgres")
    if not missing():
        names.append("spark")
    return names


def _backend_env(backend: str) -> dict[str, str]:
    import os

    if backend != "postgres":
        return {}
    return {"HUIQI_POSTGRES_URL": os.environ["HUIQI_TEST_DATABASE_URL"]}


def test_policy_test_under_a_broken_dictionary_names_the_dictionary(tmp_path: Path) -> None:
    """With a dictionary.yaml that does not parse, 'huiqi policy test' blamed each policy:
    "the compiler failed on this policy (DictionaryError: …); please report it with the
    file". The dictionary's own error is given instead, with exit 1, as lint does."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    _write(
        data / "dictionary.yaml",
        DICTIONARY.replace("    type: enum\n", "    type: enum\n   x: [\n"),
    )
    policy = _write(tmp_path / "green-policy.yaml", POLICY)
    code, out = run(data, "policy", "test", str(policy))
    assert code == 1, out
    assert "dictionary.yaml, line" in out and "not valid YAML" in out
    assert "the compiler failed" not in out

"""The files in examples/ do what README.md says of them, run through the commands that
name them, in the README's order (regression: the README named district-tax.csv,
my-policies/, shareholders.csv, payments.csv and 12345-export.csv, none of which existed,
so a reader following it literally stopped at 'no such file')."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from cli.cliutil import accounts, run

from huiqi.config import get_settings
from huiqi.db.engine import open_database, transaction

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
README = (ROOT / "README.md").read_text(encoding="utf-8")
PUDONG = "91310115MA1H8R7C41"

sys.path.insert(0, str(ROOT / "tests" / "delivery"))
import factories as make  # noqa: E402


def test_every_example_the_readme_names_exists() -> None:
    named = set(re.findall(r"\bexamples/[\w./-]*[\w/]", README))
    assert {"examples/district-tax.csv", "examples/payments.csv"} <= named
    missing = sorted(n for n in named if not (ROOT / n).exists())
    assert not missing, missing
    listed = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    unlisted = [
        p.name for p in EXAMPLES.iterdir() if p.name != "README.md" and p.name not in listed
    ]
    assert not unlisted, f"describe these in examples/README.md: {unlisted}"


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    data = tmp_path_factory.mktemp("examples") / "data"
    tokens = accounts(data, ent=[f"enterprise={PUDONG}"])
    code, out = run(data, "generate", "-n", "300", "--seed", "5", token=tokens["steward"])
    assert code == 0, out
    return data, tokens


def test_the_district_file_is_drafted_checked_imported_and_read_by_the_own_policy(
    population: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    data, tokens = population
    draft = tmp_path / "district-tax.yaml"
    source = str(EXAMPLES / "district-tax.csv")
    code, out = run(data, "mapping", "new", source, "--out", str(draft))
    assert code == 0 and "6 of 6 columns matched" in out, out
    text = draft.read_text("utf-8")
    assert '"税款所属年度": year' in text and '"纳税信用级别": tax_credit_rating' in text
    assert "revenue: wan_yuan" in text
    code, out = run(data, "mapping", "check", str(draft))
    assert code == 0 and "0 with errors" in out, out
    code, out = run(data, "import", source, "--mapping", str(draft), token=tokens["steward"])
    assert code == 0 and "Rows: 2 read, 2 accepted, 0 rejected" in out, out

    policies = str(EXAMPLES / "my-policies")
    code, out = run(data, "policy", "lint", policies)
    assert code == 0 and "1 policy checked: 0 errors, 0 warnings" in out, out
    code, out = run(data, "policy", "test", policies)
    assert code == 0 and "3 passed, 0 failed" in out, out
    code, out = run(data, "match", "--policies", policies + "/", token=tokens["officer"])
    assert code == 0 and "pd-tax-credit-rd-award-2026" in out, out
    args = ("explain", PUDONG, "pd-tax-credit-rd-award-2026", "--policies", policies, "--json")
    code, out = run(data, *args, token=tokens["officer"])
    assert code == 0, out
    (trace,) = json.loads(out)
    # 2 % of the file's 96.3 万元 of R&D in 2025.
    assert trace["status"] == "eligible", trace
    assert trace["amount"]["amount_fen"] == 1_926_000, trace["amount"]
    code, out = run(data, "explain", PUDONG, "pd-tax-credit-rd-award-2026", token=tokens["officer"])
    assert code == 3 and "--policies PATH" in out, out


def test_relations_and_contracts_import_without_a_reject(
    population: tuple[Path, dict[str, str]],
) -> None:
    data, tokens = population
    steward = tokens["steward"]
    code, out = run(data, "import", str(EXAMPLES / "shareholders.csv"), token=steward)
    assert code == 0 and "mapping 'relations'" in out and "3 accepted, 0 rejected" in out, out
    assert "Legal representatives" not in out, out
    contracts = str(EXAMPLES / "voucher-contracts.xlsx")
    code, out = run(data, "import", contracts, "--mapping", "contracts", token=steward)
    assert code == 0 and "Rows: 3 read, 3 accepted, 0 rejected" in out, out


def test_the_hotline_export_and_the_attachment_are_filed(
    population: tuple[Path, dict[str, str]],
) -> None:
    data, tokens = population
    export = str(EXAMPLES / "12345-export.csv")
    code, out = run(data, "desk", "import", export, token=tokens["steward"])
    assert code == 0 and "3 rows read: 3 imported, none already imported, none rejected" in out, out
    args = ("desk", "file", PUDONG, "--category", "funding", "--text", "稳岗返还何时到账？")
    code, out = run(data, *args, "--file", str(EXAMPLES / "scan.pdf"), token=tokens["ent"])
    assert code == 0 and "[open]" in out, out


def test_the_banks_answer_marks_grants_one_to_three_as_the_readme_says(tmp_path: Path) -> None:
    data = tmp_path / "data"
    finance = accounts(data)["finance"]
    with transaction(open_database(get_settings(data))) as s:
        pv = make.policy_version(s)
        ids = [make.grant(s, pv, requested_fen=100_000 * n).id for n in (1, 2, 3)]
    assert ids == [1, 2, 3]
    code, out = run(data, "disburse", "export", token=finance)
    assert code == 0 and "batch 1: 3 grants" in out, out
    code, out = run(data, "disburse", "results", str(EXAMPLES / "payments.csv"), token=finance)
    assert code == 0 and "3 rows: 2 paid, 1 failed, 0 unchanged, 0 errors" in out, out
    code, out = run(data, "disburse", "repay", "3", "--reason", "收款账户已更正", token=finance)
    assert code == 0 and "grant 3: released for re-payment (3,000.00 yuan)" in out, out

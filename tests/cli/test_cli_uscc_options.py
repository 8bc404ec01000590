"""A USCC typed on the command line (--uscc, inbox's USCC) is checked and upper-cased."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from cliutil import accounts, run

from huiqi.config import get_settings
from huiqi.db.engine import open_database, transaction

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
import factories as make

USCC = "91310115MA1H8R7C41"
MISTYPED = "91310115MA1H8R7C42"


def _offer(data: Path) -> int:
    with transaction(open_database(get_settings(data))) as s:
        pv = make.policy_version(
            s, policy_id="test-confirm", title_zh="测试直达快享", delivery="confirm"
        )
        ent = make.entitlement(
            s, pv, code=USCC, status="offered", computed_fen=50_00, mode="confirm"
        )
        return ent.id


def test_records_uscc_in_lower_case_finds_the_enterprise(tmp_path: Path) -> None:
    """Regression: 'records --uscc' with the code in lower case listed nothing, as if the
    enterprise had no record, while 'explain' and imports accept lower case."""
    data = tmp_path / "data"
    officer = accounts(data)["officer"]
    record = _offer(data)
    code, out = run(data, "records", "--uscc", USCC.lower(), "--json", token=officer)
    assert code == 0, out
    assert [r["id"] for r in json.loads(out)] == [record]


@pytest.mark.parametrize(
    "args",
    [
        ["records", "--uscc", MISTYPED],
        ["grants", "--uscc", MISTYPED],
        ["application", "list", "--uscc", MISTYPED],
        ["audit", "log", "--uscc", MISTYPED],
        ["claim", "--policy", "test-confirm", "--uscc", MISTYPED],
        ["inbox", MISTYPED],
        ["explain", MISTYPED],
        ["desk", "list", "--uscc", MISTYPED],
        ["desk", "file", MISTYPED, "--category", "funding", "--text", "何时到账？"],
    ],
)
def test_a_mistyped_uscc_is_refused_with_its_reason(tmp_path: Path, args: list[str]) -> None:
    """Regression: a mistyped code listed nothing and exited 0 (records, grants, application
    list, audit log, desk list), was 'no offer' (claim) or 'may not read this inbox'
    (inbox); explain and desk file refused it with exit 1 instead of 2, wrong usage."""
    data = tmp_path / "data"
    admin = accounts(data)["admin"]
    code, out = run(data, *args, token=admin)
    assert code == 2, out
    assert "check character is '2' but should be '1'" in out

"""A USCC typed on the command line (--uscc, inbox's USCC) is checked and upper-cased."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cliutil import accounts, run

from huiqi.config import get_settings
from huiqi.db.engine import open_database, transaction
from huiqi.delivery.models import Entitlement, PolicyVersion

USCC = "91310115MA1H8R7C41"
MISTYPED = "91310115MA1H8R7C42"


def _offer(data: Path) -> int:
    with transaction(open_database(get_settings(data))) as s:
        pv = PolicyVersion(
            policy_id="test-confirm",
            version=1,
            content_hash="1" * 64,
            source_yaml="id: test-confirm\n",
            title_zh="测试直达快享",
            delivery="confirm",
            level="district",
            region="310115",
            valid_from=dt.date(2026, 1, 1),
            valid_to=dt.date(2026, 12, 31),
            benefit_period="2026",
            budget_mode="first_come",
            published_by="officer",
        )
        s.add(pv)
        s.flush()
        ent = Entitlement(
            policy_version_id=pv.id,
            uscc=USCC,
            benefit_period="2026",
            mode="confirm",
            match_status="eligible",
            status="offered",
            computed_fen=50_00,
            snapshot_id=1,
            last_snapshot_id=1,
            explanation={},
        )
        s.add(ent)
        s.flush()
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
    ],
)
def test_a_mistyped_uscc_is_refused_with_its_reason(tmp_path: Path, args: list[str]) -> None:
    """Regression: a mistyped code listed nothing and exited 0 (records, grants, application
    list, audit log), was 'no offer' (claim) or 'may not read this inbox' (inbox)."""
    data = tmp_path / "data"
    admin = accounts(data)["admin"]
    code, out = run(data, *args, token=admin)
    assert code == 2, out
    assert "check character is '2' but should be '1'" in out

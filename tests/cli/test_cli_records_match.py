"""`huiqi records --json` lists a record a later snapshot found no longer eligible as
not_eligible, on the quick path and the full path alike."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from cliutil import accounts, decline_quick_path, run

from huiqi.config import get_settings
from huiqi.db.engine import open_database

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import build_store, uscc
from test_flag_criteria import revenue_policy
from test_record_match_now import flagged_records

from huiqi.accounts.testing import OFFICER
from huiqi.cli.flagtext import NOT_RECORDED
from huiqi.delivery.publish import deliver, publish_text


@pytest.mark.parametrize("full_path", [False, True])
def test_records_json_shows_not_eligible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full_path: bool
) -> None:
    """Regression: a record flagged 'no longer eligible' listed match_status eligible."""
    data = tmp_path / "data"
    finance = accounts(data)["finance"]
    ids = flagged_records(open_database(get_settings(data)))
    if full_path:
        decline_quick_path(monkeypatch)
    code, out = run(data, "records", "--json", token=finance)
    assert code == 0, out
    listed = {r["id"]: r["match_status"] for r in json.loads(out)}
    assert listed[ids["offer"]] == listed[ids["granted"]] == "not_eligible"
    assert listed[ids["kept"]] == listed[ids["excluded"]] == "eligible"


def squashed(text: str) -> str:
    return "".join(text.split())


def reasons(table: str) -> str:
    """The text of the table's last column (the reasons), without the spaces and line
    breaks the table folded it at."""
    cells = [line.split("│")[-2] for line in table.splitlines() if line.count("│") > 2]
    return squashed("".join(cells))


@pytest.mark.parametrize("full_path", [False, True])
def test_records_name_the_conditions_a_flagged_enterprise_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full_path: bool
) -> None:
    """`huiqi records --flagged` prints under a flag's reason the criterion the enterprise
    no longer meets, with its revenue against the threshold; --json carries them
    (review_criteria). A flag raised before they were recorded says so."""
    data = tmp_path / "data"
    a, b = uscc(1), uscc(2)
    settings, _ = build_store(data, {a: 1, b: 1}, revenue=dict.fromkeys((a, b), Decimal("2e7")))
    factory = open_database(settings)
    pv, _ = publish_text(factory, revenue_policy("cli-flag"), "p.yaml", actor=OFFICER)
    deliver(settings, factory, pv.id, actor=OFFICER)
    build_store(data, {a: 1, b: 1}, revenue={a: Decimal("7e6"), b: Decimal("2e7")})
    deliver(settings, factory, pv.id, actor=OFFICER)
    old = flagged_records(factory)["offer"]  # flagged without its conditions
    finance = accounts(data)["finance"]
    if full_path:
        decline_quick_path(monkeypatch)
    code, out = run(data, "records", "--flagged", token=finance)
    assert code == 0, out
    said = reasons(out)
    assert (
        squashed(
            "fails revenue · 营业收入不低于1000万元: Revenue 7,000,000 yuan, >= 10,000,000 yuan"
            " required: short by 3,000,000 yuan (营业收入 700 万元，要求不低于 1,000 万元，还差 300 万元)"
        )
        in said
    ), out
    assert squashed(NOT_RECORDED) in said, out
    code, out = run(data, "records", "--flagged", "--json", token=finance)
    listed = {r["id"]: r["review_criteria"] for r in json.loads(out)}
    assert listed[old] is None
    (lost,) = [c for i, c in listed.items() if i != old and c is not None]
    assert [c["id"] for c in lost["criteria"]] == ["revenue"]
    assert lost["criteria"][0]["gap"]["required"] == "10000000"

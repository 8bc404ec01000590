"""`huiqi records --json` lists a record a later snapshot found no longer eligible as
not_eligible, on the quick path and the full path alike."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from cliutil import accounts, decline_quick_path, run

from huiqi.config import get_settings
from huiqi.db.engine import open_database

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from test_record_match_now import flagged_records


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

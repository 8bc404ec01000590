"""`huiqi records --json` lists a record a later snapshot found no longer eligible as
not_eligible, on the quick path and the full path alike."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cliutil import accounts, run

from huiqi.cli.quick import listings as quick_listings
from huiqi.cli.quick import read as quick_read
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

        @contextmanager
        def declined(_ctx: Any) -> Iterator[Any]:
            raise quick_read.Declined("test: the full path")
            yield  # pragma: no cover

        monkeypatch.setattr(quick_read, "quick_reading", declined)
        monkeypatch.setattr(quick_listings, "quick_reading", declined)
    code, out = run(data, "records", "--json", token=finance)
    assert code == 0, out
    listed = {r["id"]: r["match_status"] for r in json.loads(out)}
    assert listed[ids["offer"]] == listed[ids["granted"]] == "not_eligible"
    assert listed[ids["kept"]] == listed[ids["excluded"]] == "eligible"

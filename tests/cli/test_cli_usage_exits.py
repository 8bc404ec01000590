"""Exit codes as the README promises them: a --policy filter naming no published policy is
not found (3), a missing path, a value outside an option's choices or range is wrong usage
(2), and a second 'huiqi admin init' is an error huiqi explains (1), not a refused access."""

from __future__ import annotations

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
from huiqi.db.engine import open_database, transaction

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
import factories as make

LISTINGS = [
    ["grants"],
    ["records"],
    ["versions"],
    ["application", "list"],
    ["totals"],
]


def _full_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The listings without their quick path (as tests/cli/test_cli_records_match.py)."""

    @contextmanager
    def declined(_ctx: Any) -> Iterator[Any]:
        raise quick_read.Declined("test: the full path")
        yield  # pragma: no cover

    monkeypatch.setattr(quick_read, "quick_reading", declined)
    monkeypatch.setattr(quick_listings, "quick_reading", declined)


@pytest.mark.parametrize("full_path", [False, True])
@pytest.mark.parametrize("listing", LISTINGS, ids=" ".join)
def test_a_policy_filter_naming_no_published_policy_exits_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listing: list[str], full_path: bool
) -> None:
    """Regression: '--policy nosuch' printed an empty table and exited 0, as if the policy
    had nothing; a mistyped id now says so, with the closest published id."""
    data = tmp_path / "data"
    officer = accounts(data)["officer"]
    with transaction(open_database(get_settings(data))) as s:
        make.grant(s, make.policy_version(s, policy_id="sh-startup-subsidy-2026"))
        make.policy_version(s, policy_id="jd-nothing-yet-2026")
    if full_path:
        _full_path(monkeypatch)
    code, out = run(data, *listing, "--policy", "sh-startup-subsidy-2025", token=officer)
    assert code == 3, out
    text = " ".join(out.split())
    assert (
        "no policy 'sh-startup-subsidy-2025' is published"
        " (did you mean 'sh-startup-subsidy-2026'?); 'huiqi versions' lists the policy ids"
    ) in text
    code, out = run(data, *listing, "--policy", "nosuch", token=officer)
    assert code == 3 and "no policy 'nosuch' is published;" in " ".join(out.split()), out
    # A published policy with nothing to list is an empty listing, as before.
    for published in ("sh-startup-subsidy-2026", "jd-nothing-yet-2026"):
        code, out = run(data, *listing, "--policy", published, "--json", token=officer)
        assert code == 0, out

"""'huiqi deliver ID' names the policy ids it has no published version of."""

from __future__ import annotations

from pathlib import Path

from cliutil import accounts, run


def test_deliver_an_unknown_policy_id_names_it(tmp_path: Path) -> None:
    """Regression: 'huiqi deliver nosuch' said 'no published policy versions; use huiqi
    publish first' whatever was published, and an unknown id beside a published one was
    skipped without a word."""
    data = tmp_path / "data"
    officer = accounts(data)["officer"]
    code, out = run(data, "deliver", "nosuch-2026", token=officer)
    assert code == 3, out
    assert "no published version of nosuch-2026 that you may deliver" in out
    assert "huiqi versions" in out

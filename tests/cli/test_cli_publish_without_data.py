"""`huiqi publish` on a data directory that holds no profile store yet: the version is
published (a policy can be published before its data is imported), and the command says
that it was not delivered and how it will be (regression: it said only "no profile
store", and `huiqi versions` then showed the version published without a word)."""

from __future__ import annotations

from pathlib import Path

from cliutil import accounts, run

LIBRARY = Path(__file__).resolve().parents[2] / "huiqi" / "policies" / "library"
POLICY = "sh-stable-jobs-refund-2026"  # a city policy: the test officer's scope holds it


def test_publish_without_data_says_the_version_is_published_but_not_delivered(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    tokens = accounts(data)
    code, out = run(data, "publish", str(LIBRARY / f"{POLICY}.yaml"), token=tokens["officer"])
    said = " ".join(out.split())
    assert code == 1, out
    assert f"{POLICY} v1 is published but not delivered" in said, out
    assert "no profile store" in said and f"'huiqi deliver {POLICY}' delivers it" in said, out
    code, out = run(data, "versions", token=tokens["officer"])
    assert code == 0 and f"{POLICY} v1" in " ".join(out.split()), out
    # Publishing the same file again is the same version, and says the same.
    code, out = run(data, "publish", str(LIBRARY / f"{POLICY}.yaml"), token=tokens["officer"])
    assert code == 1 and f"{POLICY} v1 is published but not delivered" in " ".join(out.split())

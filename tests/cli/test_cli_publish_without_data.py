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


def test_publishing_the_same_file_again_says_it_was_published_already(tmp_path: Path) -> None:
    """Regression (QA, README walk-through): a second 'huiqi publish' of the same file said
    "published … v1" again, as if a new version had been published."""
    from cliutil import one_enterprise

    data = tmp_path / "data"
    tokens = accounts(data)
    one_enterprise(data, tokens["steward"])
    file = str(LIBRARY / f"{POLICY}.yaml")
    code, out = run(data, "publish", file, token=tokens["officer"])
    assert code == 0 and f"published {POLICY} v1 (sha256 " in out, out
    code, out = run(data, "publish", file, token=tokens["officer"])
    said = " ".join(out.split())
    assert code == 0 and f"published {POLICY} v1" not in said, out
    assert f"{POLICY} v1 was already published (sha256 " in said and " by officer);" in said
    assert "delivered again: only missing records are made" in said, out

"""`huiqi publish` runs the policy's own test cases and refuses a policy whose cases fail."""

from __future__ import annotations

from pathlib import Path

from cliutil import accounts, run

from huiqi.engine.compile.compiler import EXAMPLE_POLICY

CASES = (
    "tests:\n"
    "  - name: big firm\n"
    "    profile: {revenue: 2000000}\n"
    '    expect: {status: eligible, amount: "%s"}\n'
    "  - name: small firm\n"
    "    profile: {revenue: %s}\n"
    "    expect: {status: not_eligible, failing: [big_enough]}\n"
)


def _policy(folder: Path, amount: str, small_revenue: int) -> Path:
    path = folder / "example-cases.yaml"
    cases = CASES % (amount, small_revenue)
    text = EXAMPLE_POLICY.replace("id: example", "id: example-cases") + cases
    path.write_text(text, encoding="utf-8")
    return path


def test_publish_refuses_a_policy_whose_own_test_cases_fail(tmp_path: Path) -> None:
    """Regression: the console refused a draft whose test cases fail, but `huiqi publish`
    froze and delivered the same text without running them (exit 0)."""
    tokens = accounts(tmp_path / "data")
    path = _policy(tmp_path, "10000.01", 5000000)
    code, out = run(tmp_path / "data", "publish", str(path), token=tokens["officer"])
    text = " ".join(out.split())
    assert code == 4, out
    assert (
        "error: example-cases v1 is not published: 2 failing test case(s), the first:"
        f" {path}: case 'big firm': expected amount 10000.01, got 10000.00"
    ) in text
    assert f"error: {path}: case 'small firm': expected status not_eligible, got eligible" in text
    code, out = run(tmp_path / "data", "versions", token=tokens["officer"])
    assert "example-cases" not in out, out  # nothing was written


def test_publish_takes_a_policy_whose_test_cases_pass(tmp_path: Path) -> None:
    tokens = accounts(tmp_path / "data")
    path = _policy(tmp_path, "10000.00", 10)
    code, out = run(tmp_path / "data", "publish", str(path), token=tokens["officer"])
    assert "failing test case" not in out, out
    code, out = run(tmp_path / "data", "versions", token=tokens["officer"])
    assert code == 0 and "example-cases" in out, out

"""End-to-end tests of the `huiqi` command, run in-process with Click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cliutil import accounts, run

from huiqi.engine.compile.compiler import EXAMPLE_POLICY
from huiqi.policies.files import library_dir


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding a small generated population, imported, and its accounts."""
    data = tmp_path_factory.mktemp("data")
    TOKENS.update(accounts(data))
    code, out = run(data, "generate", "-n", "3000", "--seed", "7", token=TOKENS["steward"])
    assert code == 0, out
    return data


TOKENS: dict[str, str] = {}


def officer() -> str:
    return TOKENS["officer"]


def test_help_lists_every_command() -> None:
    code, out = run(Path("."), "--help")
    assert code == 0
    for name in ("init", "generate", "import", "policy", "match", "explain", "demo", "snapshots"):
        assert name in out


def test_init_is_idempotent(tmp_path: Path) -> None:
    assert run(tmp_path, "init")[0] == 0
    assert run(tmp_path, "init")[0] == 0
    assert (tmp_path / "profiles.duckdb").exists()


def test_match_before_any_data_says_what_to_do(tmp_path: Path) -> None:
    run(tmp_path, "init")
    code, out = run(tmp_path, "match", token=accounts(tmp_path)["officer"])
    assert code == 1
    assert "huiqi generate" in out and "Traceback" not in out


def test_policy_test_runs_the_library() -> None:
    code, out = run(Path("."), "policy", "test")
    assert code == 0, out
    assert " 0 failed" in out


def test_policy_lint_reports_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        EXAMPLE_POLICY.replace("revenue >= 1000000", "revnue >= 1000000"), encoding="utf-8"
    )
    code, out = run(tmp_path, "policy", "lint", str(bad))
    assert code == 4
    assert f"{bad}, line 16, column 11" in out
    assert "unknown field 'revnue'; did you mean 'revenue'?" in out


def test_policy_test_failure_names_file_case_expected_and_got(tmp_path: Path) -> None:
    text = EXAMPLE_POLICY + (
        "tests:\n"
        "  - name: big\n"
        "    profile: {revenue: {2024: 2000000}}\n"
        "    expect: {status: eligible, amount: '9999.00'}\n"
    )
    f = tmp_path / "p.yaml"
    f.write_text(text, encoding="utf-8")
    code, out = run(tmp_path, "policy", "test", str(f))
    assert code == 4
    assert f"{f}: case 'big': expected amount 9999.00, got 10000.00" in out


def test_match_then_explain_agree(populated: Path) -> None:
    code, out = run(populated, "match", "--json", token=officer())
    assert code == 0, out
    summary = json.loads(out)
    assert summary["enterprises"] == 3000
    assert summary["enterprises_with_match"] > 0
    import duckdb

    matches = Path(summary["output_dir"]) / "matches.parquet"
    rows = (
        duckdb.connect()
        .execute(
            "SELECT uscc, policy_id, status, amount_fen FROM read_parquet(?) ORDER BY uscc, policy_id LIMIT 20",
            [str(matches)],
        )
        .fetchall()
    )
    assert rows
    for uscc, policy_id, status, amount_fen in rows[:5]:
        code, out = run(populated, "explain", uscc, policy_id, "--json", token=officer())
        assert code == 0, out
        (e,) = json.loads(out)
        # The bulk table carries eligible amounts only; explain computes every amount.
        explained = e["amount"]["amount_fen"] if e["status"] == "eligible" else None
        assert (e["status"], explained) == (status, amount_fen)


def test_explain_unknown_enterprise_exits_3(populated: Path) -> None:
    code, out = run(populated, "explain", "91310104MA1K002340", token=officer())
    assert code == 3
    assert "no enterprise with USCC 91310104MA1K002340" in out


def test_explain_invalid_uscc_is_a_clear_error(populated: Path) -> None:
    code, out = run(populated, "explain", "91310115MA1H8R7C6D", token=officer())
    assert code == 2  # wrong usage, as every command taking a USCC says it
    assert "check character is 'D' but should be '7'" in out


def test_explain_human_output_counts_conditions(populated: Path) -> None:
    code, out = run(populated, "match", "--json", token=officer())
    matches = Path(json.loads(out)["output_dir"]) / "matches.parquet"
    import duckdb

    row = (
        duckdb.connect()
        .execute(
            "SELECT uscc, policy_id FROM read_parquet(?) WHERE status = 'near_miss' LIMIT 1",
            [str(matches)],
        )
        .fetchone()
    )
    assert row is not None
    code, out = run(populated, "explain", row[0], row[1], token=officer())
    assert code == 0, out
    assert "near miss" in out and "conditions" in out and "✗ not met" in out


def test_unknown_option_is_usage_error() -> None:
    code, _ = run(Path("."), "match", "--no-such-option")
    assert code == 2


def test_a_large_match_writes_parquet_parts_with_the_same_results(
    populated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    from huiqi.engine.duckdb import matcher

    def matches(out: str) -> tuple[Path, list[tuple[object, ...]]]:
        run_dir = Path(json.loads(out)["output_dir"])
        rows = (
            duckdb.connect()
            .execute(
                "SELECT * FROM read_parquet(?) ORDER BY ALL", [str(run_dir / "matches.parquet")]
            )
            .fetchall()
        )
        return run_dir, rows

    # The DuckDB matcher's parts (the array backend keeps its rows in memory).
    code, out = run(populated, "match", "--json", "--backend", "duckdb", token=officer())
    assert code == 0, out
    small_dir, small = matches(out)
    monkeypatch.setattr(matcher, "PARTS_FROM", 1)
    code, out = run(populated, "match", "--json", "--backend", "duckdb", token=officer())
    assert code == 0, out
    large_dir, large = matches(out)
    assert not (small_dir / "parts").exists()
    assert (
        len(list((large_dir / "parts").glob("*.parquet"))) == json.loads(out)["policies"].__len__()
    )
    assert large == small and small


def test_match_and_explain_need_a_signed_in_user(populated: Path) -> None:
    """Regression: match and explain checked nobody."""
    code, out = run(populated, "match")
    assert code == 5 and "huiqi login" in out
    code, out = run(populated, "explain", "91310104MA1K002340")
    assert code == 5 and "huiqi login" in out
    code, out = run(populated, "match", token=TOKENS["finance"])
    assert code == 5 and "may not match the whole population" in out


def test_a_district_officers_match_report_counts_its_districts_enterprises(
    populated: Path,
) -> None:
    """Regression: a district officer's run (over its district's enterprises only) was
    reported as over every enterprise of the snapshot, and the share with a match was
    taken over the whole city's ('2 (0.0%)')."""
    import duckdb

    tokens = accounts(populated, pudong=["policy_reviewer=district:310115"])
    code, out = run(populated, "match", token=tokens["pudong"])
    assert code == 0, out
    said = " ".join(out.split())
    run_dir = Path(said.split("matches: ")[1].split()[0]).parent
    with duckdb.connect(str(run_dir / "analysis.duckdb"), read_only=True) as con:
        row = con.execute(
            "SELECT count(*) FILTER (WHERE district_code = '310115'), count(*) FROM enterprises"
        ).fetchone()
    assert row is not None and row[0] == row[1] > 0
    assert f"{row[0]:,} enterprises of district 310115)" in said, said
    code, out = run(populated, "match", token=officer())
    assert code == 0 and " of district" not in " ".join(out.split()), out


def test_a_mysql_database_url_is_an_explained_error_not_a_traceback(tmp_path: Path) -> None:
    code, out = run(tmp_path, "whoami", HUIQI_DATABASE_URL="mysql://huiqi@db/huiqi")
    assert code == 1, out
    assert "huiqi runs on PostgreSQL or SQLite only" in out
    assert "Traceback" not in out


def test_a_district_officer_matches_its_districts_library_policies(populated: Path) -> None:
    """Regression: a plain 'huiqi match' was refused to a district officer (the library
    holds the city's and other districts' policies, which it may not run), and the refusal
    said to name 'your own policies' files' without saying which. It now matches the
    library policies its scope covers and says so; naming others is still refused."""
    tokens = accounts(
        populated,
        pudong=["policy_publisher=district:310115", "policy_reviewer=district:310115"],
        huangpu=["policy_reviewer=district:310101"],  # no library policy is Huangpu's
    )
    code, out = run(populated, "match", "--json", token=tokens["pudong"])
    assert code == 0, out
    assert "matching the 4 of the library's 37 policies your scope covers" in out
    summary = json.loads(out[out.index("{") :])
    ran = {p["policy_id"] for p in summary["policies"]}
    assert ran and all(p.startswith("pd-") for p in ran), ran
    code, out = run(populated, "match", "--policies", str(library_dir()), token=tokens["pudong"])
    said = " ".join(out.split())
    assert code == 5 and "outside the policies its scope covers" in said, out
    assert "run 'huiqi match' without --policies for the library policies" in said
    code, out = run(populated, "match", token=tokens["huangpu"])
    said = " ".join(out.split())
    assert code == 5, out
    assert "no policy of the library is in your scope" in said
    assert "huiqi match --policies FILE.yaml or FOLDER" in said
    code, out = run(populated, "match", "--json", token=officer())  # '*': the whole library
    assert code == 0 and "your scope covers" not in out, out

"""`huiqi policy lint` on folders written outside the project (issue 9)."""

from __future__ import annotations

from pathlib import Path

from cliutil import accounts, one_enterprise, run

from huiqi.engine.compile.compiler import EXAMPLE_POLICY


def _write(folder: Path, name: str, expr: str) -> Path:
    path = folder / name
    path.write_text(
        EXAMPLE_POLICY.replace("id: example", f"id: {path.stem}").replace(
            "revenue >= 1000000", expr
        ),
        encoding="utf-8",
    )
    return path


def test_one_deep_file_does_not_stop_the_folder(tmp_path: Path) -> None:
    """Regression: 500 ANDs raised RecursionError and no other file of the folder was reported."""
    deep = _write(tmp_path, "a-deep.yaml", " AND ".join(["revenue > 0"] * 500))
    comment = _write(tmp_path, "b-comment.yaml", "employees > 10 -- AND NOT credit_dishonest")
    _write(tmp_path, "c-good.yaml", "revenue >= 1000000")
    code, out = run(tmp_path, "policy", "lint", str(tmp_path))
    assert code == 4, out
    assert "Traceback" not in out and "RecursionError" not in out
    assert f"{deep}, line 16, column 11, field 'criteria[0].expr'" in out
    assert f"{comment}, line 16, column 11" in out and "comments are not allowed" in out
    assert "1 policy checked, 2 files not loaded: 2 errors" in out


def test_lint_passes_the_shipped_library_on_the_edge_frame() -> None:
    code, out = run(Path("."), "policy", "lint")
    assert code == 0, out
    assert " 0 errors" in out


def test_every_mistake_of_a_file_is_listed_at_its_line_with_what_to_write(tmp_path: Path) -> None:
    """A policy author's first draft: lint showed one problem and "(2 more problems after
    this one)", so each fix took another run; the messages said what was wrong (pydantic's
    "Input should be a valid string") but not what to write."""
    path = tmp_path / "pd-draft-2026.yaml"
    path.write_text(
        EXAMPLE_POLICY.replace('region: "310000"', "region: 310000")
        .replace("valid_from: 2025-01-01", "valid_from: 2025/01/01")
        .replace("en: Example bureau", "en: Science, Technology and Economy Commission")
        .replace("revenue >= 1000000", "revnue >= 1000000")
        .replace(
            'amount: {formula: "10000"}',
            "  - id: rd\n    label: {zh: 研发, en: R&D}\n    expr: rd_expence > 0\n"
            'amount: {formula: "50% * revenue"}',
        ),
        encoding="utf-8",
    )
    code, out = run(tmp_path, "policy", "lint", str(path))
    assert code == 4, out
    text = " ".join(out.split())
    assert (
        f"{path}, line 5, column 69, field 'department.Technology and Economy Commission'" in text
    )
    assert "inside { … } a comma ends the value: put a text that contains a comma in quotes" in text
    assert f"{path}, line 7, column 9, field 'region'" in text
    assert 'YAML read 310000 as a number; put a code in quotes, e.g. "310000"' in text
    assert f"{path}, line 9, column 13, field 'valid_from'" in text
    assert "write dates as YYYY-MM-DD: 2025-01-01 for 2025/01/01" in text
    # Fixed, the fields load; then every rule that does not compile is listed.
    fixed = (
        path.read_text("utf-8")
        .replace("region: 310000", 'region: "310000"')
        .replace("2025/01/01", "2025-01-01")
        .replace("en: Science, Technology and Economy Commission", "en: Example bureau")
    )
    path.write_text(fixed, encoding="utf-8")
    code, out = run(tmp_path, "policy", "lint", str(path))
    assert code == 4, out
    text = " ".join(out.split())
    assert f"{path}, line 16, column 11, field 'criteria[0].expr'" in text
    assert "unknown field 'revnue'; did you mean 'revenue'?" in text
    assert "unknown field 'rd_expence'; did you mean 'rd_expense'?" in text
    assert "write a percentage as a decimal fraction: 0.5 for 50%" in text
    assert "0 policies checked, 1 file not loaded: 3 errors" in text


def test_a_policy_saved_as_gbk_or_indented_with_tabs_says_how_to_save_it(tmp_path: Path) -> None:
    """Written in a Windows editor: GBK, or a tab in the indentation. Both were refused
    ('must be UTF-8 text', "found character '\\t'") without saying what to do."""
    text = EXAMPLE_POLICY.replace("id: example", "id: gbk-policy")
    gbk = tmp_path / "gbk-policy.yaml"
    gbk.write_bytes(text.encode("gbk"))
    tabbed = tmp_path / "tab-policy.yaml"
    tabbed.write_text(
        text.replace("id: gbk-policy", "id: tab-policy").replace("\n  - id:", "\n\t- id:"),
        encoding="utf-8",
    )
    code, out = run(tmp_path, "policy", "lint", str(gbk), str(tabbed))
    assert code == 4, out
    text_out = " ".join(out.split())
    assert "this one reads as GBK; save it as UTF-8" in text_out
    assert "(indent with spaces: YAML does not allow tabs)" in text_out


def test_policy_test_lists_every_problem_of_a_file_as_lint_does(tmp_path: Path) -> None:
    """Regression: `huiqi policy test` printed a file's first problem and "(2 more problems
    after this one)", where lint listed all three: each fix took another run."""
    path = tmp_path / "pd-draft-2026.yaml"
    path.write_text(
        EXAMPLE_POLICY.replace('region: "310000"', "region: 310000").replace(
            "valid_from: 2025-01-01", "valid_from: 2025/01/01"
        ),
        encoding="utf-8",
    )
    code, out = run(tmp_path, "policy", "test", str(path))
    assert code == 4, out
    text = " ".join(out.split())
    assert f"{path}, line 7, column 9, field 'region'" in text
    assert f"{path}, line 9, column 13, field 'valid_from'" in text
    assert "(0 policies, 1 not loaded)" in text


def test_every_missing_path_is_named_not_only_the_first(tmp_path: Path) -> None:
    """Regression: with two mistyped paths, lint and test named the first and stopped, so
    the second surfaced only on the next run."""
    good = _write(tmp_path, "c-good.yaml", "revenue >= 1000000")
    for command in ("lint", "test"):
        code, out = run(
            tmp_path, "policy", command, str(tmp_path / "nope-1.yaml"), str(good), "nope-2"
        )
        assert code == 2, out  # wrong usage, as 'huiqi publish' and 'match --policies'
        text = " ".join(out.split())
        assert f"no such file or folder: {tmp_path / 'nope-1.yaml'}, nope-2" in text


def test_counts_of_one_are_singular(tmp_path: Path) -> None:
    """Regression: lint said "1 policies checked: 1 errors", and 'policy test' and
    'policy list' "(1 policies ...)"."""
    _write(tmp_path, "one-policy.yaml", "revnue >= 1000000")
    code, out = run(tmp_path, "policy", "lint", str(tmp_path))
    assert code == 4, out
    assert "0 policies checked, 1 file not loaded: 1 error, 0 warnings" in out
    _write(tmp_path, "one-policy.yaml", "revenue >= 1000000")
    code, out = run(tmp_path, "policy", "lint", str(tmp_path))
    assert "1 policy checked: 0 errors, " in out, out
    code, out = run(tmp_path, "policy", "test", str(tmp_path))
    assert "(1 policy, 0 not loaded)" in out, out
    code, out = run(tmp_path, "policy", "list", str(tmp_path))
    assert "1 policy; delivery modes" in out, out


def test_a_date_that_is_no_day_does_not_hide_the_files_other_problems(tmp_path: Path) -> None:
    """Regression: 'valid_to: 2026-13-31' was the only problem lint reported; the code
    read as a number and the amount with thousands separators came only on the next run,
    and the summary said "0 policies checked" as if no file had been given."""
    path = tmp_path / "pd-draft-2026.yaml"
    path.write_text(
        EXAMPLE_POLICY.replace('region: "310000"', "region: 310000")
        .replace("valid_to: 2025-12-31", "valid_to: 2025-13-31")
        .replace('amount: {formula: "10000"}', 'amount:\n  formula: "10000"\n  cap: 48,000'),
        encoding="utf-8",
    )
    code, out = run(tmp_path, "policy", "lint", str(path))
    assert code == 4, out
    text = " ".join(out.split())
    assert f"{path}, line 7, column 9, field 'region'" in text
    assert f"{path}, line 10, column 11, field 'valid_to': '2025-13-31' is not a date" in text
    assert "write the number without thousands separators: 48000" in text
    assert "0 policies checked, 1 file not loaded: 3 errors" in text


def test_brackets_in_a_case_name_or_a_path_are_printed_as_written(tmp_path: Path) -> None:
    """Regression: `huiqi policy test` and `lint` printed their messages as Rich markup. A
    case named "capped [/b] at the cap" raised MarkupError (a traceback, no result), and
    a folder named "[red]drafts" was shown as "drafts", a path that does not exist."""
    folder = tmp_path / "[red]drafts"
    folder.mkdir()
    path = folder / "example-brackets.yaml"
    path.write_text(
        EXAMPLE_POLICY.replace("id: example", "id: example-brackets")
        + "tests:\n"
        + "  - name: capped [/b] at the cap\n"
        + "    profile: {revenue: 2000000}\n"
        + '    expect: {status: eligible, amount: "10000.01"}\n'
        + "  - name: '[bold]small[/bold] firm'\n"
        + "    profile: {revenue: 10}\n"
        + "    expect: {status: not_eligible, failing: [big_enough]}\n",
        encoding="utf-8",
    )
    code, out = run(tmp_path, "policy", "test", "-v", str(folder))
    assert code == 4, out
    text = " ".join(out.split())
    assert (
        f"FAIL {path}: case 'capped [/b] at the cap': expected amount 10000.01, got 10000.00"
        in text
    )
    assert f"ok {path}: case '[bold]small[/bold] firm'" in text
    path.write_text(path.read_text("utf-8").replace('region: "310000"', "region: 310000"))
    code, out = run(tmp_path, "policy", "lint", str(folder))
    assert code == 4, out
    assert f"{path}, line 7, column 9, field 'region'" in " ".join(out.split())


def test_criteria_that_can_never_all_hold_are_an_error_at_the_first(tmp_path: Path) -> None:
    """revenue above 10 million and below 5 million: no enterprise is ever eligible."""
    path = tmp_path / "example.yaml"
    two = (
        "  - id: c1\n    label: {zh: 条件1, en: c1}\n    expr: revenue > 10000000\n"
        "  - id: c2\n    label: {zh: 条件2, en: c2}\n    expr: revenue < 5000000\n"
    )
    head, tail = EXAMPLE_POLICY.split("criteria:\n")
    path.write_text(head + "criteria:\n" + two + tail[tail.index("amount:") :], encoding="utf-8")
    code, out = run(tmp_path, "policy", "lint", str(path))
    assert code == 4, out
    assert (
        f"error: {path}, line 16, column 11, field 'criteria[0].expr': criteria 'c1' (条件1),"
        " 'c2' (条件2) contradict each other on revenue (2024)"
    ) in " ".join(out.split())

    # Publishing it is refused with the same message and the exit code of failed checks
    # (4, as lint), not 1; nothing is published.
    tokens = accounts(tmp_path / "data")
    code, out = run(tmp_path / "data", "publish", str(path), token=tokens["officer"])
    assert code == 4, out
    assert "contradict each other on revenue" in " ".join(out.split())
    code, out = run(tmp_path / "data", "versions", token=tokens["officer"])
    assert "example" not in out, out


def test_match_of_a_contradicting_policy_file_warns_and_runs(tmp_path: Path) -> None:
    """QA: 'huiqi match --policies' ran a policy no enterprise can ever be eligible for
    without a word; it now warns (lint's error, publishing's refusal) and matches."""
    data = tmp_path / "data"
    tokens = accounts(data)
    one_enterprise(data, tokens["steward"])
    path = _write(tmp_path, "never.yaml", "revenue >= 1000000 AND revenue < 500")
    code, out = run(data, "match", "--policies", str(path), token=tokens["officer"])
    text = " ".join(out.split())
    assert code == 0, out
    assert "warning:" in text and "contradict" in text and "publishing refuses it" in text
    # A policy that can be met: no warning.
    fine = _write(tmp_path, "fine.yaml", "revenue >= 1000000")
    code, out = run(data, "match", "--policies", str(fine), token=tokens["officer"])
    assert code == 0 and "warning:" not in out, out


def test_publishing_a_file_that_does_not_load_exits_4_as_lint_does(tmp_path: Path) -> None:
    """Regression: 'huiqi publish README.md' (or a policy with a misspelt field) exited 1,
    as a failure, where lint of the same file exits 4, 'checks found problems'; the
    message is lint's, with its line and column, and nothing is published."""
    notes = tmp_path / "notes.yaml"
    notes.write_text("# Notes\n\nSee: the policies folder: here\n", encoding="utf-8")
    misspelt = tmp_path / "pd-draft-2026.yaml"
    misspelt.write_text(EXAMPLE_POLICY.replace("valid_to:", "valid_untill:"), encoding="utf-8")
    tokens = accounts(tmp_path / "data")
    for path in (notes, misspelt):
        lint_code, lint_out = run(tmp_path, "policy", "lint", str(path))
        code, out = run(tmp_path / "data", "publish", str(path), token=tokens["officer"])
        assert lint_code == code == 4, (lint_out, out)
        assert f"error: {path}, line " in out, out
    code, out = run(tmp_path / "data", "versions", token=tokens["officer"])
    assert "pd-draft" not in out, out

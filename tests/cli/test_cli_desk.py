"""``huiqi desk``: an enterprise files, the department answers, the enterprise rates; a
hotline export is imported with its bad rows listed by line; sweep and stats; and each
command refuses those who may not use it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cliutil import accounts, run

from huiqi.profiles.uscc import make

A, B = make("91310115MA1000001"), make("91310104MA1000002")


def test_a_request_from_filing_to_rating(tmp_path: Path) -> None:
    data = tmp_path / "data"
    tokens = accounts(
        data,
        ent=[f"enterprise={A}"],
        other=[f"enterprise={B}"],
        finance_desk=["desk_officer=department:市财政局"],
        science_desk=["desk_officer=department:市科委"],
        centre=["desk_head=*"],
    )
    code, out = run(
        data,
        "desk",
        "file",
        A,
        "--category",
        "funding",
        "--text",
        "稳岗返还何时到账？",
        "--json",
        token=tokens["ent"],
    )
    assert code == 0, out
    req = json.loads(out)
    assert req["department"] == "市财政局" and req["status"] == "open"
    rid = str(req["id"])
    assert run(data, "desk", "show", rid, token=tokens["other"])[0] == 5
    assert run(data, "desk", "reply", rid, "--text", "x", token=tokens["science_desk"])[0] == 5
    code, out = run(data, "desk", "list", "--json", token=tokens["finance_desk"])
    assert [r["id"] for r in json.loads(out)] == [req["id"]]
    assert json.loads(run(data, "desk", "list", "--json", token=tokens["other"])[1]) == []
    code, out = run(data, "desk", "ack", rid, token=tokens["finance_desk"])
    assert code == 0 and "[acknowledged]" in out, out
    code, out = run(data, "desk", "reply", rid, "--text", "已拨付", token=tokens["finance_desk"])
    assert code == 0 and "[answered]" in out, out
    code, out = run(data, "desk", "rate", rid, "--stars", "2", token=tokens["ent"])
    assert code == 0 and "[reopened]" in out, out
    code, out = run(
        data,
        "desk",
        "transfer",
        rid,
        "--to",
        "市科委",
        "--reason",
        "属科技",
        token=tokens["finance_desk"],
    )
    # A mistyped --to is wrong usage (exit 2), as a mistyped --category is; it exited 1.
    assert code == 2 and "'市科委' is not a department of the desk; departments:" in out, out
    assert "市经济信息化委" in out
    code, out = run(data, "desk", "show", rid, token=tokens["ent"])
    assert code == 0 and "reopened by" in out, out
    code, out = run(data, "desk", "sweep", "--json", token=tokens["scheduler"])
    assert code == 0 and "reminded" in json.loads(out), out
    assert run(data, "desk", "sweep", token=tokens["ent"])[0] == 5
    code, out = run(data, "desk", "stats", "--json", token=tokens["centre"])
    stats = json.loads(out)
    assert (stats["requests"], stats["ratings"], stats["by_stars"]) == (1, 1, [0, 1, 0, 0, 0])
    assert run(data, "desk", "stats", token=tokens["ent"])[0] == 5
    code, out = run(data, "desk", "stats", token=tokens["centre"])
    assert code == 0 and "1 request;" in out and "0 repeat requests from 0 enterprises" in out, out


def test_routes_and_a_hotline_import(tmp_path: Path) -> None:
    data = tmp_path / "data"
    tokens = accounts(data)
    # Before any rule: not an empty table, but where requests go (QA: it read as "nothing
    # is routed" while requests were routed by their category).
    code, out = run(data, "desk", "routes", token=tokens["admin"])
    assert code == 0 and "no routing rules of the office's own" in out, out
    assert "When no rule matches, a request goes to its category's department" in out
    assert "funding" in out
    code, out = run(
        data,
        "desk",
        "route-add",
        "--department",
        "市科委",
        "--keywords",
        "研发，高新",
        token=tokens["admin"],
    )
    assert code == 0 and "→ 市科委" in out, out
    code, out = run(data, "desk", "routes", token=tokens["admin"])
    assert code == 0 and "市科委" in out and "no routing rules" not in out, out
    assert (
        run(
            data,
            "desk",
            "route-add",
            "--department",
            "x",
            "--keywords",
            "y",
            token=tokens["steward"],
        )[0]
        == 5
    )
    export = tmp_path / "12345.csv"
    export.write_bytes(
        (
            "工单编号,统一社会信用代码,诉求类别,诉求内容,受理时间\r\n"
            f"G1,{A},政策咨询,研发费用加计扣除怎么办理,2026-03-02 09:00\r\n"
            f"G2,{A},投诉,噪音,2026-03-02 09:00\r\n"
        ).encode("gbk")
    )
    code, out = run(data, "desk", "import", str(export), token=tokens["steward"])
    assert code == 4, out  # a rejected row: exit 4, as every import (README's exit codes)
    assert "2 rows read: 1 imported, none already imported, 1 rejected" in out
    assert "line 3, column '诉求类别' (field 'category'): the category '投诉'" in out
    code, out = run(data, "desk", "import", str(export), token=tokens["admin"])
    assert code == 5, out


def test_a_hotline_reimport_says_what_was_imported_already(tmp_path: Path) -> None:
    """Regression (QA): importing an export again said "1 rows read, 0 imported, 1
    imported before": a wrong plural, and "imported before" read as a count of rows
    imported before some other step, not as work orders skipped as already held."""
    data = tmp_path / "data"
    tokens = accounts(data)
    export = tmp_path / "12345.csv"
    export.write_bytes(
        (
            "工单编号,统一社会信用代码,诉求类别,诉求内容,受理时间\r\n"
            f"G1,{A},政策咨询,研发费用加计扣除怎么办理,2026-03-02 09:00\r\n"
        ).encode("gbk")
    )
    code, out = run(data, "desk", "import", str(export), token=tokens["steward"])
    assert code == 0 and "1 row read: 1 imported, none already imported, none rejected" in out
    code, out = run(data, "desk", "import", str(export), token=tokens["steward"])
    assert code == 0, out
    assert (
        "1 row read: 0 imported, 1 already imported by an earlier import (not imported"
        " again), none rejected"
    ) in out


def test_a_sweep_with_calendar_problems_exits_4_saying_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: 'huiqi desk sweep' printed calendar problems among its results and
    exited 0, so the scheduler never noticed the holiday calendar was out of date."""
    from huiqi.desk import workdays

    data = tmp_path / "data"
    tokens = accounts(data)
    code, out = run(data, "desk", "sweep", token=tokens["scheduler"])
    assert code == 0, out
    this_year = workdays.china_date(dt.datetime.now(dt.UTC)).year
    monkeypatch.setattr(workdays, "covered_years", lambda: (2004, this_year - 1))
    code, out = run(data, "desk", "sweep", token=tokens["scheduler"])
    assert code == 4, out
    said = " ".join(out.split())
    assert f"problem: the holiday calendar installed covers 2004–{this_year - 1}" in said
    code, out = run(data, "desk", "sweep", "--json", token=tokens["scheduler"])
    assert code == 4 and len(json.loads(out.split("problem:")[0])["problems"]) == 1, out


def test_a_full_page_of_the_desk_list_says_how_to_see_the_rest(tmp_path: Path) -> None:
    """Regression: a full page of 'huiqi desk list' looked like the whole queue."""
    data = tmp_path / "data"
    tokens = accounts(data, ent=[f"enterprise={A}"], centre=["desk_head=*"])
    ids = []
    for n in range(3):
        code, out = run(
            data, "desk", "file", A, "--category", "funding", "--text", f"第{n}问", "--json",
            token=tokens["ent"],
        )  # fmt: skip
        assert code == 0, out
        ids.append(json.loads(out)["id"])
    code, out = run(data, "desk", "list", "--limit", "2", token=tokens["centre"])
    assert code == 0 and f"2 requests shown, more may follow: add --after {ids[1]}" in out, out
    code, out = run(data, "desk", "list", "--after", str(ids[1]), token=tokens["centre"])
    assert code == 0 and "more may follow" not in out, out


def test_a_hotline_request_is_shown_as_filed_through_the_hotline(tmp_path: Path) -> None:
    """Regression (QA): 'huiqi desk show' said a request imported from a 12345 export was
    "filed by steward", the data steward who imported it, not the enterprise's call."""
    data = tmp_path / "data"
    tokens = accounts(data, centre=["desk_head=*"])
    export = tmp_path / "12345.csv"
    export.write_bytes(
        (
            "工单编号,统一社会信用代码,诉求类别,诉求内容,受理时间\r\n"
            f"G1,{A},政策咨询,研发费用加计扣除怎么办理,2026-03-02 09:00\r\n"
        ).encode("gbk")
    )
    assert run(data, "desk", "import", str(export), token=tokens["steward"])[0] == 0
    [listed] = json.loads(run(data, "desk", "list", "--json", token=tokens["centre"])[1])
    code, out = run(data, "desk", "show", str(listed["id"]), token=tokens["centre"])
    assert code == 0 and "filed via the 12345 hotline (imported by steward)" in out, out
    assert "filed by steward" not in out


def test_desk_show_ends_a_step_without_a_note_and_lists_files_only_when_there_are(
    tmp_path: Path,
) -> None:
    """Regression (QA): 'huiqi desk show' ended a step without a note with a colon
    ("acknowledged by desk: "), showed no rating's stars, and never listed the files."""
    data = tmp_path / "data"
    tokens = accounts(data, ent=[f"enterprise={A}"], desk=["desk_officer=department:市财政局"])
    filed = ["desk", "file", A, "--category", "funding", "--text", "何时到账？", "--json"]
    rid = str(json.loads(run(data, *filed, token=tokens["ent"])[1])["id"])
    assert run(data, "desk", "ack", rid, token=tokens["desk"])[0] == 0
    assert run(data, "desk", "reply", rid, "--text", "已拨付", token=tokens["desk"])[0] == 0
    assert run(data, "desk", "rate", rid, "--stars", "4", token=tokens["ent"])[0] == 0
    code, out = run(data, "desk", "show", rid, token=tokens["desk"])
    assert code == 0, out
    lines = out.splitlines()
    assert not [line for line in lines if line.rstrip().endswith(":")], out
    assert any(line.endswith("acknowledged by desk") for line in lines), out
    assert any("rated by ent ★★★★ (4 of 5)" in line for line in lines), out
    assert "file:" not in out


def test_desk_show_lists_a_requests_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    tokens = accounts(data, ent=[f"enterprise={A}"])
    pdf = tmp_path / "说明.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
    filed = ["desk", "file", A, "--category", "funding", "--text", "附件", "--file", str(pdf)]
    rid = str(json.loads(run(data, *filed, "--json", token=tokens["ent"])[1])["id"])
    code, out = run(data, "desk", "show", rid, token=tokens["ent"])
    assert code == 0 and "  file: 说明.pdf (35 bytes)" in out, out


def test_a_mistyped_policy_names_the_closest_published_one(tmp_path: Path) -> None:
    """QA: 'huiqi desk file --policy' with a typo said only that the policy is not
    published; it now names the closest published id, as the listings do (exit 3)."""
    from huiqi.accounts.testing import OFFICER
    from huiqi.config import get_settings
    from huiqi.db.engine import open_database
    from huiqi.delivery.versions import publish_text

    data = tmp_path / "data"
    tokens = accounts(data, ent=[f"enterprise={A}"])
    policy = Path(__file__).resolve().parents[2] / "huiqi" / "policies" / "library"
    path = policy / "sh-stable-jobs-refund-2026.yaml"
    factory = open_database(get_settings(data))
    publish_text(factory, path.read_text("utf-8"), str(path), actor=OFFICER)
    filed = ["desk", "file", A, "--category", "funding", "--text", "何时到账？"]
    code, out = run(data, *filed, "--policy", "sh-stable-job-refund-2026", token=tokens["ent"])
    assert code == 3, out
    assert "sh-stable-jobs-refund-2026" in out and "is published" in out, out
    code, out = run(data, *filed, "--policy", "sh-stable-jobs-refund-2026", token=tokens["ent"])
    assert code == 0, out


def test_a_request_withdrawn_by_its_enterprise_or_closed_by_its_department(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    tokens = accounts(
        data,
        ent=[f"enterprise={A}"],
        other=[f"enterprise={B}"],
        finance_desk=["desk_officer=department:市财政局"],
        science_desk=["desk_officer=department:市科委"],
    )

    def filed() -> str:
        code, out = run(
            data,
            "desk",
            "file",
            A,
            "--category",
            "funding",
            "--text",
            "何时到账？",
            "--json",
            token=tokens["ent"],
        )
        assert code == 0, out
        return str(json.loads(out)["id"])

    first, second = filed(), filed()
    assert run(data, "desk", "withdraw", first, token=tokens["other"])[0] == 5
    code, out = run(data, "desk", "withdraw", first, "--reason", "已解决", token=tokens["ent"])
    assert code == 0 and "[withdrawn]" in out, out
    assert run(data, "desk", "withdraw", first, token=tokens["ent"])[0] == 0  # no change
    code, out = run(data, "desk", "close", second, "--reason", "重复", token=tokens["science_desk"])
    assert code == 5, out
    code, out = run(
        data,
        "desk",
        "close",
        second,
        "--reason",
        "重复诉求",
        "--json",
        token=tokens["finance_desk"],
    )
    assert code == 0, out
    closed = json.loads(out)
    assert closed["status"] == "closed" and closed["steps"][-1]["kind"] == "dept_closed"
    code, out = run(
        data, "desk", "close", second, "--reason", "again", token=tokens["finance_desk"]
    )
    assert code != 0 and "closed already" in out, out


def test_a_mistyped_category_is_wrong_usage_naming_the_categories(tmp_path: Path) -> None:
    """Regression: 'huiqi desk file --category nonsense' exited 1, an error of huiqi's; a
    mistyped option value is wrong usage (exit 2), as '--backend nosuch' is."""
    data = tmp_path / "data"
    tokens = accounts(data, ent=[f"enterprise={A}"])
    filed = ["desk", "file", A, "--category", "fundnig", "--text", "何时到账？"]
    code, out = run(data, *filed, token=tokens["ent"])
    assert code == 2, out
    assert "'fundnig' is not a request category; categories:" in out and "funding" in out

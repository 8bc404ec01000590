"""`huiqi draft ...` and `huiqi simulate`: the console's drafts and simulation from the
command line, through the same services and access checks as the pages (policy authors
and publishers of the policy's scope; reviewers list; publishing needs a publisher and a
draft whose checks pass), with the CLI's exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from cliutil import accounts, run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "matching"))
from matching_helpers import code, profile, snapshot_of
from test_simulate import draft

from huiqi.config import get_settings
from huiqi.db.engine import open_database
from huiqi.delivery.models import PolicyDraft, PolicyVersion

POLICY = "jd-sim-rd"  # a Jiading (310114) district policy: test_simulate.draft()
ROWS = [
    # (i, district, revenue, R&D): 4 % and 3.5 % eligible, 2.8 % a near miss, one elsewhere
    (1, "310114", 10_000_000, "400000"),
    (2, "310114", 10_000_000, "350000"),
    (3, "310114", 10_000_000, "280000"),
    (5, "310104", 10_000_000, "900000"),
]


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    data = tmp_path / "data"
    profiles = [
        profile(code(i, d), district_code=d, revenue=rev, rd_expense=rd, employees=10)
        for i, d, rev, rd in ROWS
    ]
    snapshot_of(data, profiles)
    tokens = accounts(
        data,
        author=["policy_author=*"],
        reviewer=["policy_reviewer=*"],
        jiading=["policy_author=district:310114", "policy_publisher=district:310114"],
        xuhui=["policy_author=district:310104", "policy_publisher=district:310104"],
    )
    return data, tokens


def write(tmp: Path, text: str, name: str = "draft.yaml") -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def rows(data: Path, model: type) -> list:  # type: ignore[type-arg]
    with open_database(get_settings(data))() as s:
        return list(s.query(model).all())


def test_save_show_list_discard(world: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    data, tokens = world
    code_, out = run(data, "draft", "save", str(write(tmp_path, draft())), token=tokens["author"])
    assert code_ == 0, out
    assert f"saved the draft of {POLICY}; checks pass" in " ".join(out.split()), out
    code_, out = run(data, "draft", "list", "--json", token=tokens["author"])
    assert code_ == 0, out
    (line,) = json.loads(out)
    assert (line["policy_id"], line["draft"], line["ok"], line["author"]) == (
        POLICY,
        True,
        True,
        "author",
    )
    code_, out = run(data, "draft", "show", POLICY, "--text", token=tokens["author"])
    assert code_ == 0 and out == draft(), out
    code_, out = run(data, "draft", "show", POLICY, "--json", token=tokens["author"])
    shown = json.loads(out)
    assert shown["saved"] and shown["lint"]["ok"] and shown["text"] == draft()
    # A reviewer lists the drafts of its scope, as the console's list shows them.
    code_, out = run(data, "draft", "list", token=tokens["reviewer"])
    assert code_ == 0 and POLICY in out, out
    code_, out = run(data, "draft", "discard", POLICY, token=tokens["author"])
    assert code_ == 0 and f"discarded the draft of {POLICY}" in out, out
    assert rows(data, PolicyDraft) == []
    code_, out = run(data, "draft", "list", token=tokens["author"])
    assert code_ == 0 and "no drafts" in out and "policy" not in out, out  # no empty table
    code_, out = run(data, "draft", "discard", POLICY, token=tokens["author"])
    assert code_ == 3 and "has no draft" in out, out


def test_a_draft_whose_checks_fail_is_kept_exits_4_and_is_not_published(
    world: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    data, tokens = world
    broken = draft().replace("rd_expense >= 0.03 * revenue", "rd_expense >= 0.03 * no_such_field")
    path = write(tmp_path, broken)
    code_, out = run(data, "draft", "save", str(path), token=tokens["author"])
    assert code_ == 4, out
    assert "checks fail: 1 lint error" in out and "no_such_field" in out, out
    assert "line 18, column 11" in out, out  # where, as the editor says it
    code_, out = run(data, "draft", "save", str(path), "--json", token=tokens["author"])
    assert code_ == 4 and json.loads(out)["ok"] is False, out
    assert len(rows(data, PolicyDraft)) == 1  # kept, to be fixed
    code_, out = run(data, "draft", "publish", POLICY, token=tokens["officer"])
    assert code_ == 4 and "is not published: 1 lint error(s)" in " ".join(out.split()), out
    assert rows(data, PolicyVersion) == []


def test_a_draft_is_published_by_a_publisher_of_its_scope(
    world: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    data, tokens = world
    path = write(tmp_path, draft())
    assert run(data, "draft", "save", str(path), token=tokens["jiading"])[0] == 0
    # An author may draft but not publish; Xuhui's publisher is not Jiading's.
    for who in ("author", "xuhui", "reviewer", "steward"):
        code_, out = run(data, "draft", "publish", POLICY, token=tokens[who])
        assert code_ == 5, (who, out)
    code_, out = run(data, "draft", "publish", POLICY, token=tokens["jiading"])
    assert code_ == 0, out
    assert f"published {POLICY} v1" in out and "2 grants (75,000.00 yuan)" in out, out
    (pv,) = rows(data, PolicyVersion)
    assert (pv.policy_id, pv.version, pv.published_by) == (POLICY, 1, "jiading")
    assert rows(data, PolicyDraft) == []  # published: the draft is gone
    code_, out = run(data, "draft", "publish", POLICY, token=tokens["jiading"])
    assert code_ == 3 and "has no draft to publish" in out, out


def test_access_is_the_consoles(world: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    data, tokens = world
    path = write(tmp_path, draft())
    for who in ("xuhui", "reviewer", "finance", "steward"):
        code_, out = run(data, "draft", "save", str(path), token=tokens[who])
        assert code_ == 5, (who, out)
    assert rows(data, PolicyDraft) == []
    code_, out = run(data, "draft", "list")  # nobody signed in
    assert code_ == 5, out
    code_, out = run(data, "draft", "show", "Not An Id", token=tokens["author"])
    assert code_ == 2 and "is no policy id" in out, out
    nameless = write(tmp_path, "title: nothing\n", "nameless.yaml")
    code_, out = run(data, "draft", "save", str(nameless), token=tokens["author"])
    assert code_ == 2 and "--policy ID" in out, out


def test_simulate_a_file_prints_what_the_console_shows(
    world: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    data, tokens = world
    path = write(tmp_path, draft())
    code_, out = run(data, "simulate", str(path), "--json", token=tokens["author"])
    assert code_ == 0, out
    sim = json.loads(out)
    assert (sim["policy_id"], sim["enterprises"], sim["eligible"]) == (POLICY, 4, 2)
    assert (sim["near_miss"], sim["needs_data"]) == (1, 0)
    assert (sim["total_fen"], sim["budget_fen"]) == (7_500_000, 10_000_000)
    assert (sim["over_budget"], sim["budget_left_fen"]) == (False, 2_500_000)
    # in_jiading says whom the policy is for: never a near miss, never listed.
    assert {n["id"]: n["near_misses"] for n in sim["near_misses"]} == {"rd_intensity": 1}
    assert {b["key"]: b["eligible"] for b in sim["breakdowns"]["district_code"]}["310114"] == 2
    code_, out = run(data, "simulate", str(path), token=tokens["author"])
    assert code_ == 0, out
    text = " ".join(out.split())
    assert f"{POLICY} v1 on snapshot" in text and "75,000.00" in text, out
    assert "25,000.00 left" in text and "rd_intensity" in text, out
    assert "eligible by district" in text and "eligible by size class" in text, out


def test_simulate_a_policy_id_reads_its_draft_or_a_published_version(
    world: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    data, tokens = world
    code_, out = run(data, "simulate", POLICY, token=tokens["author"])
    assert code_ == 3 and "neither a draft nor a published version" in out, out
    looser = draft(share="0.025")  # 2.8 % now qualifies too
    assert run(data, "draft", "save", str(write(tmp_path, looser)), token=tokens["author"])[0] == 0
    code_, out = run(data, "simulate", POLICY, "--json", token=tokens["author"])
    assert code_ == 0 and json.loads(out)["eligible"] == 3, out
    code_, out = run(data, "simulate", POLICY, "--version", "1", token=tokens["author"])
    assert code_ == 3 and "no published version 1" in out, out
    code_, out = run(data, "simulate", str(tmp_path / "missing.yaml"), token=tokens["author"])
    assert code_ == 2 and "no such file" in out, out
    code_, out = run(data, "simulate", str(write(tmp_path, draft())), "--version", "1")
    assert code_ == 2, out


def test_simulate_is_refused_as_the_page_refuses(
    world: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    data, tokens = world
    path = write(tmp_path, draft())
    for who in ("reviewer", "finance", "xuhui"):
        code_, out = run(data, "simulate", str(path), token=tokens[who])
        assert code_ == 5, (who, out)
    broken = write(tmp_path, draft().replace("revenue", "no_such_field"), "broken.yaml")
    code_, out = run(data, "simulate", str(broken), token=tokens["author"])
    assert code_ == 1 and "no_such_field" in out and "line" in out, out


def test_a_district_officers_simulation_lists_no_district_criterion(
    world: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """Regression: "在您所辖的区内" (the criterion a district officer's scope adds) was a
    row of the near misses by criterion, with 0."""
    data, tokens = world
    path = write(tmp_path, draft())
    code_, out = run(data, "simulate", str(path), "--json", token=tokens["jiading"])
    assert code_ == 0, out
    assert [n["id"] for n in json.loads(out)["near_misses"]] == ["rd_intensity"]
    code_, out = run(data, "simulate", str(path), token=tokens["jiading"])
    assert code_ == 0 and "在您所辖的区内" not in out, out


def test_a_pro_rata_publish_says_its_grants_wait_for_the_allocation(
    world: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """A pro-rata pool's publish printed "2 grants (75,000.00 yuan)", as if the money were
    granted, where every one of them is provisional until 'huiqi allocate' shares out the
    budget after the window (huiqi publish says "provisional 2")."""
    data, tokens = world
    text = draft().replace("budget: 100000", "budget: 100000\nbudget_mode: pro_rata")
    assert "budget_mode: pro_rata" in text
    path = write(tmp_path, text)
    assert run(data, "draft", "save", str(path), token=tokens["jiading"])[0] == 0
    code_, out = run(data, "draft", "publish", POLICY, token=tokens["jiading"])
    said = " ".join(out.split())
    assert code_ == 0, out
    assert "2 provisional grants (75,000.00 yuan, pro rata:" in said, out
    assert f"huiqi allocate {POLICY}" in said, out

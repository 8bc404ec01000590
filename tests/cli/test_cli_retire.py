"""`huiqi retire POLICY_ID VERSION --reason`: the console's retire, from the command line,
with the same access rule (a policy_publisher whose scope holds the policy)."""

from __future__ import annotations

import json
from pathlib import Path

from cliutil import accounts, run
from sqlalchemy import func, select

from huiqi.accounts.testing import OFFICER
from huiqi.config import get_settings
from huiqi.db.engine import open_database
from huiqi.delivery.models import Event, PolicyVersion
from huiqi.delivery.versions import publish_text

LIBRARY = Path(__file__).resolve().parents[2] / "huiqi" / "policies" / "library"
POLICY = "sh-stable-jobs-refund-2026"  # a city policy (level city, region 310000)


def published(data: Path) -> dict[str, str]:
    tokens = accounts(
        data,
        pudong=["policy_publisher=district:310115"],  # another scope than the city's
        author=["policy_author=*"],  # may draft, not retire
    )
    path = LIBRARY / f"{POLICY}.yaml"
    publish_text(
        open_database(get_settings(data)), path.read_text("utf-8"), str(path), actor=OFFICER
    )
    return tokens


def state(data: Path) -> tuple[str, int]:
    with open_database(get_settings(data))() as s:
        status = s.scalar(select(PolicyVersion.status).where(PolicyVersion.policy_id == POLICY))
        events = s.scalar(select(func.count()).where(Event.kind == "retire")) or 0
    return str(status), events


def test_a_publisher_retires_a_version_once_with_its_reason(tmp_path: Path) -> None:
    data = tmp_path / "data"
    tokens = published(data)
    code, out = run(
        data, "retire", POLICY, "1", "--reason", "superseded", "--json", token=tokens["officer"]
    )
    assert code == 0, out
    assert json.loads(out) == {
        "id": 1,
        "policy_id": POLICY,
        "version": 1,
        "status": "retired",
        "withdrawn": 0,
        "reason": "superseded",
    }
    assert state(data) == ("retired", 1)
    # Again: refused (only a published version is retired), nothing more recorded.
    code, out = run(data, "retire", POLICY, "1", "--reason", "again", token=tokens["officer"])
    assert code == 1 and "is retired; only a published one is retired" in out, out
    assert state(data) == ("retired", 1)


def test_retire_prints_a_line_without_json(tmp_path: Path) -> None:
    data = tmp_path / "data"
    tokens = published(data)
    code, out = run(data, "retire", POLICY, "1", "--reason", "ended", token=tokens["officer"])
    assert code == 0 and f"retired {POLICY} v1" in out, out
    assert "it had no open offers or unsubmitted applications" in " ".join(out.split()), out
    # Regression: 'huiqi versions' showed a retired version as a published one.
    code, out = run(data, "versions", token=tokens["officer"])
    assert code == 0 and f"{POLICY} v1 (retired)" in " ".join(out.split()), out


def test_retire_is_refused_outside_the_publishers_scope(tmp_path: Path) -> None:
    data = tmp_path / "data"
    tokens = published(data)
    for who in ("pudong", "author", "finance", "steward"):
        code, out = run(data, "retire", POLICY, "1", "--reason", "no", token=tokens[who])
        assert code == 5, (who, out)
    code, out = run(data, "retire", POLICY, "1", "--reason", "no")
    assert code == 5 and "sign in first" in out
    assert state(data) == ("published", 0)


def test_retire_names_what_is_wrong(tmp_path: Path) -> None:
    data = tmp_path / "data"
    officer = published(data)["officer"]
    code, out = run(data, "retire", POLICY, "7", "--reason", "x", token=officer)
    assert code == 3 and f"no published version 7 of policy '{POLICY}'" in out, out
    code, out = run(data, "retire", POLICY, "1", "--reason", "  ", token=officer)
    # Blank is wrong usage, as the option left out is (it exited 1: QA).
    assert code == 2 and "'--reason': it is blank: give the reason" in out, out
    code, out = run(data, "retire", POLICY, "1", token=officer)
    assert code == 2 and "--reason" in out, out
    assert state(data) == ("published", 0)

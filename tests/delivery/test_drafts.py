"""Policy drafts on SQLite and PostgreSQL: start from a published version, save (lint and
test cases on every save), delete, publish (refused when lint or a case fails), retire;
each within the officer's policy scope, each an audit event."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import build_store, policy_yaml, uscc
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied, Actor
from huiqi.accounts.roles import Role
from huiqi.accounts.testing import OFFICER, enterprise, officer
from huiqi.catalogue.service import list_policies
from huiqi.config import Settings
from huiqi.db.engine import transaction
from huiqi.delivery import drafts, policy_lines
from huiqi.delivery.models import Entitlement, Event, PolicyDraft, PolicyVersion
from huiqi.delivery.publish import deliver
from huiqi.delivery.versions import publish_text, retire_version
from huiqi.errors import NotFoundError, PolicyError

PID = "draft-test"
CASES = """tests:
  - name: two insured
    profile: {insured_employees: 2}
    expect: {status: eligible, amount: "2000.00"}
  - name: nobody insured
    profile: {insured_employees: 0}
    expect: {status: not_eligible, failing: [insured]}
"""
ELSEWHERE = officer("district:310104")  # another district's officers
AUTHOR = officer("district:310115", Role.POLICY_AUTHOR)


def text(version: int = 1, per_person: int = 1000, cases: str = CASES) -> str:
    return policy_yaml(PID, version=version, per_person=per_person, budget=1_000_000) + cases


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return build_store(tmp_path / "data", {uscc(1): 2, uscc(2): 0})[0]


@pytest.fixture
def published(sessions: sessionmaker[Session], settings: Settings) -> sessionmaker[Session]:
    """Version 1 of the test policy, published and delivered."""
    pv, _ = publish_text(sessions, text(), f"{PID}.yaml", actor=OFFICER)
    deliver(settings, sessions, pv.id, actor=OFFICER)
    return sessions


def events(factory: sessionmaker[Session], kind: str) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).where(Event.kind == kind)) or 0


def test_a_draft_starts_from_the_published_text_and_says_to_raise_the_version(
    published: sessionmaker[Session],
) -> None:
    with transaction(published) as s:
        draft = drafts.start_draft(s, actor=AUTHOR, policy_id=PID)
        assert draft.base_version == 1 and draft.source_yaml == text()
        lint = draft.lint
    assert lint is not None and not lint["ok"] and lint["passed"] == 2
    [problem] = [p for p in lint["problems"] if p["severity"] == "error"]
    assert problem["field"] == "version" and problem["line"] == 2
    assert "published with this very text" in problem["message"]
    assert events(published, "draft_save") == 1
    with transaction(published) as s, pytest.raises(drafts.DraftError, match="already has"):
        drafts.start_draft(s, actor=AUTHOR, policy_id=PID)


def test_every_save_lints_and_runs_the_cases_with_lines(published: sessionmaker[Session]) -> None:
    with transaction(published) as s:
        broken = drafts.save_draft(s, actor=AUTHOR, policy_id=PID, text="id: [\n")
        assert broken.lint and not broken.lint["ok"]
        assert broken.lint["problems"][0]["line"] == 2, broken.lint
        # A threshold the second case no longer agrees with: a failing case, named.
        failing = drafts.save_draft(
            s, actor=AUTHOR, policy_id=PID, text=text(2).replace("> 0", ">= 0")
        )
        lint = failing.lint
    assert lint and not lint["ok"] and lint["failed"] == 1 and lint["errors"] == 0
    assert "nobody insured" in next(c["message"] for c in lint["cases"] if not c["ok"])
    with transaction(published) as s:
        good = drafts.save_draft(s, actor=AUTHOR, policy_id=PID, text=text(2, per_person=1500))
        assert good.lint and good.lint["failed"] == 1  # 2 × 1500 is not the 2000.00 expected
        fixed = text(2, per_person=1500).replace('"2000.00"', '"3000.00"')
        ok = drafts.save_draft(s, actor=AUTHOR, policy_id=PID, text=fixed)
        assert ok.lint and ok.lint["ok"], ok.lint
    assert events(published, "draft_save") == 4


def test_a_draft_cannot_change_its_id_or_leave_the_officers_scope(
    published: sessionmaker[Session],
) -> None:
    with transaction(published) as s:
        other = drafts.save_draft(
            s, actor=AUTHOR, policy_id=PID, text=text(2).replace(f"id: {PID}", "id: other")
        )
        assert other.lint and other.lint["problems"][0]["field"] == "id"
    moved = text(2).replace('region: "310115"', 'region: "310104"')
    with transaction(published) as s, pytest.raises(AccessDenied):
        drafts.save_draft(s, actor=AUTHOR, policy_id=PID, text=moved)


@pytest.mark.parametrize(
    "actor", [ELSEWHERE, enterprise(uscc(1)), officer("*", Role.POLICY_REVIEWER)]
)
def test_outsiders_may_not_read_write_or_delete_a_draft(
    published: sessionmaker[Session], settings: Settings, actor: Actor
) -> None:
    with transaction(published) as s:
        drafts.start_draft(s, actor=AUTHOR, policy_id=PID)
    for call in (
        lambda s: drafts.open_draft(s, actor=actor, policy_id=PID),
        lambda s: drafts.save_draft(s, actor=actor, policy_id=PID, text=text(2)),
        lambda s: drafts.delete_draft(s, actor=actor, policy_id=PID),
        lambda s: drafts.start_draft(s, actor=actor, policy_id=PID),
    ):
        with transaction(published) as s, pytest.raises((AccessDenied, drafts.DraftError)):
            call(s)
    with published() as s:
        assert s.scalar(select(PolicyDraft.source_yaml)) == text()
    with pytest.raises(AccessDenied):
        drafts.publish_draft(settings, published, actor=actor, policy_id=PID)


def test_publishing_refuses_a_failing_draft_then_publishes_and_delivers_a_good_one(
    published: sessionmaker[Session], settings: Settings
) -> None:
    with transaction(published) as s:
        drafts.save_draft(s, actor=AUTHOR, policy_id=PID, text=text(2, per_person=1500))
    with pytest.raises(drafts.DraftError, match="1 failing test case"):
        drafts.publish_draft(settings, published, actor=OFFICER, policy_id=PID)
    fixed = text(2, per_person=1500).replace('"2000.00"', '"3000.00"')
    with transaction(published) as s:
        drafts.save_draft(s, actor=AUTHOR, policy_id=PID, text=fixed)
    with pytest.raises(AccessDenied):  # an author drafts; a publisher publishes
        drafts.publish_draft(settings, published, actor=AUTHOR, policy_id=PID)
    pv, report = drafts.publish_draft(settings, published, actor=OFFICER, policy_id=PID)
    assert pv.version == 2 and report.matched == 1
    with published() as s:
        assert s.scalar(select(func.count()).select_from(PolicyDraft)) == 0
        amounts = s.scalars(
            select(Entitlement.computed_fen).where(Entitlement.policy_version_id == pv.id)
        ).all()
    assert amounts == [300_000]
    assert events(published, "draft_publish") == 1 and events(published, "publish") == 2


def test_delete_and_retire(published: sessionmaker[Session]) -> None:
    with transaction(published) as s:
        drafts.start_draft(s, actor=AUTHOR, policy_id=PID)
        drafts.delete_draft(s, actor=AUTHOR, policy_id=PID)
        assert drafts.open_draft(s, actor=AUTHOR, policy_id=PID).draft is None
    with transaction(published) as s, pytest.raises(NotFoundError):
        drafts.delete_draft(s, actor=AUTHOR, policy_id=PID)
    with published() as s:
        pv_id = s.scalar(select(PolicyVersion.id))
        assert pv_id is not None
        assert [c.policy_id for c in list_policies(s)] == [PID]
    with transaction(published) as s, pytest.raises(AccessDenied):
        retire_version(s, actor=AUTHOR, version_id=pv_id, reason="superseded")
    with transaction(published) as s, pytest.raises(PolicyError, match="reason"):
        retire_version(s, actor=OFFICER, version_id=pv_id, reason=" ")
    # Regression (QA): a reason of a zero-width space alone retired the version, and every
    # withdrawn offer told its enterprise nothing.
    with transaction(published) as s, pytest.raises(PolicyError, match="give the reason"):
        retire_version(s, actor=OFFICER, version_id=pv_id, reason="\u200b\ufeff")
    # Regression (QA): an 800-character reason was cut to 500 without a word.
    with transaction(published) as s, pytest.raises(PolicyError, match="at most 500"):
        retire_version(s, actor=OFFICER, version_id=pv_id, reason="因" * 501)
    with published() as s:
        assert s.scalar(select(PolicyVersion.status)) == "published"
    with transaction(published) as s:
        retire_version(s, actor=OFFICER, version_id=pv_id, reason="superseded by the 2027 policy")
    with transaction(published) as s, pytest.raises(PolicyError, match="only a published"):
        retire_version(s, actor=OFFICER, version_id=pv_id, reason="again")
    with published() as s:
        assert list_policies(s) == []  # out of the catalogue
        [line] = policy_lines.list_policy_lines(s, actor=AUTHOR)
        assert line.status == "retired" and line.versions[0].status == "retired"
        assert policy_lines.list_policy_lines(s, actor=ELSEWHERE) == []
    assert events(published, "retire") == 1 and events(published, "draft_delete") == 1


def test_the_list_is_cut_to_the_officers_scope(published: sessionmaker[Session]) -> None:
    with published() as s:
        [line] = policy_lines.list_policy_lines(s, actor=AUTHOR)
        assert (line.policy_id, line.status, line.delivery) == (PID, "published", "auto")
        assert line.committed_fen == 200_000 and line.department == "测试局"
        assert policy_lines.list_policy_lines(s, actor=ELSEWHERE) == []
        with pytest.raises(AccessDenied):
            policy_lines.list_policy_lines(s, actor=enterprise(uscc(1)))


def test_a_new_policys_draft_must_load_first(published: sessionmaker[Session]) -> None:
    with transaction(published) as s, pytest.raises(drafts.DraftError, match="must load"):
        drafts.save_draft(s, actor=AUTHOR, policy_id="brand-new", text="id: brand-new\n")
    fresh = policy_yaml("brand-new") + CASES
    with transaction(published) as s:
        draft = drafts.save_draft(s, actor=AUTHOR, policy_id="brand-new", text=fresh)
        assert draft.base_version is None and draft.lint and draft.lint["ok"]
    with published() as s:
        ids = [line.policy_id for line in policy_lines.list_policy_lines(s, actor=AUTHOR)]
        assert ids == ["brand-new", PID]


def test_a_new_policys_draft_under_another_id_says_so(published: sessionmaker[Session]) -> None:
    """A new policy's text saved as the draft of another id (a copy of another policy's
    file, its id not changed) was refused as 'must load (id, level, region and department
    say whose it is)', though it loaded: the refusal now names both ids, and a text that
    does not load says its first error with its line."""
    copied = policy_yaml("brand-new") + CASES
    with transaction(published) as s, pytest.raises(drafts.DraftError) as refused:
        drafts.save_draft(s, actor=AUTHOR, policy_id="other-new", text=copied)
    assert refused.value.message == (
        "the text's id is 'brand-new', but this is the draft of 'other-new': write"
        " 'id: other-new' in the text (or start the draft of 'brand-new')"
    )
    with transaction(published) as s, pytest.raises(drafts.DraftError) as refused:
        drafts.save_draft(s, actor=AUTHOR, policy_id="brand-new", text="id: brand-new\n")
    assert "fix the text and save again; first error: line " in refused.value.message


def test_a_pasted_byte_order_mark_is_not_other_text(published: sessionmaker[Session]) -> None:
    """Regression: the published text saved back with a byte-order mark in front (pasted
    from a file Notepad saved as "UTF-8 with BOM") read as "already published with other
    text", while the same text with CRLF line ends was the very text."""
    with transaction(published) as s:
        draft = drafts.save_draft(
            s, actor=AUTHOR, policy_id=PID, text="\ufeff" + text().replace("\n", "\r\n")
        )
        assert draft.source_yaml == text()
        lint = draft.lint
    assert lint is not None
    [problem] = [p for p in lint["problems"] if p["severity"] == "error"]
    assert "published with this very text" in problem["message"]

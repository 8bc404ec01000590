"""An enterprise withdraws the application (申报) it submitted before it is decided: it
leaves the reviewers' queue, is audited and told, may be submitted again, and a decision
on it (or racing it) is refused."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import build_store, policy_yaml, uscc
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.testing import OFFICER, enterprise
from huiqi.db.engine import transaction
from huiqi.delivery import applications as apps
from huiqi.delivery.applications import ApplicationError, ReasonRefused
from huiqi.delivery.channels import INBOX
from huiqi.delivery.models import Entitlement, Event, Notification
from huiqi.delivery.publish import deliver, publish_text
from huiqi.delivery.versions import retire_version
from huiqi.delivery.withdrawal import withdraw

A, B = uscc(1), uscc(2)


def _applications(settings, factory) -> dict[str, int]:  # type: ignore[no-untyped-def]
    pv, _ = publish_text(factory, policy_yaml("apply", delivery="apply"), "a.yaml", actor=OFFICER)
    deliver(settings, factory, pv.id, actor=OFFICER)
    with factory() as s:
        rows = s.scalars(select(Entitlement).where(Entitlement.policy_version_id == pv.id))
        return {e.uscc: e.id for e in rows}


@pytest.fixture
def ids(sessions: sessionmaker[Session], tmp_path: Path) -> dict[str, int]:
    settings, _ = build_store(tmp_path, {A: 4, B: 4})
    return _applications(settings, sessions)


def _record(factory: sessionmaker[Session], record_id: int) -> Entitlement:
    with factory() as s:
        ent = s.get(Entitlement, record_id)
        assert ent is not None
        return ent


def test_a_withdrawn_application_is_open_again_audited_told_and_submitted_again(
    sessions: sessionmaker[Session], ids: dict[str, int]
) -> None:
    rid = ids[A]
    apps.submit(sessions, rid, actor=enterprise(A))
    done = withdraw(sessions, rid, actor=enterprise(A), reason=" 材料有误 ")
    assert (done.status, done.message) == ("application_open", "withdrawn")
    ent = _record(sessions, rid)
    assert ent.status == "application_open"
    assert ent.status_reason is not None
    assert ent.status_reason.startswith("withdrawn by the enterprise on 20")
    assert ent.status_reason.endswith(": 材料有误")
    with sessions() as s:
        event = s.execute(
            select(Event.actor, Event.reason).where(Event.kind == "application_withdraw")
        ).one()
        subjects = s.scalars(select(Notification.subject).where(Notification.uscc == A)).all()
    assert tuple(event) == (f"u-{A}", "材料有误")
    assert any(t.endswith("申报已撤回") for t in subjects)
    # Withdrawing again changes nothing; submitting again clears the note.
    assert withdraw(sessions, rid, actor=enterprise(A)).message.startswith("already withdrawn")
    assert apps.submit(sessions, rid, actor=enterprise(A)).status == "submitted"
    assert _record(sessions, rid).status_reason is None
    withdraw(sessions, rid, actor=enterprise(A))
    with sessions() as s:
        told = s.scalars(
            select(Notification.id).where(
                Notification.kind == "application_withdrawn", Notification.channel == INBOX
            )
        ).all()
    assert len(told) == 2  # each withdrawal told, not dropped as a repeat


def test_deciding_a_withdrawn_application_is_refused_saying_so(
    sessions: sessionmaker[Session], ids: dict[str, int]
) -> None:
    rid = ids[A]
    apps.submit(sessions, rid, actor=enterprise(A))
    withdraw(sessions, rid, actor=enterprise(A))
    said = re.escape(f"application {rid} was withdrawn by the enterprise; only submitted")
    with pytest.raises(ApplicationError, match=said):
        apps.approve(sessions, rid, actor=OFFICER)
    with pytest.raises(ApplicationError, match=said):
        apps.reject(sessions, rid, actor=OFFICER, reason="不符合")


def test_a_decided_application_cannot_be_withdrawn(
    sessions: sessionmaker[Session], ids: dict[str, int]
) -> None:
    rid = ids[A]
    apps.submit(sessions, rid, actor=enterprise(A))
    apps.reject(sessions, rid, actor=OFFICER, reason="不符合")
    with pytest.raises(ApplicationError, match="'rejected' and cannot be withdrawn"):
        withdraw(sessions, rid, actor=enterprise(A))


def test_a_form_never_submitted_has_nothing_to_withdraw(
    sessions: sessionmaker[Session], ids: dict[str, int]
) -> None:
    assert withdraw(sessions, ids[A], actor=enterprise(A)).message.startswith("not submitted")


def test_retiring_closes_a_withdrawn_application_as_any_open_form(
    sessions: sessionmaker[Session], ids: dict[str, int]
) -> None:
    """Withdrawn, the form is open again: retiring its version closes it, and it can no
    longer be submitted."""
    rid = ids[A]
    apps.submit(sessions, rid, actor=enterprise(A))
    withdraw(sessions, rid, actor=enterprise(A))
    pv_id = _record(sessions, rid).policy_version_id
    with transaction(sessions) as s:
        assert retire_version(s, actor=OFFICER, version_id=pv_id, reason="期满").withdrawn == 2
    assert _record(sessions, rid).status == "withdrawn"
    with pytest.raises(ApplicationError, match="can no longer be submitted"):
        apps.submit(sessions, rid, actor=enterprise(A))


def test_withdrawing_under_a_retired_version_closes_the_application_for_good(
    sessions: sessionmaker[Session], ids: dict[str, int]
) -> None:
    rid = ids[A]
    apps.submit(sessions, rid, actor=enterprise(A))
    pv_id = _record(sessions, rid).policy_version_id
    with transaction(sessions) as s:
        retire_version(s, actor=OFFICER, version_id=pv_id, reason="期满")
    done = withdraw(sessions, rid, actor=enterprise(A))
    assert done.status == "withdrawn" and _record(sessions, rid).status == "withdrawn"
    assert withdraw(sessions, rid, actor=enterprise(A)).message.startswith("already withdrawn")
    with pytest.raises(ApplicationError, match="was withdrawn by the enterprise"):
        apps.approve(sessions, rid, actor=OFFICER)
    with sessions() as s:
        body = s.scalar(
            select(Notification.body).where(Notification.kind == "application_withdrawn")
        )
    assert body is not None and "不能再次提交" in body


def test_only_the_enterprise_withdraws_its_application(
    sessions: sessionmaker[Session], ids: dict[str, int]
) -> None:
    apps.submit(sessions, ids[A], actor=enterprise(A))
    for who in (enterprise(B), OFFICER):
        with pytest.raises(AccessDenied):
            withdraw(sessions, ids[A], actor=who)
    with pytest.raises(ReasonRefused):
        withdraw(sessions, ids[A], actor=enterprise(A), reason="x" * 1001)
    assert _record(sessions, ids[A]).status == "submitted"


def _race(sessions: sessionmaker[Session], rid: int) -> dict[str, object]:
    """Withdraw and approve at once; each outcome, or its refusal."""
    gate = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def run(name: str, work: Callable[[], object]) -> None:
        gate.wait()
        try:
            outcome[name] = work()
        except ApplicationError as refused:
            outcome[name] = refused

    threads = [
        threading.Thread(
            target=run, args=("withdraw", lambda: withdraw(sessions, rid, actor=enterprise(A)))
        ),
        threading.Thread(
            target=run, args=("approve", lambda: apps.approve(sessions, rid, actor=OFFICER))
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcome


def test_withdraw_racing_approve_one_wins(
    sessions: sessionmaker[Session], ids: dict[str, int]
) -> None:
    """Both lock the record: the first wins, the second is refused; never both."""
    rid = ids[A]
    for _ in range(3):
        apps.submit(sessions, rid, actor=enterprise(A))
        outcome = _race(sessions, rid)
        refused = [k for k, v in outcome.items() if isinstance(v, ApplicationError)]
        assert len(refused) == 1, outcome
        status = _record(sessions, rid).status
        if refused == ["approve"]:
            assert status == "application_open"
        else:
            assert status != "application_open"
            return  # approved: nothing left to race


def test_a_decision_reads_the_record_as_its_lock_finds_it(
    sessions: sessionmaker[Session], ids: dict[str, int]
) -> None:
    """Regression (CI, PostgreSQL): ``_load`` found the record, then locked it with a
    select that left the found object as it was: a status another transaction committed
    in between (a withdrawal, while an approval waited for the lock) was not seen, and
    both went through. The lock's read is the one the decision uses. (SQLite takes the
    write lock when a transaction begins, so no other commit can come in between there.)"""
    from sqlalchemy import text

    from huiqi.delivery.claims import find_entitlement

    engine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's transactions take the write lock as they begin")
    rid = ids[A]
    apps.submit(sessions, rid, actor=enterprise(A))
    with transaction(sessions) as s:
        held = find_entitlement(s, entitlement_id=rid)  # in the session, as _load found it
        assert held.status == "submitted"
        with engine.begin() as other:  # another transaction commits meanwhile
            other.execute(
                text("UPDATE entitlements SET status = 'application_open' WHERE id = :i"),
                {"i": rid},
            )
        ent, _, _ = apps._load(s, rid, lambda e, pv: None)
        assert ent is held and ent.status == "application_open"

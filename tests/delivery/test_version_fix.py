"""A newer version's amount delivered on a reviewer's decision (``correct``,
huiqi.delivery.version_fix), on SQLite and PostgreSQL.

Regression (review, session 32): version 1 of an auto policy granted an enterprise 350,000
yuan; version 2 gives it 400,000. Its record under version 2 was excluded and flagged "for
an officer to decide whether a correction is due", but no decision could pay it: top-up
was for exclusivity groups only, and keep or withdraw paid nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import build_store, policy_yaml, uscc
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from test_topup import publish, sent_for_payment

from huiqi.accounts.testing import OFFICER
from huiqi.db.engine import transaction
from huiqi.delivery import counts
from huiqi.delivery.correction_queue import corrections
from huiqi.delivery.disburse import NothingToPay
from huiqi.delivery.models import (
    BatchItem,
    Entitlement,
    Event,
    ExclusivitySlot,
    Grant,
    Notification,
    PolicyVersion,
    table_of,
)
from huiqi.delivery.review import ReviewConflict, resolve_flag
from huiqi.delivery.topup_queue import top_ups

E = uscc(1)
INSURED = 8  # v1: 43,750 yuan a person = 350,000 yuan


def _v1(factory: sessionmaker[Session], tmp_path: Path, **kw) -> PolicyVersion:  # type: ignore[no-untyped-def]
    settings, _ = build_store(tmp_path, {E: INSURED})
    return publish(settings, factory, policy_yaml("p", per_person=43_750, **kw))


def _v2(  # type: ignore[no-untyped-def]
    factory: sessionmaker[Session], tmp_path: Path, yuan: int, version: int = 2, **kw
) -> tuple[PolicyVersion, Entitlement]:
    settings, _ = build_store(tmp_path, {E: INSURED})
    text = policy_yaml("p", formula=str(yuan), version=version, **kw)
    pv = publish(settings, factory, text)
    with factory() as s:
        ent = s.scalars(select(Entitlement).where(Entitlement.policy_version_id == pv.id)).one()
    assert ent.status == "excluded" and ent.review_flag, ent.status_reason
    assert "whether a correction is due" in (ent.review_reason or "")
    return pv, ent


def _live(factory: sessionmaker[Session]) -> list[tuple[int, int, str, int | None]]:
    """(version, amount fen, status, corrects grant id) of the enterprise's live grants."""
    with factory() as s:
        rows = s.execute(
            select(PolicyVersion.version, Grant.amount_fen, Grant.status, Grant.corrects_grant_id)
            .join(PolicyVersion, PolicyVersion.id == Grant.policy_version_id)
            .where(Grant.uscc == E, Grant.status.not_in(("superseded", "withdrawn")))
            .order_by(Grant.id)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _committed(factory: sessionmaker[Session], pv: PolicyVersion) -> int:
    with factory() as s:
        return int(s.scalar(select(PolicyVersion.committed_fen).where(PolicyVersion.id == pv.id)))


def _counters_match(factory: sessionmaker[Session]) -> None:
    """The dashboards' counters (maintained by triggers) equal a recount of the ledger."""
    with factory() as s:
        for kind in counts.KINDS:
            assert counts.stored(s, kind) == counts.recount(s, kind), kind


def _exported(factory: sessionmaker[Session], tmp_path: Path) -> list[int]:
    """Export a batch; the amounts (fen) of its items (none: nothing to pay)."""
    try:
        batch = sent_for_payment(factory, tmp_path)
    except NothingToPay:
        return []
    with factory() as s:
        return list(
            s.scalars(
                select(Grant.amount_fen)
                .join(BatchItem, BatchItem.grant_id == Grant.id)
                .where(BatchItem.batch_id == batch)
            )
        )


@pytest.mark.parametrize("yuan", [400_000, 300_000])
def test_an_unsent_grant_is_replaced_by_the_newer_versions_amount(
    sessions: sessionmaker[Session], tmp_path: Path, yuan: int
) -> None:
    v1 = _v1(sessions, tmp_path, budget=1_000_000)
    assert _live(sessions) == [(1, 35_000_000, "granted", None)]
    v2, ent = _v2(sessions, tmp_path, yuan, budget=1_000_000)
    with sessions() as s:
        offered = corrections(s, [(ent.id, "excluded")])[ent.id]
    assert (offered.due_fen, offered.given_fen, offered.sent) == (yuan * 100, 35_000_000, False)
    d = resolve_flag(sessions, ent.id, actor=OFFICER, outcome="correct", reason="新版本标准")
    assert (d.outcome, d.status) == ("correct", "granted")
    assert _live(sessions) == [(2, yuan * 100, "granted", None)]
    _counters_match(sessions)
    # v1's commitment is given back; v2's budget holds the new amount.
    assert (_committed(sessions, v1), _committed(sessions, v2)) == (0, yuan * 100)
    with sessions() as s:
        old = s.scalars(select(Grant).where(Grant.policy_version_id == v1.id)).one()
        assert old.status == "superseded"
        old_ent = s.get(Entitlement, old.entitlement_id)
        assert old_ent is not None and old_ent.status == "superseded"
        after = s.get(Entitlement, ent.id)
        assert after is not None and not after.review_flag
        assert "in place of the 350,000.00 yuan granted under p v1" in (after.status_reason or "")
        decided = s.scalars(
            select(Event).where(
                Event.entity == f"entitlement:{ent.id}", Event.kind.like("review_%")
            )
        ).all()
        assert [(e.kind, e.actor) for e in decided] == [("review_correct", OFFICER.username)]
        told = s.scalars(
            select(Notification).where(Notification.uscc == E, Notification.channel == "inbox")
        ).all()
        shown = f"{yuan:,}.00"
        assert any(shown in n.subject and "新版本" in n.subject for n in told), told
    # Exported once, at the new amount, and never the old one.
    assert _exported(sessions, tmp_path) == [yuan * 100]
    assert _exported(sessions, tmp_path) == []


def test_a_sent_grant_gets_the_difference_once(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _v1(sessions, tmp_path)
    assert _exported(sessions, tmp_path) == [35_000_000]
    v2, ent = _v2(sessions, tmp_path, 400_000, budget=1_000_000)
    d = resolve_flag(sessions, ent.id, actor=OFFICER, outcome="correct", reason="补差")
    assert d.status == "granted"
    live = _live(sessions)
    base = _base_grant(sessions)
    assert live == [(1, 35_000_000, "in_batch", None), (2, 5_000_000, "granted", base)]
    assert _committed(sessions, v2) == 5_000_000
    _counters_match(sessions)
    assert _exported(sessions, tmp_path) == [5_000_000]  # the difference, once
    assert _exported(sessions, tmp_path) == []
    with pytest.raises(ReviewConflict, match="not flagged"):
        resolve_flag(sessions, ent.id, actor=OFFICER, outcome="correct", reason="再补")
    # v3 gives 450,000: it corrects the latest grant (a chain), by the 50,000 left.
    _, ent3 = _v2(sessions, tmp_path, 450_000, version=3)
    assert "already granted 400,000.00 yuan" in (ent3.status_reason or "")
    resolve_flag(sessions, ent3.id, actor=OFFICER, outcome="correct", reason="第三版")
    live = _live(sessions)
    assert sum(amount for _, amount, _, _ in live) == 45_000_000
    with sessions() as s:
        v2_grant = s.scalars(select(Grant.id).where(Grant.policy_version_id == v2.id)).one()
    assert live[-1][3] == v2_grant


def _base_grant(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return int(
            s.scalars(
                select(Grant.id).where(Grant.uscc == E, Grant.corrects_grant_id.is_(None))
            ).one()
        )


def test_less_than_what_was_sent_is_refused_and_the_flag_stays(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _v1(sessions, tmp_path)
    _exported(sessions, tmp_path)
    _, ent = _v2(sessions, tmp_path, 300_000)
    with pytest.raises(ReviewConflict, match=r"takes no money back; recover the 50,000\.00"):
        resolve_flag(sessions, ent.id, actor=OFFICER, outcome="correct", reason="调减")
    assert _live(sessions) == [(1, 35_000_000, "in_batch", None)]
    with sessions() as s:
        assert corrections(s, [(ent.id, "excluded")])[ent.id].refused
        still = s.get(Entitlement, ent.id)
        assert still is not None and still.review_flag
    kept = resolve_flag(sessions, ent.id, actor=OFFICER, outcome="keep", reason="另行追回")
    assert kept.status == "excluded" and kept.grant_id is None


@pytest.mark.parametrize("sent", [False, True])
def test_a_correction_the_budget_cannot_cover_changes_nothing(
    sessions: sessionmaker[Session], tmp_path: Path, sent: bool
) -> None:
    v1 = _v1(sessions, tmp_path, budget=1_000_000)
    if sent:
        _exported(sessions, tmp_path)
    # Unsent, v2 must grant 400,000 in all; sent, the 50,000 difference: either is more.
    v2, ent = _v2(sessions, tmp_path, 400_000, budget=40_000 if sent else 300_000)
    with pytest.raises(ReviewConflict, match="left, less than"):
        resolve_flag(sessions, ent.id, actor=OFFICER, outcome="correct", reason="新版本")
    status = "in_batch" if sent else "granted"
    assert _live(sessions) == [(1, 35_000_000, status, None)]
    assert (_committed(sessions, v1), _committed(sessions, v2)) == (35_000_000, 0)
    with sessions() as s:
        still = s.get(Entitlement, ent.id)
        assert still is not None and still.review_flag and still.status == "excluded"
        old = s.scalars(select(Entitlement).where(Entitlement.policy_version_id == v1.id)).one()
        assert old.status == "granted"


def test_a_record_without_a_version_change_has_nothing_to_correct(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, _ = build_store(tmp_path, {E: 1})
    pv = publish(settings, sessions, policy_yaml("plain"))
    build_store(tmp_path, {E: 0})
    from huiqi.delivery.publish import deliver

    deliver(settings, sessions, pv.id, actor=OFFICER)
    with sessions() as s:
        flagged = s.scalars(select(Entitlement).where(Entitlement.uscc == E)).one()
    assert flagged.review_flag
    with pytest.raises(ReviewConflict, match="no version correction to make"):
        resolve_flag(sessions, flagged.id, actor=OFFICER, outcome="correct", reason="更正")


def test_the_database_refuses_a_second_correction_or_a_second_base_grant(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Exactly once is the database's rule, not only the service's: v1 sent and corrected
    by v2; a row correcting v1 again, or a second uncorrecting grant of the policy and
    period, is refused by the unique indexes themselves (migration 0028)."""
    _v1(sessions, tmp_path)
    _exported(sessions, tmp_path)
    _, ent2 = _v2(sessions, tmp_path, 400_000)
    resolve_flag(sessions, ent2.id, actor=OFFICER, outcome="correct", reason="补差")
    v3, ent3 = _v2(sessions, tmp_path, 450_000, version=3)
    base = _base_grant(sessions)
    row = {
        "entitlement_id": ent3.id,
        "policy_version_id": v3.id,
        "policy_id": "p",
        "uscc": E,
        "benefit_period": v3.benefit_period,
        "requested_fen": 5_000_000,
        "amount_fen": 5_000_000,
        "status": "granted",
        "snapshot_id": ent3.snapshot_id,
        "content_hash": v3.content_hash,
        "explanation": {},
    }
    refused_by = {
        base: r"corrects_grant_id|uq_grants_corrected_once",  # v1 again: v2 corrects it
        None: r"grants\.policy_id|uq_grants_policy_once",  # a second base grant
    }
    for corrects, index in refused_by.items():
        with pytest.raises(IntegrityError, match=index), transaction(sessions) as s:
            s.execute(insert(table_of(Grant)), [{**row, "corrects_grant_id": corrects}])
    assert len(_live(sessions)) == 2


def test_a_grouped_policys_new_version_is_corrected_not_topped_up(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: in an exclusivity group, version 1's grant holds the group's slot, and
    the flagged version 2 record was offered a top-up, whose grant (naming no grant it
    corrects) broke the one-grant-per-policy index: an IntegrityError, not a decision."""
    _v1(sessions, tmp_path, exclusivity_group="g")
    _exported(sessions, tmp_path)
    _, ent = _v2(sessions, tmp_path, 400_000, exclusivity_group="g")
    with sessions() as s:
        assert top_ups(s, [(ent.id, "excluded")]) == {}
        assert corrections(s, [(ent.id, "excluded")])[ent.id].grants_fen == 5_000_000
    with pytest.raises(ReviewConflict, match="no difference to pay"):
        resolve_flag(sessions, ent.id, actor=OFFICER, outcome="top-up", reason="补差")
    resolve_flag(sessions, ent.id, actor=OFFICER, outcome="correct", reason="补差")
    assert [amount for _, amount, _, _ in _live(sessions)] == [35_000_000, 5_000_000]
    with sessions() as s:
        slot = s.get(ExclusivitySlot, ("g", E, "2026"))
        # The group compares a third policy with the 400,000 the enterprise now receives.
        assert slot is not None and (slot.entitlement_id, slot.amount_fen) == (ent.id, 40_000_000)

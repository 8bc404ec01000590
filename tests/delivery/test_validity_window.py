"""A policy delivers only inside its window. Published before its valid_from it delivers
nothing until that day: no grant, offer or application (and so no message, no budget
spent) before the first day the policy can be granted. Before, a policy with
``valid_from: 2027-01-01`` published on 2026-12-03 granted every eligible enterprise at
once. After its valid_to it delivers nothing new either, and what it delivered stays:
before, a 2025 policy published in 2026 still granted, and its offers expired at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import helpers as h
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import OFFICER
from huiqi.delivery import publish as publishing
from huiqi.delivery.models import DeliveryRun, Entitlement, Grant, Notification
from huiqi.delivery.publish import deliver, publish_text

TODAY = dt.date(2026, 12, 3)


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int, int, int]:
    with sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(Entitlement)) or 0,
            s.scalar(select(func.count()).select_from(Grant)) or 0,
            s.scalar(select(func.count()).select_from(Notification)) or 0,
            s.scalar(select(func.count()).select_from(DeliveryRun)) or 0,
        )


@pytest.mark.parametrize("delivery", ["auto", "confirm", "apply"])
def test_nothing_is_delivered_before_valid_from_and_all_of_it_on_that_day(
    sessions: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    delivery: str,
) -> None:
    settings_, _ = h.build_store(tmp_path / "data", {h.uscc(i): 2 for i in range(6)})
    opens = TODAY + dt.timedelta(days=29)
    text = h.policy_yaml(
        f"later-{delivery}",
        delivery=delivery,
        valid_from=opens,
        valid_to=dt.date(2027, 12, 31),
        budget=100_000,
    )
    monkeypatch.setattr(publishing, "today", lambda: TODAY)
    pv, _ = publish_text(sessions, text, "later.yaml", actor=OFFICER)

    early = deliver(settings_, sessions, pv.id, actor=OFFICER)  # type: ignore[arg-type]

    assert early.opens_on == opens
    assert (early.matched, early.new_records, early.granted, early.offered) == (0, 0, 0, 0)
    assert _counts(sessions) == (0, 0, 0, 0)
    assert f"nothing delivered, the policy opens on {opens.isoformat()}" in early.summary()

    # The day before is still too early; on valid_from itself the policy delivers in full.
    monkeypatch.setattr(publishing, "today", lambda: opens - dt.timedelta(days=1))
    assert deliver(settings_, sessions, pv.id, actor=OFFICER).opens_on == opens  # type: ignore[arg-type]
    monkeypatch.setattr(publishing, "today", lambda: opens)
    on_the_day = deliver(settings_, sessions, pv.id, actor=OFFICER)  # type: ignore[arg-type]
    assert on_the_day.opens_on is None
    assert on_the_day.new_records == 6
    records, grants, _, runs = _counts(sessions)
    assert (records, runs) == (6, 1)
    assert grants == (6 if delivery == "auto" else 0)


@pytest.mark.parametrize("delivery", ["auto", "confirm", "apply"])
def test_nothing_new_is_delivered_after_valid_to_and_what_was_delivered_stays(
    sessions: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    delivery: str,
) -> None:
    store = tmp_path / "data"
    settings_, _ = h.build_store(store, {h.uscc(i): 2 for i in range(3)})
    closes = dt.date(2026, 6, 30)
    text = h.policy_yaml(f"closing-{delivery}", delivery=delivery, valid_to=closes, budget=100_000)
    pv, _ = publish_text(sessions, text, "closing.yaml", actor=OFFICER)
    # On its last day the policy still delivers (to the three enterprises there are).
    monkeypatch.setenv("HUIQI_TODAY", closes.isoformat())
    assert deliver(settings_, sessions, pv.id, actor=OFFICER).new_records == 3
    before = _counts(sessions)

    # Three more enterprises qualify the day after: nothing is made for them.
    settings_, _ = h.build_store(store, {h.uscc(i): 2 for i in range(6)})
    monkeypatch.setenv("HUIQI_TODAY", (closes + dt.timedelta(days=1)).isoformat())
    late = deliver(settings_, sessions, pv.id, actor=OFFICER)

    assert late.closed_on == closes and late.opens_on is None
    assert (late.matched, late.new_records, late.granted, late.offered) == (0, 0, 0, 0)
    assert _counts(sessions) == before
    assert f"nothing delivered, the policy closed on {closes.isoformat()}" in late.summary()


def test_a_policy_whose_window_has_passed_grants_nothing_when_first_published(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case the QA pass met: a 2025 policy published on 2026-12-03."""
    settings_, _ = h.build_store(tmp_path / "data", {h.uscc(i): 2 for i in range(4)})
    text = h.policy_yaml(
        "last-year", valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 12, 31)
    )
    monkeypatch.setenv("HUIQI_TODAY", TODAY.isoformat())
    pv, _ = publish_text(sessions, text, "last-year.yaml", actor=OFFICER)
    report = deliver(settings_, sessions, pv.id, actor=OFFICER)
    assert report.closed_on == dt.date(2025, 12, 31)
    assert _counts(sessions) == (0, 0, 0, 0)

"""A policy published before its valid_from delivers nothing until that day: no grant,
offer or application (and so no message, no budget spent) before the first day the
policy can be granted. Before, a policy with ``valid_from: 2027-01-01`` published on
2026-12-03 granted every eligible enterprise at once."""

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

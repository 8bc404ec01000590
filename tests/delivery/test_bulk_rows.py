"""Bulk-granted chunks large enough for the bulk routes (rows as tuples, PostgreSQL COPY)
store what the careful path would: each record's status, reason and trace, the capped
grants within the budget in USCC order, two outbox rows per grant, the directory."""

from __future__ import annotations

from pathlib import Path

import helpers as h
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import ADMIN, OFFICER
from huiqi.db.bulk import COPY_FROM
from huiqi.delivery import service as ledger
from huiqi.delivery.models import DirectoryEntry, Entitlement, Grant, Notification
from huiqi.delivery.publish import deliver, publish
from huiqi.delivery.versions import compile_version
from huiqi.engine import snapshot_result_rows


def test_large_chunks_store_what_the_rules_say(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    n, chunk = 450, 200  # two chunks of the bulk routes, then one below COPY_FROM
    assert chunk >= COPY_FROM > n - 2 * chunk
    settings_, _ = h.numbered_store(tmp_path / "data", n)
    text = h.policy_yaml("big-chunks", cap=2500, budget=500_000)
    pv, rep = publish(settings_, sessions, text, actor=OFFICER, filename="b.yaml", chunk=chunk)

    # The rules, independently: 1,000 yuan per insured person capped at 2,500 yuan,
    # granted in USCC order while the 500,000 yuan last.
    people = {h.uscc(i): 1 + (i * 7) % 3 for i in range(n)}
    left, want = 500_000_00, {}
    for code in sorted(people):
        requested = people[code] * 1000_00
        amount = min(requested, 2500_00)
        if amount <= left:
            left -= amount
            reason = "capped from 3,000.00 yuan" if amount < requested else None
            want[code] = ("granted", reason, amount)
        else:
            want[code] = ("budget_exhausted", "the budget of 500,000.00 yuan is spent;", None)
    granted = {c for c, w in want.items() if w[0] == "granted"}
    assert 0 < len(granted) < n and rep.granted == len(granted)

    _, traces = snapshot_result_rows(settings_, compile_version(pv), statuses=("eligible",))
    ledger_forms = {t.uscc: t.ledger for t in traces}
    with sessions() as s:
        records = s.execute(
            select(
                Entitlement.uscc,
                Entitlement.status,
                Entitlement.status_reason,
                Entitlement.explanation,
                Entitlement.computed_fen,
                Entitlement.snapshot_id,
                Entitlement.review_flag,
                Grant.amount_fen,
            ).outerjoin(Grant, Grant.entitlement_id == Entitlement.id)
        ).all()
        for code, status, reason, explanation, computed, sid, flag, amount in records:
            w_status, w_reason, w_amount = want[code]
            assert (status, amount, computed, flag) == (
                w_status,
                w_amount,
                people[code] * 1000_00,
                False,
            )
            assert (reason or "").startswith(w_reason or "") and bool(reason) == bool(w_reason)
            assert explanation == ledger_forms[code] and sid == rep.snapshot_id
        assert len(records) == n
        outbox = s.execute(
            select(Notification.channel, func.count(), func.count(func.distinct(Notification.uscc)))
            .where(Notification.kind == "granted")
            .group_by(Notification.channel)
        ).all()
        assert sorted(outbox) == [
            ("inbox", len(granted), len(granted)),
            ("log", len(granted), len(granted)),
        ]
        assert s.scalar(select(func.count()).select_from(DirectoryEntry)) == n
        assert ledger.verify_audit(s, actor=ADMIN).ok

    # Again on the same snapshot: nothing new, nobody told twice.
    again = deliver(settings_, sessions, pv.id, actor=OFFICER, chunk=chunk)
    assert again.new_records == again.granted == 0
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Notification)) == 2 * len(granted)

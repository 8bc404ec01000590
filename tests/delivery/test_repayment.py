"""A failed payment is paid again in a later batch once a finance officer releases it; a
paid grant never is (the database refuses a second live batch item), on SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import factories as make
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.testing import ADMIN, FINANCE, OFFICER
from huiqi.db.engine import transaction
from huiqi.delivery import service as ledger
from huiqi.delivery.disburse import NothingToPay, export_batch, verify_batch_members
from huiqi.delivery.models import Batch, BatchItem, Event, Grant
from huiqi.delivery.payments import import_payment_results
from huiqi.delivery.repayment import RepaymentError, RepaymentReasonError, release_for_repayment
from huiqi.errors import NotFoundError


def _grants(sessions: sessionmaker[Session], amounts: list[int]) -> list[int]:
    with transaction(sessions) as s:
        pv = make.policy_version(s)
        return [make.grant(s, pv, requested_fen=a).id for a in amounts]


def _export(sessions: sessionmaker[Session], out: Path) -> Batch:
    with transaction(sessions) as s:
        batch = export_batch(s, out_dir=out, actor=FINANCE)
        batch.created_at = dt.datetime(2026, 1, 1)  # the paid dates below follow it
        return batch


def _results(sessions: sessionmaker[Session], path: Path, rows: list[list[str]]) -> list[str]:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    with transaction(sessions) as s:
        return [e.message for e in import_payment_results(s, path, actor=FINANCE).errors]


def _release(sessions: sessionmaker[Session], grant_id: int, reason: str = "账号已更正") -> None:
    with transaction(sessions) as s:
        release_for_repayment(s, actor=FINANCE, grant_id=grant_id, reason=reason)


def _status(sessions: sessionmaker[Session], grant_id: int) -> str:
    with sessions() as s:
        grant = s.get(Grant, grant_id)
        assert grant is not None
        return grant.status


def test_a_failed_payment_is_paid_again_in_a_later_batch(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: a grant was in one batch for ever, so a payment that failed (a wrong bank
    account) could never be sent again, and the refusal named a 're-payment' huiqi lacked."""
    paid, failed = _grants(sessions, [1000, 2000])
    first = _export(sessions, tmp_path)
    header = ["grant_id", "result", "reason", "paid_date"]
    first_file = tmp_path / "r1.csv"
    rows = [header, [str(paid), "paid", "", "2026-01-02"], [str(failed), "failed", "户名不符", ""]]
    assert _results(sessions, first_file, rows) == []
    # Not paid again by itself: the cause (the account) must be addressed first.
    with pytest.raises(NothingToPay, match="huiqi disburse repay GRANT_ID"):
        _export(sessions, tmp_path)
    _release(sessions, failed, "企业已更正收款账户 account corrected")
    assert _status(sessions, failed) == "granted"
    with sessions() as s:
        event = s.scalars(select(Event).where(Event.kind == "repayment_released")).one()
        assert (event.entity, event.actor, event.reason) == (
            f"grant:{failed}",
            "finance",
            "企业已更正收款账户 account corrected",
        )
        assert event.data == {
            "failed_batch_id": first.id,
            "failure": "户名不符",
            "amount_fen": 2000,
        }
    second = _export(sessions, tmp_path)
    assert (second.grants, second.total_fen) == (1, 2000)
    assert [r["grant_id"] for r in _csv(second)] == [str(failed)]
    assert _status(sessions, failed) == "in_batch"
    # The second payment's result names its batch; then the grant is paid.
    rows = [["batch_id", *header], [str(second.id), str(failed), "paid", "", "2026-01-03"]]
    assert _results(sessions, tmp_path / "r2.csv", rows) == []
    assert _status(sessions, failed) == "paid"
    with sessions() as s:
        items = s.scalars(
            select(BatchItem).where(BatchItem.grant_id == failed).order_by(BatchItem.id)
        ).all()
        assert [(i.batch_id, i.result, i.reason) for i in items] == [
            (first.id, "failed", "户名不符"),
            (second.id, "paid", None),
        ]
        assert verify_batch_members(s).ok
        trail = {e.entity for e in ledger.audit_log(s, actor=ADMIN, entity=f"grant:{failed}")}
        assert {f"batch:{first.id}", f"batch:{second.id}"} <= trail
    # The first file again: its row for the grant paid again must say which batch it means.
    assert _results(sessions, first_file, [header, *rows_of(first_file)[1:]]) == [
        f"grant {failed} was paid again after a failure and is in batches {first.id},"
        f" {second.id}; give the batch_id column (as exported) so that the row says which"
        " payment it answers for"
    ]
    named = [["batch_id", *header], *([str(first.id), *r] for r in rows_of(first_file)[1:])]
    assert _results(sessions, tmp_path / "r1b.csv", named) == []
    # The first batch's failure contradicted after the grant was paid again: said as it is.
    late = [["batch_id", "grant_id", "result"], [str(first.id), str(failed), "paid"]]
    assert _results(sessions, tmp_path / "r1c.csv", late) == [
        f"grant {failed}'s payment in batch {first.id} is already recorded as failed, and the"
        " grant was released for re-payment since (it is paid now); the re-payment's result"
        " names its own batch"
    ]
    assert (_status(sessions, paid), _status(sessions, failed)) == ("paid", "paid")
    with pytest.raises(NothingToPay):
        _export(sessions, tmp_path)


def rows_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _csv(batch: Batch) -> list[dict[str, str]]:
    assert batch.csv_path is not None
    with Path(batch.csv_path).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_a_paid_grant_is_never_in_another_batch(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    (a,) = _grants(sessions, [1000])
    batch = _export(sessions, tmp_path)
    # In a batch (open): not released, and the database refuses a second live item.
    with pytest.raises(RepaymentError, match=f"grant {a} is in batch {batch.id} awaiting"):
        _release(sessions, a)
    with pytest.raises(IntegrityError), transaction(sessions) as s:
        s.add(BatchItem(batch_id=batch.id, grant_id=a, amount_fen=1000))
    assert _results(sessions, tmp_path / "r.csv", [["grant_id", "result"], [str(a), "paid"]]) == []
    with pytest.raises(RepaymentError, match=f"grant {a} is paid in batch {batch.id};"):
        _release(sessions, a)
    # Even if its status were set back behind the ledger's back, it is not exported again …
    with transaction(sessions) as s:
        s.get(Grant, a).status = "granted"  # type: ignore[union-attr]
    with pytest.raises(NothingToPay):
        _export(sessions, tmp_path)
    # … and the database refuses a second item beside the paid one.
    with pytest.raises(IntegrityError), transaction(sessions) as s:
        s.add(BatchItem(batch_id=batch.id, grant_id=a, amount_fen=1000))


def test_a_failed_result_contradicted_names_the_way_to_pay_again(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    (a,) = _grants(sessions, [1000])
    batch = _export(sessions, tmp_path)
    failed = [["grant_id", "result", "reason"], [str(a), "failed", "bounced"]]
    assert _results(sessions, tmp_path / "r1.csv", failed) == []
    assert _results(sessions, tmp_path / "r2.csv", [failed[0], [str(a), "paid", ""]]) == [
        f"grant {a}'s payment in batch {batch.id} is already recorded as failed; to pay it,"
        f" release it once the cause is addressed ('huiqi disburse repay {a} --reason …')"
        " and export it in a new batch"
    ]
    assert _status(sessions, a) == "payment_failed"


def test_release_is_refused_with_what_to_do(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a, b = _grants(sessions, [1000, 2000])
    with pytest.raises(RepaymentError, match=f"grant {a} is granted and not in a batch;"):
        _release(sessions, a)
    with pytest.raises(NotFoundError, match="no grant 999999"):
        _release(sessions, 999_999)
    _export(sessions, tmp_path)
    rows = [["grant_id", "result", "reason"], [str(b), "failed", "closed account"]]
    assert _results(sessions, tmp_path / "r.csv", rows) == []
    with pytest.raises(RepaymentReasonError, match="the reason for paying again is required"):
        _release(sessions, b, "  ")
    with pytest.raises(AccessDenied), transaction(sessions) as s:
        release_for_repayment(s, actor=OFFICER, grant_id=b, reason="fixed")
    _release(sessions, b)
    with pytest.raises(RepaymentError, match=r"\(released for re-payment already\)"):
        _release(sessions, b)
    with sessions() as s:
        kinds = s.scalars(select(Event.kind).where(Event.entity == f"grant:{b}")).all()
    assert kinds.count("repayment_released") == 1

"""Disbursement batches out, payment results in, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import threading
from pathlib import Path

import factories as make
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import ADMIN, FINANCE
from huiqi.db.engine import transaction
from huiqi.delivery import service as ledger
from huiqi.delivery.disburse import (
    EXPORT_COLUMNS,
    NothingToPay,
    export_batch,
    verify_batch_members,
)
from huiqi.delivery.models import Batch, BatchItem, Event, Grant, Notification
from huiqi.delivery.payments import import_payment_results
from huiqi.errors import ImportFileError
from huiqi.sheetcells import FORMULA_STARTS, PLAIN_NUMBER


def _grants(sessions: sessionmaker[Session], amounts: list[int], **pv_fields: object) -> list[int]:
    with transaction(sessions) as s:
        pv = make.policy_version(s, **pv_fields)
        return [make.grant(s, pv, requested_fen=a).id for a in amounts]


def _export(sessions: sessionmaker[Session], out: Path, **kw: object) -> Batch:
    with transaction(sessions) as s:
        return export_batch(s, out_dir=out, actor=FINANCE, **kw)  # type: ignore[arg-type]


def _backdate(sessions: sessionmaker[Session], batch: Batch) -> None:
    """The batch was exported on 2026-01-01, so the tests' paid dates follow it."""
    with transaction(sessions) as s:
        s.get(Batch, batch.id).created_at = dt.datetime(2026, 1, 1)  # type: ignore[union-attr]


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_export_writes_exact_amounts_and_second_export_writes_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: a second export with nothing to pay wrote an empty batch file."""
    ids = _grants(sessions, [123450, 5, 100_000_000_00], policy_id="jd-rd-subsidy", version=2)
    first = _export(sessions, tmp_path)
    files = sorted(tmp_path.iterdir())
    with pytest.raises(NothingToPay, match="nothing to pay"):
        _export(sessions, tmp_path)
    assert sorted(tmp_path.iterdir()) == files
    with transaction(sessions) as s:
        assert s.scalar(select(func.count()).select_from(Batch)) == 1
    assert (first.grants, first.total_fen) == (3, 123450 + 5 + 100_000_000_00)
    assert first.csv_path is not None
    raw = Path(first.csv_path).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = _read_csv(Path(first.csv_path))
    assert [r["amount_yuan"] for r in rows] == ["1234.50", "0.05", "100000000.00"]
    assert [int(r["grant_id"]) for r in rows] == ids
    assert {r["batch_id"] for r in rows} == {str(first.id)}
    assert {(r["policy_id"], r["policy_version"]) for r in rows} == {("jd-rd-subsidy", "2")}
    assert {r["bank_account_number"] for r in rows} == {""}
    with transaction(sessions) as s:
        assert {g.status for g in s.scalars(select(Grant))} == {"in_batch"}
        (event,) = s.scalars(select(Event).where(Event.kind == "batch_exported"))
        assert event.entity == f"batch:{first.id}"
        assert (event.data["first_grant_id"], event.data["last_grant_id"]) == (ids[0], ids[-1])
        members = hashlib.sha256()
        for gid, amount in zip(ids, [123450, 5, 100_000_000_00], strict=True):
            uscc = s.get(Grant, gid).uscc  # type: ignore[union-attr]
            members.update(f"{gid},{uscc},{amount}\n".encode())
        assert event.data["members_sha256"] == members.hexdigest()
        # a grant's trail shows the batch that holds it
        trail = ledger.audit_log(s, actor=ADMIN, entity=f"grant:{ids[1]}")
        assert [e.kind for e in trail] == ["batch_exported"]
        assert ledger.verify_audit(s, actor=ADMIN).ok


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE batch_items SET amount_fen = amount_fen + 1 WHERE grant_id = :g",
        "DELETE FROM batch_items WHERE grant_id = :g",
    ],
)
def test_verify_finds_a_batch_changed_after_its_export(
    sessions: sessionmaker[Session], tmp_path: Path, tamper: str
) -> None:
    ids = _grants(sessions, [100, 200, 300])
    batch = _export(sessions, tmp_path)
    with transaction(sessions) as s:
        s.execute(text(tamper), {"g": ids[1]})
    with transaction(sessions) as s:
        report = ledger.verify_audit(s, actor=ADMIN)
    assert not report.ok
    assert report.problem is not None and report.problem.startswith(f"batch {batch.id}:")


def test_xlsx_is_readable_with_text_amounts_and_names(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(sessions) as s:
        pv = make.policy_version(s)
        make.grant(s, pv, requested_fen=123450, name="上海某某科技有限公司")
        make.grant(s, pv, requested_fen=100, name="=HYPERLINK(1)")
        make.grant(s, pv, requested_fen=200)
    batch = _export(sessions, tmp_path)
    assert batch.xlsx_path is not None
    ws = load_workbook(batch.xlsx_path).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == EXPORT_COLUMNS
    name, amount = EXPORT_COLUMNS.index("enterprise_name"), EXPORT_COLUMNS.index("amount_yuan")
    assert [(r[name], r[amount]) for r in rows[1:]] == [
        ("上海某某科技有限公司", "1234.50"),
        ("'=HYPERLINK(1)", "1.00"),
        (None, "2.00"),
    ]


def test_export_skips_unfinished_zero_and_other_version_grants(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(sessions) as s:
        pv = make.policy_version(s)
        other = make.policy_version(s)
        wanted = make.grant(s, pv, requested_fen=100).id
        make.grant(s, pv, requested_fen=100, status="provisional")
        make.grant(s, pv, requested_fen=100, amount_fen=0)
        make.grant(s, other, requested_fen=100)
        pv_id = pv.id
    batch = _export(sessions, tmp_path, policy_version_id=pv_id)
    with transaction(sessions) as s:
        items = s.scalars(select(BatchItem.grant_id).where(BatchItem.batch_id == batch.id)).all()
    assert items == [wanted]


def test_export_limit(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    _grants(sessions, [100] * 5)
    assert [_export(sessions, tmp_path, limit=2).grants for _ in range(3)] == [2, 2, 1]
    with pytest.raises(NothingToPay):
        _export(sessions, tmp_path, limit=2)


def test_racing_exports_never_put_a_grant_in_two_batches(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    ids = _grants(sessions, [100] * 40)
    gate = threading.Barrier(4)
    batches: list[Batch] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            gate.wait()
            batches.append(_export(sessions, tmp_path / f"w{i}"))
        except NothingToPay:
            pass  # another export took every grant first
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sum(b.grants for b in batches) == 40
    with transaction(sessions) as s:
        items = s.scalars(select(BatchItem.grant_id)).all()
        assert sorted(items) == ids
        for b in batches:
            count = s.scalar(select(func.count()).where(BatchItem.batch_id == b.id))
            assert count == b.grants
    exported = [r["grant_id"] for b in batches for r in _read_csv(Path(b.csv_path or ""))]
    assert sorted(map(int, exported)) == ids


def _write_results(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def test_payment_results_are_applied_and_reimport_changes_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a, b = _grants(sessions, [123450, 500])
    batch = _export(sessions, tmp_path)
    _backdate(sessions, batch)
    path = _write_results(
        tmp_path / "results.csv",
        [
            ["grant_id", "result", "reason", "paid_date", "amount_yuan"],
            [str(a), "paid", "", "2026-03-31", "1234.50"],
            [str(b), "failed", "账户已销户 account closed", "", "5.00"],
        ],
    )
    with transaction(sessions) as s:
        report = import_payment_results(s, path, actor=FINANCE)
    assert (report.rows, report.paid, report.failed, report.errors) == (2, 1, 1, [])
    with transaction(sessions) as s:
        paid, failed = s.get(Grant, a), s.get(Grant, b)
        assert paid is not None and failed is not None
        assert (paid.status, str(paid.paid_at)) == ("paid", "2026-03-31 00:00:00")
        assert (failed.status, failed.paid_at) == ("payment_failed", None)
        item = s.scalars(select(BatchItem).where(BatchItem.grant_id == b)).one()
        assert (item.result, item.reason) == ("failed", "账户已销户 account closed")
        assert s.get(Batch, batch.id).status == "settled"  # type: ignore[union-attr]
        events_before = s.scalar(select(func.count()).select_from(Event))
        kinds = s.scalars(select(Event.kind).where(Event.entity.in_([f"grant:{a}", f"grant:{b}"])))
        assert sorted(kinds) == ["paid", "payment_failed"]
        # The enterprise is told (regression, QA session 30: a frozen account's owner never
        # learnt that it had to act).
        told = {
            n.kind: n
            for n in s.scalars(select(Notification).where(Notification.channel == "inbox"))
            if n.kind in ("paid", "payment_failed")
        }
        assert told["paid"].uscc == paid.uscc and "1,234.50 元已拨付" in told["paid"].subject
        assert "账户已销户 account closed" in told["payment_failed"].body
        assert "拨付未成功" in told["payment_failed"].subject
        messages_before = s.scalar(select(func.count()).select_from(Notification))
    with transaction(sessions) as s:
        again = import_payment_results(s, path, actor=FINANCE)
    assert (again.paid, again.failed, again.unchanged, again.errors) == (0, 0, 2, [])
    with transaction(sessions) as s:
        # only the import's own summary event is added
        assert s.scalar(select(func.count()).select_from(Event)) == (events_before or 0) + 1
        assert s.get(Grant, a).paid_at == paid.paid_at  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(Notification)) == messages_before


def test_bad_rows_are_reported_with_line_and_column_while_good_rows_apply(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a, b, c = _grants(sessions, [1000, 2000, 3000])
    _export(sessions, tmp_path)
    not_batched = _grants(sessions, [100])[0]
    path = _write_results(
        tmp_path / "results.csv",
        [
            ["grant_id", "result", "reason", "paid_date", "amount_yuan"],
            [str(a), "paid", "", "", "10.00"],
            ["999999", "paid", "", "", ""],
            [str(not_batched), "paid", "", "", ""],
            [str(b), "paid", "", "", "20.01"],
            [str(c), "ok", "", "", ""],
            [str(c), "failed", "", "", ""],
            ["abc", "paid", "", "", ""],
            [str(c), "paid", "", "31/03/2026", ""],
            [str(a), "paid", "", "", ""],
            ["", "", "", "", ""],
            [str(b), "paid", "", "", "20.001"],
        ],
    )
    with transaction(sessions) as s:
        report = import_payment_results(s, path, actor=FINANCE)
    assert (report.rows, report.paid) == (10, 1)
    got = [(e.location.line, e.location.column, e.message) for e in report.errors if e.location]
    assert got == [
        (3, 1, "unknown grant 999999"),
        (4, 1, f"grant {not_batched} is not in any disbursement batch; export it first"),
        (5, 5, f"amount 20.01 yuan differs from the 20.00 yuan exported for grant {b} in batch 1"),
        (6, 2, "result 'ok' is not one of paid, failed, 成功, 失败"),
        (7, 3, "a failed payment needs a reason (the bank's message)"),
        (8, 1, "grant id 'abc' is not a whole number"),
        (
            9,
            4,
            "paid date '31/03/2026' is not a date; write it year first, e.g. 2026-03-31,"
            " 2026/3/31 or 2026年3月31日",
        ),
        (10, 1, f"grant {a} already appears on line 2"),
        # Line 5 was refused, so it holds no place for grant b: line 12 is checked itself.
        (12, 5, "'20.001' is not an amount in yuan with at most two decimals (e.g. 1234.50)"),
    ]
    assert str(report.errors[0]).startswith(f"{path}, line 3, column 1, field 'grant_id': ")
    with transaction(sessions) as s:
        assert [g.status for g in s.scalars(select(Grant).order_by(Grant.id))] == [
            "paid",
            "in_batch",
            "in_batch",
            "granted",
        ]


def test_a_total_row_or_an_empty_grant_id_says_what_it_is(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression (qa1, 2026-12-05): a bank's file ending with a total row (合计 in the
    batch column) was refused as "grant id '' is not a whole number", and so was a row
    whose grant id was left empty: neither said what was wrong."""
    (a,) = _grants(sessions, [1000])
    _export(sessions, tmp_path)
    path = _write_results(
        tmp_path / "results.csv",
        [
            ["批次", "补贴编号", "结果", "原因", "金额"],
            ["1", str(a), "成功", "", "10.00"],
            ["1", "", "成功", "", "10.00"],
            ["合计", "", "", "", "10.00"],
        ],
    )
    with transaction(sessions) as s:
        report = import_payment_results(s, path, actor=FINANCE)
    assert report.paid == 1
    got = [(e.location.line, e.location.column, e.message) for e in report.errors if e.location]
    assert got == [
        (
            3,
            2,
            "the grant id is empty: write the grant's number as the batch file has it"
            " (column grant_id, 补贴编号)",
        ),
        (
            4,
            2,
            "'合计' starts a total row, not a payment result: delete the row (totals are not"
            " read; the other rows are)",
        ),
    ]


def test_a_total_or_a_note_in_the_grant_id_column_says_what_it_is(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """QA (qa5): a bank's file whose total row has 合计 in the grant id's own column (its
    first) read "grant id '合计' is not a whole number", and so did its signature line."""
    (a,) = _grants(sessions, [1000])
    _export(sessions, tmp_path)
    path = _write_results(
        tmp_path / "results.csv",
        [
            ["补贴编号", "结果", "原因", "金额"],
            [str(a), "成功", "", "10.00"],
            ["合计", "", "", "10.00"],
            ["制表人：王五", "", "复核人：赵六", ""],
        ],
    )
    with transaction(sessions) as s:
        report = import_payment_results(s, path, actor=FINANCE)
    assert report.paid == 1
    got = [(e.location.line, e.location.column, e.message) for e in report.errors if e.location]
    assert got == [
        (
            3,
            1,
            "'合计' starts a total row, not a payment result: delete the row (totals are not"
            " read; the other rows are)",
        ),
        (
            4,
            1,
            "'制表人：王五' is a note below the table, not a payment result: delete the row"
            " (notes are not read; the other rows are)",
        ),
    ]


def test_a_grant_id_beyond_any_id_is_an_unknown_grant(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: a 20-digit grant id was refused as "is not a whole number", which it is."""
    _grants(sessions, [1000])
    _export(sessions, tmp_path)
    huge = "99999999999999999999"
    path = _write_results(tmp_path / "results.csv", [["grant_id", "result"], [huge, "paid"]])
    with transaction(sessions) as s:
        report = import_payment_results(s, path, actor=FINANCE)
    got = [(e.location.line, e.location.column, e.message) for e in report.errors if e.location]
    assert got == [(2, 1, f"unknown grant {huge}")]


def test_a_refused_row_does_not_cost_the_correct_row_for_the_same_grant(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression (QA, 2026-12-02): when a grant's first row was refused (a wrong amount),
    its correct row further down was refused too, "already appears on line 2"."""
    a, b = _grants(sessions, [1000, 2000])
    _export(sessions, tmp_path)
    path = _write_results(
        tmp_path / "results.csv",
        [
            ["grant_id", "result", "reason", "paid_date", "amount_yuan"],
            [str(a), "paid", "", "", "100.00"],  # mistyped, refused
            [str(b), "paid", "", "", "20.00"],
            [str(a), "paid", "", "", "10.00"],  # the correction, applied
            [str(b), "failed", "退票", "", "20.00"],  # contradicts line 3
        ],
    )
    with transaction(sessions) as s:
        report = import_payment_results(s, path, actor=FINANCE)
    got = [(e.location.line, e.message) for e in report.errors if e.location]
    # Regression (QA, session 30): the file says both paid and failed for b; the first of
    # its rows was applied. Now neither is: the file says nothing sure of b.
    both = (
        f"grant {b} is reported both paid and failed in this file (lines 3, 5); none of its"
        " rows is applied: ask the finance system which is right and import that row alone"
    )
    assert got == [
        (2, f"amount 100.00 yuan differs from the 10.00 yuan exported for grant {a} in batch 1"),
        (3, both),
        (5, both),
    ]
    assert report.paid == 1
    with transaction(sessions) as s:
        assert s.get(Grant, a).status == "paid"  # type: ignore[union-attr]
        assert s.get(Grant, b).status == "in_batch"  # type: ignore[union-attr]


def test_a_result_for_a_superseded_grant_does_not_say_to_export_it(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A grant superseded under 就高不重复 can never be exported: the error says so instead
    of telling finance to 'export it first'."""
    (gone,) = _grants(sessions, [500])
    with transaction(sessions) as s:
        grant = s.get(Grant, gone)
        assert grant is not None
        grant.status = "superseded"
    path = _write_results(
        tmp_path / "results.csv", [["grant_id", "result", "reason"], [str(gone), "paid", ""]]
    )
    with transaction(sessions) as s:
        report = import_payment_results(s, path, actor=FINANCE)
    assert [e.message for e in report.errors] == [
        f"grant {gone} is superseded and was never exported; it is not to be paid"
    ]


@pytest.mark.parametrize(
    "written",
    [
        "2026-03-31",
        "2026/3/31",
        "2026.3.31",
        "2026年3月31日",
        "20260331",
        "2026/03/31 00:00",
        "2026/3/31 0:00",
    ],
)
def test_a_paid_date_in_any_year_first_writing_is_read(
    sessions: sessionmaker[Session], tmp_path: Path, written: str
) -> None:
    """A finance system (or a clerk's Excel) writes 2026/3/31: the row was refused as
    "not a date like 2026-03-31", though registry imports read that writing."""
    (a,) = _grants(sessions, [1000])
    _backdate(sessions, _export(sessions, tmp_path))
    path = _write_results(
        tmp_path / "results.csv",
        [["grant_id", "result", "reason", "paid_date"], [str(a), "paid", "", written]],
    )
    with transaction(sessions) as s:
        report = import_payment_results(s, path, actor=FINANCE)
    assert (report.paid, report.errors) == (1, [])
    with transaction(sessions) as s:
        assert s.get(Grant, a).paid_at.date() == dt.date(2026, 3, 31)  # type: ignore[union-attr]


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(days=st.integers(min_value=1, max_value=20_000), after=st.booleans())
def test_a_paid_date_before_the_export_or_in_the_future_is_refused(
    sessions: sessionmaker[Session], tmp_path: Path, days: int, after: bool
) -> None:
    """Regression: paid dates of 2020-01-01 and 2030-01-01 for a batch exported today were
    recorded as they came (grants 'paid' years before they existed or years ahead),
    skewing the time-to-money indicator. The row is refused at its paid_date."""
    (a,) = _grants(sessions, [1000])
    batch = _export(sessions, tmp_path)
    exported = (batch.created_at + dt.timedelta(hours=8)).date()
    today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date()
    written = today + dt.timedelta(days=days) if after else exported - dt.timedelta(days=days)
    path = _write_results(
        tmp_path / "results.csv",
        [["grant_id", "result", "reason", "paid_date"], [str(a), "paid", "", written.isoformat()]],
    )
    with transaction(sessions) as s:
        report = import_payment_results(s, path, actor=FINANCE)
    assert report.paid == 0
    assert [e.location.field for e in report.errors if e.location] == ["paid_date"]
    with transaction(sessions) as s:
        assert s.get(Grant, a).status == "in_batch"  # type: ignore[union-attr]
    ok = _write_results(
        tmp_path / "ok.csv",
        [["grant_id", "result", "reason", "paid_date"], [str(a), "paid", "", today.isoformat()]],
    )
    with transaction(sessions) as s:
        assert import_payment_results(s, ok, actor=FINANCE).paid == 1


def test_contradicting_result_needs_an_officer(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    (a,) = _grants(sessions, [1000])
    _export(sessions, tmp_path)
    header = ["grant_id", "result", "reason"]
    first = _write_results(tmp_path / "r1.csv", [header, [str(a), "paid", ""]])
    second = _write_results(tmp_path / "r2.csv", [header, [str(a), "failed", "bounced"]])
    with transaction(sessions) as s:
        import_payment_results(s, first, actor=FINANCE)
    with transaction(sessions) as s:
        report = import_payment_results(s, second, actor=FINANCE)
    assert [e.message for e in report.errors] == [
        f"grant {a} is already recorded as paid in batch 1; a payment is never undone or"
        " made twice here: money the bank returned is recovered through the department's"
        " procedure, outside huiqi"
    ]
    with transaction(sessions) as s:
        assert s.get(Grant, a).status == "paid"  # type: ignore[union-attr]


def test_results_from_xlsx_with_chinese_headers(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a, b = _grants(sessions, [123450, 700])
    _export(sessions, tmp_path)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["补贴编号", "支付结果", "失败原因", "金额"])
    ws.append([a, "成功", None, 1234.5])
    ws.append([b, "失败", "户名不符", "7.00"])
    path = tmp_path / "results.xlsx"
    wb.save(path)
    with transaction(sessions) as s:
        report = import_payment_results(s, path, actor=FINANCE)
    assert (report.paid, report.failed, report.errors) == (1, 1, [])


def test_results_with_a_title_above_the_header(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: a results file opening with a title ("支付结果回盘", merged across the
    sheet) above its header was refused whole: "the header has no grant_id or result
    column; ... got ['支付结果回盘', None, None]"."""
    a, b, c = _grants(sessions, [1000, 2000, 3000])
    _export(sessions, tmp_path)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["支付结果回盘"])
    ws.merge_cells("A1:C1")
    ws.append([])
    ws.append(["补贴编号", "结果", "原因"])
    ws.append([a, "成功", None])
    ws.append([b, "失败", None])
    book = tmp_path / "回盘.xlsx"
    wb.save(book)
    text = _write_results(
        tmp_path / "回盘.csv",
        [["支付结果回盘"], ["补贴编号", "结果", "原因"], [str(c), "成功", ""]],
    )
    with transaction(sessions) as s:
        from_book = import_payment_results(s, book, actor=FINANCE)
        from_text = import_payment_results(s, text, actor=FINANCE)
    assert (from_book.paid, from_book.failed) == (1, 0)
    assert [(e.location.line, e.location.field) for e in from_book.errors if e.location] == [
        (5, "reason")
    ]
    assert (from_text.paid, from_text.errors) == (1, [])


def test_unreadable_result_files_are_refused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    cases = [
        ("r.csv", "grant_id,reason\n1,x\n", "the header has no result column"),
        ("r.txt", "grant_id,result\n", "cannot read '.txt' files"),
    ]
    for name, content, message in cases:
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        with pytest.raises(ImportFileError, match=message), transaction(sessions) as s:
            import_payment_results(s, path, actor=FINANCE)


def test_report_prints_summary_and_errors(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    path = _write_results(tmp_path / "r.csv", [["grant_id", "result"], ["5", "paid"]])
    with transaction(sessions) as s:
        report = import_payment_results(s, path, actor=FINANCE)
    assert str(report).splitlines() == [
        f"{path}: 1 row: 0 paid, 0 failed, 0 unchanged, 1 error",
        f"  {path}, line 2, column 1, field 'grant_id': unknown grant 5",
    ]


# openpyxl refuses these control characters in a cell; names never hold them.
_XLSX_ILLEGAL = "".join(chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32)])
_NAMES = st.tuples(
    st.sampled_from(["", "=", "+", "-", "@", "\t", "\r", "'"]),
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters=_XLSX_ILLEGAL)),
).map("".join)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=st.lists(_NAMES, min_size=1, max_size=4))
def test_no_exported_cell_starts_a_formula(
    sessions: sessionmaker[Session], tmp_path: Path, names: list[str]
) -> None:
    with transaction(sessions) as s:
        pv = make.policy_version(s)
        for name in names:
            make.grant(s, pv, requested_fen=100, name=name)
    batch = _export(sessions, tmp_path, policy_version_id=pv.id)
    assert batch.csv_path is not None and batch.xlsx_path is not None
    with Path(batch.csv_path).open(encoding="utf-8-sig", newline="") as f:
        csv_rows = list(csv.reader(f))
    ws = load_workbook(batch.xlsx_path).active
    assert ws is not None
    xlsx_cells = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    for cell in [c for row in csv_rows for c in row] + xlsx_cells:
        # A signed number alone ('-0') runs nothing and is written as it is (sheetcells).
        text = str(cell)
        assert not text.startswith(FORMULA_STARTS) or PLAIN_NUMBER.fullmatch(text), repr(cell)
    written = [r[EXPORT_COLUMNS.index("enterprise_name")] for r in csv_rows[1:]]
    assert len(written) == len(names)
    assert all(w in (n, "'" + n) for w, n in zip(written, names, strict=True))


def test_a_batch_larger_than_the_parameter_limit_exports(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: 100,000 grants failed on PostgreSQL (one bind parameter per grant in
    ``UPDATE … WHERE id IN (…)``, above its limit of 65,535)."""
    n = 70_000
    with transaction(sessions) as s:
        grant_rows = make.bulk_grants(s, make.policy_version(s), n)
    batch = _export(sessions, tmp_path)
    want_total = sum(r["amount_fen"] for r in grant_rows)
    assert (batch.grants, batch.total_fen) == (n, want_total)
    rows = _read_csv(Path(batch.csv_path or ""))
    assert len(rows) == n and rows[0]["enterprise_name"].startswith("企业")
    assert sum(int(r["amount_yuan"].replace(".", "")) for r in rows) == want_total
    with transaction(sessions) as s:
        statuses = s.execute(select(Grant.status, func.count()).group_by(Grant.status)).all()
        assert statuses == [("in_batch", n)]
        exported = s.scalars(select(Event.data).where(Event.kind == "batch_exported")).one()
        assert (exported["grants"], exported["total_fen"]) == (n, want_total)
        assert verify_batch_members(s).ok


def test_an_unknown_result_in_a_chinese_file_names_the_chinese_words_too(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A results file with Chinese headers whose 结果 read '完成' was told the result was
    not one of 'paid, failed', though 成功 and 失败 are what such a file is written with."""
    (a,) = _grants(sessions, [1000])
    _export(sessions, tmp_path)
    path = _write_results(
        tmp_path / "回单.csv", [["补贴编号", "结果", "原因"], [str(a), "完成", ""]]
    )
    with transaction(sessions) as s:
        report = import_payment_results(s, path, actor=FINANCE)
    assert [e.message for e in report.errors] == [
        "result '完成' is not one of paid, failed, 成功, 失败"
    ]


def test_a_quote_never_closed_costs_its_own_line_not_the_good_lines_after_it(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: a quote opened on one line swallowed the next lines into its cell; the
    import reported one error at the line where the record ended and paid neither of the
    good lines after it."""
    a, b, c = _grants(sessions, [1000, 2000, 3000])
    batch = _export(sessions, tmp_path)
    _backdate(sessions, batch)
    path = tmp_path / "quote.csv"
    path.write_text(
        "grant_id,result,reason,paid_date\n"
        f'{a},failed,"账户已销户,2026-03-31\n'
        f"{b},paid,,2026-03-31\n"
        f"{c},paid,,2026-03-31\n",
        encoding="utf-8",
    )
    with transaction(sessions) as s:
        report = import_payment_results(s, path, actor=FINANCE)
    assert (report.rows, report.paid, report.failed) == (3, 2, 0)
    (error,) = report.errors
    assert error.location is not None and error.location.line == 2
    assert "quote" in str(error)
    with transaction(sessions) as s:
        assert [s.get(Grant, g).status for g in (a, b, c)] == ["in_batch", "paid", "paid"]  # type: ignore[union-attr]


def test_a_results_file_with_a_header_only_is_refused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: a header-only file was reported as '0 rows' with exit 0 (the API: 200),
    which a finance officer read as done."""
    path = _write_results(tmp_path / "empty.csv", [["grant_id", "result", "reason"]])
    with transaction(sessions) as s, pytest.raises(ImportFileError, match="no result row"):
        import_payment_results(s, path, actor=FINANCE)


def _nothing_exported(sessions: sessionmaker[Session], out: Path, n: int) -> None:
    assert not out.exists() or list(out.iterdir()) == []  # no file, not even a temporary
    with transaction(sessions) as s:
        assert s.scalar(select(func.count()).select_from(Batch)) == 0
        statuses = s.execute(select(Grant.status, func.count()).group_by(Grant.status)).all()
        assert statuses == [("granted", n)]
    assert not [t for t in threading.enumerate() if t.name == "batch-files"]


def test_a_failure_while_the_files_are_written_exports_nothing(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the files are written in a thread while the grants are moved chunk by
    chunk (huiqi.delivery.batchmove): a writer failing after some chunks must leave no
    file, no batch and every grant still granted, as the plain path does."""
    import huiqi.delivery.disburse as disburse

    n = 12_000  # more than two chunks of _READ_CHUNK
    with transaction(sessions) as s:
        make.bulk_grants(s, make.policy_version(s), n)
    real = disburse.write_text_workbook

    def failing(path: Path, header: object, rows: object, **kw: object) -> int:
        def some() -> object:
            for i, row in enumerate(rows):  # type: ignore[attr-defined]
                if i == 7_000:
                    raise OSError("disk full")
                yield row

        return real(path, header, some(), **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(disburse, "write_text_workbook", failing)
    with pytest.raises(OSError, match="disk full"):
        _export(sessions, tmp_path / "out")
    _nothing_exported(sessions, tmp_path / "out", n)


def test_a_database_failure_while_moving_exports_nothing(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other side of the same: the move of the second chunk fails (here made to), the
    writer thread stops, and nothing is left."""
    from huiqi.delivery import batchmove

    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("SQLite moves the grants in one statement before writing the files")
    n = 12_000
    with transaction(sessions) as s:
        make.bulk_grants(s, make.policy_version(s), n)
    real, calls = batchmove._move, []

    def failing(session: Session, ids: list[int]) -> int:
        calls.append(len(ids))
        if len(calls) == 2:
            session.execute(text("SELECT 1/0"))
        return real(session, ids)

    monkeypatch.setattr(batchmove, "_move", failing)
    with pytest.raises(Exception, match="division by zero"):
        _export(sessions, tmp_path / "out")
    _nothing_exported(sessions, tmp_path / "out", n)

"""12345-hotline exports: GBK CSV and xlsx through the mapping file; bad rows reported with
their line and reason while the good rows are kept; a second import adds nothing; and a
fuzz test over generated exports."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import pytest
from desk_helpers import FINANCE_BUREAU, A, B
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.testing import ADMIN, STEWARD
from huiqi.db.engine import transaction
from huiqi.desk.errors import DeskError
from huiqi.desk.hotline import import_hotline, parse_received
from huiqi.desk.hotline_mapping import load_hotline_mapping, parse_hotline_mapping
from huiqi.desk.models import DeskRequest
from huiqi.errors import ImportFileError, MappingError

HEADER = ["工单编号", "统一社会信用代码", "诉求类别", "诉求内容", "受理时间"]
GOOD = [
    ["GD001", A, "补贴兑付", "稳岗返还资金还没到账", "2026-02-13 10:05"],
    ["GD002", B, "政策咨询", "想咨询研发费用加计扣除", "2026/2/24 9:00"],
]
BAD = [
    ["GD003", "123", "政策咨询", "x", "2026-02-13 10:05"],  # line 4
    ["GD004", A, "投诉", "噪音扰民", "2026-02-13 10:05"],  # line 5
    ["GD005", A, "其他", "", "2026-02-13"],  # line 6
    ["GD006", A, "其他", "问题", "昨天"],  # line 7
    ["GD001", A, "其他", "重复", "2026-02-13"],  # line 8
]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "gbk") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([HEADER, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def count(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(DeskRequest)) or 0


def test_a_gbk_export_imports_its_good_rows_and_reports_the_bad_by_line(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "12345.csv", GOOD + BAD)
    with transaction(sessions) as s:
        report = import_hotline(s, actor=STEWARD, path=path)
    assert (report.read, report.imported, report.already) == (7, 2, 0)
    reasons = {r.line: r.reason for r in report.rejects}
    assert sorted(reasons) == [4, 5, 6, 7, 8]
    assert "has 3 characters" in reasons[4]
    assert "'投诉' is not in mapping hotline_12345's categories" in reasons[5]
    assert reasons[6] == "text is empty"
    assert "'昨天' is not a date and time" in reasons[7]
    assert reasons[8] == "work order GD001 is also on line 2"
    with sessions() as s:
        first = s.scalar(select(DeskRequest).where(DeskRequest.hotline_id == "GD001"))
        assert first is not None
        assert (first.channel, first.department, str(first.ack_due)) == (
            "hotline",
            FINANCE_BUREAU,
            "2026-02-14",
        )
    with transaction(sessions) as s:
        again = import_hotline(s, actor=STEWARD, path=path)
    # Line 8 repeats GD001, which is now known: counted as imported before.
    assert (again.imported, again.already, len(again.rejects)) == (0, 3, 4)
    assert count(sessions) == 2


def test_an_xlsx_export_with_alias_headers(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    wb = Workbook()
    sheet = wb.active
    sheet.append(["工单号", "企业统一社会信用代码", "诉求类别", "诉求描述", "来电时间"])
    sheet.append(["X1", A, "融资", "想申请贷款贴息", "2026-03-02 08:30"])
    path = tmp_path / "12345.xlsx"
    wb.save(path)
    with transaction(sessions) as s:
        report = import_hotline(s, actor=STEWARD, path=path)
    assert (report.imported, report.rejects) == (1, [])


def test_an_export_with_a_title_above_its_header(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: a title row above the header ("12345热线工单导出", merged across the
    sheet, as exports often open) refused the whole file: "no column for hotline_id, ...;
    the file's header is ['12345热线工单导出']"."""
    wb = Workbook()
    sheet = wb.active
    sheet.append(["12345热线工单导出"])
    sheet.merge_cells("A1:E1")
    sheet.append(["导出时间：2026-03-02"])
    sheet.append(HEADER)
    sheet.append(GOOD[0])
    sheet.append(BAD[0])
    book = tmp_path / "titled.xlsx"
    wb.save(book)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([["12345热线工单导出"], HEADER, GOOD[1]])
    text = tmp_path / "titled.csv"
    text.write_bytes(buffer.getvalue().encode("gbk"))
    with transaction(sessions) as s:
        from_book = import_hotline(s, actor=STEWARD, path=book)
        from_text = import_hotline(s, actor=STEWARD, path=text)
    assert (from_book.read, from_book.imported) == (2, 1)
    assert [(r.line, r.field) for r in from_book.rejects] == [(5, "uscc")]
    assert (from_text.read, from_text.imported, from_text.rejects) == (1, 1, [])
    assert count(sessions) == 2


def test_a_file_without_the_needed_columns_is_refused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "x.csv"
    path.write_text("编号,内容\n1,2\n", encoding="utf-8")
    with transaction(sessions) as s, pytest.raises(ImportFileError, match="no column for"):
        import_hotline(s, actor=STEWARD, path=path)


def test_only_stewards_and_city_desk_import(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "12345.csv", GOOD)
    with transaction(sessions) as s, pytest.raises(AccessDenied, match="data stewards"):
        import_hotline(s, actor=ADMIN, path=path)


def test_a_malformed_mapping_says_what_is_wrong() -> None:
    with pytest.raises(MappingError, match="'columns': '编号' maps to 'nope'"):
        parse_hotline_mapping("name: m\ncolumns:\n  编号: nope\n", "m.yaml")
    assert load_hotline_mapping().categories["补贴兑付"] == "funding"


def test_a_hotline_mapping_nested_thousands_deep_is_a_mapping_error() -> None:
    """Regression: "[[[[…" thousands deep made the YAML parser recurse until RecursionError
    instead of a MappingError saying the file is not valid YAML."""
    with pytest.raises(MappingError, match="more than 100 levels"):
        parse_hotline_mapping("name: m\ncolumns: " + "[" * 5000 + "]" * 5000 + "\n", "m.yaml")


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-02-13 10:05", "2026-02-13 02:05:00"),
        ("2026年2月13日", "2026-02-12 16:00:00"),
        ("2026/2/13 00:30:15", "2026-02-12 16:30:15"),
    ],
)
def test_hotline_times_are_china_time(text: str, utc: str) -> None:
    assert str(parse_received(text)) == utc


cell = st.text(
    alphabet=st.sampled_from(list('ab1-_ ,"\n') + list("稳岗返还研发政策咨询其他补贴兑付")),
    max_size=12,
)
good_row = st.builds(
    lambda n, t: [f"F{n}", A, "其他", t or "问题", "2026-03-02 09:00"],
    st.integers(min_value=0, max_value=10**6),
    cell,
)
bad_row = st.lists(cell, min_size=0, max_size=7)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    rows=st.lists(st.one_of(good_row, bad_row), min_size=1, max_size=15),
    encoding=st.sampled_from(["gbk", "utf-8", "utf-8-sig"]),
)
def test_fuzzed_exports_keep_every_good_row_and_say_why_for_every_other(
    sessions: sessionmaker[Session], tmp_path: Path, rows: list[list[str]], encoding: str
) -> None:
    # Unique work orders per example: earlier examples' rows are in the same database.
    tag = uuid.uuid4().hex[:6]
    rows = [[f"{r[0]}{tag}", *r[1:]] if len(r) == 5 and r[0].startswith("F") else r for r in rows]
    path = write_csv(tmp_path / f"{tag}.csv", rows, encoding)
    before = count(sessions)
    with transaction(sessions) as s:
        report = import_hotline(s, actor=STEWARD, path=path)
    lines = [r.line for r in report.rejects]
    assert len(lines) == len(set(lines)) and all(line >= 2 for line in lines)
    assert all(r.reason for r in report.rejects)
    assert report.imported + report.already + len(report.rejects) == report.read
    assert count(sessions) == before + report.imported
    firsts = {r[0] for r in rows if len(r) == 5 and r[0].endswith(tag)}
    assert report.imported >= len(firsts) - len(lines)


def test_known_work_orders_are_looked_up_in_chunks(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: one IN list per batch of 100,000 rows overflows SQLite's bound
    parameters; the lookup goes in chunks (here of 2)."""
    import huiqi.desk.hotline as hotline

    monkeypatch.setattr(hotline, "_CHUNK", 2)
    rows = [[f"C{i}", A, "其他", "问题", "2026-03-02 09:00"] for i in range(5)]
    path = write_csv(tmp_path / "c.csv", rows)
    with transaction(sessions) as s:
        assert import_hotline(s, actor=STEWARD, path=path).imported == 5
    with transaction(sessions) as s:
        assert import_hotline(s, actor=STEWARD, path=path).already == 5


def test_a_work_order_received_in_the_future_is_refused_at_its_line(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: a 受理时间 after now (a typo such as 2062 for 2026) was imported, with
    deadlines years ahead that no sweep would ever remind or escalate."""
    rows = [
        ["FUT1", A, "其他", "问题", "2062-03-02 09:00"],
        ["FUT2", A, "其他", "问题", "2026-03-02 09:00"],
    ]
    path = write_csv(tmp_path / "future.csv", rows)
    with transaction(sessions) as s:
        report = import_hotline(s, actor=STEWARD, path=path)
    assert report.imported == 1
    [reject] = report.rejects
    assert reject.line == 2
    assert "'2062-03-02 09:00' is in the future" in reject.reason
    assert "correct the time the hotline received the work order" in reject.reason
    with pytest.raises(DeskError, match="in the future"):
        parse_received("2062-03-02 09:00")


def test_a_total_row_or_a_note_below_the_table_says_what_it_is(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """QA (qa5): an export ending with 合计 and the clerk's signature in the work order
    column read "the work order number '合计' is not 1–64 letters, digits, - or _"."""
    rows = [*GOOD, ["合计", "", "", "", ""], ["制表人：张三", "", "审核人：李四", "", ""]]
    path = write_csv(tmp_path / "12345.csv", rows)
    with transaction(sessions) as s:
        report = import_hotline(s, actor=STEWARD, path=path)
    assert report.imported == 2
    assert {r.line: r.reason for r in report.rejects} == {
        4: "'合计' starts a total row, not a request: delete the row (totals are not imported;"
        " the other rows are)",
        5: "'制表人：张三' is a note below the table, not a request: delete the row (notes are"
        " not imported; the other rows are)",
    }


def test_a_refused_row_names_the_column_and_field_it_is_refused_for(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A refused work order was reported as 'line 5: the category '投诉' is not in …'
    with no column, and 'text is empty' named a field the export has no header for: the
    file's own header and the field now come with the line, and the category refusal
    says what to do."""
    path = write_csv(tmp_path / "12345.csv", GOOD + BAD)
    with transaction(sessions) as s:
        report = import_hotline(s, actor=STEWARD, path=path)
    where = {r.line: (r.column, r.field) for r in report.rejects}
    assert where == {
        4: ("统一社会信用代码", "uscc"),
        5: ("诉求类别", "category"),
        6: ("诉求内容", "text"),
        7: ("受理时间", "received_at"),
        8: ("工单编号", "hotline_id"),
    }
    category = next(r.reason for r in report.rejects if r.line == 5)
    assert category.endswith("in a mapping file of your own (--mapping)")


def test_a_mapping_naming_an_unknown_desk_category_is_refused_before_any_row(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression (QA): a mapping whose category label pointed at a code the desk does not
    have loaded fine; each row with that label was then refused as "not in the mapping's
    categories" while the list that followed named it. The import now refuses the mapping
    itself, with its file, the line of the entry and the code."""
    text = (
        "name: m\n"
        "columns:\n  工单编号: hotline_id\n  统一社会信用代码: uscc\n  诉求类别: category\n"
        "  诉求内容: text\n  受理时间: received_at\n"
        "categories:\n  政策咨询: policy\n  补贴兑付: fundng\n"
    )
    mapping = parse_hotline_mapping(text, "m.yaml")  # parsing alone cannot know the desk
    path = write_csv(tmp_path / "12345.csv", GOOD)
    with (
        transaction(sessions) as s,
        pytest.raises(MappingError) as refused,
    ):
        import_hotline(s, actor=STEWARD, path=path, mapping=mapping)
    message = str(refused.value)
    assert message.startswith("m.yaml, line 10: ")
    assert "'补贴兑付' maps to 'fundng', which is not a request category" in message
    assert "funding" in message and "policy" in message  # the codes there are
    assert count(sessions) == 0

"""A complaint with a control character (NUL, ESC) in a cell is refused at its line, as an
import refuses such a cell, on SQLite and PostgreSQL alike (PostgreSQL cannot hold NUL in
text): the other rows are stored."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import Actor
from huiqi.complaints import intake
from huiqi.complaints.models import Complaint
from huiqi.config import get_settings
from huiqi.db.engine import transaction

OFFICER = Actor.of("officer", "complaint_officer")
HEADER = (
    "投诉编号,投诉人姓名,证件号码,联系电话,联系地址,收款账号,被投诉人统一社会信用代码,"
    "商品或服务,消费金额（元）,诉求赔偿金额（元）,投诉内容,投诉日期\n"
)


def _row(ref: str, text: str, name: str = "张三") -> str:
    return (
        f'"{ref}","{name}","11010519491231002X","","","","91310115MA1H8R7C41",'
        f'"","","","{text}","2026-01-05"\n'
    )


def test_a_control_character_is_refused_at_its_line(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    content = (
        HEADER
        + _row("C-1", "正常投诉")
        + _row("C-2", "含\x00空字符")
        + _row("C-3", "含\x1b转义")
        + _row("C-4", "正常", name="李\x00四")
        + _row("C-5", "多行\n正常")
    )
    settings = get_settings(tmp_path / "data")
    with transaction(sessions) as s:
        report = intake.import_uploaded_complaints(
            settings, s, actor=OFFICER, filename="c.csv", content=content.encode()
        )
    assert [(r["line"], r["ref"]) for r in report.rejects] == [(3, "C-2"), (4, "C-3"), (5, "C-4")]
    assert all("control character" in r["reason"] for r in report.rejects)
    with sessions() as s:
        stored = sorted(s.scalars(select(Complaint.ref)))
    assert stored == ["C-1", "C-5"]

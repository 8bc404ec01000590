"""A grant's notice (告知书): who may read it (the service decides), what it says, and a
PDF whose Chinese text is extracted back exactly, whatever the names and amounts."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from helpers import build_store, policy_yaml, uscc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.testing import FINANCE, OFFICER, enterprise, officer
from huiqi.delivery.models import Event, Grant
from huiqi.delivery.notice import GrantNotice, NoticeError, grant_notice
from huiqi.delivery.noticepdf import TITLE, UNNAMED, amount_text, render_notice
from huiqi.delivery.publish import deliver, publish_text
from huiqi.errors import NotFoundError


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def grant_world(sessions: sessionmaker[Session], tmp_path: Path, **policy: object) -> Grant:
    a, b = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path, {a: 3, b: 5})
    pv, _ = publish_text(sessions, policy_yaml("notice", **policy), "n.yaml", actor=OFFICER)  # type: ignore[arg-type]
    deliver(settings, sessions, pv.id, actor=OFFICER)
    with sessions() as s:
        grant = s.scalar(select(Grant).where(Grant.uscc == a))
    assert grant is not None
    return grant


def test_the_notice_says_who_what_how_much_and_why(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    grant = grant_world(sessions, tmp_path, per_person=4115.225)
    a = uscc(1)
    with sessions() as s:
        notice = grant_notice(s, actor=enterprise(a), grant_id=grant.id)
        # Granted in bulk: the notice names the event of the chunk that holds the grant.
        event = s.scalar(select(Event).where(Event.kind == "grants_made"))
    assert event is not None
    assert (notice.uscc, notice.enterprise_name, notice.amount_fen) == (
        a,
        f"测试企业{a[-6:]}",
        1_234_568,
    )
    assert (notice.title_zh, notice.department_zh, notice.source_document) == (
        "测试政策notice",
        "测试局",
        "测试文件",
    )
    assert notice.basis == ["参保", "浦东新区企业"]
    assert (notice.event_id, notice.event_hash) == (event.id, event.hash)
    text = text_of(render_notice(notice))
    for expected in (
        TITLE,
        f"测试企业{a[-6:]}",
        a,
        "测试政策notice",
        "测试局",
        "￥12,345.68 元",
        "壹万贰仟叁佰肆拾伍元陆角捌分",
        "1. 参保",
        f"审计事件 {event.id}\n事件哈希 {event.hash}\n",
        f"授予编号 {grant.id}",
    ):
        assert expected in text, expected


def test_only_the_enterprise_and_officers_in_scope_read_a_notice(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    grant = grant_world(sessions, tmp_path)
    with sessions() as s:
        for reader in (enterprise(uscc(1)), OFFICER, officer("district:310115"), FINANCE):
            assert grant_notice(s, actor=reader, grant_id=grant.id).grant_id == grant.id
        for intruder in (enterprise(uscc(2)), officer("district:310104")):
            with pytest.raises(AccessDenied, match=f"notice of grant {grant.id}"):
                grant_notice(s, actor=intruder, grant_id=grant.id)
        with pytest.raises(NotFoundError, match="no grant 999999"):
            grant_notice(s, actor=OFFICER, grant_id=999_999)


def test_a_provisional_grant_has_no_notice_yet(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    grant = grant_world(sessions, tmp_path, budget=1000, budget_mode="pro_rata")
    assert grant.status == "provisional"
    with sessions() as s, pytest.raises(NoticeError, match="'provisional'"):
        grant_notice(s, actor=enterprise(uscc(1)), grant_id=grant.id)


# Names as registries write them: CJK, full- and half-width punctuation, markup characters,
# digits and Latin letters, occasionally very long (they wrap), and stray control characters.
NAME_CHARS = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
    st.sampled_from(list("（）()·、，。“”‘’《》〔〕-—&<>\"'/ ＆＃")),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.sampled_from(["\x00", "\x1b", "\u200b"]),
)
NAMES = st.text(NAME_CHARS, min_size=1, max_size=300)


@given(
    name=NAMES,
    title=NAMES,
    amount=st.integers(min_value=0, max_value=10**12),
    basis=st.lists(NAMES, max_size=4),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_names_and_amounts_render_and_the_amount_reads_back(
    name: str, title: str, amount: int, basis: list[str]
) -> None:
    notice = GrantNotice(
        grant_id=1,
        uscc="91310115MA1K4XXX1X",
        enterprise_name=name,
        policy_id="p",
        version=1,
        title_zh=title,
        department_zh="上海市浦东新区科技和经济委员会",
        source_document="浦科经委〔2025〕12号",
        benefit_period="2025",
        amount_fen=amount,
        status="granted",
        granted_on=dt.date(2026, 3, 1),
        basis=basis,
        event_id=None,
        event_hash=None,
    )
    text = text_of(render_notice(notice))
    assert amount_text(amount) in text  # the amount's own cell never wraps
    assert re.sub(r"\s", "", TITLE) in text
    # The name is all there, in order, wherever lines wrapped (control characters dropped).
    kept = re.sub(r"[\x00-\x1f\s\u200b]", "", name) or UNNAMED
    assert kept in re.sub(r"\s", "", text)


def test_the_notices_date_is_the_day_in_china(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: a grant made at 16:59 UTC (00:59 the next day in China) was dated the day
    before on its notice, while every page showed the next day."""
    import datetime as dt

    from sqlalchemy import update

    grant = grant_world(sessions, tmp_path)
    with sessions() as s:
        s.execute(
            update(Grant)
            .where(Grant.id == grant.id)
            .values(created_at=dt.datetime(2026, 12, 3, 16, 59))
        )
        s.commit()
        notice = grant_notice(s, actor=enterprise(uscc(1)), grant_id=grant.id)
    assert notice.granted_on == dt.date(2026, 12, 4)
    assert "2026年12月04日" in text_of(render_notice(notice))

"""A request's life: filed (routed, deadlines in working days), acknowledged, answered,
transferred with a reason, rated (an unsatisfied rating reopens it once); the enterprise
reads it in its inbox; every step is an audit event; and who may do each step."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from desk_helpers import (
    BEFORE_FESTIVAL,
    FINANCE_BUREAU,
    SCIENCE,
    A,
    B,
    desk_officer,
    enterprise,
    filed,
    science_rule,
)
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied, Actor
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.accounts.testing import ADMIN, OFFICER
from huiqi.config import Settings, get_settings
from huiqi.db.engine import transaction
from huiqi.delivery.filetypes import AttachmentError
from huiqi.delivery.models import DirectoryEntry, Event, Notification
from huiqi.desk.errors import DeskError
from huiqi.desk.handling import acknowledge, reply, transfer
from huiqi.desk.queries import get_attachment, get_request, list_requests
from huiqi.desk.rating import rate
from huiqi.engine.duckdb.profile_rows import load_profiles_into
from huiqi.engine.profile import profile_from_case
from huiqi.errors import NotFoundError
from huiqi.profiles.store import ProfileStore

D = dt.date
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def test_a_request_is_routed_and_due_in_working_days_across_the_spring_festival(
    sessions: sessionmaker[Session],
) -> None:
    req = filed(sessions)
    assert req.department == FINANCE_BUREAU  # the category's department
    assert req.filed_on == D(2026, 2, 13)
    assert req.ack_due == D(2026, 2, 14)  # the make-up Saturday
    assert req.answer_due == D(2026, 2, 27)  # 14, 24, 25, 26, 27
    assert req.status == "open"


def test_keyword_rules_route_by_jieba_words(sessions: sessionmaker[Session]) -> None:
    science_rule(sessions)
    assert filed(sessions, text="我们的研发费用加计扣除政策怎么享受？").department == SCIENCE
    assert filed(sessions, text="我们想认定高新技术企业").department == SCIENCE
    assert filed(sessions, text="稳岗返还没有到账").department == FINANCE_BUREAU


def test_the_whole_life_of_a_request_is_audited_and_told_to_the_enterprise(
    sessions: sessionmaker[Session],
) -> None:
    req = filed(sessions, files=[("说明.pdf", PDF)])
    officer = desk_officer(FINANCE_BUREAU)
    later = BEFORE_FESTIVAL + dt.timedelta(days=12)  # 25 Feb: on time
    with transaction(sessions) as s:
        acknowledge(s, actor=officer, request_id=req.id, now=BEFORE_FESTIVAL)
        answered = reply(s, actor=officer, request_id=req.id, text="已于2月20日拨付。", now=later)
    assert answered.status == "answered" and answered.answered_on_time is True
    with transaction(sessions) as s:
        rated = rate(s, actor=enterprise(A), request_id=req.id, stars=5, comment="谢谢")
    assert rated.status == "closed" and rated.stars == 5
    with sessions() as s:
        full = get_request(s, actor=enterprise(A), request_id=req.id)
        kinds = [
            e.kind
            for e in s.scalars(
                select(Event).where(Event.entity == f"desk_request:{req.id}").order_by(Event.id)
            )
        ]
        inbox = [
            n.subject
            for n in s.scalars(
                select(Notification)
                .where(Notification.uscc == A, Notification.channel == "inbox")
                .order_by(Notification.id)
            )
        ]
        [att] = full.attachments
        row, content = get_attachment(s, actor=officer, attachment_id=att.id)
    assert [st.kind for st in full.steps] == ["filed", "acknowledged", "replied", "rated", "closed"]
    assert kinds == ["desk_filed", "desk_acknowledged", "desk_replied", "desk_rated", "desk_closed"]
    assert any("已受理" in t for t in inbox) and any("已答复" in t for t in inbox)
    assert (row.content_type, content) == ("application/pdf", PDF)
    assert full.reply == "已于2月20日拨付。"


def test_an_unsatisfied_rating_reopens_once_then_closes(sessions: sessionmaker[Session]) -> None:
    req = filed(sessions)
    officer = desk_officer(FINANCE_BUREAU)
    with transaction(sessions) as s:
        reply(s, actor=officer, request_id=req.id, text="请耐心等待。", now=BEFORE_FESTIVAL)
    with transaction(sessions) as s:
        again = rate(s, actor=enterprise(A), request_id=req.id, stars=1, now=BEFORE_FESTIVAL)
    assert (again.status, again.reopened) == ("reopened", 1)
    assert again.answer_due == D(2026, 2, 27)  # a new time to answer from the rating day
    with transaction(sessions) as s, pytest.raises(DeskError, match="is reopened: rate it once"):
        rate(s, actor=enterprise(A), request_id=req.id, stars=2)
    with transaction(sessions) as s:
        reply(s, actor=officer, request_id=req.id, text="已核实，3月2日到账。", now=BEFORE_FESTIVAL)
    with transaction(sessions) as s:
        done = rate(s, actor=enterprise(A), request_id=req.id, stars=2)
    assert (done.status, done.reopened) == ("closed", 1)
    # Regression: a closed request was refused with "rate it once it is answered", as if
    # an answer were still to come; it is closed because its last answer was rated.
    with transaction(sessions) as s, pytest.raises(DeskError) as refused:
        rate(s, actor=enterprise(A), request_id=req.id, stars=5)
    assert refused.value.message == (
        f"request {req.id} is closed: its answer is rated already, and a closed request"
        " takes no more ratings; file a new request if the problem remains"
    )


def test_a_transfer_needs_a_reason_and_a_known_department_and_keeps_the_deadlines(
    sessions: sessionmaker[Session],
) -> None:
    science_rule(sessions)
    req = filed(sessions)
    officer = desk_officer(FINANCE_BUREAU)
    with transaction(sessions) as s, pytest.raises(DeskError, match="the reason is required"):
        transfer(s, actor=officer, request_id=req.id, department=SCIENCE, reason=" ")
    with transaction(sessions) as s, pytest.raises(DeskError, match="not a department"):
        transfer(s, actor=officer, request_id=req.id, department="不存在局", reason="不归我们")
    with transaction(sessions) as s:
        moved = transfer(
            s, actor=officer, request_id=req.id, department=SCIENCE, reason="属科技政策"
        )
    assert (moved.department, moved.answer_due) == (SCIENCE, req.answer_due)
    # The first department no longer handles it; the new one does.
    with transaction(sessions) as s, pytest.raises(AccessDenied, match="desk officers"):
        acknowledge(s, actor=officer, request_id=req.id)
    with transaction(sessions) as s:
        assert (
            acknowledge(s, actor=desk_officer(SCIENCE), request_id=req.id).status == "acknowledged"
        )


def test_each_reader_sees_only_its_own_requests(sessions: sessionmaker[Session]) -> None:
    science_rule(sessions)
    mine = filed(sessions)
    theirs = filed(sessions, actor=enterprise(B), uscc=B, text="研发费用加计扣除咨询")
    with sessions() as s:
        assert [r.id for r in list_requests(s, actor=enterprise(A))] == [mine.id]
        assert [r.id for r in list_requests(s, actor=desk_officer(SCIENCE))] == [theirs.id]
        city = Actor("centre", (RoleGrant(Role.DESK_HEAD, "*"),))
        assert len(list_requests(s, actor=city)) == 2
        with pytest.raises(AccessDenied, match="may not read request"):
            get_request(s, actor=enterprise(B), request_id=mine.id)
        with pytest.raises(AccessDenied, match="may not read request"):
            get_request(s, actor=desk_officer(SCIENCE), request_id=mine.id)
        for nobody in (OFFICER, ADMIN):
            with pytest.raises(AccessDenied):
                list_requests(s, actor=nobody)


def test_a_refusal_names_the_department_to_desk_officers_only(
    sessions: sessionmaker[Session],
) -> None:
    """Regression (QA): an enterprise opening request ids that were not its own learnt from
    each 403 which department held another enterprise's request ("allowed: …, desk
    officers of 市科委")."""
    science_rule(sessions)
    mine = filed(sessions, text="研发费用加计扣除咨询")
    assert mine.department == SCIENCE
    with sessions() as s:
        with pytest.raises(AccessDenied) as seen:
            get_request(s, actor=enterprise(B), request_id=mine.id)
        assert SCIENCE not in str(seen.value)
        assert "the desk officers of the request's department" in str(seen.value)
        with pytest.raises(AccessDenied) as handled:
            acknowledge(s, actor=enterprise(B), request_id=mine.id)
        assert SCIENCE not in str(handled.value)
        with pytest.raises(AccessDenied) as officer:
            get_request(s, actor=desk_officer(FINANCE_BUREAU), request_id=mine.id)
        assert f"desk officers of {SCIENCE}" in str(officer.value)


@pytest.mark.parametrize(
    ("who", "what"),
    [
        (enterprise(B), "file"),
        (desk_officer(FINANCE_BUREAU), "file"),
        (enterprise(B), "acknowledge"),
        (desk_officer(SCIENCE), "reply"),
        (enterprise(A), "reply"),
        (enterprise(B), "rate"),
        (desk_officer(FINANCE_BUREAU), "rate"),
    ],
)
def test_steps_are_refused_to_who_may_not_take_them(
    sessions: sessionmaker[Session], who: Actor, what: str
) -> None:
    req = filed(sessions)
    if what == "rate":
        with transaction(sessions) as s:
            reply(s, actor=desk_officer(FINANCE_BUREAU), request_id=req.id, text="已办理")
    if what == "file":
        with pytest.raises(AccessDenied):
            filed(sessions, actor=who)
        return
    with transaction(sessions) as s, pytest.raises(AccessDenied):
        if what == "acknowledge":
            acknowledge(s, actor=who, request_id=req.id)
        elif what == "reply":
            reply(s, actor=who, request_id=req.id, text="x")
        else:
            rate(s, actor=who, request_id=req.id, stars=4)


def test_a_park_operator_files_on_behalf_of_its_enterprises_only(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as s:
        s.add(DirectoryEntry(uscc=A, name="甲", park="张江", snapshot_id=1))
    park = Actor("op", (RoleGrant(Role.PARK_OPERATOR, "张江"),))
    req = filed(sessions, actor=park)
    with sessions() as s:
        assert [r.id for r in list_requests(s, actor=park)] == [req.id]
    with pytest.raises(AccessDenied):
        filed(sessions, actor=park, uscc=B)


@pytest.mark.parametrize(
    ("kw", "error", "message"),
    [
        ({"category": "nope"}, DeskError, "'nope' is not a request category; categories: "),
        ({"text": "  "}, DeskError, "the request's text is required"),
        ({"text": "x" * 4001}, DeskError, "at most 4000 characters"),
        ({"uscc": "123"}, DeskError, "has 3 characters"),
        ({"policy_id": "no-such"}, NotFoundError, "policy 'no-such' is not published"),
        ({"grant_id": 99}, NotFoundError, "no grant 99 of enterprise"),
        ({"files": [("a.exe", b"MZ\x90\x00")]}, AttachmentError, "accepted"),
    ],
)
def test_bad_requests_are_refused_saying_why(
    sessions: sessionmaker[Session], kw: dict[str, object], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        filed(sessions, **kw)
    with sessions() as s:
        assert list_requests(s, actor=enterprise(A)) == []


def test_the_enterprise_reads_its_history_without_the_officers_account_names(
    sessions: sessionmaker[Session],
) -> None:
    """Regression: a request's history gave every reader each step's account name, so the
    enterprise (and its park, over the API) read which officer acknowledged, answered or
    transferred it, and the scheduler's reminders; the department speaks for its officers.
    The officers of the department still see who did what."""
    science_rule(sessions)
    req = filed(sessions)
    officer = desk_officer(FINANCE_BUREAU)
    with transaction(sessions) as s:
        acknowledge(s, actor=officer, request_id=req.id, now=BEFORE_FESTIVAL)
        transfer(s, actor=officer, request_id=req.id, department=SCIENCE, reason="属科技政策")
        reply(s, actor=desk_officer(SCIENCE), request_id=req.id, text="已答复。")
        rate(s, actor=enterprise(A), request_id=req.id, stars=5)
    with sessions() as s:
        own = get_request(s, actor=enterprise(A), request_id=req.id)
        handled = get_request(s, actor=desk_officer(SCIENCE), request_id=req.id)
    assert [(st.kind, st.actor) for st in own.steps] == [
        ("filed", enterprise(A).username),
        ("acknowledged", ""),
        ("transferred", ""),
        ("replied", ""),
        ("rated", enterprise(A).username),
        ("closed", enterprise(A).username),
    ]
    assert [st.actor for st in handled.steps][1:4] == [
        officer.username,
        officer.username,
        desk_officer(SCIENCE).username,
    ]


def _park_data(tmp_path: Path) -> Settings:
    """A snapshot that puts A in 张江 and B in 漕河泾; the ledger has delivered to neither."""
    settings = get_settings(tmp_path / "data")
    store = ProfileStore(settings)
    store.init()
    with store.connect() as con:
        sid = store.begin_snapshot(con, kind="test")
        rows = [(A, "张江"), (B, "漕河泾")]
        load_profiles_into(
            con, [profile_from_case({"uscc": u, "park": p}, data_year=2025) for u, p in rows]
        )
        store.finish_snapshot(con, sid, rows_read=2, rows_accepted=2, rows_rejected=0)
    return settings


def test_a_park_operator_files_for_its_enterprise_before_anything_was_delivered_to_it(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: 'desk file' by a park operator was refused for an enterprise of its park
    that had not been delivered anything: the park was read only from the ledger's
    directory of delivered enterprises, not from the enterprise's data."""
    settings = _park_data(tmp_path)
    park = Actor("op", (RoleGrant(Role.PARK_OPERATOR, "张江"),))
    req = filed(sessions, actor=park, settings=settings)
    assert req.uscc == A
    with sessions() as s:
        assert [r.id for r in list_requests(s, actor=park)] == [req.id]
        assert get_request(s, actor=park, request_id=req.id).id == req.id
    with pytest.raises(AccessDenied, match="may not file requests for"):
        filed(sessions, actor=park, uscc=B, settings=settings)


def test_an_officials_read_of_a_request_file_is_an_audit_event(
    sessions: sessionmaker[Session],
) -> None:
    """Regression: a desk officer reading a file an enterprise filed with its request
    left no trace (an application attachment's read is ``attachment_read``). The
    enterprise's and its park operator's own reads are not events."""
    with transaction(sessions) as s:
        s.add(DirectoryEntry(uscc=A, name="甲", park="张江", snapshot_id=1))
    req = filed(sessions, files=[("说明.pdf", PDF)])
    [att] = req.attachments
    park = Actor("op", (RoleGrant(Role.PARK_OPERATOR, "张江"),))
    officer = desk_officer(FINANCE_BUREAU)
    for reader in (enterprise(A), park, officer):
        with transaction(sessions) as s:
            get_attachment(s, actor=reader, attachment_id=att.id)
    with sessions() as s:
        reads = s.scalars(select(Event).where(Event.kind == "attachment_read")).all()
    assert [(e.actor, e.uscc, e.entity) for e in reads] == [
        (officer.username, A, f"desk_request:{req.id}")
    ]
    assert reads[0].data == {  # which file, by its hash
        "desk_attachment_id": att.id,
        "filename": att.filename,
        "sha256": att.sha256,
    }


def test_a_record_number_given_as_the_grant_says_which_grant_it_is(
    sessions: sessionmaker[Session],
) -> None:
    """QA: 'huiqi desk file --grant 154' with the number of the enterprise's delivery record
    (the one its record list shows) said only 'no grant 154 of enterprise …'."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
    import factories as make

    with transaction(sessions) as s:
        pv = make.policy_version(s)
        make.entitlement(s, pv, code=B)  # a record of another enterprise: ids part ways
        g = make.grant(s, pv, code=A)
        record, grant_id = g.entitlement_id, g.id
    assert record != grant_id
    with pytest.raises(NotFoundError) as info:
        filed(sessions, grant_id=record)
    assert info.value.message == (
        f"no grant {record} of enterprise {A}; {record} is its delivery record, whose grant"
        f" is {grant_id}"
    )
    assert filed(sessions, grant_id=grant_id).id  # the grant's own number files

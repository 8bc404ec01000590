"""Data-correction requests: recorded with the value held and the owning registry, decided
once by a data steward with a reason, told to the enterprise through the outbox, audited;
refusals by role, by enterprise and for bad input (property-tested)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from helpers import build_store
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi import clock
from huiqi.accounts.access import AccessDenied
from huiqi.accounts.testing import OFFICER, STEWARD, enterprise, park_operator
from huiqi.config import Settings
from huiqi.db.engine import transaction
from huiqi.delivery.corrections import (
    CorrectionError,
    check_request,
    decide_correction,
    list_corrections,
    request_correction,
)
from huiqi.delivery.models import DirectoryEntry, Event, Notification
from huiqi.profiles.dictionary import load_dictionary
from huiqi.profiles.uscc import make

A, B = make("91310115MA1000001"), make("91310104MA1000002")


@pytest.fixture
def data(tmp_path: Path) -> Settings:
    s, _ = build_store(tmp_path / "data", {A: 12, B: 3})
    return s


def _request(data: Settings, factory: sessionmaker[Session], **kw: Any):  # type: ignore[no-untyped-def]
    args: dict[str, Any] = {"field": "insured_employees", "year": 2025, "value": "15"}
    args.update(kw)
    actor = args.pop("actor", enterprise(A))
    with transaction(factory) as s:
        return request_correction(data, s, actor=actor, uscc=A, **args)


def test_a_request_records_the_held_value_and_the_owning_registry(
    data: Settings, sessions: sessionmaker[Session]
) -> None:
    row = _request(data, sessions, comment="12月新增3人参保")
    assert (row.field, row.year, row.held_value, row.proposed_value) == (
        "insured_employees",
        2025,
        12,
        15,
    )
    assert row.source == "social_insurance" and row.status == "open"
    with sessions() as s:
        (event,) = s.scalars(select(Event).where(Event.kind == "correction_requested")).all()
        assert event.uscc == A and event.entity == f"correction:{row.id}"
        assert list_corrections(s, actor=STEWARD, source="social_insurance")[0].id == row.id
        assert list_corrections(s, actor=STEWARD, source="tax") == []


def test_a_steward_decides_once_and_the_enterprise_is_told(
    data: Settings, sessions: sessionmaker[Session]
) -> None:
    row = _request(data, sessions)
    with transaction(sessions) as s:
        decided = decide_correction(
            s, actor=STEWARD, request_id=row.id, accept=True, reason="已核实社保缴费记录"
        )
    assert (decided.status, decided.reason, decided.decided_by) == (
        "accepted",
        "已核实社保缴费记录",
        "steward",
    )
    with pytest.raises(CorrectionError, match="already accepted"), transaction(sessions) as s:
        decide_correction(s, actor=STEWARD, request_id=row.id, accept=False, reason="改判")
    with sessions() as s:
        inbox = s.scalars(select(Notification).where(Notification.uscc == A)).all()
        assert [n.kind for n in inbox if n.channel == "inbox"] == ["correction_decided"]
        assert "已核实社保缴费记录" in inbox[0].body
        # Regression: the enterprise was told the correction was accepted and nothing
        # more, then found the old value still in 'my data' (it changes with the
        # registry's next import).
        assert "新的数值将随人社局 社会保险下次报送的数据生效" in inbox[0].body
        kinds = [e.kind for e in s.scalars(select(Event).order_by(Event.id))]
        assert kinds.count("correction_accepted") == 1


def test_one_open_request_per_value(data: Settings, sessions: sessionmaker[Session]) -> None:
    first = _request(data, sessions)
    with pytest.raises(CorrectionError, match=f"request {first.id} .* still open"):
        _request(data, sessions, value="16")
    _request(data, sessions, year=2024, value="11")  # another year is another value
    with transaction(sessions) as s:
        decide_correction(s, actor=STEWARD, request_id=first.id, accept=False, reason="记录无误")
    assert _request(data, sessions, value="16").status == "open"  # decided: ask again


def test_a_rejection_needs_a_reason(data: Settings, sessions: sessionmaker[Session]) -> None:
    row = _request(data, sessions)
    with pytest.raises(CorrectionError, match="reason"), transaction(sessions) as s:
        decide_correction(s, actor=STEWARD, request_id=row.id, accept=False, reason="  ")


def test_who_may_request_read_and_decide(data: Settings, sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        s.add(
            DirectoryEntry(uscc=A, name="甲", district_code="310115", park="园区甲", snapshot_id=1)
        )
    row = _request(data, sessions, actor=park_operator("园区甲"))
    for actor in (enterprise(B), park_operator("园区乙"), OFFICER, STEWARD):
        with pytest.raises(AccessDenied):
            _request(data, sessions, actor=actor)
    with sessions() as s:
        assert [r.id for r in list_corrections(s, actor=enterprise(A))] == [row.id]
        assert list_corrections(s, actor=enterprise(B)) == []
        with pytest.raises(AccessDenied):
            list_corrections(s, actor=enterprise(B), uscc=A)
        with pytest.raises(AccessDenied):
            list_corrections(s, actor=OFFICER)
    for actor in (enterprise(A), park_operator("园区甲"), OFFICER):
        with pytest.raises(AccessDenied), transaction(sessions) as s:
            decide_correction(s, actor=actor, request_id=row.id, accept=True, reason="x")


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"field": "favourite_colour"}, "not a field"),
        ({"field": "industry_section", "year": None, "value": "C"}, "derived"),
        ({"field": "uscc", "year": None}, "identifier"),
        ({"year": None}, "give the year"),
        ({"year": 1066}, "between"),
        ({"field": "district_code", "year": 2025, "value": "310115"}, "give no year"),
        ({"value": "-1"}, "range"),
        ({"value": "many"}, "whole number"),
        ({"value": " "}, "value you believe"),
    ],
)
def test_bad_requests_say_what_is_wrong(
    data: Settings, sessions: sessionmaker[Session], kw: dict[str, Any], message: str
) -> None:
    with pytest.raises(CorrectionError, match=message):
        _request(data, sessions, **kw)


FIELDS = [f.name for f in load_dictionary().fields]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(FIELDS) | st.text(max_size=10),
    st.none() | st.integers(-5, 3000) | st.booleans(),
    st.none() | st.text(max_size=12) | st.integers() | st.decimals() | st.booleans(),
)
def test_any_request_is_checked_or_refused_with_a_message(
    field: Any, year: Any, value: Any
) -> None:
    try:
        name, checked_year, typed = check_request(field, year, value)
    except CorrectionError as exc:
        assert exc.message
        return
    f = load_dictionary().field(name)
    assert not (f.key or f.derived) and typed is not None
    assert (checked_year is None) == (not f.yearly)
    if f.min is not None and f.type in ("integer", "money", "decimal"):
        assert f.min <= typed <= f.max  # type: ignore[operator]


def test_a_year_or_a_date_still_to_come_is_refused(
    data: Settings, sessions: sessionmaker[Session]
) -> None:
    """Regression: a correction of 2099's figure, or a registration date in 2099, was
    recorded and sent to the registry, which holds no such value to correct."""
    today = dt.date(2026, 12, 2)
    with pytest.raises(CorrectionError, match="2099 has not come yet: give a year up to 2026"):
        check_request("insured_employees", 2099, "15", today=today)
    with pytest.raises(
        CorrectionError, match="'registration_date': 2099-01-01 is after today, 2026-12-02"
    ):
        check_request("registration_date", None, "2099-01-01", today=today)
    assert check_request("insured_employees", 2026, "15", today=today)[1] == 2026
    assert check_request("registration_date", None, "2026-12-02", today=today)[2] == today
    # A qualification is reported by the date it was obtained.
    with pytest.raises(CorrectionError, match="'high_tech': 2028-12-31 is after today"):
        check_request("high_tech", None, "2028-12-31", today=today)
    future = clock.today().year + 5
    with pytest.raises(CorrectionError, match="has not come yet"):
        _request(data, sessions, year=future)


def test_the_enterprise_reads_the_decision_without_the_stewards_account_name(
    data: Settings, sessions: sessionmaker[Session]
) -> None:
    """Regression: the enterprise's list of its correction requests named the data steward
    who decided each one (``decided_by``); the registry's decision is the enterprise's to
    read, the official's account is not. Data stewards still see who decided."""
    row = _request(data, sessions)
    with transaction(sessions) as s:
        decide_correction(s, actor=STEWARD, request_id=row.id, accept=True, reason="已核实")
    with sessions() as s:
        [own] = list_corrections(s, actor=enterprise(A))
        [queue] = list_corrections(s, actor=STEWARD)
    assert (own.status, own.decided_by, own.decided_at) == ("accepted", None, queue.decided_at)
    assert queue.decided_by == STEWARD.username


def test_a_value_huiqi_already_holds_is_not_reported_as_wrong(
    data: Settings, sessions: sessionmaker[Session]
) -> None:
    """Regression: a request proposing the very value huiqi holds (12 insured employees
    where 12 are held) was queued for a data steward to reject; it is refused, saying so."""
    with pytest.raises(CorrectionError) as refused:
        _request(data, sessions, value="12")
    assert refused.value.message == (
        "huiqi holds 12 for 'insured_employees' (2025) already: give the value you believe"
        " is right, if it differs"
    )
    with sessions() as s:
        assert list_corrections(s, actor=STEWARD) == []


@pytest.mark.parametrize(
    ("field", "year", "value", "code"),
    [
        ("registration_type", None, "有限责任公司", "limited_company"),
        ("registration_type", None, "159", "limited_company"),  # its national code
        ("district_code", None, "浦东新区", "310115"),
        ("tax_credit_rating", 2024, "a", "A"),  # the code in another case
    ],
)
def test_a_coded_value_is_read_as_an_import_reads_it(
    field: str, year: int | None, value: str, code: str
) -> None:
    """Regression: a correction took a code, and a name only where the calculator knew it;
    the national code (159 for 有限责任公司) and a code in another case, which every import
    accepts, were refused."""
    assert check_request(field, year, value, today=dt.date(2026, 6, 1)) == (field, year, code)


@pytest.mark.parametrize("value", ["", "  ", "\u200b", "\ufeff\u3000"])
def test_a_value_that_shows_nothing_is_refused(value: str) -> None:
    """Regression (QA): a company name of a zero-width space alone was queued as the right
    value for a steward to decide; only a blank of spaces was refused."""
    with pytest.raises(CorrectionError, match="give the value you believe is right"):
        check_request("name", None, value)

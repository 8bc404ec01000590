"""``POST /api/v1/complaints``: complaints filed one by one by another system, stored as a
row of an imported export is (same checks, keyed hashes, "already held" by number): a
refused complaint is listed with its position and reason and the others are kept;
complaint officers and data stewards only; no body ever a server error."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import PASSWORD, Portal
from sqlalchemy import select
from test_api_complaints_import import held, row

from huiqi.accounts import service as accounts
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.complaints.models import Complaint
from huiqi.db.engine import transaction

URL = "/api/v1/complaints"


@pytest.fixture(scope="module")
def filer(portal: Portal) -> dict[str, str]:
    with transaction(portal.factory) as s:
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        accounts.add_user(
            s,
            actor=admin,
            username="complaint-filer",
            roles=[RoleGrant(Role.COMPLAINT_OFFICER)],
            password=PASSWORD,
        )
    return {"Authorization": f"Bearer {portal.token('complaint-filer')}"}


def test_complaints_are_stored_once_and_a_bad_one_is_listed_by_position(
    portal: Portal, filer: dict[str, str]
) -> None:
    client = portal.client()
    body = {
        "complaints": [
            row("F-1"),
            row("F-2", filed_on="2026-02-30"),  # no such day
            {**row("F-3", text='第一行\n第二行，引号"在内"'), "amount": "39.90"},
        ]
    }
    answer = client.post(URL, json=body, headers=filer)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["stored"], report["already_held"]) == (2, 0)
    [reject] = report["rejects"]
    assert reject["item"] == 1 and reject["ref"] == "F-2" and reject["reason"]
    with portal.factory() as s:
        stored = s.scalars(select(Complaint).where(Complaint.ref.in_(["F-1", "F-3"]))).all()
    assert sorted(c.ref for c in stored) == ["F-1", "F-3"]
    assert next(c for c in stored if c.ref == "F-3").text == '第一行\n第二行，引号"在内"'
    assert all("11010519491231002X" not in repr(vars(c)) for c in stored)  # hashed, masked
    again = client.post(URL, json={"complaints": [row("F-1")]}, headers=filer).json()
    assert (again["stored"], again["already_held"]) == (0, 1)
    assert held(portal, "F-") == 2


def test_a_refused_complaint_is_named_by_its_position_after_texts_with_line_breaks(
    portal: Portal, filer: dict[str, str]
) -> None:
    """Regression: a complaint whose text had line breaks spans several lines of the file
    the complaints are checked as, so the refusals after it named the wrong item (and line);
    a lone carriage return ended the row inside its quotes, refusing a good complaint and
    adding a bogus one."""
    body = {
        "complaints": [
            row("L-1", text="第一行\n第二行\n第三行"),
            row("L-2", filed_on="2026-02-30"),
            row("L-3", text="旧式换行\r第二行\r\n第三行"),
            row("L-4", filed_on="2026-13-01"),
        ]
    }
    answer = portal.client().post(URL, json=body, headers=filer)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert [(r["item"], r["ref"], r["field"]) for r in report["rejects"]] == [
        (1, "L-2", "filed_on"),
        (3, "L-4", "filed_on"),
    ]
    assert report["stored"] == 2
    with portal.factory() as s:
        text = s.scalar(select(Complaint.text).where(Complaint.ref == "L-3"))
    assert text == "旧式换行\n第二行\n第三行"


def test_a_refused_complaint_is_named_by_its_item_never_by_a_line(
    portal: Portal, filer: dict[str, str]
) -> None:
    """Regression (QA): a complaint sent as JSON was reported with ``line`` = its position
    + 2, a line of no file the sender had, and a number sent twice was "already on line 2"."""
    body = {"complaints": [row("N-1"), row("N-2", uscc=""), row("N-1")]}
    report = portal.client().post(URL, json=body, headers=filer).json()
    assert report["rejects"] == [
        {"item": 1, "ref": "N-2", "field": "uscc", "reason": "the enterprise's USCC is empty"},
        {
            "item": 2,
            "ref": "N-1",
            "field": "ref",
            "reason": "complaint N-1 is also item 0 of this list",
        },
    ]


@pytest.mark.parametrize("username", ["finance", "officer", "ent0", "desk-policy"])
def test_other_roles_are_refused(portal: Portal, username: str) -> None:
    headers = {"Authorization": f"Bearer {portal.token(username)}"}
    answer = portal.client().post(URL, json={"complaints": [row("X-1")]}, headers=headers)
    assert answer.status_code == 403
    assert held(portal, "X-") == 0


def test_an_unknown_field_or_an_empty_list_is_a_clear_422(
    portal: Portal, filer: dict[str, str]
) -> None:
    client = portal.client()
    assert client.post(URL, json={"complaints": []}, headers=filer).status_code == 422
    odd = {"complaints": [{**row("Y-1"), "iban": "x"}]}
    answer = client.post(URL, json=odd, headers=filer)
    assert answer.status_code == 422 and "iban" in answer.text


def test_a_phone_that_is_no_phone_number_is_a_422_naming_the_field(
    portal: Portal, filer: dict[str, str]
) -> None:
    """Regression (QA): any text was taken as the complainant's phone, such as
    "138001380001234567" (18 digits), and stored hashed as if it were one."""
    client = portal.client()
    body = {"complaints": [row("PH-1"), row("PH-2", phone="138001380001234567")]}
    answer = client.post(URL, json=body, headers=filer)
    assert answer.status_code == 422, answer.text
    assert "phone" in answer.text and "138001380001234567" in answer.text
    assert "11 digits starting with 1" in answer.text and "021-12345678" in answer.text
    assert held(portal, "PH-") == 0
    for phone in ("+86 138 1234 5678", "021-12345678", ""):
        body = {"complaints": [row(f"PH-{phone}", phone=phone)]}
        assert client.post(URL, json=body, headers=filer).json()["stored"] == 1


FIELD = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.dictionaries(st.sampled_from(list(row("H"))), FIELD, max_size=12))
def test_any_values_get_a_report_or_a_422_never_a_server_error(
    portal: Portal, filer: dict[str, str], values: dict[str, str]
) -> None:
    body = {"complaints": [{**row("H-1"), **values}]}
    answer = portal.client().post(URL, json=body, headers=filer)
    assert answer.status_code in (200, 422), answer.text


def test_a_complaint_filed_in_the_future_is_refused_and_not_stored(
    portal: Portal, filer: dict[str, str]
) -> None:
    """Regression: a filing date in the future was stored."""
    body = {"complaints": [row("FUT-1", filed_on="2999-12-31"), row("FUT-2")]}
    report = portal.client().post(URL, json=body, headers=filer).json()
    assert report["stored"] == 1
    [reject] = report["rejects"]
    assert (reject["item"], reject["ref"]) == (0, "FUT-1")
    assert "filed_on" in reject["reason"] and "in the future" in reject["reason"]
    with portal.factory() as s:
        assert s.scalars(select(Complaint).where(Complaint.ref == "FUT-1")).all() == []


def test_an_amount_too_large_is_said_to_be_too_large(portal: Portal, filer: dict[str, str]) -> None:
    """Regression: 99999999999999999999 was refused as "not yuan such as 59.90"."""
    body = {"complaints": [{**row("F-BIG"), "amount": "99999999999999999999"}]}
    answer = portal.client().post(URL, json=body, headers=filer)
    assert answer.status_code == 200, answer.text
    [reject] = answer.json()["rejects"]
    assert "is too large: at most 999,999,999,999.99 yuan" in reject["reason"], reject
    fits = {"complaints": [{**row("F-FITS"), "amount": "999,999,999,999.99"}]}
    assert portal.client().post(URL, json=fits, headers=filer).json()["stored"] == 1

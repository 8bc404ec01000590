"""A JSON body's field that an endpoint does not take is a 422 naming it, on every endpoint
that reads a body, as an unknown query parameter is (huiqi.web.api.fields.RequestBody).

Regression (QA, an integrator's typos): only ``/api/v1/users`` and ``/api/v1/complaints``
refused one; every other body dropped it without a word, so ``{"reson": ...}`` withdrew an
application with no reason, ``"policyid"`` filed a request about no policy and
``"attested": true`` claimed as if nothing had been confirmed."""

from __future__ import annotations

from typing import Any

import pytest
from portal_data import OFFER, Portal, add_user

from huiqi.accounts.roles import Role, RoleGrant

# (user, method, path, a body whose fields are right but for the last one, that field)
CASES: list[tuple[str | None, str, str, dict[str, Any], str]] = [
    ("ent1", "POST", "/api/v1/records/1/claim", {"attested": True}, "attested"),
    ("ent1", "POST", "/api/v1/records/1/submit", {"attest": True, "atest": True}, "atest"),
    ("ent1", "POST", "/api/v1/records/1/withdraw", {"reson": "sent twice"}, "reson"),
    (
        "ent1",
        "POST",
        "/api/v1/corrections",
        {"field": "revenue", "value": "1", "yr": 2025},
        "yr",
    ),
    (
        "steward",
        "POST",
        "/api/v1/corrections/1/decide",
        {"accept": True, "reason": "checked", "note": "x"},
        "note",
    ),
    ("ent1", "POST", "/api/v1/ratings", {"stars": 5, "grantid": 1}, "grantid"),
    (
        "officer",
        "POST",
        "/api/v1/applications/1/reject",
        {"reason": "late", "comment": "x"},
        "comment",
    ),
    (
        "officer",
        "POST",
        "/api/v1/records/1/review",
        {"decision": "keep", "reason": "checked", "notes": "x"},
        "notes",
    ),
    (None, "POST", "/api/v1/calculator", {"answers": {}, "lang": "zh"}, "lang"),
    (
        "ent1",
        "POST",
        "/api/v1/requests",
        {"category": "policy", "text": "when is it paid?", "policyid": OFFER},
        "policyid",
    ),
    (
        "desk-policy",
        "POST",
        "/api/v1/requests/1/reply",
        {"text": "tomorrow", "txt": "x"},
        "txt",
    ),
    (
        "desk-policy",
        "POST",
        "/api/v1/requests/1/transfer",
        {"department": "市财政局", "reason": "theirs", "to": "x"},
        "to",
    ),
    ("desk-policy", "POST", "/api/v1/requests/1/close", {"reason": "done", "why": "x"}, "why"),
    ("ent1", "POST", "/api/v1/requests/1/rate", {"stars": 5, "coment": "x"}, "coment"),
    ("ent1", "POST", "/api/v1/requests/1/withdraw", {"reson": "x"}, "reson"),
    (
        "finance",
        "POST",
        "/api/v1/finance/grants/1/repay",
        {"reason": "account fixed", "account": "x"},
        "account",
    ),
    (
        "author",
        "PUT",
        f"/api/v1/console/policies/{OFFER}/draft",
        {"text": "id: x", "version": 2},
        "version",
    ),
    (
        "publisher",
        "POST",
        "/api/v1/console/versions/1/retire",
        {"reason": "replaced", "when": "now"},
        "when",
    ),
    (
        "complaints",
        "POST",
        "/api/v1/complaints/complainants/1/decide",
        {"professional": True, "reason": "pattern", "score": 1},
        "score",
    ),
]


@pytest.fixture(scope="module")
def world(staff: Portal) -> Portal:
    add_user(staff, "complaints", [RoleGrant(Role.COMPLAINT_OFFICER)])
    add_user(staff, "park-api", [RoleGrant(Role.PARK_OPERATOR, "漕河泾开发区")])
    return staff


@pytest.mark.parametrize(
    ("user", "method", "path", "body", "field"), CASES, ids=[c[2] + ":" + c[4] for c in CASES]
)
def test_a_field_the_endpoint_does_not_take_is_named(
    world: Portal, user: str | None, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    headers = {"Authorization": f"Bearer {world.token(user)}"} if user else {}
    sent = world.client().request(method, path, json=body, headers=headers)
    assert sent.status_code == 422, sent.text
    [error] = sent.json()["detail"]
    assert error["loc"] == ["body", field]
    assert f"takes no field '{field}'" in error["msg"]
    assert "/api/v1/openapi.json" in error["msg"]


def test_a_form_field_a_request_does_not_take_is_named(world: Portal) -> None:
    """The multipart form of POST /api/v1/requests is checked as its JSON body is."""
    sent = world.client().post(
        "/api/v1/requests",
        data={"category": "policy", "text": "when is it paid?", "policyid": OFFER},
        files={"files": ("a.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        headers={"Authorization": f"Bearer {world.token('ent1')}"},
    )
    assert sent.status_code == 422, sent.text
    assert [e["loc"] for e in sent.json()["detail"]] == [["body", "policyid"]]


def test_the_fields_an_endpoint_takes_are_still_taken(world: Portal) -> None:
    headers = {"Authorization": f"Bearer {world.token('ent2')}"}
    sent = world.client().post(
        "/api/v1/requests", json={"category": "policy", "text": "a question"}, headers=headers
    )
    assert sent.status_code == 200, sent.text
    calc = world.client().post("/api/v1/calculator", json={"answers": {}})
    assert calc.status_code == 200, calc.text


@pytest.mark.parametrize(
    "path", ["/api/v1/inbox", "/api/v1/my-data", f"/api/v1/policies/{OFFER}/explain"]
)
def test_a_park_operator_naming_no_enterprise_is_told_the_api_s_parameter(
    world: Portal, path: str
) -> None:
    """Regression (QA): the API said "open it from your park's list on the home page
    (/home)", a page its caller does not have."""
    sent = world.client().get(path, headers={"Authorization": f"Bearer {world.token('park-api')}"})
    assert sent.status_code == 400, sent.text
    detail = sent.json()["detail"]
    assert detail.startswith("say which enterprise: a park operator gives the enterprise's USCC")
    assert "/home" not in detail


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("officer", "/api/v1/records"),
        ("officer", "/api/v1/grants"),
        ("ent1", "/api/v1/records"),
        ("ent1", "/api/v1/inbox"),
        ("ent1", "/api/v1/my-data"),
        ("desk-policy", "/api/v1/requests"),
    ],
)
@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("abc", "'ABC' has 3 characters; a USCC has exactly 18"),
        ("９１３１００００ＭＡＸ２５４ＹＹ１Ｐ", "full-width"),
    ],
)
def test_a_uscc_that_cannot_be_one_is_a_422_naming_it(
    world: Portal, user: str, path: str, typed: str, says: str
) -> None:
    """Regression (QA): ``?uscc=abc`` answered an officer ``[]`` (a typo read as an
    enterprise with nothing) and an enterprise 403 "may not read this enterprise's
    records", as if it had asked for another's."""
    sent = world.client().get(
        path, params={"uscc": typed}, headers={"Authorization": f"Bearer {world.token(user)}"}
    )
    assert sent.status_code == 422, sent.text
    [error] = sent.json()["detail"]
    assert error["loc"] == ["query", "uscc"] and says in error["msg"], error


@pytest.mark.parametrize("path", ["/api/v1/inbox", "/api/v1/my-data"])
def test_an_officer_on_an_enterprises_own_endpoint_is_refused_not_asked_which(
    world: Portal, path: str
) -> None:
    """A steward is refused by the endpoint's role (the pages told it "say which
    enterprise: open it from your park's list", a park operator's advice: test_park_home)."""
    sent = world.client().get(path, headers={"Authorization": f"Bearer {world.token('steward')}"})
    assert sent.status_code == 403, sent.text
    assert "say which enterprise" not in sent.json()["detail"], sent.text

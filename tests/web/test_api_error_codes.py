"""Every JSON refusal carries a stable ``code`` a program can test (the same in every
language), beside the ``error`` title and the ``detail`` a person reads, and ``field``: the
request's field it is about, or null.

Regression (QA): a refusal was ``{"error", "detail"}`` only, so an integrator told one
refusal from another by its English words, and a 400 or 422 about one field did not say
which field."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import Portal

from huiqi.accounts.access import AccessDenied, NotSignedIn
from huiqi.accounts.throttle import SignInThrottled
from huiqi.delivery.review import ReviewError
from huiqi.errors import (
    DatabaseBusy,
    HuiqiError,
    NotFoundError,
    StateConflict,
    StoreError,
    TooLarge,
)
from huiqi.web.deps import CsrfRefused
from huiqi.web.error_codes import CODES
from huiqi.web.errors import install
from huiqi.web.i18n import COOKIE

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
KEYS = {"error", "code", "field", "detail"}

RAISED = [
    (SignInThrottled("wait", retry_after=30), 429, "throttled"),
    (NotSignedIn("no token"), 401, "not_signed_in"),
    (CsrfRefused("no CSRF token"), 403, "csrf_expired"),
    (AccessDenied("not yours"), 403, "forbidden"),
    (NotFoundError("no such thing"), 404, "not_found"),
    (TooLarge("too big"), 413, "too_large"),
    (StateConflict("already done"), 409, "conflict"),
    (ReviewError("give a reason"), 400, "invalid"),  # a 409 class, this refusal a 400
    (DatabaseBusy("busy"), 503, "busy"),
    (StoreError("no store"), 503, "no_data"),
    (HuiqiError("cannot use that"), 400, "invalid"),
    (RuntimeError("a bug"), 500, "internal"),
]


def _raising(exc: BaseException) -> TestClient:
    app = FastAPI()
    install(app)

    @app.get("/api/v1/thing")
    def thing() -> None:
        raise exc

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(("exc", "status", "code"), RAISED, ids=lambda x: type(x).__name__)
def test_each_kind_of_refusal_answers_its_code(exc: BaseException, status: int, code: str) -> None:
    client = _raising(exc)
    for lang in ("en", "zh"):  # the code never changes with the language
        client.cookies.set(COOKIE, lang)
        answer = client.get("/api/v1/thing")
        assert answer.status_code == status, answer.text
        body = answer.json()
        assert set(body) == KEYS and body["code"] == code and body["field"] is None, body


def test_a_refusal_about_one_field_names_it() -> None:
    answer = _raising(HuiqiError("the reason is required", field="reason")).get("/api/v1/thing")
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "Cannot do that",
        "code": "invalid",
        "field": "reason",
        "detail": "the reason is required",
    }


def _documented() -> dict[str, int]:
    """The codes of docs/api.md's table of codes: `code` | status | when."""
    text = DOCS.read_text("utf-8")
    section = text[text.index("### Status codes") :]
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", section, flags=re.M)
    return {code: int(status) for code, status in rows}


def test_docs_list_every_code_with_its_status() -> None:
    assert _documented() == {code: status for code, (status, _) in CODES.items()}


def test_the_openapi_document_declares_the_codes(portal: Portal) -> None:
    """A client generated from the document knows every code and that ``field`` is there."""
    schemas = portal.client().get("/api/v1/openapi.json").json()["components"]["schemas"]
    error = schemas["ErrorPublic"]
    assert set(error["required"]) == KEYS
    assert set(error["properties"]["code"]["enum"]) == set(CODES)
    invalid = schemas["HTTPValidationError"]
    assert invalid["properties"]["code"]["enum"] == ["invalid_request"]
    assert set(invalid["required"]) == KEYS


def bearer(portal: Portal, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.token(user)}"}


def test_the_http_layers_own_refusals_have_codes(portal: Portal) -> None:
    api = portal.client()
    headers = bearer(portal, "ent1")
    missing = api.get("/api/v1/no-such-endpoint", headers=headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    method = api.get("/api/v1/records/1/claim", headers=headers)
    assert (method.status_code, method.json()["code"]) == (405, "method_not_allowed")
    nobody = api.get("/api/v1/records")
    assert (nobody.status_code, nobody.json()["code"]) == (401, "not_signed_in")
    deep = api.post(
        "/api/v1/records/1/withdraw",
        content=b"[" * 100_000,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert deep.status_code in (400, 422) and deep.json()["code"] == "invalid_request"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "field"),
    [
        ("GET", "/api/v1/records?limit=0", {}, "limit"),
        ("GET", "/api/v1/records?no_such_parameter=1", {}, "no_such_parameter"),
        ("POST", "/api/v1/records/abc/claim", {"json": {}}, "record_id"),
        ("POST", "/api/v1/records/1/claim", {"json": {"attest": "yes"}}, "attest"),
        ("POST", "/api/v1/records/1/withdraw", {"json": {"reson": "x"}}, "reson"),
        ("POST", "/api/v1/corrections", {"json": {"year": "abc"}}, "field"),
        ("POST", "/api/v1/corrections", {"content": b"{bad"}, None),
        ("POST", "/api/v1/corrections", {"content": b"[1]"}, None),
    ],
)
def test_a_422_names_the_field_of_its_first_error(
    portal: Portal, method: str, path: str, kwargs: dict[str, object], field: str | None
) -> None:
    headers = bearer(portal, "ent1")
    if "content" in kwargs:
        headers["Content-Type"] = "application/json"
    sent = portal.client().request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
    assert sent.status_code == 422, sent.text
    body = sent.json()
    assert body["code"] == "invalid_request" and body["error"] == "invalid request"
    assert body["field"] == field, body
    assert body["detail"] and all({"loc", "msg"} <= set(item) for item in body["detail"])


def test_an_item_of_a_list_is_named_by_its_path(portal: Portal) -> None:
    item = {"ref": "T-1", "id_number": "x", "uscc": portal.usccs[1], "text": "t"}
    sent = portal.client().post(
        "/api/v1/complaints",
        json={"complaints": [{**item, "filed_on": "2026-03-01", "phone": "12"}]},
        headers=bearer(portal, "steward"),
    )
    assert sent.status_code == 422, sent.text
    assert sent.json()["field"] == "complaints.0.phone"


# Service refusals (400) of one input: each names the request's field it came in.
SERVICE_FIELDS = [
    ("admin", "POST", "/api/v1/users", {"username": "a b", "roles": ["admin"]}, "username"),
    ("admin", "POST", "/api/v1/users", {"username": "ann", "roles": ["nope"]}, "roles"),
    (
        "admin",
        "POST",
        "/api/v1/users",
        {"username": "ann", "roles": ["admin"], "password": "short"},
        "password",
    ),
    (
        "admin",
        "POST",
        "/api/v1/users",
        {"username": "ann", "roles": ["admin"], "email": "not-an-address"},
        "email",
    ),
    (
        "admin",
        "POST",
        "/api/v1/users",
        {"username": "ann", "roles": ["policy_author=department:NoSuchDepartment"]},
        "roles",
    ),
    # Regression (qa5): a change's unknown department, its last role removed and nothing to
    # change named no field.
    (
        "admin",
        "PATCH",
        "/api/v1/users/steward",
        {"add_roles": ["policy_author=department:NoSuchDepartment"]},
        "add_roles",
    ),
    ("admin", "PATCH", "/api/v1/users/steward", {"remove_roles": ["data_steward"]}, "remove_roles"),
    ("admin", "PATCH", "/api/v1/users/steward", {}, "add_roles"),
    ("admin", "PATCH", "/api/v1/users/steward", {"new_departments": True}, "add_roles"),
    ("ent1", "POST", "/api/v1/corrections", {"field": "no_such_field", "value": "1"}, "field"),
    ("ent1", "POST", "/api/v1/requests", {"category": "no_such", "text": "x"}, "category"),
    ("ent1", "POST", "/api/v1/calculator", {"answers": {"insured_employees": "many"}}, None),
    ("anyone", "GET", "/api/v1/policies?amount_min=lots", None, "amount_min"),
    ("anyone", "GET", "/api/v1/policies?level=galactic", None, "level"),
    ("anyone", "GET", "/api/v1/policies?deadline_after=soon", None, "deadline_after"),
]


@pytest.mark.parametrize(("user", "method", "path", "body", "field"), SERVICE_FIELDS)
def test_a_service_refusal_of_one_value_names_its_field(
    portal: Portal, user: str, method: str, path: str, body: object, field: str | None
) -> None:
    headers = {} if user == "anyone" else bearer(portal, user)
    sent = portal.client().request(method, path, json=body, headers=headers)
    assert sent.status_code == 400, sent.text
    answer = sent.json()
    assert answer["code"] == "invalid"
    if field is None:  # the calculator: the answer's key, whichever question it was
        assert str(answer["field"]).startswith("answers."), answer
    else:
        assert answer["field"] == field, answer


def _records(portal: Portal, user: str) -> dict[str, int]:
    rows = portal.client().get("/api/v1/records", headers=bearer(portal, user)).json()
    return {r["policy_id"]: r["id"] for r in rows}


def test_an_upload_names_its_document_and_idempotency_key(portal: Portal) -> None:
    record = _records(portal, "ent3")["web-apply"]
    pdf = {"file": ("a.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}
    path = f"/api/v1/records/{record}/attachments"
    api, headers = portal.client(), bearer(portal, "ent3")
    unknown = api.post(path, params={"document": "营业执照"}, files=pdf, headers=headers)
    assert unknown.status_code == 400 and unknown.json()["field"] == "document", unknown.text
    key = api.post(path, files=pdf, headers={**headers, "Idempotency-Key": "has space"})
    assert key.status_code == 422 and key.json()["field"] == "Idempotency-Key", key.text


def test_a_rejections_reason_refused_by_the_service_is_named(portal: Portal) -> None:
    """The service's own check of a reason (the schema lets a control character through)."""
    record = _records(portal, "ent5")["web-apply"]
    sent = portal.client().post(
        f"/api/v1/applications/{record}/reject",
        json={"reason": "not\x01eligible"},
        headers=bearer(portal, "officer"),
    )
    assert sent.status_code == 400, sent.text
    assert sent.json() == {
        "error": "Cannot do that",
        "code": "invalid",
        "field": "reason",
        "detail": "a rejection's reason cannot contain control characters",
    }


# "Not an application": an offer's record addressed as an application, by each endpoint
# that takes one. Regression (QA): submitting, withdrawing and deciding answered 409 (as
# if an application were there in a state that did not allow it), attaching 404.
NOT_APPLICATION = [
    ("ent4", "POST", "submit", {"json": {}}),
    ("ent4", "POST", "withdraw", {"json": {}}),
    (
        "ent4",
        "POST",
        "attachments",
        {"files": {"file": ("a.pdf", b"%PDF-1.4\n", "application/pdf")}},
    ),
    ("ent4", "GET", "attachments", {}),
    ("officer", "POST", "approve", {}),
    ("officer", "POST", "reject", {"json": {"reason": "not eligible"}}),
]


@pytest.mark.parametrize(("user", "method", "action", "kwargs"), NOT_APPLICATION)
def test_a_record_that_is_no_application_is_not_found_as_one(
    portal: Portal, user: str, method: str, action: str, kwargs: dict[str, object]
) -> None:
    offer = _records(portal, "ent4")["web-offer"]
    base = "applications" if action in ("approve", "reject") else "records"
    sent = portal.client().request(
        method,
        f"/api/v1/{base}/{offer}/{action}",
        headers=bearer(portal, user),
        **kwargs,  # type: ignore[arg-type]
    )
    assert sent.status_code == 404, sent.text
    body = sent.json()
    assert body["code"] == "not_found"
    assert body["detail"] == f"record {offer} is not an application (申报)"


def test_a_record_that_is_no_offer_is_not_found_as_one(portal: Portal) -> None:
    """Regression (qa5): claiming an application (申报) was a 409, as if an offer were there
    in a state that did not allow it, where submitting an offer is a 404: a record
    addressed as what it is not is not found as one, in both directions. Its enterprise is
    told what it is; another enterprise is refused first (403), told nothing of it."""
    client, records = portal.client(), _records(portal, "ent4")
    application = records["web-apply"]
    url = f"/api/v1/records/{application}/claim"
    sent = client.post(url, headers=bearer(portal, "ent4"))
    assert sent.status_code == 404, sent.text
    assert sent.json() == {
        "error": "Not found",
        "code": "not_found",
        "field": None,
        "detail": f"record {application} is not an offer (直达快享) to claim: it is an"
        " application (申报); submit it instead",
    }
    assert client.post(url, headers=bearer(portal, "ent5")).status_code == 403
    # A record granted already (免申即享 here) answers its grant, nothing claimed, as before.
    auto = client.post(
        f"/api/v1/records/{records['web-auto']}/claim", headers=bearer(portal, "ent4")
    )
    assert auto.status_code == 200 and auto.json()["already"], auto.text
    assert "granted automatically (免申即享); nothing to claim" in auto.json()["message"]


JSONISH = st.one_of(
    st.binary(max_size=60),
    st.text(max_size=60).map(lambda t: t.encode("utf-8")),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
        max_leaves=8,
    ).map(lambda v: json.dumps(v).encode("utf-8")),
)
POSTS = ["/api/v1/records/999999/withdraw", "/api/v1/corrections", "/api/v1/ratings"]


@pytest.fixture(scope="module")
def fuzzer(portal: Portal) -> dict[str, str]:
    """An enterprise's credential, made once (signing in hashes a password)."""
    return bearer(portal, "ent6")


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(POSTS), body=JSONISH, typed=st.booleans())
def test_any_malformed_body_is_refused_with_a_documented_code(
    portal: Portal, fuzzer: dict[str, str], path: str, body: bytes, typed: bool
) -> None:
    headers = dict(fuzzer)
    if typed:
        headers["Content-Type"] = "application/json"
    sent = portal.client().post(path, content=body, headers=headers)
    if sent.status_code < 400:
        return  # a body that happened to be good (a rating of nothing is never one)
    answer = sent.json()
    assert set(answer) == KEYS and answer["code"] in CODES, (body, answer)
    assert CODES[answer["code"]][0] == sent.status_code or answer["code"] == "invalid_request"
    assert answer["field"] is None or isinstance(answer["field"], str)

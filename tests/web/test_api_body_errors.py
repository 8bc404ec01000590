"""A JSON body the API cannot use as a whole is a 422 whose message says what is wrong and
what to send: the parser's reason and where for a syntax error, the Content-Type for a body
sent as text or a form, an empty body, an array or a string where an object is expected."""

from __future__ import annotations

import pytest
from portal_data import Portal

URL = "/api/v1/corrections"
# POST /api/v1/requests reads its body itself (JSON, or a multipart form with files).
URLS = [URL, "/api/v1/requests"]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(
    ("body", "content_type", "says"),
    [
        (b'{"field": "revenue",', "application/json", "the body is not valid JSON: Expecting"),
        (b"{bad", "application/json", "not valid JSON: Expecting property name"),
        (b'{"field": "revenue"}', "text/plain", "sent with Content-Type text/plain"),
        (b"field=revenue", "application/x-www-form-urlencoded", "so it was not read as JSON"),
        (b'{"field": "revenue"}', None, "sent with no Content-Type"),
        (b"", "application/json", "the body is empty"),
        (b"[]", "application/json", "the body is an array, not a JSON object"),
        (b'"revenue"', "application/json", "the body is a string, not a JSON object"),
    ],
)
def test_a_body_that_is_no_json_object_says_what_to_send(
    portal: Portal, url: str, body: bytes, content_type: str | None, says: str
) -> None:
    """Regression: these answered pydantic's "JSON decode error" (not where, nor why) or
    "Input should be a valid dictionary or object to extract fields from", which does not
    say that the Content-Type was the problem or that an object was expected. And
    POST /api/v1/requests parsed a body of any Content-Type as JSON (text/plain or none
    filed a request) and answered an empty one "not valid JSON: EOF while parsing"."""
    headers = {"Authorization": f"Bearer {portal.token('ent1')}"}
    if content_type:
        headers["Content-Type"] = content_type
    sent = portal.client().post(url, content=body, headers=headers)
    assert sent.status_code == 422, sent.text
    [error] = sent.json()["detail"]
    assert says in error["msg"], error
    assert "application/json" in error["msg"] or "JSON object" in error["msg"]


def test_a_field_of_the_wrong_type_keeps_its_own_message(portal: Portal) -> None:
    headers = {"Authorization": f"Bearer {portal.token('ent1')}"}
    sent = portal.client().post(
        URL, json={"field": "revenue", "year": "abc", "value": "1"}, headers=headers
    )
    assert sent.status_code == 422
    assert sent.json()["detail"] == [
        {
            "loc": ["body", "year"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
        }
    ]


@pytest.mark.parametrize(
    ("authorization", "says"),
    [
        (None, "sign in first"),
        ("Bearer hq_not-a-token", "the token is not known here"),
        ("Basic ZW50MTpwYXNz", "uses the scheme 'Basic'; send the API token as"),
        ("Token hq_abc", "uses the scheme 'Token'"),
        ("Bearer", "holds no token"),
    ],
)
def test_a_401_names_the_bearer_scheme_and_says_why(
    portal: Portal, authorization: str | None, says: str
) -> None:
    """Regression: a 401 came without WWW-Authenticate (RFC 9110 requires it: it tells a
    client which scheme to use), and a header with another scheme ("Basic …", "Token …")
    was ignored without a word: "sign in first", as if nothing had been sent."""
    headers = {"Authorization": authorization} if authorization else {}
    got = portal.client().get("/api/v1/me", headers=headers)
    assert got.status_code == 401
    assert got.headers["WWW-Authenticate"] == "Bearer"
    assert says in got.json()["detail"], got.json()
    # The public catalogue needs no credential, and refuses none.
    assert portal.client().get("/api/v1/policies", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nests arrays or objects deeper"),
        (b'{"category": "policy", "text": "x", "grant_id": ' + b"9" * 5000 + b"}", "4300 digits"),
        (b'\xff\xfe{"text": "x"}', "not UTF-8"),
    ],
)
def test_a_request_body_the_parser_cannot_read_is_a_400_as_elsewhere(
    portal: Portal, body: bytes, says: str
) -> None:
    """Regression (QA): POST /api/v1/requests, which reads its JSON itself, answered a body
    nested too deep with a 500 (a RecursionError) and one with a 5000-digit number with
    Python's own advice (sys.set_int_max_str_digits); the other endpoints answer 400."""
    headers = {
        "Authorization": f"Bearer {portal.token('ent1')}",
        "Content-Type": "application/json",
    }
    sent = portal.client().post("/api/v1/requests", content=body, headers=headers)
    assert sent.status_code == 400, sent.text
    detail = sent.json()["detail"]
    assert says in detail and "/api/v1/openapi.json" in detail, detail

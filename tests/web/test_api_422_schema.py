"""Every 422 the API answers fits the 422 schema its OpenAPI document declares.

Regression (QA): the document kept FastAPI's own ``HTTPValidationError``, whose items
require a ``type`` the answers do not hold and which has no ``error``: a client generated
from the document (or one validating answers against it) failed on every 422."""

from __future__ import annotations

from typing import Any

import pytest
from portal_data import Portal

JSON_TYPES = {"string": str, "array": list, "object": dict, "null": type(None)}


def _fits(value: Any, schema: dict[str, Any]) -> None:
    """``value`` against the subset of JSON Schema the 422 schemas use."""
    if "anyOf" in schema:
        assert any(_fits_one(value, choice) for choice in schema["anyOf"]), (value, schema)
        return
    assert isinstance(value, JSON_TYPES[schema["type"]]), (value, schema)
    if "enum" in schema:
        assert value in schema["enum"], (value, schema)
    if schema["type"] == "object":
        assert set(schema.get("required", ())) <= set(value), (value, schema)
        assert set(value) <= set(schema["properties"]), (value, schema)
        for key, item in value.items():
            _fits(item, schema["properties"][key])
    if schema["type"] == "array":
        for item in value:
            _fits(item, schema["items"])


def _fits_one(value: Any, schema: dict[str, Any]) -> bool:
    try:
        _fits(value, schema)
    except AssertionError:
        return False
    return True


@pytest.fixture(scope="module")
def declared(portal: Portal) -> dict[str, Any]:
    document = portal.client().get("/api/v1/openapi.json").json()
    answer = document["paths"]["/api/v1/records"]["get"]["responses"]["422"]
    assert answer["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HTTPValidationError"
    }
    schemas = document["components"]["schemas"]
    body = dict(schemas["HTTPValidationError"])
    detail = body["properties"]["detail"]
    assert detail["items"] == {"$ref": "#/components/schemas/ValidationError"}
    body["properties"] = {
        **body["properties"],
        "detail": {**detail, "items": schemas["ValidationError"]},
    }
    return body


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/api/v1/records?limit=0", {}),
        ("GET", "/api/v1/records?no_such_parameter=1", {}),
        ("POST", "/api/v1/records/abc/claim", {"json": {}}),
        ("POST", "/api/v1/records/1/claim", {"json": {"attest": "yes"}}),
        ("POST", "/api/v1/records/1/withdraw", {"json": {"reson": "x"}}),
        ("POST", "/api/v1/corrections", {"json": {"year": "abc"}}),
        ("POST", "/api/v1/corrections", {"content": b"{bad"}),
        ("POST", "/api/v1/requests", {"json": {"category": "policy"}}),
        ("POST", "/api/v1/imports", {"data": {"file": "text"}}),
    ],
)
def test_a_422_fits_the_declared_schema(
    portal: Portal, declared: dict[str, Any], method: str, path: str, kwargs: dict[str, Any]
) -> None:
    user = "steward" if path == "/api/v1/imports" else "ent1"
    headers = {"Authorization": f"Bearer {portal.token(user)}"}
    if "content" in kwargs:
        headers["Content-Type"] = "application/json"
    sent = portal.client().request(method, path, headers=headers, **kwargs)
    assert sent.status_code == 422, sent.text
    _fits(sent.json(), declared)


def test_every_operation_declares_its_422(portal: Portal) -> None:
    """Regression (QA): ``GET /api/v1/me?x=1`` and an upload without its file answer 422,
    which the operations FastAPI saw no parameter of did not declare."""
    document = portal.client().get("/api/v1/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            declared = operation["responses"].get("422", {})
            schema = declared.get("content", {}).get("application/json", {}).get("schema")
            assert schema == {"$ref": "#/components/schemas/HTTPValidationError"}, (method, path)
    sent = portal.client().get(
        "/api/v1/me?x=1", headers={"Authorization": f"Bearer {portal.token('ent1')}"}
    )
    assert sent.status_code == 422


def test_a_validator_s_message_is_its_own(portal: Portal) -> None:
    """Regression (QA): a reason of spaces was "Value error, only spaces: …", pydantic's
    prefix before the validator's own words."""
    sent = portal.client().post(
        "/api/v1/applications/1/reject",
        json={"reason": "   "},
        headers={"Authorization": f"Bearer {portal.token('officer')}"},
    )
    assert sent.status_code == 422, sent.text
    [error] = sent.json()["detail"]
    assert error["loc"] == ["body", "reason"]
    assert error["msg"].startswith("only spaces: write the reason"), error


def test_the_requests_earlier_cursor_name_is_marked_deprecated(portal: Portal) -> None:
    document = portal.client().get("/api/v1/openapi.json").json()
    parameters = document["paths"]["/api/v1/requests"]["get"]["parameters"]
    by_name = {p["name"]: p for p in parameters}
    assert by_name["after"].get("deprecated") is True
    assert not by_name["after_id"].get("deprecated")

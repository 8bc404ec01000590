"""The 422 body as ``huiqi.web.errors.validation_error`` answers it, in the OpenAPI
document, on every operation of the API."""

from __future__ import annotations

from typing import Any

# The 422 body as validation_error answers it, for the OpenAPI document: FastAPI's own
# schema had no "error" and required a "type" in each item that the answer does not hold,
# so a client generated from the document failed to read every 422 (QA).
VALIDATION_ERROR = {
    "title": "ValidationError",
    "type": "object",
    "properties": {
        "loc": {
            "title": "Location",
            "type": "array",
            "items": {"type": "string"},
            "description": "where: body, query, path or header, then the field's name (and"
            " an item's position, as text)",
        },
        "msg": {"title": "Message", "type": "string", "description": "what is wrong"},
    },
    "required": ["loc", "msg"],
}
HTTP_VALIDATION_ERROR = {
    "title": "HTTPValidationError",
    "type": "object",
    "properties": {
        "error": {"title": "Error", "type": "string", "enum": ["invalid request"]},
        "code": {"title": "Code", "type": "string", "enum": ["invalid_request"]},
        "field": {
            "title": "Field",
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "description": "the request field the first error is about (a body field, a"
            " query parameter; an item of a list as complaints.0.phone); null for the body"
            " as a whole",
        },
        "detail": {
            "title": "Detail",
            "type": "array",
            "items": {"$ref": "#/components/schemas/ValidationError"},
        },
    },
    "required": ["error", "code", "field", "detail"],
}


INVALID_RESPONSE = {
    "description": "Validation Error",
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
    },
}


def describe_422(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with the 422 body as this app answers it, on every operation of
    the API: each refuses a query parameter it does not take (huiqi.web.api.queryparams),
    and an upload without its file, with a 422 that the operations FastAPI saw no parameter
    of (``GET /api/v1/me``, ``POST /api/v1/finance/payments``) did not declare (QA)."""
    found = schema.setdefault("components", {}).setdefault("schemas", {})
    found["HTTPValidationError"] = HTTP_VALIDATION_ERROR
    found["ValidationError"] = VALIDATION_ERROR
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "content" not in responses.get("422", {}):
                responses["422"] = INVALID_RESPONSE
    return schema

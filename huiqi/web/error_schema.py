"""The refusals every operation of the API may answer, in the OpenAPI document: the 422
body as ``huiqi.web.errors.validation_error`` answers it, on every operation; a 500 (an
unexpected error), on every operation; a 413 (a body above the limit), on every write; and
the 405 of an address asked with a method it does not take, once for the document.

OpenAPI lists responses per operation, and a 405 is the answer to an operation that does
not exist (``GET`` of an address that takes ``POST`` only): declared on the operations that
do exist it would say they answer it, which they never do. It is described once, as
``components.responses.MethodNotAllowed`` and in the document's description
(docs/api.md "Status codes")."""

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


ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}}
WRITES = frozenset({"post", "put", "patch", "delete"})
INTERNAL_RESPONSE = {
    "description": "Internal Server Error: an unexpected error (`code` `internal`); nothing"
    " of it is told. Nothing is kept for an Idempotency-Key: the call may be sent again",
    "content": ERROR,
}
TOO_LARGE_RESPONSE = {
    "description": "Content Too Large (`code` `too_large`): a body above the limit (a file"
    " of HUIQI_WEB_MAX_UPLOAD_MB and a few fields), refused as it is read. Any write may"
    " answer it: with an Idempotency-Key its body is read whole, to compare it",
    "content": ERROR,
}
METHOD_NOT_ALLOWED = {
    "description": "Method Not Allowed (`code` `method_not_allowed`): the address does not"
    " take this method; `Allow` names those it does. Answered for a method no operation of"
    " this document declares at an address, so it is declared on none of them",
    "headers": {
        "Allow": {"description": "the methods the address takes", "schema": {"type": "string"}}
    },
    "content": ERROR,
}
SAID_405 = (
    " Every operation may answer 500 (`internal`), every write 413 (`too_large`); an"
    " address asked with a method it does not take answers 405 (`method_not_allowed`,"
    " components.responses.MethodNotAllowed). Every refusal is an `ErrorPublic` (a 422, an"
    " `HTTPValidationError`)."
)


def describe_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with the 422 (:func:`describe_422`), the 500 on every operation
    of the API, the 413 on every write, and the 405 described once (QA: no operation
    declared a 500, and only the uploads a 413, which any body above the limit answers)."""
    describe_422(schema)
    components = schema.setdefault("components", {})
    components.setdefault("responses", {})["MethodNotAllowed"] = METHOD_NOT_ALLOWED
    info = schema.setdefault("info", {})
    if SAID_405 not in info.get("description", ""):
        info["description"] = info.get("description", "") + SAID_405
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses["500"] = INTERNAL_RESPONSE
            if method in WRITES:
                responses["413"] = TOO_LARGE_RESPONSE
    return schema

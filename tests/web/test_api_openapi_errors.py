"""The OpenAPI document declares the refusals each operation may answer, each with the
shared error schema (``ErrorPublic``; a 422, ``HTTPValidationError``): a 500 on every
operation, a 413 on every write (any body above the limit is refused as it is read, and
with an Idempotency-Key any write's body is read), and the 405 of a method an address does
not take once for the document (huiqi.web.error_schema).

Regression (qa5): no operation declared a 500, only the uploads a 413, and the 405 was
nowhere, so a client generated from the document had no type for those answers."""

from __future__ import annotations

from typing import Any

from portal_data import Portal

from huiqi.web.error_codes import CODES

ERROR = {"$ref": "#/components/schemas/ErrorPublic"}
WRITES = {"post", "put", "patch", "delete"}


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in doc["paths"].items()
        for method, operation in operations.items()
        if path.startswith("/api/v1/")
    ]


def test_every_operation_declares_the_refusals_it_may_answer(portal: Portal) -> None:
    doc = portal.client().get("/api/v1/openapi.json").json()
    operations = _operations(doc)
    assert len(operations) > 60 and any(m in WRITES for m, _, _ in operations)
    missing: list[str] = []
    for method, path, operation in operations:
        responses = operation["responses"]
        wanted = {"400", "401", "403", "404", "409", "422", "429", "500", "503"} | (
            {"413"} if method in WRITES else set()
        )
        missing += [f"{method.upper()} {path}: {s}" for s in sorted(wanted - set(responses))]
        if method not in WRITES and "413" in responses:
            missing.append(f"{method.upper()} {path}: a read declares 413, it reads no body")
        if "405" in responses:
            missing.append(f"{method.upper()} {path}: declares the 405 it never answers")
        for status, response in responses.items():
            if status.startswith(("4", "5")) and status != "422":
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if schema != ERROR:
                    missing.append(f"{method.upper()} {path}: {status} is not an ErrorPublic")
    assert not missing, "\n".join(missing)


def test_the_405_is_described_once_for_the_document(portal: Portal) -> None:
    client = portal.client()
    doc = client.get("/api/v1/openapi.json").json()
    described = doc["components"]["responses"]["MethodNotAllowed"]
    assert described["content"]["application/json"]["schema"] == ERROR
    assert "Allow" in described["headers"]
    assert "405 (`method_not_allowed`" in doc["info"]["description"]
    # ... as it is answered: an address that takes POST only, asked with GET.
    [claim] = [p for p in doc["paths"] if p.endswith("/claim")]
    assert set(doc["paths"][claim]) == {"post"}
    answer = client.get(claim.replace("{record_id}", "1"))
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert answer.json()["code"] == "method_not_allowed" == _code_of(405)


def _code_of(status: int) -> str:
    [code] = [c for c, (s, _) in CODES.items() if s == status]
    return code

"""Property-based testing of /api/v1 against its own OpenAPI document (schemathesis, in
process over ASGI): generated requests, valid and not, signed in and anonymous, never
make the server fail (no 5xx)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from portal_data import Portal

from huiqi.web.app import create_app


@pytest.fixture(scope="module")
def credentials(portal: Portal) -> list[dict[str, str]]:
    return [{}, {"Authorization": f"Bearer {portal.token('ent1')}"}]


def test_no_request_makes_the_server_fail(
    portal: Portal, credentials: list[dict[str, str]]
) -> None:
    app = create_app(portal.settings, portal.factory)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # 29, the desk's 12 and the officers' inbox 2, the complaints' 5, the console's 7 and
    # its jobs' 2, finance's 5, the users' 5, the audit log's 2, the snapshots' and
    # imports' 5
    assert len(operations) == 76

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=20,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: Any) -> None:
            for headers in credentials:
                response = case.call(headers=headers)
                assert response.status_code < 500, (case.method, case.path, response.text[:500])

        no_server_error()

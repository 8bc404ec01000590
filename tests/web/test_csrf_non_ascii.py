"""A CSRF token with a non-ASCII character is refused, not a server error.

QA: hmac.compare_digest refuses str holding non-ASCII characters with a TypeError, so a
form sent with a tampered token such as "中" (the request form, every form through
csrf_ok) was a 500 and the connection was dropped."""

from __future__ import annotations

import pytest
from portal_data import Portal, page_token, sign_in


@pytest.mark.parametrize("token", ["中", "１２３", "é" * 64])
def test_a_non_ascii_csrf_token_is_a_403(portal: Portal, token: str) -> None:
    anonymous = portal.client()
    page_token(anonymous)
    assert anonymous.post("/login", data={"csrf_token": token}).status_code == 403
    client = sign_in(portal.client(), "ent0")
    for path in ("/requests", "/my-data/correct", "/inbox/1/read", "/logout"):
        sent = client.post(path, data={"csrf_token": token}, follow_redirects=False)
        assert sent.status_code == 403, path
    multipart = client.post(
        "/requests", data={"csrf_token": token}, files=[("files", ("a.pdf", b"%PDF-1.4", "x"))]
    )
    assert multipart.status_code == 403

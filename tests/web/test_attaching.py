"""The API and the policy page attach files through one path (``huiqi.web.attaching``):
the same access check before the upload is read, the same store after."""

from __future__ import annotations

from typing import Any

import pytest
from portal_data import Portal, sign_in
from test_attachments_pages import PDF, application_of, bearer, upload_form

from huiqi.web import attaching


def test_the_api_and_the_page_check_and_store_through_one_path(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both shells had their own copy of the check-then-store closures; a change to one
    (the idempotency key, the size limit) had to be made twice."""
    checked: list[dict[str, Any]] = []
    stored: list[dict[str, Any]] = []
    check, add = attaching.check_attachable, attaching.add_attachment

    def spy_check(s: Any, **kw: Any) -> Any:
        checked.append(kw)
        return check(s, **kw)

    def spy_add(s: Any, **kw: Any) -> Any:
        stored.append(kw)
        return add(s, **kw)

    monkeypatch.setattr(attaching, "check_attachable", spy_check)
    monkeypatch.setattr(attaching, "add_attachment", spy_add)
    record = application_of(portal, 4)
    made = portal.client().post(
        f"/api/v1/records/{record}/attachments",
        files={"file": ("a.pdf", PDF, "application/pdf")},
        headers={**bearer(portal, "ent4"), "Idempotency-Key": "one-path"},
    )
    assert made.status_code == 200, made.text
    client = sign_in(portal.client(), "ent4")
    assert upload_form(client, record, "b.pdf", PDF).status_code == 303
    assert [(c["record_id"], c["idempotency_key"]) for c in checked] == [
        (record, "one-path"),
        (record, None),  # the page's key is in its form, read after the check
    ]
    assert [(s["record_id"], s["filename"], s["content"]) for s in stored] == [
        (record, "a.pdf", PDF),
        (record, "b.pdf", PDF),
    ]
    assert stored[0]["idempotency_key"] == "one-path"
    assert {s["max_bytes"] for s in stored} == {10 * 1024 * 1024}

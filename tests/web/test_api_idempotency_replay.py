"""A repeat of an API write (its Idempotency-Key) is answered again only when the answer
was kept and the account may still see it (huiqi.web.idempotent,
huiqi.accounts.idempotent_calls): otherwise a 409 ``not_replayed`` naming the header,
and the write is not carried out again.

Regression (qa5): an answer of any size was kept for 24 hours; and an officer whose scope
was changed (moved from one district to another) was answered again, on a repeat, what it
had been told of a record of the district it no longer covers."""

from __future__ import annotations

import json

import pytest
from portal_data import APPLY, Portal, add_user
from sqlalchemy import func, select

from huiqi.accounts import idempotent_calls
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.delivery.feedback_models import CorrectionRequest
from huiqi.delivery.models import Application

DISTRICT, ELSEWHERE = "310115", "310104"  # the test policies' district, and another
KEYS = {"error", "code", "field", "detail"}


def bearer(portal: Portal, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.token(user)}"}


def test_a_repeat_whose_answer_was_too_large_to_keep_is_a_409_not_done_again(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer goes out whole the first time; its repeat says the call was carried out
    and its answer not kept, and nothing is done a second time."""
    monkeypatch.setattr(idempotent_calls, "MAX_ANSWER", 64)  # a correction answers more
    client, owner = portal.client(), bearer(portal, "ent1")
    body = {"uscc": portal.usccs[1], "field": "insured_employees", "year": 2025, "value": 41}
    headers = {**owner, "Content-Type": "application/json", "Idempotency-Key": "big-1"}

    def send() -> object:
        return client.post("/api/v1/corrections", content=json.dumps(body), headers=headers)

    first = send()
    assert first.status_code == 200 and len(first.content) > 64, first.text  # type: ignore[attr-defined]
    for _ in range(2):
        again = send()
        assert again.status_code == 409, again.text  # type: ignore[attr-defined]
        said = again.json()  # type: ignore[attr-defined]
        assert set(said) == KEYS
        assert (said["code"], said["field"]) == ("not_replayed", "Idempotency-Key")
        assert "'big-1' was carried out (it was answered 200)" in said["detail"]
        assert "larger than the 64 bytes kept for a repeat" in said["detail"]
        assert "Idempotent-Replayed" not in again.headers  # type: ignore[attr-defined]
    with portal.factory() as s:
        made = s.scalar(
            select(func.count())
            .select_from(CorrectionRequest)
            .where(CorrectionRequest.uscc == portal.usccs[1])
        )
    assert made == 1


def _submitted_application(portal: Portal, n: int) -> int:
    client, owner = portal.client(), bearer(portal, f"ent{n}")
    records = client.get("/api/v1/records", params={"policy_id": APPLY}, headers=owner).json()
    [record] = [r["id"] for r in records]
    sent = client.post(f"/api/v1/records/{record}/submit", json={"attest": True}, headers=owner)
    assert sent.status_code == 200 and sent.json()["status"] == "submitted", sent.text
    return int(record)


def test_a_repeat_by_an_officer_moved_to_another_district_is_not_answered(
    portal: Portal,
) -> None:
    """An officer of the policies' district approves an application with a key; the admin
    moves it to another district; its repeat is refused (409, naming the scope it lost),
    not answered with the approval of a record it may no longer read."""
    add_user(portal, "rev-moved", [RoleGrant(Role.POLICY_REVIEWER, f"district:{DISTRICT}")])
    record = _submitted_application(portal, 2)
    client, officer = portal.client(), bearer(portal, "rev-moved")
    headers = {**officer, "Idempotency-Key": "approve-2"}
    url = f"/api/v1/applications/{record}/approve"
    first = client.post(url, headers=headers)
    assert first.status_code == 200 and first.json()["status"] == "granted", first.text
    assert client.post(url, headers=headers).headers.get("Idempotent-Replayed") == "true"
    moved = client.patch(
        "/api/v1/users/rev-moved",
        json={
            "add_roles": [f"policy_reviewer=district:{ELSEWHERE}"],
            "remove_roles": [f"policy_reviewer=district:{DISTRICT}"],
        },
        headers=bearer(portal, "admin"),
    )
    assert moved.status_code == 200, moved.text
    # What it may read now: the record is no longer its to see.
    assert (
        client.get("/api/v1/records", params={"uscc": portal.usccs[2]}, headers=officer).status_code
        == 403
    )
    again = client.post(url, headers=headers)
    assert again.status_code == 409, again.text
    said = again.json()
    assert (said["code"], said["field"]) == ("not_replayed", "Idempotency-Key")
    assert (
        f"no longer holds policy_reviewer=district:{DISTRICT}, which it held then" in said["detail"]
    )
    assert "it is not carried out again" in said["detail"]
    assert first.text not in again.text and "Idempotent-Replayed" not in again.headers
    with portal.factory() as s:
        decided = s.scalars(
            select(Application.decision).where(Application.entitlement_id == record)
        )
        assert list(decided) == ["approved"]


def test_a_repeat_by_an_officer_given_one_more_district_is_answered(portal: Portal) -> None:
    """A scope added since takes nothing away: the repeat is the first answer."""
    add_user(portal, "rev-wider", [RoleGrant(Role.POLICY_REVIEWER, f"district:{DISTRICT}")])
    record = _submitted_application(portal, 3)
    client, officer = portal.client(), bearer(portal, "rev-wider")
    headers = {**officer, "Idempotency-Key": "approve-3"}
    url = f"/api/v1/applications/{record}/approve"
    first = client.post(url, headers=headers)
    assert first.status_code == 200, first.text
    wider = client.patch(
        "/api/v1/users/rev-wider",
        json={"add_roles": [f"policy_reviewer=district:{ELSEWHERE}"]},
        headers=bearer(portal, "admin"),
    )
    assert wider.status_code == 200, wider.text
    again = client.post(url, headers=headers)
    assert (again.status_code, again.content) == (200, first.content)
    assert again.headers.get("Idempotent-Replayed") == "true"

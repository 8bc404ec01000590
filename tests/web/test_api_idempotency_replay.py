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


PARK, ELSEWHERE_PARK = "张江科学城", "临港新片区"


def _move(portal: Portal, uscc: str, park: str) -> None:
    """The registries move an enterprise to another park (as an import does)."""
    from sqlalchemy import update

    from huiqi.db.engine import transaction
    from huiqi.delivery.models import DirectoryEntry

    with transaction(portal.factory) as s:
        s.execute(update(DirectoryEntry).where(DirectoryEntry.uscc == uscc).values(park=park))


def test_a_repeat_by_a_park_operator_whose_enterprise_left_the_park_is_not_answered(
    portal: Portal,
) -> None:
    """Regression (qa2): a kept answer was bound to the account's roles only. A park
    operator files a request for an enterprise of its park with a key; the enterprise is
    registered in another park since; the operator's roles are unchanged, and its repeat
    was answered with the request (its text, the enterprise, the department), which the
    operator may no longer read. It is a 409 now, the request not filed again."""
    code = portal.usccs[4]
    _move(portal, code, PARK)
    add_user(portal, "park-replay", [RoleGrant(Role.PARK_OPERATOR, PARK)])
    client, operator = portal.client(), bearer(portal, "park-replay")
    headers = {**operator, "Idempotency-Key": "park-file-1"}
    body = {"category": "policy", "text": "园区企业的政策咨询", "uscc": code}
    first = client.post("/api/v1/requests", json=body, headers=headers)
    assert first.status_code == 200, first.text
    rid = first.json()["id"]
    assert (
        client.post("/api/v1/requests", json=body, headers=headers).headers.get(
            "Idempotent-Replayed"
        )
        == "true"
    )
    _move(portal, code, ELSEWHERE_PARK)
    assert client.get(f"/api/v1/requests/{rid}", headers=operator).status_code == 403
    again = client.post("/api/v1/requests", json=body, headers=headers)
    assert again.status_code == 409, again.text
    said = again.json()
    assert (said["code"], said["field"]) == ("not_replayed", "Idempotency-Key")
    assert "园区企业的政策咨询" not in again.text and "Idempotent-Replayed" not in again.headers
    assert "it is not carried out again" in said["detail"]
    # Back in the park, it reads the request again, and its repeat is answered.
    _move(portal, code, PARK)
    back = client.post("/api/v1/requests", json=body, headers=headers)
    assert (back.status_code, back.content) == (200, first.content)


def test_a_repeat_by_a_desk_officer_whose_request_went_to_another_department_is_not_answered(
    portal: Portal,
) -> None:
    """Regression (qa2): a desk officer acknowledges a request with a key; the request is
    transferred to another department; the officer's roles are unchanged, and its repeat
    was answered with the request, which it may no longer read."""
    owner = bearer(portal, "ent5")
    client = portal.client()
    made = client.post(
        "/api/v1/requests", json={"category": "policy", "text": "申报进度如何？"}, headers=owner
    )
    assert made.status_code == 200, made.text
    rid, here = made.json()["id"], made.json()["department"]
    add_user(portal, "desk-replay", [RoleGrant(Role.DESK_OFFICER, f"department:{here}")])
    add_user(portal, "desk-mover", [RoleGrant(Role.DESK_OFFICER, "*")])
    officer = bearer(portal, "desk-replay")
    headers = {**officer, "Idempotency-Key": "ack-1"}
    url = f"/api/v1/requests/{rid}/acknowledge"
    first = client.post(url, headers=headers)
    assert first.status_code == 200, first.text
    moved = client.post(
        f"/api/v1/requests/{rid}/transfer",
        json={"department": "市财政局", "reason": "资金拨付归财政"},
        headers=bearer(portal, "desk-mover"),
    )
    assert moved.status_code == 200, moved.text
    assert client.get(f"/api/v1/requests/{rid}", headers=officer).status_code == 403
    again = client.post(url, headers=headers)
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "not_replayed"
    assert "申报进度如何" not in again.text and "Idempotent-Replayed" not in again.headers

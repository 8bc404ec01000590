"""One rule for the API's refusals (docs/api.md "Status codes"): 400/422 input that cannot
be used, 403 not allowed, 404 not found, 409 the state of what the call acts on does not
allow it, 413 too large. The walk below makes each kind of state conflict once, endpoint
by endpoint, and expects 409 from every one of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from portal_data import APPLY, AUTO, OFFER, Portal

Call = Callable[[], httpx.Response]


class Api:
    def __init__(self, portal: Portal) -> None:
        self.client: TestClient = portal.client()
        self.portal = portal
        self.tokens: dict[str, str] = {}

    def as_(self, user: str) -> dict[str, str]:
        if user not in self.tokens:
            self.tokens[user] = self.portal.token(user)
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def get(self, user: str, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params, headers=self.as_(user))
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, user: str, path: str, body: Any = None) -> httpx.Response:
        return self.client.post(path, json=body, headers=self.as_(user))

    def record(self, user: str, policy_id: str) -> int:
        rows = self.get(user, "/api/v1/records", policy_id=policy_id)
        return int(rows[0]["id"])


def twice(first: Call, conflict: Call) -> httpx.Response:
    """The first call succeeds; the same call again, now that the state has moved, is the
    conflict."""
    made = first()
    assert made.status_code == 200, made.text
    return conflict()


def conflicts(api: Api) -> list[tuple[str, Call]]:
    """(what, the call that meets a state that does not allow it)."""
    grant = api.get("ent2", "/api/v1/grants")[0]["id"]
    rate_grant = lambda: api.post("ent2", "/api/v1/ratings", {"grant_id": grant, "stars": 5})  # noqa: E731
    correction = {"field": "insured_employees", "year": 2025, "value": 20}
    correct = lambda: api.post("ent3", "/api/v1/corrections", correction)  # noqa: E731
    request = api.post(
        "ent3", "/api/v1/requests", {"category": "policy", "text": "为什么还没有收到？"}
    )
    assert request.status_code == 200, request.text
    request_id = request.json()["id"]
    ack = lambda: api.post("desk-policy", f"/api/v1/requests/{request_id}/acknowledge")  # noqa: E731
    submitted = api.record("ent4", APPLY)
    assert api.post("ent4", f"/api/v1/records/{submitted}/submit").status_code == 200

    def decide_twice() -> httpx.Response:
        made = api.post("ent6", "/api/v1/corrections", correction)
        assert made.status_code == 200, made.text
        path = f"/api/v1/corrections/{made.json()['id']}/decide"
        body = {"accept": False, "reason": "以登记为准"}
        return twice(
            lambda: api.post("steward", path, body), lambda: api.post("steward", path, body)
        )

    def attach_to_submitted() -> httpx.Response:
        return api.client.post(
            f"/api/v1/records/{submitted}/attachments",
            files={"file": ("a.pdf", b"%PDF-1.4 test", "application/pdf")},
            headers=api.as_("ent4"),
        )

    return [
        # Submitting an offer, or claiming an application, is a 404, the record being no
        # application, no offer (test_api_error_codes.test_a_record_that_is_no_application_
        # is_not_found_as_one, test_a_record_that_is_no_offer_is_not_found_as_one).
        ("approve an open application", lambda: api.post("officer", f"/api/v1/applications/{api.record('ent2', APPLY)}/approve")),
        ("resolve a record not flagged", lambda: api.post("officer", f"/api/v1/records/{api.record('ent2', AUTO)}/review", {"decision": "keep", "reason": "核实"})),
        ("rate an offer not yet decided", lambda: api.post("ent2", "/api/v1/ratings", {"entitlement_id": api.record("ent2", OFFER), "stars": 4})),
        ("rate a grant twice", lambda: twice(rate_grant, rate_grant)),
        ("report a value with a report open", lambda: twice(correct, correct)),
        ("decide a correction twice", decide_twice),
        ("acknowledge a request twice", lambda: twice(ack, ack)),
        ("rate a request not answered", lambda: api.post("ent3", f"/api/v1/requests/{request_id}/rate", {"stars": 5})),
        ("attach to a submitted application", attach_to_submitted),
        ("export a batch with nothing to pay", lambda: twice(lambda: api.post("finance", "/api/v1/finance/batches"), lambda: api.post("finance", "/api/v1/finance/batches"))),
    ]  # fmt: skip


def test_every_state_conflict_answers_409(portal: Portal) -> None:
    """Regression: rating twice, deciding a correction twice, acknowledging a request twice,
    rating an unanswered request and attaching to a submitted application answered 400,
    while claiming or approving in the wrong state answered 409."""
    api = Api(portal)
    answers = {what: call() for what, call in conflicts(api)}
    wrong = {what: (r.status_code, r.text) for what, r in answers.items() if r.status_code != 409}
    assert wrong == {}
    for what, response in answers.items():
        body = response.json()
        assert set(body) == {"error", "code", "field", "detail"} and body["detail"], what
        assert body["code"] == "conflict" and body["field"] is None, what


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/v1/ratings", {"grant_id": 1, "stars": 9}, 422),  # the schema refuses it
        ("/api/v1/corrections", {"field": "no_such_field", "value": 1}, 400),  # the service
        ("/api/v1/records/999999/claim", None, 404),
    ],
)
def test_input_errors_stay_400_or_422_and_a_missing_record_404(
    portal: Portal, path: str, body: Any, status: int
) -> None:
    api = Api(portal)
    assert api.post("ent5", path, body).status_code == status


def test_the_review_queue_names_each_application_by_the_id_its_decisions_take(
    portal: Portal,
) -> None:
    """Regression: the queue gave both record_id and application_id while approve and
    reject take the record id; an officer using application_id approved or rejected another
    enterprise's application once the two numberings overlapped."""
    client = portal.client()
    headers = {"Authorization": f"Bearer {portal.token('officer')}"}
    rows = client.get("/api/v1/applications", headers=headers).json()
    assert rows, "the portal's world has applications"
    assert all("application_id" not in r and "record_id" in r for r in rows)

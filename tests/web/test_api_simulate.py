"""POST /api/v1/console/policies/simulate: the console's simulation as JSON, on a policy's
YAML or on a policy kept in the ledger, for the same officers as the page, with the API's
refusals (403 by role and by scope, 422 naming the field of a malformed body, 400 naming
``text`` for a draft that does not compile) and its Idempotency-Key."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from portal_data import AUTO, Portal, add_publishers

from huiqi.db.engine import reading
from huiqi.delivery.service import latest_version

SIMULATE = "/api/v1/console/policies/simulate"


@pytest.fixture(scope="module")
def api(portal: Portal) -> Portal:
    return add_publishers(portal)


def auto_text(portal: Portal, threshold: int) -> str:
    """AUTO's published text with its criterion raised to ``insured_employees > threshold``
    (and a new version, to compare with the one in force)."""
    with reading(portal.factory) as s:
        text = latest_version(s, AUTO).source_yaml
    assert "insured_employees > 0" in text and "version: 1\n" in text
    return text.replace("insured_employees > 0", f"insured_employees > {threshold}").replace(
        "version: 1\n", "version: 2\n"
    )


def post(portal: Portal, user: str, body: Any, **headers: str) -> httpx.Response:
    auth = {"Authorization": f"Bearer {portal.token(user)}", **headers}
    return portal.client().post(SIMULATE, json=body, headers=auth)


def test_an_author_simulates_a_text_and_sees_who_would_lose(api: Portal) -> None:
    answer = post(api, "author", {"text": auto_text(api, 4), "sample": 3})
    assert answer.status_code == 200, answer.text
    sim = answer.json()
    # ent0 … ent7 insure 2 … 9 people: above 4 are ent3 … ent7, 1,000 yuan a person.
    assert (sim["policy_id"], sim["version"], sim["enterprises"]) == (AUTO, 2, 8)
    # ent2 (4 people) is within the criterion's margin: a near miss; ent0, ent1 are not.
    assert (sim["eligible"], sim["near_miss"], sim["needs_data"]) == (5, 1, 0)
    assert (sim["total_fen"], sim["total_yuan"]) == (3_500_000, "35000.00")
    assert (sim["budget_fen"], sim["over_budget"]) == (None, False)
    # district says whom the policy is for: never a near miss, never listed.
    assert {n["id"]: n["near_misses"] for n in sim["near_misses"]} == {"insured": 1}
    assert set(sim["breakdowns"]) == {"district_code", "industry_section", "size_class"}
    assert sum(b["eligible"] for b in sim["breakdowns"]["size_class"]) == 5
    c = sim["comparison"]
    assert (c["version"], c["eligible_before"], c["gained"], c["lost"]) == (1, 8, 0, 3)
    assert len(c["lost_sample"]) == 3 and set(c["lost_sample"]) <= set(api.usccs[:3])


def test_a_policy_id_simulates_its_draft_else_a_published_version(api: Portal) -> None:
    newest = post(api, "author", {"policy_id": AUTO})
    assert newest.status_code == 200, newest.text
    sim = newest.json()  # no draft: its published text, which nothing differs from
    assert (sim["version"], sim["eligible"], sim["comparison"]) == (1, 8, None)
    same = post(api, "author", {"policy_id": AUTO, "version": 1})
    assert same.status_code == 200 and same.json()["eligible"] == 8, same.text
    missing = post(api, "author", {"policy_id": AUTO, "version": 9})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found", missing.text
    nothing = post(api, "author", {"policy_id": "no-such-policy"})
    assert nothing.status_code == 404, nothing.text


def test_a_role_without_simulation_or_outside_the_scope_is_refused(api: Portal) -> None:
    text = auto_text(api, 4)
    for user in ("officer", "steward", "finance", "ent0"):  # a reviewer; other roles
        refused = post(api, user, {"text": text})
        assert refused.status_code == 403, (user, refused.text)
        assert refused.json()["code"] == "forbidden"
        assert "eligible" not in refused.json()
    # An author and publisher of another district: the policy is Pudong's.
    for body in ({"text": text}, {"policy_id": AUTO}):
        refused = post(api, "outsider", body)
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden", refused.text
    anonymous = api.client().post(SIMULATE, json={"text": text})
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "text"),
        ({"text": 5}, "text"),
        ({"text": "id: x", "policy_id": AUTO}, "text"),
        ({"policy_id": "Not An Id"}, "policy_id"),
        ({"text": "id: x", "version": 1}, "version"),
        ({"policy_id": AUTO, "version": 0}, "version"),
        ({"policy_id": AUTO, "version": True}, "version"),
        ({"policy_id": AUTO, "sample": 1001}, "sample"),
        ({"policy_id": AUTO, "snapshot": 1}, "snapshot"),
    ],
)
def test_a_malformed_body_is_a_422_naming_its_field(
    api: Portal, body: dict[str, Any], field: str
) -> None:
    refused = post(api, "author", body)
    assert refused.status_code == 422, refused.text
    assert (refused.json()["code"], refused.json()["field"]) == ("invalid_request", field)


def test_a_draft_that_does_not_compile_is_a_400_naming_the_text(api: Portal) -> None:
    broken = auto_text(api, 0).replace("insured_employees > 0", "no_such_field > 0")
    refused = post(api, "author", {"text": broken})
    assert refused.status_code == 400, refused.text
    error = refused.json()
    assert (error["code"], error["field"]) == ("invalid", "text")
    assert "no_such_field" in error["detail"] and "line 15" in error["detail"], error


def test_a_district_officers_simulation_lists_no_district_criterion(api: Portal) -> None:
    """Regression: the near misses by criterion listed "在您所辖的区内" (the criterion a
    district officer's scope adds), with 0 near misses: never anything to act on."""
    answer = post(api, "publisher", {"text": auto_text(api, 4)})
    assert answer.status_code == 200, answer.text
    assert [n["id"] for n in answer.json()["near_misses"]] == ["insured"]


def test_a_repeat_with_its_idempotency_key_is_answered_again(api: Portal) -> None:
    body = {"text": auto_text(api, 4)}
    first = post(api, "author", body, **{"Idempotency-Key": "sim-1"})
    again = post(api, "author", body, **{"Idempotency-Key": "sim-1"})
    assert first.status_code == 200, first.text
    assert (again.status_code, again.content) == (200, first.content)
    assert again.headers["Idempotent-Replayed"] == "true"
    other = post(api, "author", {"policy_id": AUTO}, **{"Idempotency-Key": "sim-1"})
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key", other.text

"""/api/v1/calculator: anyone asks which published policies may apply to a few answers."""

from __future__ import annotations

from portal_data import AUTO, OFFER, Portal


def _insured_key(portal: Portal) -> str:
    response = portal.client().get("/api/v1/calculator/questions")
    assert response.status_code == 200, response.text
    keys = [q["key"] for q in response.json() if q["field"] == "insured_employees"]
    assert len(keys) == 1, response.json()
    return keys[0]


def test_the_calculator_answers_anyone_with_the_policies_rules(portal: Portal) -> None:
    key = _insured_key(portal)
    client = portal.client()
    response = client.post("/api/v1/calculator", json={"answers": {key: 5}})
    assert response.status_code == 200, response.text
    body = response.json()
    outcomes = {o["policy_id"]: o for o in body["outcomes"]}
    for policy in (AUTO, OFFER):
        assert outcomes[policy]["verdict"] == "may_apply", outcomes[policy]
        assert outcomes[policy]["amount_fen"] == 500_000  # 5 insured × 1,000 yuan
        assert outcomes[policy]["amount_yuan"] == "5000.00"
    assert sum(body["counts"].values()) == len(body["outcomes"])
    none = client.post("/api/v1/calculator", json={"answers": {key: "0"}}).json()
    assert {o["policy_id"]: o["verdict"] for o in none["outcomes"]}[OFFER] == "does_not_apply"
    unanswered = client.post("/api/v1/calculator", json={"answers": {}}).json()
    offer = {o["policy_id"]: o for o in unanswered["outcomes"]}[OFFER]
    assert (offer["verdict"], offer["needs"]) == ("needs_data", [key])


def test_a_refused_answer_names_its_question_and_nothing_is_stored(portal: Portal) -> None:
    key = _insured_key(portal)
    client = portal.client()
    for wrong in ({key: "many"}, {key: -3}, {"no_such_question": "1"}):
        response = client.post("/api/v1/calculator", json={"answers": wrong})
        assert response.status_code == 400, (wrong, response.text)
        assert next(iter(wrong)) in response.json()["detail"], response.text
    # floats are refused by the schema itself: amounts are exact
    assert client.post("/api/v1/calculator", json={"answers": {key: 1.5}}).status_code == 422

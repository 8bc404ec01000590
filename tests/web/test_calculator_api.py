"""/api/v1/calculator: anyone asks which published policies may apply to a few answers."""

from __future__ import annotations

from portal_data import AUTO, LIBRARY_POLICY, OFFER, Portal


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


def test_a_district_is_answered_by_its_name_or_its_code(portal: Portal) -> None:
    """Regression: the calculator refused the district names the portal shows (嘉定区)
    and accepted only codes (310114), without saying which names it knew."""
    client = portal.client()

    def verdict(district: str) -> str:
        response = client.post("/api/v1/calculator", json={"answers": {"district_code": district}})
        assert response.status_code == 200, (district, response.text)
        return {o["policy_id"]: o["verdict"] for o in response.json()["outcomes"]}[LIBRARY_POLICY]

    assert verdict("嘉定区") == verdict("310114") == verdict("jiading")
    assert verdict("浦东新区") == verdict("310115") == "does_not_apply"
    refused = client.post("/api/v1/calculator", json={"answers": {"district_code": "嘉定"}})
    assert refused.status_code == 400, refused.text
    detail = refused.json()["detail"]
    assert "district_code" in detail and "'嘉定' is neither a code nor a name" in detail
    assert "310114 嘉定区" in detail and "310151 崇明区" in detail

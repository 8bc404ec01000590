"""Publishing over the API refuses a policy whose own test cases fail, in the words
``huiqi publish`` uses, before anything is written."""

from __future__ import annotations

import sys
from pathlib import Path

from portal_data import Portal

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import policy_yaml

from huiqi.delivery.models import PolicyVersion
from huiqi.jobs.models import Job

PID = "web-cases"
CASE = (
    "tests:\n"
    "  - name: three insured\n"
    "    profile: {insured_employees: 3}\n"
    '    expect: {status: eligible, amount: "%s"}\n'
)


def test_the_api_refuses_to_publish_a_policy_whose_test_cases_fail(staff: Portal) -> None:
    api = staff.client()
    bearer = {"Authorization": f"Bearer {staff.token('publisher')}"}
    url = f"/api/v1/console/policies/{PID}/draft"
    saved = api.put(url, json={"text": policy_yaml(PID) + CASE % "3000.01"}, headers=bearer)
    assert saved.status_code == 200, saved.text
    refused = api.post(f"{url}/publish", headers=bearer)
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == (
        f"the draft of {PID} is not published: 1 failing test case(s), the first:"
        f" {PID}.yaml: case 'three insured': expected amount 3000.01, got 3000.00"
    )
    with staff.factory() as s:
        assert s.query(PolicyVersion).filter_by(policy_id=PID).count() == 0
        assert s.query(Job).filter_by(policy_id=PID).count() == 0
    # The case put right, the same draft publishes.
    fixed = api.put(url, json={"text": policy_yaml(PID) + CASE % "3000.00"}, headers=bearer)
    assert fixed.status_code == 200 and fixed.json()["lint"]["ok"], fixed.text
    assert api.post(f"{url}/publish", headers=bearer).status_code == 202

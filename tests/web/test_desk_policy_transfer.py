"""The desk's transfer picker offers, for a request about a policy, the department that
owns the policy (a district's own, for a district-level policy) beside the desk's city
departments; a request about no policy does not get it, and only an officer handling the
request may transfer it (qa4)."""

from __future__ import annotations

import re

from portal_data import OFFER, Portal, page_token, sign_in

DISTRICT_OWNER = "测试局"  # the department of the portal's (Pudong, district-level) policies


def _file(portal: Portal, **extra: str) -> int:
    client = portal.client()
    made = client.post(
        "/api/v1/requests",
        json={"category": "policy", "text": "这项区级政策由哪个部门负责？", **extra},
        headers={"Authorization": f"Bearer {portal.token('ent2')}"},
    )
    assert made.status_code == 200, made.text
    return int(made.json()["id"])


def _choices(html: str) -> list[str]:
    picker = html.split('<select id="department"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]+)"', picker)


def test_a_request_about_a_district_policy_goes_to_the_policys_own_department(
    portal: Portal,
) -> None:
    """Regression (qa4): the picker listed only the categories' and rules' (city)
    departments, so a request about a district policy could not reach its department."""
    rid = _file(portal, policy_id=OFFER)
    officer = sign_in(portal.client(), "desk-policy")
    path = f"/console/requests/{rid}"
    assert DISTRICT_OWNER in _choices(officer.get(path).text)
    # Another department's officer neither sees the request nor moves it.
    other = sign_in(portal.client(), "desk-finance")
    assert other.get(path).status_code == 403
    refused = other.post(
        f"{path}/transfer",
        data={
            "csrf_token": page_token(other, "/console/requests"),
            "department": DISTRICT_OWNER,
            "reason": "区级政策",
        },
        follow_redirects=False,
    )
    assert refused.status_code in (303, 403)
    assert other.get(path).status_code == 403
    moved = officer.post(
        f"{path}/transfer",
        data={
            "csrf_token": page_token(officer, path),
            "department": DISTRICT_OWNER,
            "reason": "区级政策",
        },
    )
    assert moved.status_code == 200
    notice = moved.text.split('id="transferred">', 1)[1].split("</p>", 1)[0]
    assert str(rid) in notice and DISTRICT_OWNER in notice
    row = portal.client().get(
        f"/api/v1/requests/{rid}", headers={"Authorization": f"Bearer {portal.token('ent2')}"}
    )
    assert row.json()["department"] == DISTRICT_OWNER


def test_a_request_about_no_policy_is_not_offered_a_policys_department(portal: Portal) -> None:
    rid = _file(portal)
    officer = sign_in(portal.client(), "desk-policy")
    path = f"/console/requests/{rid}"
    assert DISTRICT_OWNER not in _choices(officer.get(path).text)
    refused = officer.post(
        f"{path}/transfer",
        data={"csrf_token": page_token(officer, path), "department": DISTRICT_OWNER, "reason": "x"},
    )
    assert refused.status_code == 400 and "aria-invalid" in refused.text

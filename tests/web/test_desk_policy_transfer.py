"""The desk's transfer picker offers, for a request about a policy, the department that
owns the policy (a district's own, for a district-level policy) beside the desk's city
departments; a request about no policy does not get it, and only an officer handling the
request may transfer it (qa4). The policy's department is offered only while a desk
officer handles its requests; else the transfer is refused, saying whom to ask (qa13)."""

from __future__ import annotations

import re

import pytest
from portal_data import OFFER, Portal, add_user, page_token, sign_in
from sqlalchemy import select

from huiqi.accounts import service as accounts
from huiqi.accounts.models import User
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.db.engine import transaction
from huiqi.desk.errors import DeskConflict
from huiqi.desk.handling import transfer

DISTRICT_OWNER = "测试局"  # the department of the portal's (Pudong, district-level) policies
DISTRICT_OFFICER = "desk-district"


def _district_officer(portal: Portal, *, enabled: bool) -> None:
    """A desk officer of the policies' department, enabled or disabled."""
    with transaction(portal.factory) as s:
        known = s.scalar(select(User.id).where(User.username == DISTRICT_OFFICER))
    if known is None:
        add_user(
            portal, DISTRICT_OFFICER, [RoleGrant(Role.DESK_OFFICER, f"department:{DISTRICT_OWNER}")]
        )
    with transaction(portal.factory) as s:
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        accounts.set_disabled(s, actor=admin, username=DISTRICT_OFFICER, disabled=not enabled)


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
    _district_officer(portal, enabled=True)
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


def test_a_policys_department_no_desk_officer_handles_is_neither_offered_nor_taken(
    portal: Portal,
) -> None:
    """Regression (qa13): the picker offered the policy's department though no desk officer
    handled its requests (none, or only a disabled one), so a request transferred there
    was seen by a desk head of every department only. It is left out, and a transfer
    there is refused naming the department and whom to ask."""
    _district_officer(portal, enabled=False)
    rid = _file(portal, policy_id=OFFER)
    officer = sign_in(portal.client(), "desk-policy")
    path = f"/console/requests/{rid}"
    assert DISTRICT_OWNER not in _choices(officer.get(path).text)
    refused = officer.post(
        f"{path}/transfer",
        data={
            "csrf_token": page_token(officer, path),
            "department": DISTRICT_OWNER,
            "reason": "区级政策",
        },
    )
    assert refused.status_code == 409 and "aria-invalid" in refused.text
    assert DISTRICT_OWNER in refused.text and "管理员" in refused.text
    with transaction(portal.factory) as s:
        actor = accounts.actor_of(accounts.find_user(s, "desk-policy"))
        with pytest.raises(DeskConflict) as caught:
            transfer(s, actor=actor, request_id=rid, department=DISTRICT_OWNER, reason="区级政策")
    said = str(caught.value)
    assert f"no desk officer handles the requests of {DISTRICT_OWNER}" in said
    assert f"request {rid}" in said and "ask an admin" in said
    # Once an officer handles the department, the request may go there.
    _district_officer(portal, enabled=True)
    assert DISTRICT_OWNER in _choices(officer.get(path).text)


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


def test_a_department_whose_own_desk_head_handles_it_is_offered_and_taken(
    portal: Portal,
) -> None:
    """Regression (qa2): only a desk officer counted as handling a department's requests,
    so the policy's department was neither offered nor taken while its own desk head
    (``desk_head=department:<name>``), who sees and answers them, was there. A desk head of
    every department (``*``) still does not count: it oversees, it is not the department."""
    _district_officer(portal, enabled=False)
    add_user(portal, "head-every", [RoleGrant(Role.DESK_HEAD, "*")])
    rid = _file(portal, policy_id=OFFER)
    officer = sign_in(portal.client(), "desk-policy")
    path = f"/console/requests/{rid}"
    assert DISTRICT_OWNER not in _choices(officer.get(path).text)
    add_user(portal, "head-district", [RoleGrant(Role.DESK_HEAD, f"department:{DISTRICT_OWNER}")])
    assert DISTRICT_OWNER in _choices(officer.get(path).text)
    moved = officer.post(
        f"{path}/transfer",
        data={
            "csrf_token": page_token(officer, path),
            "department": DISTRICT_OWNER,
            "reason": "区级政策",
        },
    )
    assert moved.status_code == 200, moved.text
    head = sign_in(portal.client(), "head-district")
    assert head.get(path).status_code == 200


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_a_transfer_refused_for_its_department_is_shown_beside_the_department(
    portal: Portal, language: str
) -> None:
    """Regression (qa2): where the page showed a transfer's refusal was decided by the word
    "department" in its English text, so a refusal about the department chosen that did not
    say the word ("request 5 is already with 市经济信息化委") was shown beside the reason,
    and the department picker was not marked. The refusal's field decides, in any
    language."""
    rid = _file(portal)
    officer = sign_in(portal.client(), "desk-policy")
    officer.get(f"/lang/{language}")
    path = f"/console/requests/{rid}"
    holder = portal.client().get(
        f"/api/v1/requests/{rid}", headers={"Authorization": f"Bearer {portal.token('ent2')}"}
    )
    here = holder.json()["department"]
    for department, status in ((here, 409), ("没有这个部门", 400)):
        refused = officer.post(
            f"{path}/transfer",
            data={"csrf_token": page_token(officer, path), "department": department, "reason": "x"},
        )
        assert refused.status_code == status, refused.text
        assert f'<html lang="{language}">' in refused.text
        assert 'id="department-error"' in refused.text
        assert 'aria-describedby="department-error"' in refused.text
        assert 'id="reason-error"' not in refused.text

"""A listing filtered by a policy id that names no published policy is a 404 saying so,
with the closest published id; a published policy with nothing to list is still 200 []."""

from __future__ import annotations

import pytest
from portal_data import APPLY, LIBRARY_POLICY, Portal

LISTINGS = [
    ("ent1", "/api/v1/records"),
    ("ent1", "/api/v1/grants"),
    ("ent1", "/api/v1/applications"),
    ("admin", "/api/v1/records"),
    ("admin", "/api/v1/grants"),
    ("admin", "/api/v1/applications"),
    ("admin", "/api/v1/dashboard/totals"),
]


def get(portal: Portal, user: str, path: str, policy_id: str):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {portal.token(user)}"}
    return portal.client().get(path, params={"policy_id": policy_id}, headers=headers)


@pytest.mark.parametrize(("user", "path"), LISTINGS)
def test_a_mistyped_policy_id_is_a_404_naming_the_closest(
    portal: Portal, user: str, path: str
) -> None:
    """Regression: filtered by a policy id that does not exist, the listings answered 200
    with an empty list, as if the policy had delivered nothing."""
    response = get(portal, user, path, "web-aply")
    assert response.status_code == 404, response.text
    assert response.json() == {
        "error": "Not found",
        "code": "not_found",
        "field": None,
        "detail": "no policy 'web-aply' is published (did you mean 'web-apply'?);"
        " GET /api/v1/policies lists the policy ids",
    }
    far = get(portal, user, path, "zzzz")
    assert far.status_code == 404
    assert far.json()["detail"] == (
        "no policy 'zzzz' is published; GET /api/v1/policies lists the policy ids"
    )


@pytest.mark.parametrize(("user", "path"), LISTINGS)
def test_a_published_policy_with_nothing_to_list_is_an_empty_list(
    portal: Portal, user: str, path: str
) -> None:
    response = get(portal, user, path, LIBRARY_POLICY)  # published, never delivered
    assert response.status_code == 200, response.text
    assert response.json() == []
    assert get(portal, user, path, APPLY).status_code == 200


def test_access_is_refused_before_the_policy_id_is_checked(portal: Portal) -> None:
    """An account that may not read the listing learns nothing of which ids exist."""
    response = get(portal, "ent1", "/api/v1/dashboard/totals", "web-aply")
    assert response.status_code == 403
    assert "web-apply" not in response.text

"""Messages shown on pages are never %-formatted: a visitor's own text quoted in them
(a '%' included) is shown as it is, never a server error."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import Portal


def test_a_missing_policy_named_with_a_percent_sign_is_a_404_page(portal: Portal) -> None:
    """Regression: error.html passed the message through gettext's %-formatting."""
    page = portal.client().get("/policies/100%25-off")
    assert page.status_code == 404, page.text
    assert "100%-off" in page.text


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(alphabet=st.sampled_from("%sd()ab-{}"), min_size=1, max_size=12))
def test_any_policy_name_gets_a_page_not_a_server_error(portal: Portal, name: str) -> None:
    page = portal.client().get(f"/policies/{name.replace('%', '%25')}")
    assert page.status_code < 500, page.text

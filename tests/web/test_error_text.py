"""Messages shown on pages are never %-formatted: a visitor's own text quoted in them
(a '%' included) is shown as it is, never a server error."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import Portal, page_token, sign_in


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


def test_a_form_field_above_one_megabyte_is_a_413_that_reads_in_the_pages_language(
    portal: Portal,
) -> None:
    """Regression: a form field above Starlette's 1 MB limit answered 400 with its English
    "Part exceeded maximum size of 1024KB." (or "Field exceeded …") on the Chinese page: a
    body too large is a 413 (docs/api.md), and the page says so in its language."""

    client = sign_in(portal.client(), "ent0")
    token = page_token(client, "/requests")
    huge = "诉" * 400_000  # 1.2 MB in UTF-8
    multipart = client.post(
        "/requests",
        data={"csrf_token": token, "category": "policy", "text": huge},
        files={"files": ("", b"", "application/octet-stream")},
    )
    author = sign_in(portal.client(), "author")
    urlencoded = author.post(
        "/console/simulate",
        data={"csrf_token": page_token(author, "/console/simulate"), "text": huge},
    )
    for refused in (multipart, urlencoded):
        assert refused.status_code == 413, refused.text[:300]
        assert "exceeded" not in refused.text
        assert "表单中有一项内容超过 1 MB" in refused.text


def test_an_address_that_takes_forms_only_says_so_in_the_pages_language(portal: Portal) -> None:
    """Regression: opening a form's address (a claim, a rating) in the browser answered 405
    with Starlette's English "Method Not Allowed" on the Chinese page, and the API's 405
    did not say which method to use."""
    client = sign_in(portal.client(), "ent0")
    opened = client.get("/rate")
    assert opened.status_code == 405
    assert "Method Not Allowed" not in opened.text
    assert "此地址只接收本平台表单提交的内容" in opened.text
    api = portal.client().get(
        "/api/v1/records/1/claim", headers={"Authorization": f"Bearer {portal.token('ent0')}"}
    )
    assert api.status_code == 405 and api.headers["Allow"] == "POST"
    assert api.json()["detail"] == "GET is not allowed here; use POST"


def test_a_page_answered_before_any_route_knows_who_is_signed_in(portal: Portal) -> None:
    """Regression: an address that does not exist (404) or takes forms only (405, /logout
    typed in) showed a signed-in enterprise the header of a visitor: "登录" (sign in) and no
    "退出" (sign out), and on /logout the sign-in link led back to the same refusal."""
    client = sign_in(portal.client(), "ent0")
    for path, status in (("/no-such-page", 404), ("/logout", 405), ("/rate", 405)):
        shown = client.get(path)
        assert shown.status_code == status, path
        assert 'action="/logout"' in shown.text and "/login?next=" not in shown.text, path
        assert "ent0" in shown.text and 'href="/requests"' in shown.text, path
    client.cookies.set("huiqi_session", "no-such-token")
    stale = client.get("/no-such-page")
    assert stale.status_code == 404 and "/login?next=/no-such-page" in stale.text

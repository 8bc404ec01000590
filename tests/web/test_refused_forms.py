"""Post/Redirect/Get for a refused page form (``huiqi.web.refused_forms``, qa4): a
browser's refused POST is redirected to the form's page, which shows the refusal and
what was typed; to that browser session only, for a while; other clients, htmx and a
form with another session's CSRF token keep the 4xx answer they had."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from portal_data import Portal, page_token, sign_in

from huiqi.web import refused_forms

NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
TEXT = "补贴什么时候到账？"


def _refuse(client, headers: dict[str, str] = NAVIGATE):  # type: ignore[no-untyped-def]
    data = {"csrf_token": page_token(client, "/requests"), "text": TEXT, "category": ""}
    return client.post("/requests", data=data, headers=headers, follow_redirects=False)


def test_a_browsers_refused_form_is_shown_by_a_get_with_what_was_typed(portal: Portal) -> None:
    client = sign_in(portal.client(), "ent3")
    refused = _refuse(client)
    assert refused.status_code == 303
    where = refused.headers["location"]
    assert where.startswith("/requests?") and "shown=" in where
    for _ in range(2):  # back and forward again: the same page, nothing sent again
        shown = client.get(where, follow_redirects=False)
        assert shown.status_code == 400  # the refusal's own status, as the POST had it
        assert 'id="category-error"' in shown.text and TEXT in shown.text
    # The form's plain address is the empty form.
    plain = client.get("/requests")
    assert plain.status_code == 200 and 'id="category-error"' not in plain.text
    # The kept page is the owner's alone (0600, under the data directory).
    kept = list((Path(portal.settings.data_dir) / refused_forms.FOLDER).glob("*.json"))
    assert kept and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in kept)


def test_another_session_or_a_stale_token_gets_the_plain_form(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = sign_in(portal.client(), "ent3")
    where = _refuse(owner).headers["location"]
    stranger = sign_in(portal.client(), "ent4")
    moved = stranger.get(where, follow_redirects=False)
    assert moved.status_code == 303 and "shown=" not in moved.headers["location"]
    assert moved.headers["location"].startswith("/requests")
    made_up = owner.get("/requests?shown=" + "A" * 32, follow_redirects=False)
    assert (made_up.status_code, made_up.headers["location"]) == (303, "/requests")
    odd = owner.get("/requests?shown=../../etc/passwd", follow_redirects=False)
    assert (odd.status_code, odd.headers["location"]) == (303, "/requests")
    monkeypatch.setattr(refused_forms, "KEEP_SECONDS", -1)  # past its time
    assert owner.get(where, follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        {},  # a script or test client: the 4xx answer, as the tests and clients rely on
        {"Sec-Fetch-Mode": "cors"},  # a page's fetch()
        {**NAVIGATE, "HX-Request": "true"},  # htmx swaps the refused fragment in
    ],
)
def test_other_clients_keep_the_refusals_status(portal: Portal, headers: dict[str, str]) -> None:
    client = sign_in(portal.client(), "ent3")
    refused = _refuse(client, headers)
    assert refused.status_code == 400 and 'id="category-error"' in refused.text


def test_a_browser_without_fetch_metadata_asking_for_html_is_redirected(
    portal: Portal,
) -> None:
    client = sign_in(portal.client(), "ent3")
    refused = _refuse(client, {"Accept": "text/html,application/xhtml+xml"})
    assert refused.status_code == 303 and "shown=" in refused.headers["location"]


def test_a_form_of_another_session_says_to_reload_and_is_not_kept(portal: Portal) -> None:
    client = sign_in(portal.client(), "ent3")
    data = {"csrf_token": "not-this-sessions", "text": TEXT, "category": "policy"}
    refused = client.post("/requests", data=data, headers=NAVIGATE, follow_redirects=False)
    assert refused.status_code == 403


def test_a_refused_sign_in_is_kept_by_the_sign_in_forms_cookie(portal: Portal) -> None:
    client = portal.client()
    data = {"csrf_token": page_token(client), "username": "ent3", "password": "wrong-one"}
    refused = client.post("/login", data=data, headers=NAVIGATE, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login?")
    shown = client.get(refused.headers["location"])
    assert shown.status_code == 400 and 'value="ent3"' in shown.text
    assert 'id="password-error"' in shown.text


def _kept(portal: Portal) -> list[Path]:
    return list((Path(portal.settings.data_dir) / refused_forms.FOLDER).glob("*.json"))


def test_the_folder_keeps_at_most_its_bound_across_sessions(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """qa9's review: each new visitor's refused sign-in kept a page, with no bound across
    sessions. Past ``MOST_KEPT`` pages a refusal is answered as it is, still refused."""
    monkeypatch.setattr(refused_forms, "MOST_KEPT", len(_kept(portal)) + 3)
    answers = []
    for i in range(6):
        client = portal.client()  # a new visitor each time, as a script loops
        data = {"username": f"nobody{i}", "password": "x" * 12, "csrf_token": page_token(client)}
        answers.append(
            client.post("/login", data=data, headers=NAVIGATE, follow_redirects=False).status_code
        )
    assert len(_kept(portal)) == refused_forms.MOST_KEPT
    assert answers[:3] == [303] * 3
    assert all(400 <= a < 500 for a in answers[3:]), answers


def test_a_throttled_answer_is_not_kept(portal: Portal) -> None:
    """A 429 is answered as it is, not kept: nothing typed to find again, and a client
    posting in a loop would fill the folder with them. (Last in the module: its refused
    sign-ins count against the test client's address.)"""
    client = portal.client()
    answers = []
    for _ in range(8):  # one name from one address: throttled after 5 refusals
        before = len(_kept(portal))
        data = {
            "username": "nobody-throttled",
            "password": "x" * 12,
            "csrf_token": page_token(client),
        }
        answer = client.post("/login", data=data, headers=NAVIGATE, follow_redirects=False)
        answers.append(answer.status_code)
        if answer.status_code == 429:
            assert len(_kept(portal)) == before and "retry-after" in answer.headers
            break
    assert answers[-1] == 429 and 303 in answers, answers

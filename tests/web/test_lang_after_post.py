"""The language link of a page answering a form's POST leads back to a page a GET opens:
the form's own page, with what it needs to show the same form."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from portal_data import Portal, page_token, sign_in
from sqlalchemy import select

from huiqi.delivery.models import Grant

LANG = re.compile(r'<a class="lang" href="([^"]+)"')


def follow_language_link(client: TestClient, shown: str) -> tuple[str, str]:
    """Where the page's language link comes back to, and the page it opens there."""
    found = LANG.search(shown)
    assert found, "no language link on the page"
    link = html.unescape(found.group(1))
    [back] = parse_qs(urlsplit(link).query)["next"]
    opened = client.get(link)
    assert opened.status_code == 200, (back, opened.status_code)
    return back, opened.text


def test_a_finance_officers_refused_upload_switches_language_to_the_finance_page(
    portal: Portal,
) -> None:
    """Regression (QA): after the payment results' POST, the language link pointed at
    /console/finance/payments, which answers POST only (405)."""
    client = sign_in(portal.client(), "finance")
    token = page_token(client, "/console/finance")
    refused = client.post("/console/finance/payments", data={"csrf_token": token})
    assert refused.status_code == 400
    back, opened = follow_language_link(client, refused.text)
    assert back == "/console/finance"
    assert 'lang="en"' in opened and "Disbursement" in opened


def test_an_enterprises_refused_correction_switches_language_to_the_same_form(
    portal: Portal,
) -> None:
    """Regression (QA): after a refused correction, the language link opened
    /my-data/correct without the field, an empty form about nothing."""
    client = sign_in(portal.client(), "ent2")
    token = page_token(client, "/my-data")
    form = {"field": "insured_employees", "year": "2025", "value": "", "csrf_token": token}
    refused = client.post("/my-data/correct", data=form)
    assert refused.status_code == 400
    back, opened = follow_language_link(client, refused.text)
    assert back == "/my-data/correct?field=insured_employees&year=2025"
    assert 'name="field" value="insured_employees"' in opened


def test_a_refused_rating_switches_language_to_the_rating_form(portal: Portal) -> None:
    """Regression (QA): /rate answers POST only; its refusal's language link was a 405."""
    client = sign_in(portal.client(), "ent4")
    with portal.factory() as s:
        grant_id = s.scalars(
            select(Grant.id).where(Grant.uscc == portal.usccs[4]).order_by(Grant.id)
        ).first()
    assert grant_id is not None
    token = page_token(client, "/grants")
    refused = client.post(
        "/rate", data={"kind": "grant", "target": str(grant_id), "csrf_token": token}
    )
    assert refused.status_code == 400
    back, opened = follow_language_link(client, refused.text)
    assert back == f"/grants/{grant_id}/rate"
    assert 'name="stars"' in opened


def test_a_refused_filing_switches_language_to_the_requests_page(portal: Portal) -> None:
    """The requests page answers the filing's POST too; its language link opens the list
    and the form again, about the same policy."""
    client = sign_in(portal.client(), "ent3")
    token = page_token(client, "/requests")
    refused = client.post(
        "/requests", data={"category": "", "text": "x", "policy_id": "p1", "csrf_token": token}
    )
    assert refused.status_code == 400
    back, opened = follow_language_link(client, refused.text)
    assert back == "/requests?policy=p1"
    assert 'name="category"' in opened

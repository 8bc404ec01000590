"""An id that a page's form or path names but no database column can hold (more than 64
bits, a superscript digit, a negative number) is refused with a page saying so, never a
server error, and changes nothing."""

from __future__ import annotations

import pytest
from portal_data import OFFER, Portal, page_token, sign_in
from sqlalchemy import func, select

from huiqi.delivery.models import Grant
from huiqi.desk.models import DeskRequest
from huiqi.web.views.forms import form_id

ODD_IDS = ["99999999999999999999", "9223372036854775808", "²", "٣", "-1", "0", "1.5"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        (" 42 ", 42),
        (str(2**62), 2**62),
        (str(2**62 + 1), None),
        ("²", None),
        ("٣", None),
        ("-1", None),
        ("0", None),
        ("", None),
        (None, None),
        ("1" * 400, None),
    ],
)
def test_form_id_takes_only_ids_a_database_holds(text: str | None, expected: int | None) -> None:
    assert form_id(text) == expected


def _counts(portal: Portal) -> tuple[int, int]:
    with portal.factory() as s:
        return (
            s.scalar(select(func.count()).select_from(Grant)) or 0,
            s.scalar(select(func.count()).select_from(DeskRequest)) or 0,
        )


def test_odd_ids_in_the_enterprise_forms_are_refused_not_errors(portal: Portal) -> None:
    client = sign_in(portal.client(), "ent5")
    token = page_token(client, "/home")
    before = _counts(portal)
    for odd in ODD_IDS:
        posts = {
            f"/policies/{OFFER}/claim": {"record_id": odd},
            f"/policies/{OFFER}/submit": {"record_id": odd},
            "/rate": {"kind": "grant", "target": odd, "stars": "3"},
            "/requests": {"category": "funding", "text": "稳岗返还何时到账？", "grant_id": odd},
        }
        for path, fields in posts.items():
            answer = client.post(path, data=fields | {"csrf_token": token}, follow_redirects=False)
            assert 400 <= answer.status_code < 500, (path, odd, answer.status_code)
        attached = client.post(
            f"/policies/{OFFER}/attachments",
            params={"record_id": odd},
            data={"csrf_token": token},
            files={"file": ("a.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
            follow_redirects=False,
        )
        assert attached.status_code < 500, (odd, attached.status_code)
    read = client.post(
        "/inbox/99999999999999999999/read", data={"csrf_token": token}, follow_redirects=False
    )
    assert 400 <= read.status_code < 500
    assert _counts(portal) == before

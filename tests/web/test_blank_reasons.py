"""A reason of spaces or invisible characters alone (a zero-width space, a byte-order mark)
is refused as an empty one is, on the API and on the console's forms (QA: re-paying with a
zero-width space was a 409 from the service where an empty reason was a 422, and the
flagged-record queue kept a record with a zero-width space as its reason)."""

from __future__ import annotations

import re

import pytest
from portal_data import Portal, page_token, sign_in

from huiqi.accounts.testing import officer
from huiqi.delivery.review import ReviewError, resolve_flag

BLANKS = ["", "   ", "\u200b", " \u200b\ufeff\u2060 "]


@pytest.mark.parametrize("reason", BLANKS)
@pytest.mark.parametrize(
    ("user", "path", "extra"),
    [
        ("finance", "/api/v1/finance/grants/999999/repay", {}),
        ("officer", "/api/v1/applications/999999/reject", {}),
        ("officer", "/api/v1/records/999999/review", {"decision": "keep"}),
    ],
)
def test_a_blank_reason_is_a_422_naming_the_reason_on_the_api(
    portal: Portal, user: str, path: str, extra: dict[str, str], reason: str
) -> None:
    headers = {"Authorization": f"Bearer {portal.token(user)}"}
    got = portal.client().post(path, headers=headers, json={**extra, "reason": reason})
    assert got.status_code == 422, got.text
    assert got.json()["detail"][0]["loc"][-1] == "reason"


def _alerts(html: str) -> list[str]:
    return re.findall(r'role="alert"[^>]*>([^<]*)<', html)


def test_a_zero_width_reason_on_the_flagged_queue_is_asked_for_again(portal: Portal) -> None:
    """Regression: the queue's form and ``resolve_flag`` tested ``strip()``, which keeps
    U+200B: the record would have been decided with an invisible reason."""
    officer = sign_in(portal.client(), "officer")
    token = page_token(officer, "/console/flagged")
    sent = officer.post(
        "/console/flagged/999999/review",
        data={"csrf_token": token, "decision": "keep", "reason": "\u200b"},
    )
    assert sent.status_code == 400, sent.text
    assert "Record 999999" not in sent.text and "记录 999999" in sent.text, sent.text


def test_resolve_flag_refuses_a_zero_width_reason(portal: Portal) -> None:
    with pytest.raises(ReviewError, match="give the reason"):
        resolve_flag(portal.factory, 999999, actor=officer("*"), outcome="keep", reason="\u200b ")


@pytest.mark.parametrize("path", ["reply", "transfer"])
def test_a_zero_width_answer_or_transfer_reason_reads_as_an_empty_one(
    portal: Portal, path: str
) -> None:
    """The desk's forms said "Write the answer…" for an empty answer but the service's
    "the reply is required" for a zero-width space."""
    api = portal.client()
    owner = {"Authorization": f"Bearer {portal.token('ent4')}"}
    made = api.post("/api/v1/requests", json={"category": "policy", "text": "咨询"}, headers=owner)
    rid = made.json()["id"]
    officer = sign_in(portal.client(), "desk-policy")
    token = page_token(officer, f"/console/requests/{rid}")
    field = "reply" if path == "reply" else "reason"
    empty, blank = (
        officer.post(
            f"/console/requests/{rid}/{path}",
            data={"csrf_token": token, field: value, "department": "市财政局"},
        )
        for value in ("", "\u200b")
    )
    assert empty.status_code == blank.status_code == 400
    said = re.compile(r'<p class="field-error" id="(?:reply|reason)-error">([^<]*)<')
    assert said.findall(empty.text) == said.findall(blank.text) != []

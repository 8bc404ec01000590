"""The audit log page reads in Chinese after a day's work (publish, deliver, a claim, an
application submitted and withdrawn, a review, account changes): each event's kind by
its name with its code beside it, each reason the system wrote in Chinese, an officer's
reason as typed; what is stored, and the API, keep the codes and the English."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from portal_data import APPLY, AUTO, OFFER, Portal, page_token, sign_in
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import build_store

from huiqi.accounts import service as accounts
from huiqi.accounts.testing import OFFICER
from huiqi.db.engine import reading, transaction
from huiqi.delivery import applications, claims, withdrawal
from huiqi.delivery import service as ledger
from huiqi.delivery.event_kinds import KINDS
from huiqi.delivery.models import Entitlement, Event
from huiqi.delivery.publish import deliver
from huiqi.delivery.review import resolve_flag

PAGE = "/console/audit"
ROW = re.compile(
    r'<tr id="event-(?P<id>\d+)">.*?<td class="kind"><a href="[^"]*" title="(?P<code>[^"]*)">'
    r'(?P<name>[^<]*)</a> <code class="small">(?P<code2>[^<]*)</code></td>.*?'
    r'<td class="reason">(?P<reason>.*?)</td>',
    re.DOTALL,
)
CJK = re.compile(r"[\u4e00-\u9fff]")
# What the reviewing officer types: the system's own words, which stay as typed.
TYPED = "no longer eligible on snapshot 99; kept as granted or offered until an officer reviews it"


def _actor(portal: Portal, username: str) -> accounts.Actor:
    with portal.factory() as s:
        return accounts.actor_of(accounts.find_user(s, username))


def _record(portal: Portal, policy_id: str, code: str) -> int:
    with reading(portal.factory) as s:
        pv = ledger.latest_version(s, policy_id)
        found = s.scalar(
            select(Entitlement.id).where(
                Entitlement.policy_version_id == pv.id, Entitlement.uscc == code
            )
        )
    assert found is not None
    return found


@pytest.fixture(scope="module")
def admin(portal: Portal) -> TestClient:
    """The admin's browser (Chinese, the default) after a day's work on the portal."""
    codes = portal.usccs
    claims.claim(portal.factory, actor=_actor(portal, "ent3"), policy_id=OFFER, uscc=codes[3])
    ent4 = _actor(portal, "ent4")
    applied = _record(portal, APPLY, codes[4])
    applications.submit(portal.factory, applied, actor=ent4, attest=True)
    withdrawal.withdraw(portal.factory, applied, actor=ent4)
    # The next snapshot: ent1 insures no one, its automatic grant is flagged, then withdrawn.
    build_store(portal.settings.data_dir, {c: 2 + i for i, c in enumerate(codes)} | {codes[1]: 0})
    with reading(portal.factory) as s:
        pv = ledger.latest_version(s, AUTO)
    assert deliver(portal.settings, portal.factory, pv.id, actor=OFFICER).flagged == 1
    officer = _actor(portal, "officer")
    resolve_flag(
        portal.factory,
        _record(portal, AUTO, codes[1]),
        actor=officer,
        outcome="withdraw",
        reason=TYPED,
    )
    with transaction(portal.factory) as s:
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        accounts.change_user(s, actor=admin, username="steward", email="s@example.gov.cn")
        accounts.set_disabled(s, actor=admin, username="author", disabled=True)
    client = portal.client()
    refused = client.post(
        "/login",
        data={"username": "admin", "password": "wrong", "csrf_token": page_token(client)},
    )
    assert refused.status_code == 400  # told on the form; the refusal is in the log
    return sign_in(client, "admin")


def _pages(client: TestClient) -> list[str]:
    pages, path = [], PAGE
    while path:
        pages.append(client.get(path).text)
        found = re.search(r'href="([^"]+)" rel="next"', pages[-1])
        path = found.group(1).replace("&amp;", "&") if found else ""
    return pages


def test_every_event_reads_in_chinese_and_a_typed_reason_as_typed(
    portal: Portal, admin: TestClient
) -> None:
    html = "".join(_pages(admin))
    rows = {int(m["id"]): m for m in ROW.finditer(html)}
    with portal.factory() as s:
        events = s.execute(select(Event.id, Event.kind, Event.reason)).all()
    assert set(rows) == {e.id for e in events}
    kinds = {e.kind for e in events}
    assert {"publish", "grants_made", "claim", "grant", "submit", "application_withdraw"} <= kinds
    assert {"review_flag", "review_withdraw", "user_changed", "user_disabled", "login"} <= kinds
    assert "login_failed" in kinds
    for e in events:
        row = rows[e.id]
        assert row["code"] == row["code2"] == e.kind
        assert row["name"] != e.kind and CJK.search(row["name"]), row["name"]
        if e.reason is None:
            continue
        if e.kind == "review_withdraw":  # the officer's words
            assert row["reason"] == str(escape(TYPED))
            continue
        assert CJK.search(row["reason"]), (e.kind, e.reason, row["reason"])
        assert row["reason"] != str(escape(e.reason))
        if " " in e.reason:  # and the sentence is nowhere on the pages
            assert str(escape(e.reason)) not in html, (e.kind, e.reason)


def test_the_page_twin_and_the_api_keep_what_is_stored(portal: Portal, admin: TestClient) -> None:
    twin = admin.get(PAGE, params={"kind": "publish"}, headers={"Accept": "application/json"})
    events = twin.json()["events"]
    assert events and all(e["kind"] == "publish" for e in events)
    first = events[0]
    assert first["reason"].startswith("published ") and first["kind_label"] == "发布政策版本"
    assert first["reason_label"].startswith("发布 ")
    headers = {"Authorization": f"Bearer {portal.token('admin')}"}
    api = portal.client().get("/api/v1/audit", params={"kind": "publish"}, headers=headers)
    assert api.status_code == 200
    assert [e["reason"] for e in api.json()] == [e["reason"] for e in events]
    assert "kind_label" not in api.json()[0]


def test_the_kind_filter_offers_every_kind_by_name(admin: TestClient) -> None:
    page = admin.get(PAGE, params={"kind": "review_flag"}).text
    options = re.findall(r'<option value="([a-z_]*)"( selected)?>([^<]*)</option>', page)
    assert {code for code, _, _ in options} == {"", *KINDS}
    assert [code for code, chosen, _ in options if chosen] == ["review_flag"]
    assert ("review_flag", " selected", "标记待复核 (review_flag)") in options
    shown = {m["code"] for m in ROW.finditer(page)}
    assert shown == {"review_flag"}
    # a kind the log no longer writes can still be asked for by its code
    old = admin.get(PAGE, params={"kind": "a_kind_from_long_ago"}).text
    assert '<option value="a_kind_from_long_ago" selected>' in old


def test_in_english_the_kinds_read_by_their_english_names(admin: TestClient) -> None:
    admin.cookies.set("huiqi_lang", "en")
    try:
        page = admin.get(PAGE, params={"kind": "review_flag"}).text
    finally:
        del admin.cookies["huiqi_lang"]
    assert '<option value="review_flag" selected>Flagged for review (review_flag)</option>' in page
    names = {m["name"] for m in ROW.finditer(page)}
    assert names == {"Flagged for review"}
    reasons = {m["reason"] for m in ROW.finditer(page)}
    assert all(r.startswith("no longer eligible on snapshot ") for r in reasons)

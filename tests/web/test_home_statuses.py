"""The portal names every status in the page's language, and says where the money is
truthfully: a grant approved but not paid is 已批准，待拨付 (or 拨付中), never 已发放;
only a paid grant is 已拨付."""

from __future__ import annotations

import html
import re

import pytest
from portal_data import AUTO, OFFER, Portal, sign_in
from sqlalchemy import select, update

from huiqi.db.engine import transaction
from huiqi.delivery.models import Entitlement, Grant
from huiqi.delivery.statuses import GrantStatus, RecordStatus
from huiqi.web.status_names import GRANT_STATUS, RECORD_STATUS

ZH = {
    "provisional": "暂定：待预算分配",
    "granted": "已批准，待拨付",
    "in_batch": "已批准，拨付中",
    "paid": "已拨付",
    "payment_failed": "拨付失败",
}
CODES = [s.value for s in GrantStatus] + [s.value for s in RecordStatus]


def test_every_status_of_the_ledger_has_a_name() -> None:
    assert set(GRANT_STATUS) == {s.value for s in GrantStatus}
    assert set(RECORD_STATUS) == {s.value for s in RecordStatus}


def visible_text(page: str) -> str:
    main = page[page.index("<main") :]
    return re.sub(r"<[^>]+>", " ", main)


def card_meta(page: str) -> str:
    card = page[page.index(f'data-policy="{AUTO}"') :]
    meta = card[card.index('class="meta"') :]
    return re.sub(r"<[^>]+>", " ", meta[: meta.index("</p>")])


@pytest.mark.parametrize("status", list(ZH))
def test_the_zh_home_names_the_grants_status_truthfully(portal: Portal, status: str) -> None:
    """Regression: the home labelled an unpaid grant 已发放 (paid out), and showed some
    statuses as their codes ("superseded", "budget_exhausted")."""
    with transaction(portal.factory) as s:
        grant_id = s.scalar(select(Grant.id).where(Grant.uscc == portal.usccs[1]))
        s.execute(update(Grant).where(Grant.id == grant_id).values(status=status))
    client = sign_in(portal.client(), "ent1")
    home = client.get("/home").text
    assert ZH[status] in card_meta(home)
    text = visible_text(home)
    assert "已发放" not in text
    assert not any(re.search(rf"\b{code}\b", text) for code in CODES), text
    grants = visible_text(client.get("/grants").text)
    assert ZH[status] in grants and "已发放" not in grants
    client.cookies.set("huiqi_lang", "en")
    english = client.get("/home").text
    assert GRANT_STATUS[status] in html.unescape(card_meta(english))


def test_a_refused_offer_does_not_ask_to_be_confirmed(portal: Portal) -> None:
    """Regression (QA, session 30): a claim refused for a spent budget showed "预算已用完 ·
    请于 2026-12-31 前确认", asking the enterprise to confirm what confirming cannot give."""

    uscc = portal.usccs[6]
    with transaction(portal.factory) as s:
        record = s.scalars(
            select(Entitlement).where(Entitlement.uscc == uscc, Entitlement.mode == "confirm")
        ).one()
        offered = record.expires_on is not None and record.status == "offered"
        record.status = "budget_exhausted"
    assert offered  # the offer had a day to confirm by
    client = sign_in(portal.client(), "ent6")
    page = visible_text(client.get(f"/policies/{OFFER}").text)
    assert "预算已用完" in page and "前确认" not in page

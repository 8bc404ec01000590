"""A park operator's home lists every enterprise of its park with what it has received
and what it is missing (offers not yet claimed, applications not yet filed), computed
from the same records and grants the cards show; no other park's enterprise appears."""

from __future__ import annotations

import re

import pytest
from portal_data import PASSWORD, Portal, page_token, sign_in
from sqlalchemy import update

from huiqi.accounts import service as accounts
from huiqi.accounts.access import AccessDenied
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.accounts.testing import OFFICER, enterprise
from huiqi.db.engine import transaction
from huiqi.delivery.models import DirectoryEntry
from huiqi.delivery.park import park_enterprises
from huiqi.delivery.service import list_grants, list_records
from huiqi.money import format_yuan

PARK = "张江测试园"


@pytest.fixture(scope="module")
def park(portal: Portal) -> Portal:
    with transaction(portal.factory) as s:
        s.execute(
            update(DirectoryEntry)
            .where(DirectoryEntry.uscc.in_(portal.usccs[:3]))
            .values(park=PARK)
        )
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        accounts.add_user(
            s,
            actor=admin,
            username="park-op",
            roles=[RoleGrant(Role.PARK_OPERATOR, PARK)],
            password=PASSWORD,
        )
    return portal


def test_the_park_home_lists_each_enterprise_with_what_it_has_and_misses(park: Portal) -> None:
    page = sign_in(park.client(), "park-op").get("/home").text
    listed = re.findall(r'<tr id="park-([0-9A-Z]{18})">', page)
    assert listed == sorted(park.usccs[:3])
    with park.factory() as s:
        for code in listed:
            grants = list_grants(s, actor=OFFICER, uscc=code)
            records = list_records(s, actor=OFFICER, uscc=code)
            granted = sum(g.amount_fen for g in grants if g.status != "superseded")
            offers = sum(r.status == "offered" for r in records)
            applying = sum(r.status == "application_open" for r in records)
            row = page.split(f'<tr id="park-{code}">', 1)[1].split("</tr>", 1)[0]
            cells = re.findall(r'<td class="num">(.*?)</td>', row, re.S)
            assert cells[0] == format_yuan(granted)
            assert (offers == 0) == (cells[2] == "0")
            assert (applying == 0) == (cells[3] == "0")
            assert f"/almost?uscc={code}" in row
    # An enterprise's own home has no park table.
    assert "park-heading" not in sign_in(park.client(), "ent0").get("/home").text


def test_only_park_operators_list_a_park_and_only_their_own(park: Portal) -> None:
    with park.factory() as s:
        mine = park_enterprises(s, actor=accounts.actor_of(accounts.find_user(s, "park-op")))
        assert [e.uscc for e in mine] == sorted(park.usccs[:3])
        for refused in (OFFICER, enterprise(park.usccs[0])):
            with pytest.raises(AccessDenied):
                park_enterprises(s, actor=refused)


def test_an_enterprise_home_opened_by_its_park_links_to_that_enterprise(park: Portal) -> None:
    """Regression: the home of one park enterprise (/home?uscc=...) linked "almost
    eligible" and "my data" without the USCC, and a park operator following them got a
    400 ("say which enterprise")."""
    client = sign_in(park.client(), "park-op")
    code = park.usccs[0]
    page = client.get(f"/home?uscc={code}").text
    for path in ("/almost", "/my-data"):
        assert f'href="{path}?uscc={code}"' in page
        assert client.get(f"{path}?uscc={code}").status_code == 200
    # ... and each of its policies with the enterprise named (QA: the policy links lost
    # it, and the park landed on the policy's general page).
    links = re.findall(r'<h3><a href="(/policies/[^"]+)"', page)
    assert links and all(link.endswith(f"?uscc={code}") for link in links), links


def test_a_park_larger_than_one_page_of_the_ledger_is_counted_whole(
    park: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: the park home read one page of the ledger (10,000 records and grants):
    a park with more showed each enterprise's received and waiting amounts, and the
    year's totals, from the first page only, with nothing to say they were cut."""
    import huiqi.delivery.listing_access as listing_access
    from huiqi.web.portal import build_home

    with park.factory() as s:
        operator = accounts.actor_of(accounts.find_user(s, "park-op"))
        whole = build_home(s, actor=operator, uscc=None)
        monkeypatch.setattr(listing_access, "MAX_LIMIT", 1)  # one row per page of the ledger
        paged = build_home(s, actor=operator, uscc=None)
    assert sum(len(cards) for _, _, cards in whole.groups) > 1
    assert paged == whole


def test_the_grants_page_lists_every_grant_of_a_park_larger_than_one_page(
    park: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: the grants page read the oldest 10,000 grants: a park with more never
    saw its newest grants there, and the year's paid total counted the first page only."""
    import huiqi.delivery.listing_access as listing_access

    with park.factory() as s:
        every = [g.id for c in park.usccs[:3] for g in list_grants(s, actor=OFFICER, uscc=c)]
    assert len(every) > 1
    monkeypatch.setattr(listing_access, "MAX_LIMIT", 1)  # one grant per page of the ledger
    page = sign_in(park.client(), "park-op").get("/grants").text
    listed = [int(i) for i in re.findall(r'<tr data-grant="(\d+)">', page)]
    assert sorted(listed) == sorted(every)


def test_an_officer_opening_the_grants_page_reads_one_page_not_the_whole_ledger(
    park: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading page after page is for an enterprise's or a park's rows: a policy officer
    of every policy (who reads every grant) opening /grants gets one page, not millions
    of rows."""
    import huiqi.delivery.listing_access as listing_access

    monkeypatch.setattr(listing_access, "MAX_LIMIT", 1)
    page = sign_in(park.client(), "officer").get("/grants").text
    assert len(re.findall(r'<tr data-grant="(\d+)">', page)) == 1


@pytest.mark.parametrize("path", ["/my-data", "/almost", "/inbox"])
def test_a_page_asked_without_an_enterprise_says_so_in_the_pages_language(
    park: Portal, path: str
) -> None:
    """Regression (QA, 2026-12-02): a park operator (no enterprise of its own) opening an
    enterprise page without ?uscc= got a 400 whose message was English in a Chinese page."""
    client = sign_in(park.client(), "park-op")
    page = client.get(path)
    assert page.status_code == 400
    assert "请指明哪家企业" in page.text and "say which enterprise" not in page.text
    # Regression (QA, 2026-12-05): it named only the address's uscc=, not where the park's
    # enterprises are listed.
    assert "从首页（/home）的园区企业列表中打开" in page.text
    client.get("/lang/en")
    assert "list on the home page (/home), or give its USCC" in client.get(path).text


def test_a_large_park_is_shown_a_page_at_a_time_with_its_cards(
    park: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (QA): a park of 2,639 enterprises made a 2 MB home page. Two per page here:
    each page lists its enterprises and their cards only; the count is the park's."""
    import huiqi.web.portal as portal_module

    monkeypatch.setattr(portal_module, "PARK_PAGE", 2)
    client = sign_in(park.client(), "park-op")
    first = client.get("/home").text
    second = client.get("/home?page=2").text
    ours = sorted(park.usccs[:3])
    assert re.findall(r'<tr id="park-([0-9A-Z]{18})">', first) == ours[:2]
    assert re.findall(r'<tr id="park-([0-9A-Z]{18})">', second) == ours[2:]
    assert 'rel="next" href="/home?page=2"' in first and 'rel="prev"' not in first
    assert 'rel="prev" href="/home?page=1"' in second and 'rel="next"' not in second
    for shown in (first, second):  # the park's count on every page
        count = shown.split('id="park-heading"', 1)[1].split("</h2>", 1)[0]
        assert "3" in count, count
    cards = re.findall(r'<li class="card" data-policy="[^"]+">.*?</li>', second, re.S)
    assert cards and all(ours[2] in c for c in cards)
    # A page past the last shows the last; a page that is not a number is refused.
    assert re.findall(r'<tr id="park-([0-9A-Z]{18})">', client.get("/home?page=9").text) == ours[2:]
    assert client.get("/home?page=x").status_code == 400


def test_a_park_operator_filing_a_request_without_a_uscc_is_asked_for_it(park: Portal) -> None:
    """Regression: the request form of a park operator who left the enterprise's USCC empty
    answered "'' has 0 characters; a USCC has exactly 18" beside the field."""
    client = sign_in(park.client(), "park-op")
    page = client.get("/requests").text
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page)
    assert key
    form = {"category": "funding", "text": "园区代企业询问", "idempotency_key": key.group(1)}
    token = page_token(client, "/requests")
    refused = client.post("/requests", data={**form, "csrf_token": token, "uscc": " "})
    assert refused.status_code == 400
    said = re.findall(r'<p class="field-error" id="uscc-error">([^<]*)<', refused.text)
    assert said == ["请填写该诉求所涉及的本园区企业的统一社会信用代码。"]
    filed = client.post(
        "/requests",
        data={**form, "csrf_token": token, "uscc": park.usccs[0]},
        follow_redirects=False,
    )
    assert filed.status_code == 303 and filed.headers["location"].endswith("?filed=1")


@pytest.mark.parametrize("path", ["/almost", "/my-data", "/inbox"])
def test_an_officer_opening_an_enterprises_own_page_is_refused_in_its_language(
    park: Portal, path: str
) -> None:
    """Regression (QA, qa5): a steward got the park operator's "say which enterprise"."""
    client = sign_in(park.client(), "steward")
    client.get("/lang/zh")
    shown = client.get(path)
    assert shown.status_code == 403, shown.text
    assert "园区" not in shown.text and "企业自己的页面" in shown.text, shown.text


def _heading(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html.split("<h1>", 1)[1].split("</h1>", 1)[0]).strip()


def test_a_park_operators_home_is_headed_as_its_park_not_my_policies(park: Portal) -> None:
    """Regression (qa4): a park operator's home was headed "我的政策" (my policies), as an
    enterprise's is, and so was its menu's link; it shows its park's enterprises."""
    client = sign_in(park.client(), "park-op")
    home = client.get("/home").text
    assert _heading(home) == "本园区：企业及其政策"
    assert "我的政策" not in home
    one = client.get("/home", params={"uscc": park.usccs[0]}).text
    assert _heading(one).startswith("本园区企业的政策")
    client.get("/lang/en")
    home = client.get("/home").text
    assert _heading(home) == "Our park: its enterprises and their policies"
    assert ">Our park</a>" in home and "My policies" not in home
    # An enterprise's own home still reads as its own.
    assert _heading(sign_in(park.client(), "ent0").get("/home").text).startswith("我的政策")


def test_a_park_operator_reads_of_the_enterprise_not_of_you(park: Portal) -> None:
    """Regression (qa12): a park operator opening one of its enterprises read the
    enterprise's reasons and headings as if addressed to the park ("您符合全部条件",
    "You meet every criterion"); they now name the enterprise, in zh and en. The
    enterprise itself still reads "you"."""
    code = park.usccs[0]
    client = sign_in(park.client(), "park-op")
    zh = client.get(f"/home?uscc={code}").text
    assert "您符合全部条件" not in zh and "该企业符合全部条件" in zh
    client.get("/lang/en")
    en = client.get(f"/home?uscc={code}").text
    assert "You meet every criterion" not in en
    assert "The enterprise meets every criterion" in en
    policy = re.findall(r'<h3><a href="(/policies/[^"]+)"', en)[0]
    checklist = client.get(policy).text
    assert "You meet " not in checklist and "The enterprise meets " in checklist
    assert "For your enterprise" not in checklist and "For the enterprise" in checklist
    assert "what you miss" not in en and "held about you" not in en
    inbox = client.get(f"/inbox?uscc={code}").text
    assert 'id="addressed-to"' in inbox and code in inbox
    own = sign_in(park.client(), "ent0")
    assert "您符合全部条件" in own.get("/home").text
    assert 'id="addressed-to"' not in own.get("/inbox").text

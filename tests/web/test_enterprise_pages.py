"""The enterprise's "My data" with "report a value as wrong", ratings from the grants page,
the grant notice (PDF), and "almost eligible" (差一点): pages and their /api/v1 twins, over
the real services."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest
from portal_data import AUTO, Portal, page_token, sign_in
from pypdf import PdfReader
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import DATA_YEAR, policy_yaml

from huiqi.accounts.testing import OFFICER
from huiqi.delivery.feedback_models import CorrectionRequest, Rating
from huiqi.delivery.models import Event
from huiqi.delivery.versions import publish_text

NEAR = "web-near"  # needs 10 insured employees: ent7 has 9, ent6 has 8


@pytest.fixture(scope="module", autouse=True)
def near_policy(portal: Portal) -> None:
    text = policy_yaml(NEAR, delivery="confirm").replace(
        "insured_employees > 0", "insured_employees >= 10"
    )
    publish_text(portal.factory, text, f"{NEAR}.yaml", actor=OFFICER)


def bearer(portal: Portal, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.token(user)}"}


def corrections_of(portal: Portal, uscc: str) -> list[CorrectionRequest]:
    with portal.factory() as s:
        return list(s.scalars(select(CorrectionRequest).where(CorrectionRequest.uscc == uscc)))


def field_error(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert found, f"no error next to {field}"
    return found.group(1)


def test_my_data_shows_each_value_with_its_source_and_year(portal: Portal) -> None:
    client = sign_in(portal.client(), "ent2")
    page = client.get("/my-data")
    assert page.status_code == 200
    row = re.search(
        rf'<tr data-field="insured_employees" data-year="{DATA_YEAR}">(.*?)</tr>', page.text, re.S
    )
    assert row, page.text
    assert ">4 人<" in row.group(1)  # ent2 insures 2 + 2 people
    assert "社会保险" in row.group(1) and "报告有误" in row.group(1)
    client.get("/lang/en")
    assert "Report as wrong" in client.get("/my-data").text


def test_reporting_a_wrong_value_opens_a_correction_request_and_shows_it(portal: Portal) -> None:
    uscc = portal.usccs[1]
    client = sign_in(portal.client(), "ent1")
    form = client.get(
        "/my-data/correct", params={"field": "insured_employees", "year": str(DATA_YEAR)}
    )
    assert form.status_code == 200 and 'id="held-value">3 人<' in form.text
    token = page_token(client, "/my-data")
    sent = client.post(
        "/my-data/correct",
        data={
            "field": "insured_employees",
            "year": str(DATA_YEAR),
            "value": "30",
            "comment": "年底新招了 27 人",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    [request] = corrections_of(portal, uscc)
    assert (request.field, request.year, request.status) == ("insured_employees", DATA_YEAR, "open")
    assert request.held_value == "3" and request.proposed_value == "30"
    assert request.source == "social_insurance" and request.requested_by == "ent1"
    assert sent.headers["location"] == f"/my-data?reported={request.id}"
    after = client.get(sent.headers["location"]).text
    assert f"更正申请 {request.id} 已发送" in after and f"更正申请 {request.id} 处理中" in after
    with portal.factory() as s:
        assert s.scalar(
            select(func.count()).where(
                Event.kind == "correction_requested", Event.entity == f"correction:{request.id}"
            )
        )
    # The same value again, while the first request is open: refused next to the field,
    # with the API's status for it (409: the state of the value's request, not the input;
    # regression: the page answered 400 where POST /api/v1/corrections answers 409).
    again = client.post(
        "/my-data/correct",
        data={"field": "insured_employees", "year": str(DATA_YEAR), "value": "31"}
        | {"csrf_token": token},
    )
    assert again.status_code == 409
    api = portal.client().post(
        "/api/v1/corrections",
        json={"field": "insured_employees", "year": DATA_YEAR, "value": "31"},
        headers={"Authorization": f"Bearer {portal.token('ent1')}"},
    )
    assert api.status_code == 409, api.text
    assert f"更正申请 {request.id} 仍在处理中" in field_error(again.text, "value")
    assert len(corrections_of(portal, uscc)) == 1
    # The steward's queue names the registry (人社局 …), not its code 'social_insurance'.
    steward = sign_in(portal.client(), "steward").get("/console/corrections").text
    item = re.search(rf'<li class="correction" id="correction-{request.id}".*?</li>', steward, re.S)
    assert item and "social_insurance" not in item.group(0), steward


def test_the_stewards_queue_shows_values_as_the_console_does(portal: Portal) -> None:
    """Regression (QA): the data-correction queue printed values as stored
    ("12345678.50", "true") where the rest of the console groups money and names its
    unit (12,345,678.5 元) and reads yes/no; and it named the field in Chinese on the
    English page."""
    made = portal.client().post(
        "/api/v1/corrections",
        json={"field": "revenue", "year": DATA_YEAR, "value": "12345678.5"},
        headers=bearer(portal, "ent6"),
    )
    assert made.status_code == 200, made.text
    request_id = made.json()["id"]
    steward = sign_in(portal.client(), "steward")

    def item() -> str:
        page = steward.get("/console/corrections").text
        found = re.search(
            rf'<li class="correction" id="correction-{request_id}".*?</li>', page, re.S
        )
        assert found, page
        return found.group(0)

    assert "营业收入" in item() and "申请更正为：12,345,678.5" in item() and "元</p>" in item()
    steward.get("/lang/en")
    shown = item()
    assert "<h2>Revenue" in shown and "proposed: 12,345,678.5" in shown, shown
    assert "yuan</p>" in shown and "营业收入" not in shown


@pytest.mark.parametrize(
    ("value", "comment", "field", "says"),
    [
        ("", "", "value", "请填写您认为正确的数值"),
        ("很多", "", "value", "请填写整数（如 25）"),
        ("12", "x" * 2001, "comment", "最多 2000 个字符"),
    ],
)
def test_a_refused_report_says_why_next_to_its_field_and_keeps_the_input(
    portal: Portal, value: str, comment: str, field: str, says: str
) -> None:
    uscc = portal.usccs[2]
    client = sign_in(portal.client(), "ent2")
    token = page_token(client, "/my-data")
    refused = client.post(
        "/my-data/correct",
        data={
            "field": "insured_employees",
            "year": str(DATA_YEAR),
            "value": value,
            "comment": comment,
            "csrf_token": token,
        },
    )
    assert refused.status_code == 400
    assert says in field_error(refused.text, field)
    assert f'aria-describedby="{field}-error"' in refused.text
    assert f'value="{value}"' in refused.text  # what was typed is kept
    assert corrections_of(portal, uscc) == []


def test_a_report_without_the_forms_csrf_token_is_refused(portal: Portal) -> None:
    client = sign_in(portal.client(), "ent2")
    refused = client.post(
        "/my-data/correct",
        data={"field": "insured_employees", "year": str(DATA_YEAR), "value": "9"},
    )
    assert refused.status_code == 403
    assert corrections_of(portal, portal.usccs[2]) == []


def test_the_api_reads_my_data_and_opens_a_correction(portal: Portal) -> None:
    headers = bearer(portal, "ent3")
    client = portal.client()
    data = client.get("/api/v1/my-data", headers=headers).json()
    held = {(v["field"], v["year"]): v for v in data["values"]}
    assert held[("insured_employees", DATA_YEAR)]["value"] == 5
    assert data["uscc"] == portal.usccs[3]
    made = client.post(
        "/api/v1/corrections",
        json={"field": "insured_employees", "year": DATA_YEAR, "value": 6},
        headers=headers,
    )
    assert made.status_code == 200, made.text
    assert made.json()["held_value"] == 5 and made.json()["proposed_value"] == 6
    bad = client.post(
        "/api/v1/corrections", json={"field": "no_such_field", "value": "1"}, headers=headers
    )
    assert bad.status_code == 400 and "not a field of the data dictionary" in bad.text
    mine = client.get("/api/v1/corrections", headers=headers).json()
    assert [c["id"] for c in mine] == [made.json()["id"]]


def grant_of(portal: Portal, user: str) -> dict[str, object]:
    grants = portal.client().get("/api/v1/grants", headers=bearer(portal, user)).json()
    return next(g for g in grants if g["policy_id"] == AUTO)


def test_an_enterprise_rates_its_grant_once_from_the_grants_page(portal: Portal) -> None:
    grant = grant_of(portal, "ent4")
    client = sign_in(portal.client(), "ent4")
    listing = client.get("/grants").text
    assert f'href="/grants/{grant["id"]}/rate"' in listing
    form = client.get(f"/grants/{grant['id']}/rate")
    assert form.status_code == 200 and 'name="stars"' in form.text
    # The policy by its title, as on the grants page, not by its id.
    assert f'<a href="/policies/{grant["policy_id"]}">测试政策{grant["policy_id"]}</a>' in form.text
    token = page_token(client, "/grants")
    missing = client.post(
        "/rate", data={"kind": "grant", "target": str(grant["id"]), "csrf_token": token}
    )
    assert missing.status_code == 400 and "请选择 1 至 5 星" in field_error(missing.text, "stars")
    # Regression: a kind the form never sends was taken as a decision and refused with 403.
    odd = {"kind": "zzz", "target": str(grant["id"]), "stars": "4", "csrf_token": token}
    assert client.post("/rate", data=odd).status_code == 400
    rated = client.post(
        "/rate",
        data={
            "kind": "grant",
            "target": str(grant["id"]),
            "stars": "4",
            "comment": "到账很快",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert rated.status_code == 303
    with portal.factory() as s:
        [rating] = s.scalars(select(Rating).where(Rating.grant_id == grant["id"]))
    assert (rating.stars, rating.comment, rating.rated_by) == (4, "到账很快", "ent4")
    listing = client.get(rated.headers["location"]).text
    assert "感谢评价" in listing and 'aria-label="4 星">★★★★<' in listing
    assert f'href="/grants/{grant["id"]}/rate"' not in listing
    assert "您已于" in client.get(f"/grants/{grant['id']}/rate").text
    twice = client.post(
        "/rate",
        data={"kind": "grant", "target": str(grant["id"]), "stars": "1", "csrf_token": token},
    )
    assert twice.status_code == 409 and "每项只评价一次" in twice.text  # in the page's language
    assert "already been rated" not in twice.text
    with portal.factory() as s:
        assert s.scalar(select(func.count()).where(Rating.grant_id == grant["id"])) == 1


def test_the_api_rates_a_grant_and_refuses_stars_out_of_range(portal: Portal) -> None:
    grant = grant_of(portal, "ent5")
    headers = bearer(portal, "ent5")
    client = portal.client()
    for stars in (0, 6):
        bad = client.post(
            "/api/v1/ratings", json={"grant_id": grant["id"], "stars": stars}, headers=headers
        )
        assert bad.status_code == 422
    made = client.post(
        "/api/v1/ratings", json={"grant_id": grant["id"], "stars": 5}, headers=headers
    )
    assert made.status_code == 200 and made.json()["stars"] == 5
    both = client.post(
        "/api/v1/ratings",
        json={"grant_id": grant["id"], "entitlement_id": 1, "stars": 5},
        headers=headers,
    )
    assert both.status_code == 400 and "either a grant" in both.text


def test_almost_eligible_shows_the_one_missing_figure_with_its_gap(portal: Portal) -> None:
    client = sign_in(portal.client(), "ent7")
    assert 'href="/almost"' in client.get("/home").text  # one click from the home
    page = client.get("/almost")
    assert page.status_code == 200
    card = re.search(rf'<li class="card" data-policy="{NEAR}">(.*?)</li>', page.text, re.S)
    assert card, page.text
    assert "年末参保人数 9 人，要求不低于 10 人" in card.group(1)
    assert "2 项条件中的 1 项" in card.group(1)  # the staff criterion missed, the district met
    client.get("/lang/en")
    assert (
        "Insured employees (December) 9 persons, &gt;= 10 persons required"
        in client.get("/almost").text
    )
    # ent0 (2 insured) is far from 10: nothing within reach.
    far = sign_in(portal.client(), "ent0").get("/almost").text
    assert f'data-policy="{NEAR}"' not in far and "目前没有只差一项指标" in far


def test_the_api_gives_the_near_misses_with_exact_figures(portal: Portal) -> None:
    body = portal.client().get("/api/v1/near-misses", headers=bearer(portal, "ent6")).json()
    [miss] = body
    assert miss["policy_id"] == NEAR and miss["criterion_id"] == "insured"
    assert (miss["gap"]["actual"], miss["gap"]["required"], miss["gap"]["op"]) == ("8", "10", ">=")


def pdf_text(body: bytes) -> str:
    assert body.startswith(b"%PDF-")
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)


def test_the_grants_page_links_each_grant_to_its_notice_pdf(portal: Portal) -> None:
    client = sign_in(portal.client(), "ent2")
    grant = client.get("/api/v1/grants", headers=bearer(portal, "ent2")).json()[0]
    page = client.get("/grants").text
    link = f'href="/grants/{grant["id"]}/notice.pdf" download'
    assert link in page
    # What a screen reader hears after "下载告知书（PDF）" names the grant as the policy page
    # does ("发放编号 N"; regression: "给予 N", "give N").
    assert f'<span class="sr"> 发放编号 {grant["id"]}</span>' in page
    assert "给予 " not in page
    pdf = client.get(f"/grants/{grant['id']}/notice.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == (
        f'attachment; filename="grant-{grant["id"]}-notice.pdf"'
    )
    text = pdf_text(pdf.content)
    code = portal.usccs[2]
    for expected in ("惠企政策资金兑现告知书", f"测试企业{code[-6:]}", code, "￥4,000.00 元"):
        assert expected in text, expected
    assert "肆仟元整" in text


def test_the_api_gives_the_notice_and_officers_in_scope_read_it(portal: Portal) -> None:
    grant = portal.client().get("/api/v1/grants", headers=bearer(portal, "ent3")).json()[0]
    path = f"/api/v1/grants/{grant['id']}/notice.pdf"
    own = portal.client().get(path, headers=bearer(portal, "ent3"))
    assert own.status_code == 200 and "￥5,000.00 元" in pdf_text(own.content)
    officer = portal.client().get(path, headers=bearer(portal, "officer"))
    assert officer.status_code == 200 and officer.content == own.content  # same bytes
    elsewhere = portal.client().get(path, headers=bearer(portal, "reviewer-elsewhere"))
    assert elsewhere.status_code == 403 and "notice of grant" in elsewhere.json()["detail"]
    missing = portal.client().get(
        "/api/v1/grants/999999/notice.pdf", headers=bearer(portal, "ent3")
    )
    assert missing.status_code == 404 and missing.json()["detail"] == "no grant 999999"


def test_a_new_enterprise_opens_its_empty_inbox(portal: Portal) -> None:
    """Regression: an enterprise huiqi had told nothing yet (it may already file requests
    and report values) opened its inbox to a 404 saying it "has received nothing from
    huiqi (it is not in the ledger); check the USCC", about its own USCC."""
    from portal_data import PASSWORD

    from huiqi.accounts import service as accounts
    from huiqi.accounts.roles import Role, RoleGrant
    from huiqi.db.engine import transaction
    from huiqi.profiles.uscc import make

    code = make("91310115MA1000777")
    with transaction(portal.factory) as s:
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        accounts.add_user(
            s,
            actor=admin,
            username="brand-new",
            roles=[RoleGrant(Role.ENTERPRISE, code)],
            password=PASSWORD,
        )
    page = sign_in(portal.client(), "brand-new").get("/inbox")
    assert page.status_code == 200 and 'class="empty"' in page.text


def test_an_enterprise_told_nothing_yet_has_an_empty_inbox_in_the_api(portal: Portal) -> None:
    """Regression: GET /api/v1/inbox answered 404 "has received nothing from huiqi (it is
    not in the ledger)" to an enterprise that simply had no messages yet."""
    from portal_data import PASSWORD

    from huiqi.accounts import service as accounts
    from huiqi.accounts.roles import Role, RoleGrant
    from huiqi.db.engine import transaction
    from huiqi.profiles.uscc import make

    code = make("91310115MA1000778")
    with transaction(portal.factory) as s:
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        accounts.add_user(
            s,
            actor=admin,
            username="brand-new-api",
            roles=[RoleGrant(Role.ENTERPRISE, code)],
            password=PASSWORD,
        )
    got = portal.client().get("/api/v1/inbox", headers=bearer(portal, "brand-new-api"))
    assert (got.status_code, got.json()) == (200, [])
    unread = portal.client().get(
        "/api/v1/inbox", params={"unread_only": "true"}, headers=bearer(portal, "brand-new-api")
    )
    assert (unread.status_code, unread.json()) == (200, [])


def test_an_english_inbox_says_what_each_message_is_above_its_chinese_text(
    portal: Portal,
) -> None:
    """The messages are written once, in Chinese, as they are sent by mail and SMS: an
    English inbox showed them without a word of English about what they were."""
    client = sign_in(portal.client(), "ent1")
    chinese = client.get("/inbox").text
    assert 'lang="zh-CN"' in chinese and "message-kind" not in chinese
    client.get("/lang/en")
    english = client.get("/inbox").text
    assert "Grant notice · the message as sent, in Chinese:" in english


def test_every_message_kind_has_a_name_in_both_languages() -> None:
    from huiqi.web.i18n import translations
    from huiqi.web.status_names import MESSAGE_KIND, message_kind_name

    chinese = translations("zh-CN").gettext
    for kind in [*MESSAGE_KIND, "approved", "rejected", "withdrawn", "desk_reply", "new"]:
        name = message_kind_name(kind)
        assert name and chinese(name) != name, kind


def test_an_explanations_amounts_read_grouped_with_every_decimal_kept() -> None:
    """QA: the policy page showed "研发费用: 3000000.00 元" and "计算结果：300000.000 元 · 上限
    200000 元" where every other page groups thousands."""
    from huiqi.web.render import environment

    env = environment("zh-CN")
    held = env.filters["held"]
    assert held("3000000.00", {"field": "rd_expense"}) == "3,000,000.00"
    assert held("3000000", {"field": "insured_employees"}) == "3000000"  # not money
    page = env.from_string("{{ a | grouped }} {{ b | grouped }} {{ c | grouped }}").render(
        a="300000.000", b="573172.5205", c="200000"
    )
    assert page == "300,000.000 573,172.5205 200,000"


def test_a_derived_field_is_not_offered_for_correction_and_its_refusal_reads_in_chinese(
    portal: Portal,
) -> None:
    """Regression (QA, session 30): /my-data offered "report as wrong" for 登记机关区划码,
    which huiqi works out from the USCC, and the refusal came in English on a Chinese page."""
    client = sign_in(portal.client(), "ent2")
    token = page_token(client, "/my-data")
    refused = client.post(
        "/my-data/correct",
        data={"field": "uscc_region", "year": "", "value": "310104", "csrf_token": token},
    )
    assert refused.status_code == 400
    assert "由系统根据其他字段推算得出" in refused.text and "derived by huiqi" not in refused.text
    api = portal.client().get(
        "/api/v1/my-data", headers={"Authorization": f"Bearer {portal.token('ent2')}"}
    )
    held = {v["field"]: v["correctable"] for v in api.json()["values"]}
    assert held["insured_employees"] is True and held["name"] is True

"""A list page's filter value it does not know is said, in the page's language, with the
values it takes, above the default list (QA: ``/console/requests?status=bogus`` showed
the default list as if the filter had been applied)."""

from __future__ import annotations

import re

import pytest
from portal_data import Portal, page_token, sign_in


def _alerts(html: str) -> list[str]:
    return re.findall(r'<p class="error" role="alert">([^<]*)<', html)


def test_an_unknown_request_status_is_said_with_the_statuses_in_chinese(portal: Portal) -> None:
    officer = sign_in(portal.client(), "desk-policy")
    shown = officer.get("/console/requests", params={"status": "bogus"})
    assert shown.status_code == 200
    (alert,) = _alerts(shown.text)
    assert "“bogus”" in alert and "待受理" in alert and "已办结" in alert, alert
    assert "<caption" in shown.text  # the default list still follows


def test_an_unknown_request_status_is_said_in_english(portal: Portal) -> None:
    officer = sign_in(portal.client(), "desk-policy")
    officer.cookies.set("huiqi_lang", "en")
    (alert,) = _alerts(officer.get("/console/requests?status=%3Cb%3Ex").text)
    assert alert.startswith("There is no request status “&lt;b&gt;x”"), alert
    assert "Waiting to be acknowledged, Being handled, Answered, Reopened, Closed" in alert


def test_a_known_or_empty_request_status_says_nothing(portal: Portal) -> None:
    officer = sign_in(portal.client(), "desk-policy")
    for status in ("", "closed", "open"):
        assert _alerts(officer.get("/console/requests", params={"status": status}).text) == []


def test_the_officer_inbox_takes_unread_1_or_nothing(portal: Portal) -> None:
    """Regression: any value of ``unread`` (``unread=0`` too) showed the unread messages
    only; a value other than 1 is now said in the page's language."""
    officer = sign_in(portal.client(), "desk-policy")
    assert officer.get("/console/inbox?unread=1").status_code == 200
    refused = officer.get("/console/inbox?unread=0")
    assert refused.status_code == 400
    assert "unread=0" in refused.text and "无法使用" in refused.text, refused.text


@pytest.mark.parametrize(
    ("user", "path", "status", "chinese"),
    [
        # Regression (QA, demo): each read in English on the Chinese page; the first
        # named the CLI's 'huiqi versions'.
        ("author", "/console/simulate?start=nonexistent", 404, "政策“nonexistent”未发布"),
        ("finance", "/console/finance/batches/999999.csv", 404, "拨付批次 999999 没有 csv 文件"),
        (
            "desk-policy",
            "/console/requests/stats?since=2026-05-01&until=2026-01-01",
            200,
            "统计期间的开始日期（2026-05-01）晚于结束日期（2026-01-01）",
        ),
    ],
)
def test_a_page_refusal_reads_in_chinese(
    portal: Portal, user: str, path: str, status: int, chinese: str
) -> None:
    shown = sign_in(portal.client(), user).get(path)
    assert shown.status_code == status
    assert chinese in shown.text and "huiqi versions" not in shown.text, shown.text[-2000:]


def test_form_refusals_found_on_the_demo_read_in_chinese(staff: Portal) -> None:
    """Regression (QA, demo): a rating form naming nothing, an enterprise's message marked
    read that is not in its inbox, and a draft published or deleted that is not there
    each read in English on the Chinese page."""
    ent = sign_in(staff.client(), "ent1")
    token = page_token(ent, "/grants")
    rated = ent.post("/rate", data={"csrf_token": token, "kind": "x", "target": "1"})
    assert rated.status_code == 400 and "表单未指明要评价的事项" in rated.text
    read = ent.post("/inbox/987654/read", data={"csrf_token": token})
    assert read.status_code == 404 and "的消息箱中没有编号为 987654 的消息" in read.text
    author = sign_in(staff.client(), "publisher")
    token = page_token(author, "/console/policies")
    for action, chinese in (("publish", "没有可发布的草稿"), ("delete", "没有草稿")):
        sent = author.post(
            f"/console/policies/no-such-policy/draft/{action}", data={"csrf_token": token}
        )
        assert sent.status_code == 404 and f"no-such-policy {chinese}" in sent.text, sent.text


def test_the_correction_form_of_a_field_the_dictionary_does_not_know_is_refused(
    portal: Portal,
) -> None:
    """Regression (QA, demo): ``/my-data/correct?field=bogus`` showed the form for a field
    "bogus" (refused only once sent), and without a field an empty form."""
    ent = sign_in(portal.client(), "ent1")
    refused = ent.get("/my-data/correct?field=bogus")
    assert refused.status_code == 400 and "&#39;bogus&#39; 不是数据字典中的字段" in refused.text
    bare = ent.get("/my-data/correct", follow_redirects=False)
    assert bare.status_code == 303 and bare.headers["location"] == "/my-data"


@pytest.mark.parametrize("path", ["/home", "/grants", "/inbox", "/requests", "/almost"])
def test_a_mistyped_uscc_in_the_address_is_said_as_such(portal: Portal, path: str) -> None:
    """Regression (QA, demo): on /home, /grants, /inbox and /requests a code that cannot be
    a USCC was refused as another enterprise's ("may not read this enterprise's records",
    403), where /almost and /my-data said what is wrong with it."""
    ent = sign_in(portal.client(), "ent1")
    shown = ent.get(path, params={"uscc": "x"})
    assert shown.status_code == 400, shown.text[-1500:]
    assert "统一社会信用代码应为 18 位" in shown.text


def test_a_department_that_issued_no_policy_is_said_on_the_catalogue(portal: Portal) -> None:
    """Regression (QA, demo): ``/policies?department=bogus`` showed "all departments"
    selected above an empty catalogue, as if every department had been searched."""
    client = portal.client()
    (alert,) = _alerts(client.get("/policies", params={"department": "bogus"}).text)
    assert alert == "部门“bogus”没有已发布的政策；请从列表中选择部门", alert
    client.cookies.set("huiqi_lang", "en")
    (alert,) = _alerts(client.get("/policies", params={"department": "bogus"}).text)
    assert "no published policy is issued by department &#39;bogus&#39;" in alert
    shown = client.get("/policies", params={"department": "bogus", "mode": "auto"}).text
    assert _alerts(shown) != []

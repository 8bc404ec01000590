"""The enterprise's inbox page, one page of messages at a time (QA, qa9): it showed the
newest 100 and nothing older, with no link on; an enterprise told more than that could
not read its older messages on the web. Older ones now follow by keyset (``before``), and
marking a message read on an older page comes back to that page, where the message is."""

from __future__ import annotations

import re

from portal_data import Portal, page_token, sign_in

from huiqi.db.engine import transaction
from huiqi.delivery.notify import enqueue
from huiqi.web.views.portal import INBOX_PAGE

ENTERPRISE = 7


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="message [a-z]+" id="message-(\d+)"', html)]


def test_older_messages_follow_on_further_pages(portal: Portal) -> None:
    uscc = portal.usccs[ENTERPRISE]
    with transaction(portal.factory) as s:
        for n in range(INBOX_PAGE + 3):
            enqueue(
                s,
                uscc=uscc,
                kind="reminder",
                subject=f"提醒 {n}",
                body="请查看。",
                dedupe_key=f"qa9-inbox:{uscc}:{n}",
                channels=[],
            )
    client = sign_in(portal.client(), f"ent{ENTERPRISE}")
    first = client.get("/inbox")
    assert first.status_code == 200
    shown = _ids(first.text)
    assert len(shown) == INBOX_PAGE
    older = re.search(r'<a href="([^"]+)" rel="next" id="next-page">更早的消息', first.text)
    assert older, first.text[-2000:]
    second = client.get(older.group(1).replace("&amp;", "&")).text
    rest = _ids(second)
    assert rest and not set(rest) & set(shown)
    assert 'id="next-page"' not in second and 'id="first-page"' in second
    assert "提醒 0" in second  # the oldest of all is reached
    assert f'<input type="hidden" name="before" value="{shown[-1]}">' in second

    # Marking one read there comes back to that page, with the message in it.
    token = page_token(client, "/inbox")
    sent = client.post(
        f"/inbox/{rest[0]}/read",
        data={"csrf_token": token, "uscc": uscc, "before": str(shown[-1])},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert f"before={shown[-1]}" in sent.headers["location"]
    again = client.get(sent.headers["location"]).text
    assert re.search(rf'<li class="message read" id="message-{rest[0]}"', again)
    # A cursor that is not an id is refused, not a server error.
    assert client.get("/inbox?before=x").status_code in (400, 422)


def test_a_message_about_a_policy_links_to_the_policy(portal: Portal) -> None:
    """QA (qa4): an offer in the inbox said "请于…前一键确认" (confirm with one click by …)
    with no link or button: the enterprise had to find the policy in the catalogue itself.
    Each message about a policy now links to that policy's page, where its status and the
    button to confirm are; a message about no policy has no such link."""
    from portal_data import APPLY, AUTO, OFFER

    uscc = portal.usccs[6]
    with transaction(portal.factory) as s:
        enqueue(
            s,
            uscc=uscc,
            kind="reminder",
            subject="无关政策的提醒",
            body="请查看。",
            dedupe_key=f"qa4-inbox:{uscc}",
            channels=[],
        )
    html = sign_in(portal.client(), "ent6").get("/inbox").text
    items = re.findall(r'<li class="message [a-z]+" id="message-\d+">(.*?)</li>', html, re.S)
    for pid in (AUTO, OFFER, APPLY):
        about = [li for li in items if f"测试政策{pid}" in li]
        assert about, pid
        assert all(f'href="/policies/{pid}"' in li for li in about), pid
    unrelated = [li for li in items if "无关政策的提醒" in li]
    assert unrelated and 'href="/policies/' not in unrelated[0]


def test_a_message_about_a_request_payment_or_correction_links_to_its_page(
    portal: Portal,
) -> None:
    """QA (qa4): "您的诉求（编号 1）已答复 … 请在门户中对答复评价" (rate the answer in the
    portal) had no link to the request; a payment's and a data correction's messages none to
    the grants or the data page. Each now links to the page where it is followed."""
    uscc = portal.usccs[6]
    told = {
        "desk:41:replied": "诉求已答复",
        "paid:42:7": "资金已拨付",
        "correction:43": "更正已受理",
    }
    with transaction(portal.factory) as s:
        for key, subject in told.items():
            enqueue(s, uscc=uscc, kind="x", subject=subject, body="。", dedupe_key=key, channels=[])
    html = sign_in(portal.client(), "ent6").get("/inbox").text
    items = re.findall(r'<li class="message [a-z]+" id="message-\d+">(.*?)</li>', html, re.S)

    def item(subject: str) -> str:
        return next(li for li in items if subject in li)

    assert 'href="/requests/41"' in item("诉求已答复")
    assert 'href="/grants"' in item("资金已拨付")
    assert 'href="/my-data"' in item("更正已受理")


def test_a_failed_payment_says_how_to_get_the_account_corrected_and_links_there(
    portal: Portal,
) -> None:
    """QA (qa12): a failed payment's message told the enterprise to "核对并更正企业的收款
    账户信息" (correct its bank account), but no page lets an enterprise edit its account,
    and the message linked to the grants list, which cannot either. It now says that the
    department corrects it, on a request (诉求) about the grant, and links to the request
    form with the grant filled in."""
    from sqlalchemy import select

    from huiqi.delivery.models import Grant
    from huiqi.delivery.payments import payment_message
    from huiqi.delivery.statuses import PaymentResult

    uscc = portal.usccs[5]
    with transaction(portal.factory) as s:
        grant = s.scalars(select(Grant).where(Grant.uscc == uscc)).first()
        assert grant is not None
        told = payment_message(s, grant, 9, PaymentResult.FAILED, "账户已销户")
        assert "更正企业的收款账户" not in told.body
        assert "诉求" in told.body and f"发放编号 {grant.id}" in told.body
        enqueue(
            s,
            uscc=uscc,
            kind=told.kind,
            subject=told.subject,
            body=told.body,
            dedupe_key=told.dedupe_key,
            channels=[],
        )
        grant_id = grant.id
    client = sign_in(portal.client(), "ent5")
    html = client.get("/inbox").text
    items = re.findall(r'<li class="message [a-z]+" id="message-\d+">(.*?)</li>', html, re.S)
    item = next(li for li in items if "拨付未成功" in li)
    assert f'href="/requests?grant={grant_id}"' in item
    form = client.get(f"/requests?grant={grant_id}").text
    assert f'name="grant_id" value="{grant_id}"' in form

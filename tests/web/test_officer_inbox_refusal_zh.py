"""An officer's message that is not in its inbox, marked read from the console, is refused
in the page's language (QA: "no message N in your inbox" read in English on zh pages)."""

from __future__ import annotations

from portal_data import Portal, page_token, sign_in


def test_marking_a_message_not_in_the_inbox_reads_in_chinese(portal: Portal) -> None:
    client = sign_in(portal.client(), "desk-finance")
    token = page_token(client, "/console/inbox")
    sent = client.post("/console/inbox/987654/read", data={"csrf_token": token})
    assert sent.status_code == 404
    assert "您的收件箱中没有编号为 987654 的消息" in sent.text
    assert "in your inbox" not in sent.text

"""The rating form's refusals read in the page's language (QA: a decision rated after it
was granted, or a number that names nothing, showed the service's English)."""

from __future__ import annotations

from portal_data import AUTO, Portal, page_token, sign_in


def test_a_rating_refused_reads_in_chinese(portal: Portal) -> None:
    client = sign_in(portal.client(), "ent6")
    token = page_token(client, "/grants")
    headers = {"Authorization": f"Bearer {portal.token('ent6')}"}
    records = client.get("/api/v1/records", headers=headers).json()
    record = next(r for r in records if r["policy_id"] == AUTO)
    grants = client.get("/api/v1/grants", headers=headers).json()
    grant = next(g for g in grants if g["policy_id"] == AUTO)

    def rate(kind: str, target: object) -> tuple[int, str]:
        data = {"kind": kind, "target": str(target), "stars": "5", "csrf_token": token}
        sent = client.post("/rate", data=data)
        return sent.status_code, sent.text

    status, text = rate("record", record["id"])
    assert status == 409 and f"请改为评价资金 {grant['id']}" in text, text[-2000:]
    assert "rate grant" not in text
    status, text = rate("grant", 987654)
    assert status == 404 and "没有编号为 987654 的资金" in text
    status, text = rate("record", 987654)
    assert status == 404 and "没有编号为 987654 的兑现记录" in text

"""The officer console: the 申报 review queue (approve; reject with a reason the enterprise
reads), the data-correction queue, and the dashboard with its totals, over the services."""

from __future__ import annotations

import re
from decimal import Decimal

from portal_data import APPLY, AUTO, OFFER, Portal, page_token, sign_in
from sqlalchemy import func, select

from huiqi.catalogue.service import list_policies
from huiqi.db.engine import reading
from huiqi.delivery.feedback_models import CorrectionRequest
from huiqi.delivery.models import Entitlement, Grant, PolicyVersion
from huiqi.money import format_yuan


def bearer(portal: Portal, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.token(user)}"}


def submit_application(portal: Portal, user: str) -> int:
    """The enterprise submits its pre-filled application (申报); its record id."""
    client, headers = portal.client(), bearer(portal, user)
    [record] = client.get("/api/v1/records", params={"policy_id": APPLY}, headers=headers).json()
    sent = client.post(f"/api/v1/records/{record['id']}/submit", headers=headers)
    assert sent.status_code == 200 and sent.json()["status"] == "submitted", sent.text
    return int(record["id"])


def status_of(portal: Portal, record_id: int) -> str:
    with portal.factory() as s:
        record = s.get(Entitlement, record_id)
        assert record is not None
        return record.status


def in_queue(html: str, record_id: int) -> bool:
    return f'id="application-{record_id}"' in html


def test_an_officer_approves_an_application_and_it_leaves_the_queue(portal: Portal) -> None:
    record_id = submit_application(portal, "ent1")
    officer = sign_in(portal.client(), "officer")
    queue = officer.get("/console/applications")
    assert queue.status_code == 200 and in_queue(queue.text, record_id)
    assert portal.usccs[1] in queue.text
    token = page_token(officer, "/console/applications")
    done = officer.post(
        f"/console/applications/{record_id}/approve",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/console/applications?done=approved&id={record_id}"
    after = officer.get(done.headers["location"]).text
    assert not in_queue(after, record_id) and f"申报 {record_id} 已批准" in after
    with portal.factory() as s:
        assert s.scalar(select(func.count()).where(Grant.entitlement_id == record_id)) == 1
    inbox = portal.client().get("/api/v1/inbox", headers=bearer(portal, "ent1")).json()
    assert any("申报已批准" in m["subject"] for m in inbox)
    # Approving again (a second tab): refused, and said so on the page.
    again = officer.post(f"/console/applications/{record_id}/approve", data={"csrf_token": token})
    assert again.status_code == 409 and "只能审核已提交的申报" in again.text
    with portal.factory() as s:
        assert s.scalar(select(func.count()).where(Grant.entitlement_id == record_id)) == 1


def test_finance_reads_the_review_queue_without_decision_forms(portal: Portal) -> None:
    """Regression: finance officers and admins saw approve and reject buttons that answered
    403; they read the queue, and only reviewers get the forms."""
    record_id = submit_application(portal, "ent3")
    finance = sign_in(portal.client(), "finance").get("/console/applications").text
    assert in_queue(finance, record_id)
    assert f"/console/applications/{record_id}/approve" not in finance
    assert f"/console/applications/{record_id}/reject" not in finance
    assert "只有政策审核人员可以批准或驳回申报" in finance
    officer = sign_in(portal.client(), "officer").get("/console/applications").text
    assert f"/console/applications/{record_id}/reject" in officer
    assert "只有政策审核人员可以批准或驳回申报" not in officer


def test_a_rejection_needs_a_reason_and_the_enterprise_reads_it(portal: Portal) -> None:
    record_id = submit_application(portal, "ent2")
    officer = sign_in(portal.client(), "officer")
    token = page_token(officer, "/console/applications")
    url = f"/console/applications/{record_id}/reject"
    blank = officer.post(url, data={"reason": "  ", "csrf_token": token})
    assert blank.status_code == 400 and status_of(portal, record_id) == "submitted"
    error = re.search(rf'<p class="error" role="alert" id="error-{record_id}">([^<]*)<', blank.text)
    assert error and "请填写企业将看到的原因" in error.group(1)
    assert f'aria-describedby="error-{record_id}"' in blank.text
    # Regression: "a rejection's reason不能包含控制字符", half English.
    bell = officer.post(url, data={"reason": "原因\x07", "csrf_token": token})
    assert "驳回原因不能包含控制字符" in bell.text and "rejection" not in bell.text
    # Regression (QA): a reason too long was a 409 (a state conflict) where a blank one is 400.
    long = officer.post(url, data={"reason": "理" * 1001, "csrf_token": token})
    assert long.status_code == 400 and bell.status_code == 400
    reason = "社保缴纳记录不满 12 个月"
    done = officer.post(url, data={"reason": reason, "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and status_of(portal, record_id) == "rejected"
    assert not in_queue(officer.get("/console/applications").text, record_id)
    inbox = portal.client().get("/api/v1/inbox", headers=bearer(portal, "ent2")).json()
    assert any(reason in m["body"] for m in inbox)
    # The enterprise sees the decision on its grants page and can rate it.
    enterprise = sign_in(portal.client(), "ent2")
    grants = enterprise.get("/grants").text
    assert reason in grants and f'href="/records/{record_id}/rate"' in grants
    rated = enterprise.post(
        "/rate",
        data={
            "kind": "record",
            "target": str(record_id),
            "stars": "2",
            "csrf_token": page_token(enterprise, "/grants"),
        },
        follow_redirects=False,
    )
    assert rated.status_code == 303
    assert 'aria-label="2 星">★★<' in enterprise.get("/grants").text


def test_the_api_review_queue_approves_and_rejects(portal: Portal) -> None:
    first, second = submit_application(portal, "ent3"), submit_application(portal, "ent4")
    client, headers = portal.client(), bearer(portal, "officer")
    queue = client.get("/api/v1/applications", params={"status": "submitted"}, headers=headers)
    assert {first, second} <= {a["record_id"] for a in queue.json()}
    approved = client.post(f"/api/v1/applications/{first}/approve", headers=headers)
    assert approved.status_code == 200 and approved.json()["grant_id"]
    empty = client.post(
        f"/api/v1/applications/{second}/reject", json={"reason": ""}, headers=headers
    )
    assert empty.status_code == 422 and status_of(portal, second) == "submitted"
    rejected = client.post(
        f"/api/v1/applications/{second}/reject", json={"reason": "材料不全"}, headers=headers
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    left = client.get("/api/v1/applications", params={"status": "submitted"}, headers=headers)
    assert not {first, second} & {a["record_id"] for a in left.json()}


def report(portal: Portal, user: str, value: int) -> int:
    made = portal.client().post(
        "/api/v1/corrections",
        json={"field": "insured_employees", "year": 2025, "value": value, "comment": "以此为准"},
        headers=bearer(portal, user),
    )
    assert made.status_code == 200, made.text
    return int(made.json()["id"])


def test_a_data_steward_decides_correction_requests_from_the_queue(portal: Portal) -> None:
    accepted, rejected = report(portal, "ent5", 70), report(portal, "ent6", 80)
    steward = sign_in(portal.client(), "steward")
    queue = steward.get("/console/corrections")
    assert queue.status_code == 200
    for request_id in (accepted, rejected):
        assert f'id="correction-{request_id}"' in queue.text
    assert "现有值：7 人 → 申请更正为：70 人" in queue.text and "以此为准" in queue.text
    token = page_token(steward, "/console/corrections")
    no_reason = steward.post(
        f"/console/corrections/{accepted}/decide",
        data={"decision": "accept", "reason": "", "csrf_token": token},
    )
    assert no_reason.status_code == 400 and f'id="error-{accepted}"' in no_reason.text
    for request_id, decision in ((accepted, "accept"), (rejected, "reject")):
        done = steward.post(
            f"/console/corrections/{request_id}/decide",
            data={"decision": decision, "reason": "已与社保中心核对", "csrf_token": token},
            follow_redirects=False,
        )
        assert done.status_code == 303
    with portal.factory() as s:
        statuses = {
            r.id: r.status
            for r in s.scalars(
                select(CorrectionRequest).where(CorrectionRequest.id.in_([accepted, rejected]))
            )
        }
    assert statuses == {accepted: "accepted", rejected: "rejected"}
    assert f'id="correction-{accepted}"' not in steward.get("/console/corrections").text
    inbox = portal.client().get("/api/v1/inbox", headers=bearer(portal, "ent5")).json()
    assert any("已受理更正" in m["subject"] and "已与社保中心核对" in m["body"] for m in inbox)
    # Deciding again is refused and said so.
    again = steward.post(
        f"/console/corrections/{accepted}/decide",
        data={"decision": "reject", "reason": "再议", "csrf_token": token},
    )
    assert again.status_code == 409 and "已有结论（已采纳）" in again.text  # in zh (QA)


def ledger_totals(portal: Portal) -> tuple[int, int]:
    """Grants and their money, counted from the ledger's rows (not the counters)."""
    with portal.factory() as s:
        n, fen = s.execute(
            select(func.count(), func.coalesce(func.sum(Grant.amount_fen), 0))
            .select_from(Grant)
            .join(PolicyVersion, PolicyVersion.id == Grant.policy_version_id)
        ).one()
    return int(n), int(fen)


def test_the_dashboard_totals_agree_with_the_ledger(portal: Portal) -> None:
    n, fen = ledger_totals(portal)
    officer = sign_in(portal.client(), "officer")
    page = officer.get("/console/dashboard")
    assert page.status_code == 200
    assert f'id="grants-n">{n}<' in page.text
    assert f"{format_yuan(fen)} 元" in page.text
    for chart in ("district", "department", "month", "policy-status"):
        assert f'id="chart-{chart}"' in page.text
    assert "<script>" not in page.text  # the charts come from a static file (CSP)
    headers = bearer(portal, "officer")
    client = portal.client()
    for by in ("district", "department", "month", "policy"):
        rows = client.get("/api/v1/dashboard/totals", params={"by": by}, headers=headers).json()
        assert sum(r["n"] for r in rows) == n and sum(r["amount_fen"] for r in rows) == fen
    both = client.get(
        "/api/v1/dashboard/totals", params=[("by", "policy"), ("by", "status")], headers=headers
    ).json()
    assert {(r["policy_id"], r["status"]) for r in both} >= {(AUTO, "granted")}
    refused = client.get("/api/v1/dashboard/totals", params={"by": "colour"}, headers=headers)
    assert refused.status_code == 422


def test_the_dashboard_shows_the_headline_indicators_of_the_api(portal: Portal) -> None:
    page = sign_in(portal.client(), "officer").get("/console/dashboard").text
    ind = (
        portal.client()
        .get("/api/v1/dashboard/indicators", headers=bearer(portal, "officer"))
        .json()
    )
    modes = ind["modes"]
    # The portal's world: the auto, offer and apply test policies and one library policy.
    assert modes["policies"] == modes["auto"] + modes["confirm"] + modes["apply"] >= 4
    assert Decimal(modes["share"]) == (
        Decimal(modes["auto"] + modes["confirm"]) / modes["policies"]
    ).quantize(Decimal("0.0001"))
    assert f'id="policies-in-force">{modes["policies"]}<' in page
    share = f"{Decimal(modes['share']) * 100:.1f} %"
    assert f'id="no-application-share">{share}<' in page
    [offers] = [c for c in ind["conversion"] if c["policy_id"] == OFFER]
    assert offers["claimed"] + offers["waiting"] + offers["expired"] > 0
    assert "直达快享" in page and OFFER in page


def test_the_english_dashboard_names_policies_in_english(portal: Portal) -> None:
    """Regression: the budget and ratings tables showed the Chinese title on the English
    page (the ledger's rows keep title_zh only)."""
    from html import escape

    from huiqi.catalogue.service import list_policies
    from huiqi.db.engine import reading

    officer = sign_in(portal.client(), "officer")
    officer.get("/lang/en")
    page = officer.get("/console/dashboard").text
    ind = (
        portal.client()
        .get("/api/v1/dashboard/indicators", headers=bearer(portal, "officer"))
        .json()
    )
    assert ind["budgets"], "no policy with a budget: the test shows nothing"
    with reading(portal.factory) as s:
        titles = {c.policy_id: c.title for c in list_policies(s)}
    for b in ind["budgets"]:
        title = titles[b["policy_id"]]
        assert f"<tr><td>{escape(title.en, quote=False)} <span" in page
        assert f"<tr><td>{escape(title.zh, quote=False)} <span" not in page
    # The delivery modes' line too (QA: "免申即享 12 · 直达快享 15 · 申报 10" on English pages).
    modes = ind["modes"]
    assert (
        f"automatic {modes['auto']} · one-click {modes['confirm']} · application {modes['apply']}"
        in page
    )


def test_the_dashboard_names_offers_and_grants_by_policy_title(portal: Portal) -> None:
    """Regression: the 直达快享 claim-conversion table and the grants-by-policy table showed
    the policy's id (``web-offer``) where the budget and ratings tables show its title in the
    page's language."""
    officer = sign_in(portal.client(), "officer")
    for lang, offer, auto in (
        ("zh", f"测试政策{OFFER}", f"测试政策{AUTO}"),
        ("en", f"Test policy {OFFER}", f"Test policy {AUTO}"),
    ):
        officer.get(f"/lang/{lang}")
        page = officer.get("/console/dashboard").text
        conversion = page.split('class="totals-table conversion"')[1].split("</table>")[0]
        assert f"<tr><td>{offer}</td>" in conversion, conversion
        assert f"<td>{OFFER}</td>" not in conversion
        grants = page.split('class="totals-table"')[1].split("</table>")[0]
        assert f"<tr><td>{auto}</td>" in grants, grants
        assert f"<td>{AUTO}</td>" not in grants


def test_the_policy_chart_reads_titles_in_both_languages(portal: Portal) -> None:
    """Regression: the grants-by-policy-and-status chart labelled its axis with policy ids
    (``web-auto``), where the dashboard's tables name policies by title. The chart's JSON
    (``/api/v1/dashboard/totals?by=policy&by=status``) now carries each policy's title in
    both languages, and the page tells the chart which one to show."""
    client, headers = portal.client(), bearer(portal, "officer")
    rows = client.get(
        "/api/v1/dashboard/totals", params=[("by", "policy"), ("by", "status")], headers=headers
    ).json()
    assert AUTO in {r["policy_id"] for r in rows}
    with reading(portal.factory) as s:
        titles = {c.policy_id: {"zh": c.title.zh, "en": c.title.en} for c in list_policies(s)}
    assert all(r["title"] == titles[r["policy_id"]] for r in rows), rows
    auto = next(r for r in rows if r["policy_id"] == AUTO)
    assert auto["title"] == {"zh": f"测试政策{AUTO}", "en": f"Test policy {AUTO}"}
    by_district = client.get(
        "/api/v1/dashboard/totals", params={"by": "district"}, headers=headers
    ).json()
    assert by_district and all(r["title"] is None for r in by_district)
    officer = sign_in(portal.client(), "officer")
    for lang, shown in (("zh", "zh-CN"), ("en", "en")):
        officer.get(f"/lang/{lang}")
        page = officer.get("/console/dashboard").text
        assert f'data-lang="{shown}"' in page  # the chart picks the title by it
        chart = re.search(r'<div class="chart" id="chart-policy-status"[^>]*>', page)
        assert chart, page
        assert 'data-source="/api/v1/dashboard/totals?by=policy&amp;by=status"' in chart.group(0)
        assert 'data-key="policy"' in chart.group(0)

"""The complaints office's pages (qa4): importing a complaint system's export, with each
rejected row's line and reason as the CLI and the API report them, and the complaints
about one enterprise, paged by the API's keyset; both in the complaint officer's
console navigation, in zh and en, and refused (403) to every other role, but for the
import, which a data steward may use too, as the service, CLI and API allow (qa13)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from portal_data import PASSWORD, Portal, page_token, sign_in

from huiqi.accounts import service as accounts
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.complaints.mapping import default_mapping
from huiqi.db.engine import transaction
from huiqi.profiles.uscc import make
from huiqi.web.views import complaints_pages

IMPORT, ABOUT = "/console/complaints/import", "/console/complaints/about"
FIELDS = list(default_mapping().columns)
USCC = make("91310115MA1000777")
PAGED = make("91310115MA1000778")  # the enterprise whose complaints are paged
TEXTS = [
    "包装破损漏液",
    "发票金额与付款不符",
    "快递延误十天未到",
    "客服拒绝退款",
    "商品过期仍在销售",
]
NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}


def row(ref: str, **changes: str) -> dict[str, str]:
    good = {
        "ref": ref,
        "name": "张三",
        "id_number": "11010519491231002X",
        "phone": "138-1234-5678",
        "address": "上海市黄浦区南京东路1号",
        "bank": "6222 0212 3456 7890 123",
        "uscc": USCC,
        "product": "蜂蜜",
        "amount": "29.90",
        "claim": "1000",
        "text": f"标签不符合食品安全标准，要求十倍赔偿（{ref}）",
        "filed_on": "2026-03-05",
    }
    return {**good, **changes}


def export(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([default_mapping().columns[f] for f in FIELDS])
    for r in rows:
        writer.writerow([r[f] for f in FIELDS])
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def office(portal: Portal) -> Portal:
    with transaction(portal.factory) as s:
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        accounts.add_user(
            s,
            actor=admin,
            username="complaints-office",
            roles=[RoleGrant(Role.COMPLAINT_OFFICER)],
            password=PASSWORD,
        )
    return portal


def _upload(client, content: bytes, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        IMPORT,
        data={"csrf_token": page_token(client, IMPORT)},
        files={"file": ("export.csv", content, "text/csv")},
        headers=headers or {},
        follow_redirects=not headers,
    )


def test_the_import_page_stores_good_rows_and_lists_each_rejected_line(office: Portal) -> None:
    client = sign_in(office.client(), "complaints-office")
    form = client.get(IMPORT)
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    rows = [row("QA4-1"), row("QA4-2", filed_on="2026-13-40"), row("QA4-3", uscc="not-a-code")]
    done = _upload(client, export(rows))
    assert done.status_code == 200, done.text
    counts = re.search(r'<p id="report-rows"[^>]*>(.*?)</p>', done.text, re.S)
    assert counts is not None and "读取 3 行，保存 1 条" in counts.group(1)
    lines = re.findall(r'<tr class="reject"><td class="num">(\d+)</td>', done.text)
    assert lines == ["3", "4"]  # the header is line 1: as the CLI and the API say
    # The same rows again: held already, nothing stored twice.
    again = _upload(client, export(rows[:1]))
    assert "保存 0 条，已有 1 条" in again.text
    # In English too.
    client.get("/lang/en")
    english = _upload(client, export([row("QA4-4")]))
    assert "1 read, 1 stored" in english.text


def test_a_file_the_importer_cannot_read_comes_back_to_the_form(office: Portal) -> None:
    client = sign_in(office.client(), "complaints-office")
    empty = client.post(IMPORT, data={"csrf_token": page_token(client, IMPORT)})
    assert empty.status_code == 400 and 'id="file-error"' in empty.text
    assert "请选择要导入的投诉系统导出文件" in empty.text
    unreadable = _upload(client, b"\x00\x01 not a table")
    assert unreadable.status_code == 400 and 'id="file-error"' in unreadable.text


def test_a_browsers_import_report_is_shown_by_a_get(office: Portal) -> None:
    """Back and forward after an import show its report again, never import again."""
    client = sign_in(office.client(), "complaints-office")
    posted = _upload(client, export([row("QA4-5")]), NAVIGATE)
    assert posted.status_code == 303 and posted.headers["location"].startswith(IMPORT + "?")
    for _ in range(2):
        shown = client.get(posted.headers["location"])
        assert shown.status_code == 200 and 'id="report-rows"' in shown.text


def test_the_about_us_list_pages_by_keyset(office: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    client = sign_in(office.client(), "complaints-office")
    assert client.get(ABOUT).status_code == 200  # the form alone
    refs = [f"QA4-P{i}" for i in range(5)]
    rows = [
        row(r, uscc=PAGED, text=TEXTS[i], filed_on=f"2026-04-0{i + 1}") for i, r in enumerate(refs)
    ]
    assert _upload(client, export(rows)).status_code == 200
    monkeypatch.setattr(complaints_pages, "ABOUT_PAGE", 2)
    seen: list[str] = []
    path = f"{ABOUT}?uscc={PAGED}"
    for _ in range(5):
        listed = client.get(path)
        assert listed.status_code == 200
        seen += re.findall(r'<tr class="group"[^>]*><td>[^<]*</td><td>([^<]*)</td>', listed.text)
        more = re.search(r'id="next-page" href="([^"]+)"', listed.text)
        if more is None:
            break
        path = more.group(1).replace("&amp;", "&")
    assert sorted(set(seen)) == refs and len(seen) == len(refs)  # each group once
    bad = client.get(ABOUT, params={"uscc": "12345"})
    assert bad.status_code == 400 and 'id="uscc-error"' in bad.text
    stale = client.get(ABOUT, params={"uscc": PAGED, "after": 2**40})
    assert stale.status_code == 404 and 'id="uscc-error"' in stale.text


def test_a_data_steward_imports_through_the_page_and_is_offered_it(office: Portal) -> None:
    """Regression (qa13): the service, ``huiqi complaints import`` and the API let a data
    steward import complaints, but the page refused the steward (403) and the steward's
    navigation did not offer it. The steward still does not review complainants."""
    client = sign_in(office.client(), "steward")
    console = client.get("/console/imports").text
    assert f'href="{IMPORT}">投诉导入</a>' in console
    assert 'href="/console/complaints">' not in console
    assert client.get(IMPORT).status_code == 200
    done = _upload(client, export([row("QA13-1"), row("QA13-2", filed_on="2026-13-40")]))
    assert done.status_code == 200, done.text
    counts = re.search(r'<p id="report-rows"[^>]*>(.*?)</p>', done.text, re.S)
    assert counts is not None and "读取 2 行，保存 1 条" in counts.group(1)
    assert client.get(ABOUT, params={"uscc": USCC}).status_code == 403


@pytest.mark.parametrize("user", ["ent0", "finance", "desk-policy", "officer"])
def test_other_roles_are_refused_both_pages(office: Portal, user: str) -> None:
    client = sign_in(office.client(), user)
    assert client.get(IMPORT).status_code == 403
    assert client.get(ABOUT, params={"uscc": USCC}).status_code == 403
    refused = client.post(
        IMPORT,
        data={"csrf_token": page_token(client, "/policies")},
        files={"file": ("export.csv", export([row("QA4-X")]), "text/csv")},
    )
    assert refused.status_code == 403


def test_the_complaint_officers_navigation_links_both_pages(office: Portal) -> None:
    client = sign_in(office.client(), "complaints-office")
    console = client.get("/console/complaints").text
    assert f'href="{IMPORT}">投诉导入</a>' in console
    assert f'href="{ABOUT}">针对企业的投诉</a>' in console
    client.get("/lang/en")
    console = client.get("/console/complaints").text
    assert f'href="{IMPORT}">Complaint imports</a>' in console
    assert "Complaints about an enterprise" in console


def test_each_rejected_lines_reason_reads_in_chinese(office: Portal) -> None:
    """A Chinese page listed the importer's reasons in English (qa4): every reason a
    complaint row is refused for has its catalogue template (web/complaint_row_texts)."""
    client = sign_in(office.client(), "complaints-office")
    bad = [
        row("", text="缺编号"),
        row("QA4-R" + "9" * 64),
        row("QA4-R2", id_number=""),
        row("QA4-R3", id_number="1234"),
        row("QA4-R4", id_number="110105194912310021"),
        row("QA4-R5", phone="12345"),
        row("QA4-R6", uscc=""),
        row("QA4-R7", uscc="abc"),
        row("QA4-R8", uscc=USCC[:-1] + ("0" if USCC[-1] != "0" else "1")),
        row("QA4-R9", text=""),
        row("QA4-R10", filed_on=""),
        row("QA4-R11", filed_on="2026-02-30"),
        row("QA4-R12", filed_on="2099-01-01"),
        row("QA4-R13", amount="1e20"),
        row("QA4-R14", amount="12 yuan"),
        row("QA4-R15", claim="99999999999999"),
        row("QA4-R16", claim="abc"),
        row("QA4-R17", text="重复行"),
        row("QA4-R17", text="重复行"),
    ]
    done = _upload(client, export(bad))
    reasons = re.findall(r'<tr class="reject">(?:<td[^>]*>.*?</td>){4}<td>(.*?)</td>', done.text)
    assert len(reasons) >= len(bad) - 1, done.text
    english = [r for r in reasons if not re.search(r"[\u4e00-\u9fff]", r)]
    assert not english, english

"""The materials an application asks for (申报材料, a policy's ``documents``): on the policy
page in each language, above an open application's attachments, and in the API's policy
detail; a policy without them shows none."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from portal_data import APPLY, LIBRARY_POLICY, Portal, sign_in

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import policy_yaml

from huiqi.accounts.testing import OFFICER
from huiqi.delivery.publish import deliver
from huiqi.delivery.versions import publish_text
from huiqi.web.i18n import translations
from huiqi.web.refusals import localise

DOCS = "web-docs"
DOCUMENTS = """\
documents:
  - label: {zh: 申请表, en: Application form}
  - label: {zh: 营业执照复印件}
  - label: {zh: 审计报告, en: Audit report}
    required: false
"""


@pytest.fixture(scope="module", autouse=True)
def docs_policy(portal: Portal) -> None:
    text = policy_yaml(DOCS, delivery="apply").rstrip("\n") + "\n" + DOCUMENTS
    pv, _ = publish_text(portal.factory, text, f"{DOCS}.yaml", actor=OFFICER)
    deliver(portal.settings, portal.factory, pv.id, actor=OFFICER)


def _items(html: str) -> list[str]:
    found = re.findall(r'<li class="document" data-required="(yes|no)"[^>]*>(.*?)</li>', html, re.S)
    return [f"{need}: {' '.join(re.sub(r'<[^>]+>', '', text).split())}" for need, text in found]


def test_an_open_application_lists_what_to_attach_in_each_language(portal: Portal) -> None:
    client = sign_in(portal.client(), "ent2")
    page = client.get(f"/policies/{DOCS}").text
    section = re.search(r'<section class="attachments".*?</section>', page, re.S)
    assert section, page[-3000:]
    assert "本次申报需提交的材料：" in section.group(0)
    # Above the application's files, each says whether it has one (none yet).
    assert _items(section.group(0)) == [
        "yes: 申请表 (必交) · 缺少",
        "yes: 营业执照复印件 (必交) · 缺少",
        "no: 审计报告 (选交)",
    ]
    # Listed once: not again under "How to receive it".
    assert len(_items(page)) == 3
    client.get("/lang/en")
    page = client.get(f"/policies/{DOCS}").text
    assert "Materials to attach to this application:" in page
    # A document named in Chinese only keeps its Chinese name on the English page.
    assert _items(page) == [
        "yes: Application form (required) · missing",
        "yes: 营业执照复印件 (required) · missing",
        "no: Audit report (optional)",
    ]


def test_the_policy_page_lists_them_before_any_application(portal: Portal) -> None:
    anonymous = portal.client()
    page = anonymous.get(f"/policies/{LIBRARY_POLICY}").text
    guide = re.search(r'<dl class="guide">.*?</dl>', page, re.S)
    assert guide and "申报材料" in guide.group(0), page[-3000:]
    items = _items(guide.group(0))
    assert items[0] == "yes: 嘉定区企业研发投入增量补贴申请表 (必交)" and items[-1].startswith(
        "no: "
    )
    # A 申报 policy that lists none shows no list.
    assert _items(anonymous.get(f"/policies/{APPLY}").text) == []


def test_the_api_gives_the_documents_with_the_policy(portal: Portal) -> None:
    body = portal.client().get(f"/api/v1/policies/{DOCS}").json()
    assert body["documents"] == [
        {"label": {"zh": "申请表", "en": "Application form"}, "required": True},
        {"label": {"zh": "营业执照复印件", "en": None}, "required": True},
        {"label": {"zh": "审计报告", "en": "Audit report"}, "required": False},
    ]
    assert portal.client().get(f"/api/v1/policies/{APPLY}").json()["documents"] == []


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        (
            "documents lists the materials attached to an application (申报), and delivery"
            " 'auto' has no application: remove 'documents', or use delivery 'apply'",
            "documents 列出的是申报时须提交的材料，而兑现方式“auto”没有申报环节：请删除"
            " documents，或将 delivery 改为 apply",
        ),
        (
            "the document '申请表' is listed twice; list each document once",
            "材料“申请表”列出了两次；每项材料只列一次",
        ),
    ],
)
def test_the_draft_editor_says_the_refusals_in_chinese(english: str, chinese: str) -> None:
    assert localise(translations("zh-CN"), english) == chinese
    assert localise(translations("en"), english) == english


PDF = b"%PDF-1.4\n%%EOF\n"


def _record(portal: Portal, username: str) -> int:
    from sqlalchemy import select

    from huiqi.delivery.models import Entitlement, PolicyVersion

    index = int(username.removeprefix("ent"))
    with portal.factory() as s:
        return s.scalars(
            select(Entitlement.id)
            .join(PolicyVersion, PolicyVersion.id == Entitlement.policy_version_id)
            .where(Entitlement.uscc == portal.usccs[index], PolicyVersion.policy_id == DOCS)
        ).one()


def test_files_attached_as_the_listed_documents_let_the_application_be_submitted(
    portal: Portal,
) -> None:
    """The upload form asks which listed document a file is (the first required one still
    missing chosen); submitting is refused in the page's words while a required one has no
    file, and goes through once each has."""
    from portal_data import page_token

    client = sign_in(portal.client(), "ent3")
    record = _record(portal, "ent3")
    page = client.get(f"/policies/{DOCS}").text
    chosen = re.search(
        r'<select id="attachment-document" name="document">(.*?)</select>', page, re.S
    )
    assert chosen, page[-3000:]
    assert '<option value="申请表" selected>申请表</option>' in chosen.group(0)

    def submit() -> str:
        token = page_token(client, f"/policies/{DOCS}")
        sent = client.post(
            f"/policies/{DOCS}/submit", data={"csrf_token": token, "record_id": str(record)}
        )
        return " ".join(sent.text.split())

    said = submit()
    assert f"申报 {record} 缺少政策要求的材料：申请表, 营业执照复印件；请在本页“附件”处" in said, (
        said
    )

    token = page_token(client, f"/policies/{DOCS}")
    sent = client.post(
        f"/policies/{DOCS}/attachments",
        params={"record_id": str(record)},
        data={"csrf_token": token, "document": "申请表"},
        files={"file": ("form.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    page = client.get(f"/policies/{DOCS}").text
    assert "yes: 申请表 (必交) · 已上传：form.pdf" in _items(page), _items(page)
    assert "yes: 营业执照复印件 (必交) · 缺少" in _items(page)
    assert '<option value="营业执照复印件" selected>' in page  # the next one missing

    # Over the API, by its English name; a name the policy does not list is refused first.
    api = {"Authorization": f"Bearer {portal.token('ent3')}"}
    url = f"/api/v1/records/{record}/attachments"
    wrong = portal.client().post(
        url, params={"document": "营业执照"}, headers=api, files={"file": ("a.pdf", PDF)}
    )
    assert wrong.status_code == 400, wrong.text
    assert "'营业执照' is not a document policy web-docs lists; it lists: 申请表" in wrong.text
    refused = portal.client().post(f"/api/v1/records/{record}/submit", headers=api)
    assert refused.status_code == 409, refused.text
    assert f"POST /api/v1/records/{record}/attachments?document=" in refused.text
    made = portal.client().post(
        url,
        params={"document": "营业执照复印件"},
        headers=api,
        files={"file": ("licence.pdf", PDF)},
    )
    assert made.status_code == 200 and made.json()["document"] == "营业执照复印件", made.text
    assert "已提交" in submit() or "submitted" in submit()
    with portal.factory() as s:
        from huiqi.delivery.models import Entitlement

        assert s.get(Entitlement, record).status == "submitted"  # type: ignore[union-attr]
    # Submitted, its files are fixed: the page no longer asks to attach each one (qa4: it
    # still said "attach each as a file … then submit" above "can no longer be added").
    page = " ".join(client.get(f"/policies/{DOCS}").text.split())
    assert "不能再添加或删除" in page and "每项必需材料都有文件后" not in page


def test_a_refused_file_keeps_the_document_it_was_chosen_for(portal: Portal) -> None:
    """QA (qa9): after a refused file (its content not a PDF) the form came back with the
    first missing document chosen again, not the one the enterprise had picked, and the
    focus on the page's top; now it keeps the choice and the file field has the focus."""
    from portal_data import page_token

    client = sign_in(portal.client(), "ent6")
    record = _record(portal, "ent6")
    for chosen, option in (("营业执照复印件", '"营业执照复印件" selected'), ("", '"" selected')):
        token = page_token(client, f"/policies/{DOCS}")
        sent = client.post(
            f"/policies/{DOCS}/attachments",
            params={"record_id": str(record)},
            data={"csrf_token": token, "document": chosen},
            files={"file": ("a.pdf", b"GIF89a" + b"\x00" * 10, "application/pdf")},
            follow_redirects=False,
        )
        assert "attach_error=wrong_type" in sent.headers["location"], sent.headers
        page = client.get(sent.headers["location"]).text
        select = re.search(r'<select id="attachment-document".*?</select>', page, re.S)
        assert select and select.group(0).count(" selected") == 1, page[-3000:]
        assert f"<option value={option}>" in select.group(0), select.group(0)
        field = re.search(r'<input type="file" id="attachment-file"[^>]*>', page, re.S)
        assert field and "autofocus" in field.group(0)
    # Without a refusal the first required document still missing is chosen.
    page = client.get(f"/policies/{DOCS}?document=审计报告").text
    assert '<option value="申请表" selected>' in page and "autofocus" not in page


def test_a_submission_refused_for_missing_files_stays_on_the_policy_page(portal: Portal) -> None:
    """QA (qa4): submitting without the required files answered the bare error page, whose
    message said to upload them "on this page under Attachments", with only a link to the
    start page: no upload form, no way back. The refusal is now shown on the policy page,
    above the submit button, with the attachments' upload form below."""
    from portal_data import page_token

    client = sign_in(portal.client(), "ent4")
    page = client.get(f"/policies/{DOCS}").text
    record = re.search(r'name="record_id" value="(\d+)"', page)
    assert record, page[-3000:]
    refused = client.post(
        f"/policies/{DOCS}/submit",
        data={"csrf_token": page_token(client, f"/policies/{DOCS}"), "record_id": record.group(1)},
    )
    assert refused.status_code == 409
    assert 'id="submit-error"' in refused.text and "申请表" in refused.text
    assert 'id="submit-button"' in refused.text  # the form to submit again
    assert re.search(r'<form[^>]*action="/policies/web-docs/attachments', refused.text)

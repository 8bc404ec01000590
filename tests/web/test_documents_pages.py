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
    found = re.findall(r'<li class="document" data-required="(yes|no)">(.*?)</li>', html, re.S)
    return [f"{need}: {re.sub(r'<[^>]+>', '', text).strip()}" for need, text in found]


def test_an_open_application_lists_what_to_attach_in_each_language(portal: Portal) -> None:
    client = sign_in(portal.client(), "ent2")
    page = client.get(f"/policies/{DOCS}").text
    section = re.search(r'<section class="attachments".*?</section>', page, re.S)
    assert section, page[-3000:]
    assert "本次申报需提交的材料：" in section.group(0)
    assert _items(section.group(0)) == [
        "yes: 申请表 (必交)",
        "yes: 营业执照复印件 (必交)",
        "no: 审计报告 (选交)",
    ]
    # Listed once: not again under "How to receive it".
    assert len(_items(page)) == 3
    client.get("/lang/en")
    page = client.get(f"/policies/{DOCS}").text
    assert "Materials to attach to this application:" in page
    # A document named in Chinese only keeps its Chinese name on the English page.
    assert _items(page) == [
        "yes: Application form (required)",
        "yes: 营业执照复印件 (required)",
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

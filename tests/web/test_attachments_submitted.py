"""The attachments of a submitted application on the policy page: listed read-only, with
no upload form nor remove buttons; a form sent anyway (a page left open in another tab)
is refused in words, on the page and over the API alike."""

from __future__ import annotations

import re

from portal_data import APPLY, Portal, page_token, sign_in
from test_attachments_pages import PDF, application_of, bearer, upload_form


def test_a_submitted_application_shows_its_files_read_only_and_refuses_an_upload(
    portal: Portal,
) -> None:
    """Regression: an upload form sent after the application was submitted came back to
    the page with nothing said (the refusal was worded inside the form, which a submitted
    application no longer shows), so the file seemed to vanish."""
    client = sign_in(portal.client(), "ent1")
    record = application_of(portal, 1)
    stale = page_token(client, f"/policies/{APPLY}")  # the form of a page opened before
    sent = upload_form(client, record, "合同.pdf", PDF)
    assert sent.status_code == 303
    api, owner = portal.client(), bearer(portal, "ent1")
    assert api.post(f"/api/v1/records/{record}/submit", headers=owner).status_code == 200

    page = client.get(f"/policies/{APPLY}").text
    section = page[
        page.index('id="attachments"') : page.index("</section>", page.index('id="attachments"'))
    ]
    assert re.search(r'<a href="/attachments/\d+" download>合同\.pdf</a>', section), section
    assert 'enctype="multipart/form-data"' not in section and "/remove" not in section
    assert "申报状态为“已提交”，附件不能再添加或删除。" in section
    assert 'role="alert"' not in section

    late = client.post(
        f"/policies/{APPLY}/attachments",
        params={"record_id": str(record)},
        data={"csrf_token": stale},
        files={"file": ("补充.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert late.status_code == 303
    assert late.headers["location"] == f"/policies/{APPLY}?attach_error=not_open#attachments"
    refused = client.get(late.headers["location"]).text
    alert = re.search(
        r'<p class="notice error" id="attachment-error" role="alert">(.*?)</p>', refused
    )
    assert alert and "申报状态为“已提交”，附件不能再添加或删除。" in alert.group(1), refused
    assert "补充.pdf" not in refused

    # The API refuses the same upload (409), saying why.
    api_late = api.post(
        f"/api/v1/records/{record}/attachments",
        files={"file": ("补充.pdf", PDF, "application/pdf")},
        headers=owner,
    )
    assert api_late.status_code == 409
    assert "'submitted': attachments change only before it is submitted" in api_late.text
    assert [
        f["filename"]
        for f in api.get(f"/api/v1/records/{record}/attachments", headers=owner).json()
    ] == ["合同.pdf"]


def test_removing_a_file_of_a_submitted_application_is_refused_in_the_pages_language(
    portal: Portal,
) -> None:
    client = sign_in(portal.client(), "ent2")
    record = application_of(portal, 2)
    assert upload_form(client, record, "报表.pdf", PDF).status_code == 303
    page = client.get(f"/policies/{APPLY}").text
    found = re.search(r'<a href="/attachments/(\d+)" download>报表\.pdf</a>', page)
    assert found, page
    stale = page_token(client, f"/policies/{APPLY}")
    api, owner = portal.client(), bearer(portal, "ent2")
    assert api.post(f"/api/v1/records/{record}/submit", headers=owner).status_code == 200
    removed = client.post(
        f"/attachments/{found.group(1)}/remove",
        data={"csrf_token": stale, "next": f"/policies/{APPLY}"},
        follow_redirects=False,
    )
    assert removed.status_code == 409
    assert "附件只能在提交前更改" in removed.text, removed.text
    assert api.get(f"/api/v1/attachments/{found.group(1)}", headers=owner).status_code == 200

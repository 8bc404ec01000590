"""Attachments of a pre-filled application (申报) on the policy page and over /api/v1:
upload (multipart), the refusals worded next to the field, download, removal, the
reviewer's view in the console, other enterprises refused, and a fuzz of the upload
endpoint (random bytes and names: never a server error, never a file written)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import APPLY, Portal, page_token, sign_in
from sqlalchemy import select

from huiqi.delivery.models import Attachment, Entitlement
from huiqi.errors import ConfigError
from huiqi.web.settings import WebSettings

PDF = b"%PDF-1.4\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def bearer(portal: Portal, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.token(user)}"}


def application_of(portal: Portal, index: int) -> int:
    with portal.factory() as s:
        ids = s.scalars(
            select(Entitlement.id).where(
                Entitlement.uscc == portal.usccs[index], Entitlement.mode == "apply"
            )
        ).all()
    [record] = ids
    return record


def upload_form(client, record: int, name: str, content: bytes, ctype: str = "application/pdf"):  # type: ignore[no-untyped-def]
    token = page_token(client, f"/policies/{APPLY}")
    return client.post(
        f"/policies/{APPLY}/attachments",
        params={"record_id": str(record)},
        data={"csrf_token": token},
        files={"file": (name, content, ctype)},
        follow_redirects=False,
    )


def test_the_enterprise_attaches_downloads_and_removes_a_file_on_the_policy_page(
    portal: Portal,
) -> None:
    client = sign_in(portal.client(), "ent4")
    record = application_of(portal, 4)
    page = client.get(f"/policies/{APPLY}").text
    assert 'id="attachments"' in page and 'enctype="multipart/form-data"' in page
    assert '<label for="attachment-file">' in page and "最大 10 MB" in page
    sent = upload_form(client, record, "C:\\材料\\审计报告.pdf", PDF, "image/png")
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/policies/{APPLY}?attached=1#attachments"
    page = client.get(f"/policies/{APPLY}?attached=1").text
    assert "文件已上传" in page
    found = re.search(r'<a href="/attachments/(\d+)" download>审计报告\.pdf</a>', page)
    assert found, page
    got = client.get(f"/attachments/{found.group(1)}")
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"  # sniffed, not the declared PNG
    assert "filename*=UTF-8''%E5%AE%A1" in got.headers["content-disposition"]
    assert hashlib.sha256(PDF).hexdigest()[:12] in page
    removed = client.post(
        f"/attachments/{found.group(1)}/remove",
        data={"csrf_token": page_token(client, f"/policies/{APPLY}"), "next": f"/policies/{APPLY}"},
        follow_redirects=False,
    )
    assert removed.status_code == 303 and removed.headers["location"] == f"/policies/{APPLY}"
    assert "审计报告.pdf" not in client.get(f"/policies/{APPLY}").text


@pytest.mark.parametrize(
    ("name", "content", "code", "message"),
    [
        ("a.pdf", b"", "empty", "文件是空的"),
        (
            "a.pdf",
            b"GIF89a" + b"\x00" * 10,
            "wrong_type",
            "只接受 PDF、PNG、JPEG、Excel（xlsx）和 Word（docx）文件",
        ),
        ("", b"", "missing", "请选择要上传的文件"),
    ],
)
def test_a_refused_file_is_worded_next_to_the_field(
    portal: Portal, name: str, content: bytes, code: str, message: str
) -> None:
    client = sign_in(portal.client(), "ent5")
    sent = upload_form(client, application_of(portal, 5), name, content)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/policies/{APPLY}?attach_error={code}#attachments"
    page = client.get(sent.headers["location"]).text
    assert 'aria-describedby="attachment-error"' in page
    error = re.search(r'<p class="field-error" id="attachment-error" role="alert">(.*?)</p>', page)
    assert error and message in error.group(1), page


def test_the_size_limit_is_configurable_and_worded(portal: Portal) -> None:
    client = sign_in(portal.client(WebSettings(max_upload_bytes=1024 * 1024)), "ent5")
    too_big = PDF + b"0" * (1024 * 1024)
    sent = upload_form(client, application_of(portal, 5), "big.pdf", too_big)
    assert sent.headers["location"] == f"/policies/{APPLY}?attach_error=too_big#attachments"
    assert "文件超过 1 MB" in client.get(sent.headers["location"]).text
    api = portal.client(WebSettings(max_upload_bytes=1024 * 1024))
    refused = api.post(
        f"/api/v1/records/{application_of(portal, 5)}/attachments",
        files={"file": ("big.pdf", too_big, "application/pdf")},
        headers=bearer(portal, "ent5"),
    )
    assert (
        refused.status_code == 413 and "at most 1,048,576 bytes (1 MB)" in refused.json()["detail"]
    )


def test_the_api_uploads_lists_downloads_and_deletes(portal: Portal) -> None:
    api, headers = portal.client(), bearer(portal, "ent6")
    record = application_of(portal, 6)
    made = api.post(
        f"/api/v1/records/{record}/attachments",
        files={"file": ("../../营业执照.PDF", PNG, "application/pdf")},
        headers=headers,
    )
    assert made.status_code == 200, made.text
    body = made.json()
    assert (body["filename"], body["content_type"], body["size"]) == (
        "营业执照.png",
        "image/png",
        len(PNG),
    )
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest()
    listed = api.get(f"/api/v1/records/{record}/attachments", headers=headers).json()
    assert [a["id"] for a in listed] == [body["id"]]
    assert api.get(f"/api/v1/attachments/{body['id']}", headers=headers).content == PNG
    intruder = bearer(portal, "ent7")
    for method, path in (
        ("GET", f"/api/v1/records/{record}/attachments"),
        ("GET", f"/api/v1/attachments/{body['id']}"),
        ("DELETE", f"/api/v1/attachments/{body['id']}"),
    ):
        assert api.request(method, path, headers=intruder).status_code == 403, path
    stolen = api.post(
        f"/api/v1/records/{record}/attachments",
        files={"file": ("x.pdf", PDF, "application/pdf")},
        headers=intruder,
    )
    assert stolen.status_code == 403
    assert api.delete(f"/api/v1/attachments/{body['id']}", headers=headers).status_code == 200
    assert api.get(f"/api/v1/records/{record}/attachments", headers=headers).json() == []


def test_the_reviewer_sees_and_downloads_the_files_of_a_submitted_application(
    portal: Portal,
) -> None:
    api, headers = portal.client(), bearer(portal, "ent3")
    record = application_of(portal, 3)
    made = api.post(
        f"/api/v1/records/{record}/attachments",
        files={"file": ("合同.pdf", PDF, "application/pdf")},
        headers=headers,
    ).json()
    assert api.post(f"/api/v1/records/{record}/submit", headers=headers).status_code == 200
    late = api.delete(f"/api/v1/attachments/{made['id']}", headers=headers)
    assert late.status_code == 409 and "'submitted'" in late.json()["detail"]
    officer = sign_in(portal.client(), "officer")
    queue = officer.get("/console/applications").text
    assert f'<a href="/attachments/{made["id"]}" download>合同.pdf</a>' in queue
    assert officer.get(f"/attachments/{made['id']}").content == PDF
    elsewhere = sign_in(portal.client(), "reviewer-elsewhere")
    assert elsewhere.get(f"/attachments/{made['id']}").status_code == 403
    assert sign_in(portal.client(), "finance").get("/console/applications").status_code == 200


def _files(root: Path) -> set[Path]:
    return {
        p
        for p in root.rglob("*")
        if p.is_file() and ".sqlite" not in p.name and "db" not in p.suffix
    }


NAMES = st.one_of(
    st.text(max_size=120),
    st.sampled_from(
        ["../../x.pdf", "/etc/passwd", "..\\..\\a.docx", "a/b/c.png", "", ".", "..", "\x00.pdf"]
    ),
)
CONTENTS = st.one_of(
    st.binary(max_size=2048),
    st.sampled_from([PDF, PNG, b"PK\x03\x04", b"%PDF"]).flatmap(
        lambda head: st.binary(max_size=512).map(lambda tail: head + tail)
    ),
)


def test_fuzzing_the_upload_never_fails_the_server_nor_writes_a_file(portal: Portal) -> None:
    api, headers = portal.client(), bearer(portal, "ent2")
    record = application_of(portal, 2)
    root = Path(portal.settings.data_dir).parent
    before = _files(root)

    @given(
        name=NAMES,
        content=CONTENTS,
        ctype=st.sampled_from(["application/pdf", "text/html", "", "image/png"]),
    )
    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    def upload(name: str, content: bytes, ctype: str) -> None:
        try:
            response = api.post(
                f"/api/v1/records/{record}/attachments",
                files={"file": (name, content, ctype or "application/octet-stream")},
                headers=headers,
            )
        except UnicodeEncodeError:  # the test client cannot send this name; nothing to test
            return
        assert response.status_code in (200, 400, 422), (response.status_code, response.text)
        if response.status_code == 200:
            stored = response.json()["filename"]
            assert "/" not in stored and "\\" not in stored and not stored.startswith(".")
            api.delete(f"/api/v1/attachments/{response.json()['id']}", headers=headers)

    upload()
    assert _files(root) == before
    with portal.factory() as s:
        assert not s.scalars(select(Attachment.id).where(Attachment.uscc == portal.usccs[2])).all()


def test_the_upload_limit_comes_from_the_environment() -> None:
    assert WebSettings.from_env({}).max_upload_bytes == 10 * 1024 * 1024
    assert WebSettings.from_env({"HUIQI_WEB_MAX_UPLOAD_MB": "25"}).max_upload_bytes == 25 << 20
    with pytest.raises(ConfigError, match="HUIQI_WEB_MAX_UPLOAD_MB must be at least 1"):
        WebSettings.from_env({"HUIQI_WEB_MAX_UPLOAD_MB": "0"})


def test_a_form_of_too_many_fields_is_refused_in_the_pages_language(portal: Portal) -> None:
    """Regression (QA, session 29): starlette's "Too many fields. Maximum number of fields
    is 20." was shown as it is on a Chinese page."""
    client = sign_in(portal.client(), "ent5")
    token = page_token(client, f"/policies/{APPLY}")
    sent = client.post(
        f"/policies/{APPLY}/attachments",
        params={"record_id": str(application_of(portal, 5))},
        data={"csrf_token": token, **{f"x{i}": "1" for i in range(30)}},
        files={"file": ("a.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert sent.status_code == 400
    assert "表单字段过多：最多 20 个。" in sent.text and "Too many fields" not in sent.text


def files_of(portal: Portal, record: int) -> list[dict[str, object]]:
    owner = bearer(portal, f"ent{record_owner(portal, record)}")
    listed = portal.client().get(f"/api/v1/records/{record}/attachments", headers=owner)
    assert listed.status_code == 200, listed.text
    return listed.json()


def record_owner(portal: Portal, record: int) -> int:
    with portal.factory() as s:
        found = s.get(Entitlement, record)
        assert found is not None
        return portal.usccs.index(found.uscc)


def test_the_upload_form_sent_twice_stores_the_file_once(portal: Portal) -> None:
    """Regression: the policy page's upload form had no idempotency key, so a double click
    (or the browser sending the POST again) stored the file twice. The form's one-time key
    makes the second answer as the first did, storing nothing."""
    client = sign_in(portal.client(), "ent4")
    record = application_of(portal, 4)
    before = len(files_of(portal, record))
    page = client.get(f"/policies/{APPLY}").text
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page)
    assert key, page
    assert key.group(1) not in client.get(f"/policies/{APPLY}").text  # each form its own key

    def send(key: str, content: bytes = PDF) -> httpx.Response:
        return client.post(
            f"/policies/{APPLY}/attachments",
            params={"record_id": str(record)},
            data={"csrf_token": page_token(client, f"/policies/{APPLY}"), "idempotency_key": key},
            files={"file": ("两次.pdf", content, "application/pdf")},
            follow_redirects=False,
        )

    sent = [send(key.group(1)) for _ in range(3)]
    assert {r.status_code for r in sent} == {303}
    assert {r.headers["location"] for r in sent} == {f"/policies/{APPLY}?attached=1#attachments"}
    assert len(files_of(portal, record)) == before + 1
    # Another form (its own key) stores again; a tampered key is not this site's form.
    assert send("f" * 32, PNG).status_code == 303
    assert len(files_of(portal, record)) == before + 2
    bad = send("x" * 65)
    assert bad.status_code == 403
    assert len(files_of(portal, record)) == before + 2
    with portal.factory() as s:
        keys = s.scalars(
            select(Attachment.idempotency_key).where(Attachment.uploaded_by == "ent4")
        ).all()
    assert key.group(1) in keys and "f" * 32 in keys
    # A key this account sent with another application's file is worded by the field.
    refused = client.get(f"/policies/{APPLY}?attach_error=key_reused").text
    assert "此表单已用于向另一份申报上传附件" in refused


def test_the_api_stores_once_per_idempotency_key(portal: Portal) -> None:
    """Regression: a retried upload (an API call whose answer was lost) stored the file
    again. With the same ``Idempotency-Key`` header the repeat answers the first file
    (marked ``Idempotent-Replayed``). The key stands for one upload: it answered the
    first file to another file sent with it too, as if that had been stored (qa2); that
    is now a 422 naming the header, and nothing is stored."""
    api, owner = portal.client(), bearer(portal, "ent6")
    record = application_of(portal, 6)
    before = len(files_of(portal, record))

    def send(key: str, content: bytes = PDF) -> httpx.Response:
        return api.post(
            f"/api/v1/records/{record}/attachments",
            files={"file": ("重试.pdf", content, "application/pdf")},
            headers={**owner, "Idempotency-Key": key},
        )

    made = [send("u-1") for _ in range(3)]
    assert [r.status_code for r in made] == [200] * 3, made[0].text
    assert len({r.text for r in made}) == 1
    assert [r.headers.get("Idempotent-Replayed") for r in made] == [None, "true", "true"]
    first = made[0].json()
    assert first["content_type"] == "application/pdf"
    changed = send("u-1", PNG)
    assert changed.status_code == 422
    [said] = changed.json()["detail"]
    assert said["loc"] == ["header", "Idempotency-Key"]
    assert "used before for a different request" in said["msg"]
    assert len(files_of(portal, record)) == before + 1
    other = send("u-2", PNG)
    assert other.json()["id"] != first["id"]
    assert len(files_of(portal, record)) == before + 2
    bad = send("a b")
    assert bad.status_code == 422
    assert "idempotency key" in bad.json()["detail"][0]["msg"]
    # The key is the account's and the access is checked first: another enterprise is
    # refused, never answered with this file.
    intruder = api.post(
        f"/api/v1/records/{record}/attachments",
        files={"file": ("x.pdf", PDF, "application/pdf")},
        headers={**bearer(portal, "ent7"), "Idempotency-Key": "u-1"},
    )
    assert intruder.status_code == 403 and first["sha256"] not in intruder.text
    # Another enterprise's own upload with the same key is its own file.
    theirs = api.post(
        f"/api/v1/records/{application_of(portal, 7)}/attachments",
        files={"file": ("x.pdf", PDF, "application/pdf")},
        headers={**bearer(portal, "ent7"), "Idempotency-Key": "u-1"},
    )
    assert theirs.status_code == 200 and theirs.json()["id"] != first["id"]
    assert len(files_of(portal, record)) == before + 2

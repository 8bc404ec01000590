"""An attachment upload over the API: who may attach is checked before the upload is read
(a refused caller's body is never read), then a file above the limit is a 413 as every
other upload is."""

from __future__ import annotations

from collections.abc import Iterator

from portal_data import APPLY, Portal, page_token, sign_in

from huiqi.web.settings import WebSettings

PDF = b"%PDF-1.4\n%%EOF\n"
MB = 1024 * 1024
# A multipart body's headers saying it is 50 MB (``Body`` sends far less).
LYING = {"Content-Type": "multipart/form-data; boundary=b", "Content-Length": str(50 * MB)}


def bearer(portal: Portal, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.token(user)}"}


def application(portal: Portal, user: str) -> int:
    rows = portal.client().get(
        "/api/v1/records", params={"policy_id": APPLY}, headers=bearer(portal, user)
    )
    return int(rows.json()[0]["id"])


class Body:
    """A multipart body that says it is 50 MB and notes whether anyone read it."""

    def __init__(self) -> None:
        self.read = False

    def __iter__(self) -> Iterator[bytes]:
        self.read = True
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
        yield PDF + b"\r\n--b--\r\n"


def test_someone_without_access_is_refused_before_their_upload_is_read(portal: Portal) -> None:
    """Regression: the multipart body was parsed (spooled in full) before anything was
    checked, and the size before access: an intruder's oversized upload answered 400
    ("too big") instead of 403, after the server had read it."""
    victims = application(portal, "ent1")
    for user, expected in (("ent5", 403), ("finance", 403)):
        body = Body()
        refused = portal.client().post(
            f"/api/v1/records/{victims}/attachments",
            content=iter(body),
            headers={**bearer(portal, user), **LYING},
        )
        assert refused.status_code == expected, (user, refused.text)
        assert not body.read, user
    missing = Body()
    gone = portal.client().post(
        "/api/v1/records/999999/attachments",
        content=iter(missing),
        headers={**bearer(portal, "ent5"), **LYING},
    )
    assert gone.status_code == 404 and not missing.read


def test_an_oversized_upload_by_the_enterprise_is_413_naming_the_limit(portal: Portal) -> None:
    """Regression: the API answered 400 for a file above HUIQI_WEB_MAX_UPLOAD_MB, where the
    other uploads (complaints, payment results) answered 413."""
    client = portal.client(WebSettings(max_upload_bytes=MB))
    record, headers = application(portal, "ent5"), bearer(portal, "ent5")
    declared = client.post(
        f"/api/v1/records/{record}/attachments",
        content=iter(Body()),
        headers={**headers, **LYING},
    )
    assert declared.status_code == 413, declared.text
    sent = client.post(
        f"/api/v1/records/{record}/attachments",
        files={"file": ("big.pdf", PDF + b"0" * MB, "application/pdf")},
        headers=headers,
    )
    assert sent.status_code == 413 and "at most 1,048,576 bytes (1 MB)" in sent.json()["detail"]
    fits = client.post(
        f"/api/v1/records/{record}/attachments",
        files={"file": ("small.pdf", PDF, "application/pdf")},
        headers=headers,
    )
    assert fits.status_code == 200, fits.text


def test_the_other_uploads_check_access_before_reading_too(portal: Portal) -> None:
    """Regression: the payment results and complaint export uploads declared their files
    as FastAPI File parameters, so the body was parsed before the role was checked."""
    for path in ("/api/v1/finance/payments", "/api/v1/complaints/import"):
        body = Body()
        refused = portal.client().post(
            path, content=iter(body), headers={**bearer(portal, "ent5"), **LYING}
        )
        assert refused.status_code == 403, (path, refused.text)
        assert not body.read, path
    finance = portal.client().post(
        "/api/v1/finance/payments",
        content=iter(Body()),
        headers={**bearer(portal, "finance"), **LYING},
    )
    assert finance.status_code == 413, finance.text


def test_the_policy_pages_upload_form_checks_access_before_reading_the_upload(
    portal: Portal,
) -> None:
    """Regression: the policy page's attachment form read the whole multipart body (the
    application's id was one of its fields) before asking whether the user may attach
    files to that application: another enterprise's upload was read, then refused."""
    victims = application(portal, "ent1")
    client = sign_in(portal.client(), "ent5")
    body = Body()
    refused = client.post(
        f"/policies/{APPLY}/attachments",
        params={"record_id": str(victims)},
        content=iter(body),  # streamed: no length to refuse it by
        headers={"Content-Type": LYING["Content-Type"]},
        follow_redirects=False,
    )
    assert refused.status_code == 403, refused.text
    assert not body.read
    own = application(portal, "ent5")
    token = page_token(client, f"/policies/{APPLY}")
    page = client.get(f"/policies/{APPLY}").text
    assert f'action="/policies/{APPLY}/attachments?record_id={own}"' in page
    sent = client.post(
        f"/policies/{APPLY}/attachments",
        params={"record_id": str(own)},
        data={"csrf_token": token},
        files={"file": ("a.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and "attached=1" in sent.headers["location"], sent.text

"""A request's files through the API: filed with the request (multipart, field ``files``)
and downloaded from ``/api/v1/request-files/{id}`` by those who may read the request.

Regression (QA): ``GET /api/v1/requests/{id}`` listed the request's attachments, but
``/api/v1/attachments/{id}`` serves only an application's, so a listed file could not be
downloaded through the API; and ``POST /api/v1/requests`` took JSON only, so no file could
go with a request filed through it."""

from __future__ import annotations

import pytest
from portal_data import Portal
from sqlalchemy import select

from huiqi.delivery.models import Event

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def bearer(portal: Portal, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.token(user)}"}


@pytest.fixture(scope="module")
def filed(portal: Portal) -> dict[str, object]:
    """ent0's request with two files, filed through the API as a multipart form."""
    made = portal.client().post(
        "/api/v1/requests",
        data={"category": "policy", "text": "附上我们的材料", "policy_id": "", "grant_id": ""},
        files=[
            ("files", ("说明.pdf", PDF, "application/pdf")),
            ("files", ("现场.png", PNG, "image/png")),
        ],
        headers=bearer(portal, "ent0"),
    )
    assert made.status_code == 200, made.text
    body: dict[str, object] = made.json()
    return body


def test_files_go_with_a_request_filed_through_the_api(
    portal: Portal, filed: dict[str, object]
) -> None:
    files = filed["attachments"]
    assert isinstance(files, list)
    assert [(f["filename"], f["content_type"]) for f in files] == [
        ("说明.pdf", "application/pdf"),
        ("现场.png", "image/png"),
    ]
    shown = portal.client().get(f"/api/v1/requests/{filed['id']}", headers=bearer(portal, "ent0"))
    assert [f["url"] for f in shown.json()["attachments"]] == [
        f"/api/v1/request-files/{f['id']}" for f in files
    ]


def test_a_listed_file_is_downloaded_by_the_enterprise_and_the_department(
    portal: Portal, filed: dict[str, object]
) -> None:
    client = portal.client()
    [pdf, _] = filed["attachments"]  # type: ignore[misc]
    own = client.get(pdf["url"], headers=bearer(portal, "ent0"))
    assert own.status_code == 200 and own.content == PDF
    assert own.headers["content-type"] == "application/pdf"
    assert own.headers["content-disposition"].startswith("attachment;")
    officer = client.get(pdf["url"], headers=bearer(portal, "desk-policy"))
    assert officer.status_code == 200 and officer.content == PDF
    with portal.factory() as s:  # the official's read is audited, the enterprise's not
        reads = s.scalars(select(Event.actor).where(Event.kind == "attachment_read")).all()
    assert "desk-policy" in reads and "ent0" not in reads


@pytest.mark.parametrize("intruder", ["ent7", "desk-finance"])
def test_another_enterprise_or_department_cannot_download_it(
    portal: Portal, filed: dict[str, object], intruder: str
) -> None:
    """Refused as reading the request itself is (403), the file never sent."""
    client = portal.client()
    [pdf, _] = filed["attachments"]  # type: ignore[misc]
    request = client.get(f"/api/v1/requests/{filed['id']}", headers=bearer(portal, intruder))
    got = client.get(pdf["url"], headers=bearer(portal, intruder))
    assert got.status_code == request.status_code == 403, got.text
    assert PDF not in got.content
    assert client.get(pdf["url"]).status_code == 401
    missing = client.get("/api/v1/request-files/999999", headers=bearer(portal, "ent0"))
    assert missing.status_code == 404


def test_a_multipart_request_is_held_to_the_portals_limits(portal: Portal) -> None:
    client = portal.client()
    owner = bearer(portal, "ent1")
    form = {"category": "policy", "text": "咨询"}
    wrong = client.post(
        "/api/v1/requests",
        data=form,
        files=[("files", ("a.txt", b"hello", "text/plain"))],
        headers=owner,
    )
    assert wrong.status_code == 400 and "PDF" in wrong.text, wrong.text
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    too_big = client.post(
        "/api/v1/requests",
        data=form,
        files=[("files", ("big.pdf", big, "application/pdf"))],
        headers=owner,
    )
    assert too_big.status_code == 413, too_big.text
    six = [("files", (f"{i}.pdf", PDF, "application/pdf")) for i in range(6)]
    assert client.post("/api/v1/requests", data=form, files=six, headers=owner).status_code == 400
    pdf = [("files", ("说明.pdf", PDF, "application/pdf"))]
    missing = client.post("/api/v1/requests", data={"text": "咨询"}, files=pdf, headers=owner)
    assert missing.status_code == 422 and "category" in missing.text
    mine = client.get("/api/v1/requests", headers=owner).json()
    assert all(r["text"] != "咨询" or not r["attachments"] for r in mine)  # nothing filed


def test_who_may_not_file_is_refused_before_the_files_are_read(portal: Portal) -> None:
    client = portal.client()
    pdf = [("files", ("说明.pdf", PDF, "application/pdf"))]
    officer = client.post(
        "/api/v1/requests",
        data={"uscc": portal.usccs[0], "category": "policy", "text": "代填"},
        files=pdf,
        headers=bearer(portal, "desk-policy"),
    )
    assert officer.status_code == 403, officer.text
    other = client.post(
        "/api/v1/requests",
        data={"uscc": portal.usccs[0], "category": "policy", "text": "冒名"},
        files=pdf,
        headers=bearer(portal, "ent7"),
    )
    assert other.status_code == 403, other.text


# Regression (review): a request's refused file named the field ``file`` (an application's
# upload's), but a request's files come in the part ``files``: a program that shows the
# message beside the field it names had no such field on its form.
REFUSED_FILES = [
    ("empty", [("files", ("a.pdf", b"", "application/pdf"))]),
    ("not a type taken", [("files", ("a.txt", b"plain words", "text/plain"))]),
    ("too many", [("files", (f"{n}.pdf", PDF, "application/pdf")) for n in range(6)]),
]


@pytest.mark.parametrize(("why", "files"), REFUSED_FILES, ids=[w for w, _ in REFUSED_FILES])
def test_a_refused_file_of_a_request_names_the_files_field(
    portal: Portal, why: str, files: list[tuple[str, tuple[str, bytes, str]]]
) -> None:
    sent = portal.client().post(
        "/api/v1/requests",
        data={"category": "policy", "text": f"材料被拒：{why}"},
        files=files,
        headers=bearer(portal, "ent0"),
    )
    assert sent.status_code == 400, sent.text
    assert (sent.json()["code"], sent.json()["field"]) == ("invalid", "files"), sent.text

"""Attachments of a pre-filled application (申报): the type is sniffed from the content
(never the declared name or type), the stored name is safe, the size bounded; the
enterprise adds and removes files while the application is open, it and the reviewers in
scope read them; each upload and removal is an audit event with the file's SHA-256."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from helpers import build_store, policy_yaml, uscc
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.roles import Role
from huiqi.accounts.testing import OFFICER, enterprise, officer
from huiqi.db.engine import transaction
from huiqi.delivery import applications as apps
from huiqi.delivery.attachments import (
    add_attachment,
    attachments_by_record,
    get_attachment,
    list_attachments,
    remove_attachment,
)
from huiqi.delivery.filetypes import (
    DOCX,
    JPEG,
    MAX_NAME,
    PDF,
    PNG,
    XLSX,
    AttachmentError,
    safe_filename,
    sniff,
)
from huiqi.delivery.models import Entitlement, Event
from huiqi.delivery.publish import deliver, publish_text
from huiqi.xlsxwrite import write_text_workbook

PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def office(member: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(member, "<x/>")
    return out.getvalue()


def xlsx_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "t.xlsx"
    write_text_workbook(path, ["a"], [["1"]], sheet_name="s")
    return path.read_bytes()


def test_types_are_sniffed_from_the_content(tmp_path: Path) -> None:
    assert sniff(PDF_BYTES) is PDF and sniff(PNG_BYTES) is PNG and sniff(JPEG_BYTES) is JPEG
    assert sniff(xlsx_bytes(tmp_path)) is XLSX
    assert sniff(office("word/document.xml")) is DOCX
    for refused in (b"MZ\x90\x00", b"<html>", office("other.xml"), b"PK\x03\x04broken"):
        with pytest.raises(AttachmentError, match="not one of the accepted types") as info:
            sniff(refused)
        assert info.value.code == "wrong_type"
    with pytest.raises(AttachmentError, match="empty"):
        sniff(b"")


@pytest.mark.parametrize(
    ("name", "kind", "safe"),
    [
        ("营业执照.pdf", PDF, "营业执照.pdf"),
        ("C:\\Users\\li\\审计报告（2025）.PDF", PDF, "审计报告(2025).pdf"),
        ("../../etc/passwd", PDF, "passwd.pdf"),
        ("photo.pdf", PNG, "photo.png"),  # the content decides the extension
        ("..", JPEG, "attachment.jpg"),
        (None, XLSX, "attachment.xlsx"),
        ("a\x00b;rm -rf $HOME|.docx", DOCX, "ab_rm -rf _HOME.docx"),
        (".bashrc", PDF, "bashrc.pdf"),
    ],
)
def test_stored_names_are_safe(name: str | None, kind: object, safe: str) -> None:
    assert safe_filename(name, kind) == safe  # type: ignore[arg-type]


@given(st.one_of(st.none(), st.text(max_size=400)), st.sampled_from([PDF, PNG, JPEG, XLSX, DOCX]))
def test_any_name_becomes_a_plain_file_name(name: str | None, kind: object) -> None:
    safe = safe_filename(name, kind)  # type: ignore[arg-type]
    assert safe.endswith(kind.extension)  # type: ignore[attr-defined]
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".")
    assert safe.removesuffix(kind.extension) not in ("", ".", "..")  # type: ignore[attr-defined]
    assert all(ord(c) >= 32 for c in safe)
    assert len(safe) <= MAX_NAME + len(kind.extension)  # type: ignore[attr-defined]


def open_application(sessions: sessionmaker[Session], tmp_path: Path) -> int:
    a, b = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path, {a: 4, b: 2})
    pv, _ = publish_text(sessions, policy_yaml("attach", delivery="apply"), "a.yaml", actor=OFFICER)
    deliver(settings, sessions, pv.id, actor=OFFICER)
    with sessions() as s:
        ent = s.scalar(select(Entitlement).where(Entitlement.uscc == a))
    assert ent is not None and ent.status == "application_open"
    return ent.id


def test_the_enterprise_attaches_lists_and_removes_files_until_it_submits(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    record = open_application(sessions, tmp_path)
    me = enterprise(uscc(1))
    with transaction(sessions) as s:
        row = add_attachment(
            s, actor=me, record_id=record, filename="D:\\材料\\审计报告.pdf", content=PDF_BYTES
        )
        png = add_attachment(s, actor=me, record_id=record, filename="x.pdf", content=PNG_BYTES)
    assert (row.filename, row.content_type, row.size) == (
        "审计报告.pdf",
        "application/pdf",
        len(PDF_BYTES),
    )
    assert row.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert (png.filename, png.content_type) == ("x.png", "image/png")
    reviewer = officer("district:310115", Role.POLICY_REVIEWER)
    with transaction(sessions) as s:  # reads by officials are audit events, at commit
        for reader in (me, reviewer, OFFICER):
            assert [r.id for r in list_attachments(s, actor=reader, record_id=record)] == [
                row.id,
                png.id,
            ]
            assert get_attachment(s, actor=reader, attachment_id=row.id)[1] == PDF_BYTES
        assert list(attachments_by_record(s, actor=reviewer, record_ids=[record])) == [record]
        assert attachments_by_record(s, actor=enterprise(uscc(2)), record_ids=[record]) == {}
        for intruder in (enterprise(uscc(2)), officer("district:310104", Role.POLICY_REVIEWER)):
            with pytest.raises(AccessDenied):
                list_attachments(s, actor=intruder, record_id=record)
            with pytest.raises(AccessDenied):
                get_attachment(s, actor=intruder, attachment_id=row.id)
    # Regression: reading an enterprise's document left no trace. An official's read is
    # an audit event; the enterprise's own is not.
    with sessions() as s:
        reads = s.scalars(select(Event).where(Event.kind == "attachment_read")).all()
    assert sorted(e.actor for e in reads) == sorted([reviewer.username, OFFICER.username])
    assert {e.data["sha256"] for e in reads} == {row.sha256}  # type: ignore[index]
    with transaction(sessions) as s, pytest.raises(AccessDenied):
        remove_attachment(s, actor=reviewer, attachment_id=png.id)
    with transaction(sessions) as s, pytest.raises(AccessDenied):
        add_attachment(
            s, actor=enterprise(uscc(2)), record_id=record, filename="a", content=PDF_BYTES
        )
    with transaction(sessions) as s:
        removed = remove_attachment(s, actor=me, attachment_id=png.id)
    assert removed.id == png.id
    with sessions() as s:
        assert [r.id for r in list_attachments(s, actor=me, record_id=record)] == [row.id]
        events = s.scalars(select(Event).where(Event.kind.in_(("attach", "detach")))).all()
    assert [(e.kind, e.data["sha256"]) for e in events] == [  # type: ignore[index]
        ("attach", row.sha256),
        ("attach", png.sha256),
        ("detach", png.sha256),
    ]
    assert events[0].actor == me.username and events[0].entity.startswith("application:")  # type: ignore[union-attr]

    apps.submit(sessions, record, actor=me)
    with transaction(sessions) as s, pytest.raises(AttachmentError, match="'submitted'") as info:
        add_attachment(s, actor=me, record_id=record, filename="b.pdf", content=PDF_BYTES)
    assert info.value.code == "not_open"
    with transaction(sessions) as s, pytest.raises(AttachmentError, match="'submitted'"):
        remove_attachment(s, actor=me, attachment_id=row.id)
    with sessions() as s:  # the reviewer still reads what was submitted
        assert len(list_attachments(s, actor=reviewer, record_id=record)) == 1


def test_a_refusal_of_an_attachment_does_not_name_its_application(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression (QA): enterprise B asking for enterprise A's attachment by its id got a
    403 naming A's application ("may not read the attachments of application 12029"),
    an id B had not given and should not learn (docs/api.md)."""
    record = open_application(sessions, tmp_path)
    with transaction(sessions) as s:
        row = add_attachment(
            s, actor=enterprise(uscc(1)), record_id=record, filename="a.pdf", content=PDF_BYTES
        )
    other = enterprise(uscc(2))
    with sessions() as s:
        with pytest.raises(AccessDenied) as read:
            get_attachment(s, actor=other, attachment_id=row.id)
        with pytest.raises(AccessDenied) as removed:
            remove_attachment(s, actor=other, attachment_id=row.id)
    assert str(read.value).endswith(
        f"may not read attachment {row.id}; allowed: the enterprise itself, its park"
        " operator, reviewers whose scope covers the policy"
    )
    assert str(removed.value).endswith(
        f"may not remove attachment {row.id}; allowed: the enterprise itself, its park operator"
    )


def test_too_big_empty_and_wrong_type_are_refused_with_their_reason(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    record = open_application(sessions, tmp_path)
    me = enterprise(uscc(1))
    cases = [
        (PDF_BYTES + b"x" * 100, 100, "too_big", "at most 100 bytes"),
        (b"", 100, "empty", "the file is empty"),
        (b"GIF89a....", 100, "wrong_type", "not one of the accepted types"),
    ]
    for content, limit, code, message in cases:
        with transaction(sessions) as s, pytest.raises(AttachmentError, match=message) as info:
            add_attachment(
                s, actor=me, record_id=record, filename="f.pdf", content=content, max_bytes=limit
            )
        assert info.value.code == code
    with sessions() as s:
        assert list_attachments(s, actor=me, record_id=record) == []
        assert not s.scalars(select(Event).where(Event.kind == "attach")).all()

"""A file uploaded again with the same idempotency key is the first one, stored once.

QA: attaching a file twice (a double click on the policy page's upload form, the browser
resending the POST, an API call retried after a lost answer) stored it twice, each copy
counted against the application's files and written to the audit trail. A key kept with
the file, unique per account in the database (migration 0022), makes the repeat answer
the first file and store nothing, even when the two race."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers import build_store, policy_yaml, uscc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.testing import OFFICER, enterprise
from huiqi.db.engine import transaction
from huiqi.delivery import applications as apps
from huiqi.delivery import attachments
from huiqi.delivery.attachments import (
    AttachmentRow,
    add_attachment,
    check_attachable,
    remove_attachment,
)
from huiqi.delivery.filetypes import AttachmentConflict, AttachmentError
from huiqi.delivery.models import Attachment, Entitlement, Event, PolicyVersion
from huiqi.delivery.publish import deliver, publish_text

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
ME = enterprise(uscc(1))


def applications_of(sessions: sessionmaker[Session], tmp_path: Path) -> tuple[int, int]:
    """Two open applications (申报) of enterprise 1, to two policies."""
    store, _ = build_store(tmp_path, {uscc(1): 4, uscc(2): 2})
    for policy_id in ("attach-a", "attach-b"):
        text = policy_yaml(policy_id, delivery="apply")
        pv, _ = publish_text(sessions, text, f"{policy_id}.yaml", actor=OFFICER)
        deliver(store, sessions, pv.id, actor=OFFICER)
    with sessions() as s:
        found = s.execute(
            select(Entitlement.id)
            .join(PolicyVersion, PolicyVersion.id == Entitlement.policy_version_id)
            .where(Entitlement.uscc == uscc(1))
            .order_by(PolicyVersion.policy_id)
        ).scalars()
        first, second = found
    return first, second


def upload(
    sessions: sessionmaker[Session],
    record: int,
    key: object,
    content: bytes = PDF,
    name: str = "报告.pdf",
    actor: object = ME,
) -> AttachmentRow:
    with transaction(sessions) as s:
        return add_attachment(
            s,
            actor=actor,  # type: ignore[arg-type]
            record_id=record,
            filename=name,
            content=content,
            idempotency_key=key,  # type: ignore[arg-type]
        )


def precheck(
    sessions: sessionmaker[Session], record: int, key: str, actor: object = ME
) -> AttachmentRow | None:
    with sessions() as s:
        return check_attachable(s, actor=actor, record_id=record, idempotency_key=key)  # type: ignore[arg-type]


def stored(sessions: sessionmaker[Session], key: str | None = None) -> int:
    query = select(func.count()).select_from(Attachment)
    if key is not None:
        query = query.where(Attachment.idempotency_key == key)
    with sessions() as s:
        return int(s.scalar(query) or 0)


def attach_events(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).where(Event.kind == "attach")) or 0)


def test_a_file_sent_twice_with_one_key_is_stored_once(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    record, _ = applications_of(sessions, tmp_path)
    first = upload(sessions, record, "k-1")
    again = upload(sessions, record, "k-1", content=PNG, name="另一个.png")
    assert again == first and again.filename == "报告.pdf"
    assert stored(sessions) == 1 and attach_events(sessions) == 1
    # A new key, or no key, stores again.
    assert upload(sessions, record, "k-2").id != first.id
    assert len({upload(sessions, record, k).id for k in (None, "", None)}) == 3
    assert stored(sessions) == 5 and attach_events(sessions) == 5


def test_the_pre_check_answers_a_repeat_with_the_first_file(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """The API asks before it reads an upload: a repeat is answered without reading it, even
    once the application is submitted (the first upload was accepted while it was open)."""
    record, _ = applications_of(sessions, tmp_path)
    with sessions() as s:
        assert check_attachable(s, actor=ME, record_id=record, idempotency_key="k") is None
    first = upload(sessions, record, "k")
    apps.submit(sessions, record, actor=ME)
    with sessions() as s:
        assert check_attachable(s, actor=ME, record_id=record, idempotency_key="k") == first
        with pytest.raises(AttachmentConflict, match="submitted") as info:
            check_attachable(s, actor=ME, record_id=record, idempotency_key="new")
    assert info.value.code == "not_open"
    assert upload(sessions, record, "k") == first
    with pytest.raises(AttachmentConflict, match="submitted"):
        upload(sessions, record, "new")
    assert stored(sessions) == 1


def test_another_account_with_the_key_neither_finds_nor_is_blocked(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """The key is the account's own: another enterprise is refused its access before any
    key is looked up, and its own upload with the same key is its own file."""
    record, _ = applications_of(sessions, tmp_path)
    upload(sessions, record, "shared")
    other = enterprise(uscc(2))
    for ask in (
        lambda: upload(sessions, record, "shared", actor=other),
        lambda: precheck(sessions, record, "shared", actor=other),
    ):
        with pytest.raises(AccessDenied):
            ask()
    with sessions() as s:
        [theirs] = s.scalars(select(Entitlement.id).where(Entitlement.uscc == uscc(2))).all()[:1]
    assert upload(sessions, theirs, "shared", actor=other).uscc == uscc(2)
    assert stored(sessions, "shared") == 2


def test_a_key_sent_with_another_applications_file_is_refused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    first_app, second_app = applications_of(sessions, tmp_path)
    upload(sessions, first_app, "once")
    for ask in (
        lambda: upload(sessions, second_app, "once"),
        lambda: precheck(sessions, second_app, "once"),
    ):
        with pytest.raises(AttachmentConflict, match="another application") as info:
            ask()
        assert info.value.code == "key_reused"
    assert stored(sessions) == 1


@pytest.mark.parametrize("key", ["x" * 65, "has space", "中文", "tab\t", 12])
def test_a_malformed_key_is_refused_and_stores_nothing(
    sessions: sessionmaker[Session], tmp_path: Path, key: object
) -> None:
    record, _ = applications_of(sessions, tmp_path)
    with pytest.raises(AttachmentError, match="idempotency key is 1 to 64") as info:
        upload(sessions, record, key)
    assert info.value.code == "bad_key"
    assert stored(sessions) == 0


def test_a_removed_file_frees_its_key(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """The key is kept with the file: once the enterprise removes that file, an upload with
    the key stores it again (what it sends is then a new file, not a repeat of a kept one)."""
    record, _ = applications_of(sessions, tmp_path)
    first = upload(sessions, record, "k")
    with transaction(sessions) as s:
        remove_attachment(s, actor=ME, attachment_id=first.id)
    upload(sessions, record, "k")
    assert stored(sessions, "k") == 1 and attach_events(sessions) == 2


def test_the_database_refuses_a_second_file_with_the_key(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    record, _ = applications_of(sessions, tmp_path)
    first = upload(sessions, record, "same")
    with pytest.raises(IntegrityError), transaction(sessions) as s:
        row = s.get(Attachment, first.id)
        assert row is not None
        columns = [c.key for c in Attachment.__table__.columns if c.key != "id"]
        s.add(Attachment(**{c: getattr(row, c) for c in columns}))
        s.flush()


def test_two_uploads_that_race_store_once(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second upload looked before the first was committed: its insert meets the
    unique index, and it answers the first file (no audit event of its own)."""
    record, _ = applications_of(sessions, tmp_path)
    first = upload(sessions, record, "race")
    looked = attachments._uploaded_before
    calls: list[int] = []

    def not_yet(*args: object, **kw: object) -> object:
        calls.append(1)
        return None if len(calls) == 1 else looked(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(attachments, "_uploaded_before", not_yet)
    again = upload(sessions, record, "race")
    assert again == first and len(calls) == 2
    assert stored(sessions) == 1 and attach_events(sessions) == 1


def test_uploads_sent_at_once_from_threads_store_once(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Four uploads with one key at the same moment (a double click on a slow network):
    one file, and every answer is that file."""
    record, _ = applications_of(sessions, tmp_path)
    start = threading.Barrier(4)

    def send(_: int) -> AttachmentRow:
        start.wait()
        return upload(sessions, record, "together")

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(send, range(4)))
    assert len({a.id for a in answers}) == 1
    assert stored(sessions) == 1 and attach_events(sessions) == 1


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(sends=st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=6))
def test_n_uploads_store_one_file_per_key(
    sessions: sessionmaker[Session], tmp_path_factory: pytest.TempPathFactory, sends: list[str]
) -> None:
    with sessions() as s:  # the database outlives the examples: one application for them all
        record = s.scalar(select(Entitlement.id).where(Entitlement.uscc == uscc(1)).limit(1))
    if record is None:
        record, _ = applications_of(sessions, tmp_path_factory.mktemp("store"))
    prefix = f"p{attach_events(sessions)}-"  # keys of this example alone
    ids: dict[str, set[int]] = {}
    for key in sends:
        ids.setdefault(key, set()).add(upload(sessions, record, prefix + key).id)
    assert all(len(made) == 1 for made in ids.values())
    for key in set(sends):
        assert stored(sessions, prefix + key) == 1
    with transaction(sessions) as s:  # an application holds 20 files at most
        for made in ids.values():
            remove_attachment(s, actor=ME, attachment_id=made.pop())

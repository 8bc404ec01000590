"""Attaching a file to a pre-filled application (申报), the steps the API
(``web.api.attachments``) and the policy page (``web.views.attachments``) share: who may
attach is asked before the upload is read, then the file read is stored. Each shell reads
the request itself (the API's multipart field, the page's form with its CSRF token) and
answers in its own way; ``delivery.attachments`` decides.

Both steps run the database work in a worker thread, as a plain endpoint would, so that an
upload does not hold the event loop while it waits for the database.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from huiqi.accounts.access import Actor
from huiqi.db.engine import reading, transaction
from huiqi.delivery.attachments import AttachmentRow, add_attachment, check_attachable


async def may_attach(
    factory: sessionmaker[Session],
    *,
    actor: Actor,
    record_id: int,
    key: str | None = None,
    document: str | None = None,
) -> AttachmentRow | None:
    """Refuse, before the upload is read, an actor who may not attach files to this
    application, a record that is not one, an application no longer open, or a
    ``document`` its policy does not list; with ``key``, the file this actor already
    uploaded with it (a repeat, answered with that file)."""

    def check() -> AttachmentRow | None:
        with reading(factory) as s:
            return check_attachable(
                s, actor=actor, record_id=record_id, idempotency_key=key, document=document
            )

    return await run_in_threadpool(check)


async def attach(
    factory: sessionmaker[Session],
    *,
    actor: Actor,
    record_id: int,
    filename: str | None,
    content: bytes,
    max_bytes: int,
    key: str | None,
    document: str | None = None,
) -> AttachmentRow:
    """Store the file read from the upload (``add_attachment``, in its own transaction)."""

    def store() -> AttachmentRow:
        with transaction(factory) as s:
            return add_attachment(
                s,
                actor=actor,
                record_id=record_id,
                filename=filename,
                content=content,
                max_bytes=max_bytes,
                idempotency_key=key,
                document=document,
            )

    return await run_in_threadpool(store)

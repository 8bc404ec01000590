"""Which of a policy's listed materials (申报材料, ``documents``) an attached file is, and
which required ones an application still lacks.

A file is tagged with a listed document when it is attached (its Chinese name as the
policy lists it, or the English one; stored as the Chinese name), or with none. An
application whose policy requires documents cannot be submitted while one of them has
no file (``applications.submit``); a file tagged with none of them counts for none.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.delivery.models import Attachment, PolicyVersion
from huiqi.policies.documents import Document
from huiqi.policies.loader import parse_policy


class UnknownDocument(ValueError):
    """A file tagged with a document its application's policy does not list."""


def listed_documents(pv: PolicyVersion) -> tuple[Document, ...]:
    """The materials the version lists, in its order (none for most policies)."""
    policy, _ = parse_policy(pv.source_yaml, f"{pv.policy_id}@{pv.version}")
    return tuple(policy.documents)


def _names(d: Document) -> set[str]:
    names = {d.label.zh.strip()}
    if d.label.en:
        names.add(d.label.en.strip().casefold())
    return names


def resolve_document(pv: PolicyVersion, text: str | None) -> str | None:
    """The listed document ``text`` names (by its Chinese name, or its English one in any
    case), as its Chinese name; None for no text. UnknownDocument names the list."""
    if text is None or not text.strip():
        return None
    wanted = text.strip()
    listed = listed_documents(pv)
    for d in listed:
        if wanted in _names(d) or wanted.casefold() in _names(d):
            return d.label.zh.strip()
    if not listed:
        raise UnknownDocument(
            f"policy {pv.policy_id} lists no documents to attach; attach the file without"
            " naming a document"
        )
    names = ", ".join(d.label.zh for d in listed)
    raise UnknownDocument(
        f"'{wanted}' is not a document policy {pv.policy_id} lists; it lists: {names}"
    )


def missing_documents(session: Session, application_id: int, pv: PolicyVersion) -> list[Document]:
    """The required documents of ``pv`` that no file of the application is tagged with."""
    required = [d for d in listed_documents(pv) if d.required]
    if not required:
        return []
    tagged = set(
        session.scalars(
            select(Attachment.document).where(
                Attachment.application_id == application_id, Attachment.document.is_not(None)
            )
        )
    )
    return [d for d in required if d.label.zh.strip() not in tagged]

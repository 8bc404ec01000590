"""An application's checklist of materials (申报材料): what its policy version lists in
``documents`` (``huiqi.policies.documents``), beside the files attached so far.

A file attached as one of the listed documents (``required_documents``) counts for it:
the checklist says which documents have a file and which required ones are still
missing (submitting is refused while one is). Whoever may list an application's
attachments (the enterprise, its park operator, the policy's reviewers) may read its
checklist.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor
from huiqi.delivery.attachments import AttachmentRow, list_attachments
from huiqi.delivery.claims import find_entitlement
from huiqi.delivery.models import PolicyVersion
from huiqi.delivery.required_documents import listed_documents
from huiqi.policies.documents import Document


@dataclass(frozen=True)
class Checklist:
    """The materials an application's policy version asks for, and the files attached."""

    record_id: int
    policy_id: str
    version: int
    documents: tuple[Document, ...]
    files: tuple[AttachmentRow, ...]

    def files_of(self, document: Document) -> tuple[AttachmentRow, ...]:
        """The files attached as ``document``."""
        return tuple(f for f in self.files if f.document == document.label.zh.strip())

    @property
    def missing(self) -> tuple[Document, ...]:
        """The required documents with no file yet."""
        return tuple(d for d in self.documents if d.required and not self.files_of(d))


def application_documents(session: Session, *, actor: Actor, record_id: int) -> Checklist:
    """The checklist of application ``record_id`` (refused as listing its files is)."""
    files = list_attachments(session, actor=actor, record_id=record_id)  # checks access
    ent = find_entitlement(session, entitlement_id=record_id)
    pv = session.get(PolicyVersion, ent.policy_version_id)
    assert pv is not None  # list_attachments found the application of this version
    return Checklist(
        record_id=record_id,
        policy_id=pv.policy_id,
        version=pv.version,
        documents=listed_documents(pv),
        files=tuple(files),
    )

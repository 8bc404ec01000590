"""The materials an applicant attaches to an application (申报材料): a policy's optional
``documents`` list, for delivery ``apply`` only.

Each item has a label in Chinese (English optional: a document's Chinese name is often
the one an English reader has to hand in anyway) and whether it is required::

    documents:
      - label: {zh: 申请表, en: Application form}
      - label: {zh: 营业执照复印件, en: Copy of the business licence}
      - label: {zh: 知识产权证明材料}
        required: false

The portal shows the list where the enterprise prepares its application (the policy
page, above its attachments), the API gives it with the policy, and ``huiqi application
documents RECORD`` prints it beside the files attached. Attached files are not tagged
with the item they are, so submitting is not refused for a missing item: the list tells
the applicant what to attach, and the officer reviewing the application checks the files
against it.

A list on a policy of another delivery mode is refused: ``auto`` and ``confirm`` have no
application, so nobody would see it or attach anything (as ``attested`` is refused on
``auto``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

SHAPE = "label: {zh: …, en: …}"


class DocumentLabel(BaseModel):
    """A document's name: Chinese, and English when it has one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: str = Field(min_length=1)
    en: str | None = Field(default=None, min_length=1)


class Document(BaseModel):
    """One material the applicant attaches to an application (申报材料)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: DocumentLabel
    required: bool = True

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError(
                f"write a document as '{SHAPE}' (and 'required: false' when it is optional),"
                " not its name alone"
            )
        return value


def documents_list(value: Any) -> Any:
    """``documents`` is a list of items, even of one (run before the type is checked)."""
    if isinstance(value, str | dict):
        raise ValueError(f"documents is a list: write each document on its own line as '- {SHAPE}'")
    return value


def check_documents(delivery: str, documents: list[Document]) -> None:
    """Refuse a list on a mode without an application, and an item listed twice."""
    if documents and delivery != "apply":
        raise ValueError(
            f"@documents: documents lists the materials attached to an application (申报),"
            f" and delivery '{delivery}' has no application: remove 'documents', or use"
            " delivery 'apply'"
        )
    names = [d.label.zh.strip() for d in documents]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        index = names.index(repeated[0], names.index(repeated[0]) + 1)
        raise ValueError(
            f"@documents.{index}.label.zh: the document '{repeated[0]}' is listed twice;"
            " list each document once"
        )

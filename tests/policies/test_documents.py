"""A policy's ``documents`` (申报材料): the list an applicant attaches, delivery ``apply``
only, each item a Chinese label (English optional) and whether it is required; every
bad shape is refused with its line, column and field, saying what to write."""

from __future__ import annotations

import pytest

from huiqi.errors import PolicyError
from huiqi.policies.documents import Document, DocumentLabel
from huiqi.policies.loader import library_dir, load_policy_text

BASE = (library_dir() / "sh-ai-product-sales-support-2026.yaml").read_text(encoding="utf-8")


def with_documents(block: str, text: str = BASE) -> str:
    """The policy with ``block`` as its last top-level key (line numbers below count on it)."""
    return text.rstrip("\n") + "\n" + block


def line_of(block: str, text: str = BASE) -> int:
    """The line of the block's first line in the file ``with_documents`` makes."""
    return text.rstrip("\n").count("\n") + 2


def test_a_list_with_and_without_english_and_an_optional_item() -> None:
    block = (
        "documents:\n"
        "  - label: {zh: 申请表, en: Application form}\n"
        "  - label: {zh: 审计报告}\n"
        "    required: false\n"
    )
    policy = load_policy_text(with_documents(block), "p.yaml").policy
    assert policy.documents == [
        Document(label=DocumentLabel(zh="申请表", en="Application form"), required=True),
        Document(label=DocumentLabel(zh="审计报告", en=None), required=False),
    ]


def test_no_documents_is_an_empty_list() -> None:
    assert load_policy_text(BASE, "p.yaml").policy.documents == []


def test_the_library_policy_lists_its_materials() -> None:
    text = (library_dir() / "jd-rd-expense-subsidy-2026.yaml").read_text(encoding="utf-8")
    docs = load_policy_text(text, "jd.yaml").policy.documents
    assert [d.label.zh for d in docs][:2] == [
        "嘉定区企业研发投入增量补贴申请表",
        "营业执照复印件（加盖公章）",
    ]
    assert [d.required for d in docs] == [True, True, True, False]


@pytest.mark.parametrize(
    ("block", "line", "column", "field", "says"),
    [
        # One text where the list belongs.
        ("documents: 申请表\n", 0, 12, "documents", "documents is a list: write each document"),
        # A bare name as an item.
        ("documents:\n  - 申请表\n", 1, 5, "documents[0]", "not its name alone"),
        # No Chinese name.
        ("documents:\n  - label: {en: Form}\n", 1, 12, "documents[0].label.zh", "'zh' is required"),
        # An empty Chinese name.
        (
            "documents:\n  - label: {zh: ''}\n",
            1,
            17,
            "documents[0].label.zh",
            "at least 1 character",
        ),
        # An unknown key.
        (
            "documents:\n  - label: {zh: 申请表}\n    needed: true\n",
            2,
            13,
            "documents[0].needed",
            "'needed' is not a policy field",
        ),
        # required is true or false.
        (
            "documents:\n  - label: {zh: 申请表}\n    required: maybe\n",
            2,
            15,
            "documents[0].required",
            "valid boolean",
        ),
        # The same document twice: the second is named.
        (
            "documents:\n  - label: {zh: 申请表}\n  - label: {zh: 营业执照}\n"
            "  - label: {zh: 申请表}\n",
            3,
            17,
            "documents[2].label.zh",
            "the document '申请表' is listed twice",
        ),
    ],
)
def test_bad_shapes_are_refused_where_they_are(
    block: str, line: int, column: int, field: str, says: str
) -> None:
    with pytest.raises(PolicyError) as refused:
        load_policy_text(with_documents(block), "p.yaml")
    text = str(refused.value)
    at = f"p.yaml, line {line_of(block) + line}, column {column}, field '{field}'"
    assert text.startswith(at), text
    assert says in text, text


@pytest.mark.parametrize("mode", ["auto", "confirm"])
def test_a_mode_without_an_application_refuses_documents(mode: str) -> None:
    text = with_documents("documents:\n  - label: {zh: 申请表}\n").replace(
        "delivery: apply", f"delivery: {mode}"
    )
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text, "p.yaml")
    said = str(refused.value)
    assert f"line {line_of('') + 1}, column 3, field 'documents'" in said, said
    assert f"delivery '{mode}' has no application: remove 'documents'" in said

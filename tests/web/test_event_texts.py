"""The audit log in the page's language: every kind of event has a name in the catalogue,
and every reason the system writes is read back with its own template and shown
translated, with its values; a reason a person typed is shown as typed."""

from __future__ import annotations

import re

import pytest

from huiqi.delivery.event_kinds import KINDS
from huiqi.delivery.event_reasons import PUBLISHED, REASONS, ZERO_AMOUNT, EventReason
from huiqi.web import i18n
from huiqi.web.event_names import EVENT_NAMES, event_name
from huiqi.web.event_reasons import TEMPLATES, shown_reason

ZH = i18n.translations("zh-CN")
CJK = re.compile(r"[\u4e00-\u9fff]")

# A value of each name the templates use, as the writers write it.
SAMPLES = {
    "name": "steward",
    "service": "scheduler",
    "roles": "data_steward, desk_officer=department:市经济信息化委",
    "changes": "+admin, -data_steward, password, tokens revoked, email, name",
    "client": "web",
    "provider": "sso",
    "how": "web, sso: 'denied'",
    "token": "web",
    "user": "alice",
    "days": "30",
    "policy": "wenggang-2026",
    "version": "3",
    "n": "12",
    "amount": "1,234.50",
    "was": "100.00",
    "status": "eligible",
    "mode": "confirm",
    "day": "2026-03-01",
    "snapshot": "7",
    "what": "offer",
    "id": "7",
    "file": "csv",
    "mapping": "shtax",
    "batch": "4",
    "rows": "1,203 rows",
    "paid": "1,200",
    "failed": "2",
    "unchanged": "1",
    "errors": "1 error",
}


def _written(template: EventReason) -> str:
    names = re.findall(r"%\((\w+)\)s", template.text)
    return template(**{n: SAMPLES[n] for n in names})


def _english_words(template: EventReason) -> set[str]:
    """The template's own English words (its values left out)."""
    words = re.sub(r"%\(\w+\)s", " ", template.text)
    return set(re.findall(r"\b[A-Za-z][a-z-]{2,}\b", words))


def test_every_kind_has_a_name_in_both_languages() -> None:
    assert set(EVENT_NAMES) == set(KINDS), "name each kind in huiqi.web.event_names"
    untranslated = [k for k in KINDS if ZH.gettext(event_name(k)) == event_name(k)]
    assert not untranslated
    shown = [ZH.gettext(event_name(k)) for k in KINDS]
    assert len(set(shown)) == len(shown), "two kinds share a name"
    assert event_name("a_kind_from_long_ago") == "a_kind_from_long_ago"


def test_the_pages_catalogue_holds_every_template() -> None:
    """The web's list of templates is the writers' list (the catalogue extracts it)."""
    assert set(TEMPLATES) == {r.text for r in REASONS}


@pytest.mark.parametrize("template", REASONS, ids=lambda r: r.text[:40])
def test_each_reason_the_system_writes_reads_in_chinese(template: EventReason) -> None:
    reason = _written(template)
    for kind in template.kinds:
        assert template.read(kind, reason) is not None
        shown = shown_reason("zh-CN", kind, reason)
        assert shown != reason and CJK.search(shown), (kind, reason, shown)
        left = {w for w in _english_words(template) if re.search(rf"\b{w}\b", shown)}
        assert not left, f"{kind}: {shown!r} keeps {left}"
        # and in English the page keeps the template's words
        english = shown_reason("en", kind, reason)
        assert all(re.search(rf"\b{w}\b", english) for w in _english_words(template))


def test_the_values_are_filled_in_by_their_words() -> None:
    added = shown_reason("zh-CN", "user_added", "added 'lee' with data_steward, admin")
    assert added == "新增用户“lee”，角色：数据管理员、系统管理员"
    changed = shown_reason("zh-CN", "user_changed", "changed 'lee': +admin, password")
    assert changed == "修改用户“lee”：+系统管理员、重置密码"
    publish = shown_reason("zh-CN", "publish", PUBLISHED(policy="wenggang", version=2))
    assert publish == "发布 wenggang v2"
    flagged = (
        "no longer eligible on snapshot 7; kept as granted or offered until an officer reviews it"
    )
    assert "7" in shown_reason("zh-CN", "review_flag", flagged)
    assert shown_reason("zh-CN", "login", "web") == "门户网站"
    imported = "Imported tax.xlsx with mapping 'shtax' (xlsx, sheet '2025') as snapshot 4."
    assert "（xlsx, 工作表“2025”）" in shown_reason("zh-CN", "data_import", imported)
    results = "results.csv: 1,203 rows: 1,200 paid, 2 failed, 1 unchanged, 1 error"
    assert "1,203 行" in shown_reason("zh-CN", "payment_results", results)


@pytest.mark.parametrize(
    ("kind", "typed"),
    [
        # an officer's reason in the system's very words, on an event a person explains
        ("reject", "published wenggang v3"),
        (
            "review_keep",
            "no longer eligible on snapshot 7; kept as granted or offered until an officer reviews it",
        ),
        ("review_withdraw", "all criteria met"),
        ("retire", "budget spent"),
        ("desk_replied", "withdrawn by the enterprise"),
        # the system's words with a person's after them
        ("application_withdraw", "withdrawn by the enterprise, we moved away"),
        ("application_withdraw", "公司已迁出本区"),
        ("correction_requested", "the offer ended on 2026-01-01"),
    ],
)
def test_a_reason_a_person_typed_is_shown_as_typed(kind: str, typed: str) -> None:
    assert shown_reason("zh-CN", kind, typed) == typed


def test_a_record_note_reads_as_the_ledger_pages_read_it() -> None:
    note = "capped from 5,000.00 yuan"
    assert shown_reason("zh-CN", "grant", note) == "按上限核定（测算金额 5,000.00 元）"
    both = "按比例分配：申请 10.00 元 / pro rata: claimed 10.00 yuan of 20.00 yuan in total"
    assert shown_reason("zh-CN", "allocated", both) == "按比例分配：申请 10.00 元"
    assert shown_reason("en", "allocated", both).startswith("pro rata: claimed")
    assert shown_reason("zh-CN", "grant", None) == ""


@pytest.mark.parametrize(
    ("kind", "note"),
    [
        ("zero_amount", ZERO_AMOUNT()),
        ("expired", "the offer ended on 2026-01-01"),
        ("superseded", "replaced by web-offer v2, which is offered instead"),
        (
            "outranked",
            "就高不重复: group 'g' gives this enterprise 1,000.00 yuan under p v1; this"
            " policy's 500.00 yuan is not higher",
        ),
        ("retire_withdraw", "「测试」 (p v1) was retired on 2026-01-01: 政策调整"),
        ("capped", "cap group 'g' is used up for 2025 (at most 1,000.00 yuan per enterprise)"),
        ("budget_exhausted", "the budget of 100.00 yuan is spent; grants are made in claim order"),
    ],
)
def test_the_notes_of_refused_and_moved_records_read_in_chinese(kind: str, note: str) -> None:
    """Regression: a record's note as its event's reason (zero_amount's was English on the
    record pages too, having no catalogue entry)."""
    shown = shown_reason("zh-CN", kind, note)
    assert shown != note and not re.search(r"\b(?:the|is|yuan|by|on)\b", shown), shown

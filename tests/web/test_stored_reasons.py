"""Why a record or grant stands as it does, as the ledger stores it (in English, for every
shell), reads in Chinese on the Chinese pages (policy page, grants, flagged records).

The texts come from the services' own functions where they have one, and otherwise are
written as the services word them; a service that rewords one must update its pattern
(huiqi.web.refusals) and this list."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from huiqi.delivery import once, retirement, zero_offers
from huiqi.delivery.models import PolicyVersion
from huiqi.money import format_yuan as yuan
from huiqi.web.i18n import translations
from huiqi.web.refusals import localise

PV = PolicyVersion(policy_id="sh-jobs-2026", version=3, title_zh="稳岗补贴", benefit_period="2026")
EARLIER = once.EarlierGrant(grant_id=7, version=2, amount_fen=150_000, status="paid")
RETIRED_AT = dt.datetime(2026, 12, 2, 3, 0)

STORED = [
    (once.refusal(PV, EARLIER, 150_000), "同一政策同一期间只兑现一次"),
    (once.refusal(PV, EARLIER, 250_000), "第 3 版测算为 2,500.00 元"),
    (retirement.retired_text(PV, RETIRED_AT, "条款调整"), "已于 2026-12-02 停止执行：条款调整"),
    (retirement.retired_text(PV, RETIRED_AT, None), "已于 2026-12-02 停止执行"),
    (retirement.retired_text(PV, None, None), "「稳岗补贴」（sh-jobs-2026 v3）已停止执行"),
    (zero_offers.WITHDRAWN_REASON.format(what="offer"), "待确认的事项已撤回"),
    (zero_offers.WITHDRAWN_REASON.format(what="application"), "未提交的申报已撤回"),
    ("the offer ended on 2026-11-30", "确认期限已于 2026-11-30 截止"),
    ("the offer ended unclaimed", "确认期限已过"),
    ("replaced by sh-jobs-2026 v3, which is offered instead", "已由 sh-jobs-2026 v3 取代"),
    (f"capped from {yuan(1_234_567)} yuan", "按上限核定（测算金额 12,345.67 元）"),
    (
        f"the budget of {yuan(10**9)} yuan is spent; grants are made in claim order",
        "预算 10,000,000.00 元已用完",
    ),
    (
        f"the budget of {yuan(10**9)} yuan is spent; grants are made in USCC order",
        "按统一社会信用代码顺序兑现",
    ),
    (
        f"the budget of {yuan(10**9)} yuan has {yuan(100)} yuan left, less than this"
        f" grant's {yuan(500)} yuan; grants are made in claim order",
        "仅余 1.00 元，少于本次兑现的 5.00 元",
    ),
    (
        f"就高不重复: group 'startup' gives this enterprise {yuan(500_000)} yuan under"
        f" sh-a-2026 v1; this policy's {yuan(300_000)} yuan is not higher",
        "本政策的 3,000.00 元不更高",
    ),
    (
        f"就高不重复: group 'startup' already paid or batched {yuan(500_000)} yuan under"
        f" sh-a-2026 v1; this policy would give {yuan(900_000)} yuan — flagged for an"
        " officer to decide",
        "已标记，由工作人员决定",
    ),
    (
        f"就高不重复: group 'startup' has already given this enterprise {yuan(500_000)} yuan"
        f" (its latest grant, under sh-a-2026 v1, is paid); this policy would give"
        f" {yuan(900_000)} yuan — flagged for an officer to decide: keep it so, or top up the"
        " difference",
        "已向该企业发放 5,000.00 元",
    ),
    (
        "topped up after review: 按文件补足; 就高不重复 top-up: sh-b-2026 v1 gives"
        f" {yuan(900_000)} yuan; the group has already given {yuan(500_000)} yuan (the latest"
        f" grant under sh-a-2026 v1), so the difference of {yuan(400_000)} yuan is granted",
        "补发差额 4,000.00 元",
    ),
    (
        f"就高不重复: superseded by sh-b-2026 v1, which gives {yuan(900_000)} yuan (more"
        f" than {yuan(500_000)} yuan)",
        "已由 sh-b-2026 v1 取代",
    ),
    (
        f"cap group 'rent' is used up for 2026 (at most {yuan(10**7)} yuan per enterprise)",
        "限额组“rent”在 2026 期间的额度已用完",
    ),
    (
        "no longer eligible on snapshot 12; kept as granted or offered until an officer reviews it",
        "按数据快照 12 已不再符合条件",
    ),
    ("kept after review: 数据晚报", "经复核予以保留：数据晚报"),
    (
        "withdrawal decided after review: wrong district; grant 5 (paid) is not revoked by"
        " huiqi (the ledger has no revocation), recover it through the department's"
        " procedure",
        "兑现记录 5（已拨付）不由本系统撤销",
    ),
    (
        "withdrawal decided after review: 旧版已兑现; the record gave the enterprise nothing, so"
        " there is nothing to recover",
        "经复核决定撤回：旧版已兑现；该记录未向企业兑现任何款项，无需追回",
    ),
]


@pytest.mark.parametrize(("stored", "reads"), STORED, ids=[s[:40] for s, _ in STORED])
def test_a_stored_reason_reads_in_chinese(stored: str, reads: str) -> None:
    zh = localise(translations("zh-CN"), stored)
    assert reads in zh, zh
    # No English sentence is left (values such as policy ids, groups and codes stay).
    assert not re.search(r"\b(?:the|yuan|is|under|for|and)\b", zh), zh
    assert localise(translations("en"), stored) == stored


def _rule_error(expr: str) -> str:
    from huiqi.engine.compile.compiler import compile_policy
    from huiqi.policies.loader import library_dir, load_policy_text

    path = library_dir() / "yp-tech-sme-award-2026.yaml"
    text = path.read_text("utf-8").replace("expr: district_code = '310110'", f"expr: {expr}", 1)
    try:
        compile_policy(load_policy_text(text, path.name))
    except Exception as exc:  # the compiler's refusal, as the draft editor lists it
        return str(getattr(exc, "message", exc))
    raise AssertionError("compiled")


def test_a_policy_texts_common_mistakes_and_upload_refusals_read_in_chinese() -> None:
    """Regression: the draft editor listed these in English on its Chinese page."""
    from huiqi.web.uploads import _too_large

    zh = translations("zh-CN")
    said = {
        _rule_error("district_cod = '310110'"): "未知字段“district_cod”；是否应为“district_code”？",
        _rule_error("zzzz_qqqq = '310110'"): "未知字段“zzzz_qqqq”；请查阅数据字典",
        _rule_error("district_code = = '310110'"): "某个运算符或函数缺少取值",
        str(_too_large(11_000_362, 10 * 1024 * 1024)): "上传文件不少于 11,000,362 字节",
    }
    for text, reads in said.items():
        assert reads in localise(zh, text), (text, localise(zh, text))


def test_the_qa_pass_english_left_on_chinese_pages_reads_in_chinese() -> None:
    """Regression (QA, session 31): these read in English on Chinese pages."""
    zh = translations("zh-CN")
    said = {
        "record 7582 is not flagged for review (it may be decided already)": "不在待复核之列",
        "'北京市朝阳区' is neither a code nor a name of the list; give one of: 310101 黄浦区": (
            "既不是代码表中的代码"
        ),
        "not valid YAML: character #x0000 is not allowed (remove control characters)": (
            "不允许出现字符 #x0000"
        ),
    }
    for text, reads in said.items():
        assert reads in localise(zh, text), (text, localise(zh, text))


def test_the_group_name_warning_reads_in_chinese() -> None:
    zh = translations("zh-CN")
    text = (
        "the group name 'QA_Excl 组' is not in lower-case letters, digits and hyphens: a group"
        " joins only the policies that write its name exactly alike, so write it in that form"
        " such as 'qa-excl', as its other policies do"
    )
    assert "组名 'QA_Excl 组' 不是由小写字母" in localise(zh, text), localise(zh, text)

"""A grant's notice as a PDF, in Chinese that every reader displays.

The Chinese text is set in ``STSong-Light``, one of the CID fonts every PDF reader must
provide (Adobe's Asian font packs; built into pdf.js, Chrome, Preview and WPS), so no font
file is embedded and none needs installing. The text is written as Unicode (UniGB-UCS2-H),
so it can be searched and copied, and extracted exactly (the tests read it back with pypdf).
Long names and titles wrap anywhere between characters (CJK line breaking); any text the
notice shows from the ledger is escaped for reportlab's paragraph markup and stripped of
control characters.
"""

from __future__ import annotations

import io
import re
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from huiqi.db.clock import china_day
from huiqi.delivery.notice import GrantNotice
from huiqi.money import format_yuan, yuan_in_words

FONT = "STSong-Light"
TITLE = "惠企政策资金兑现告知书"
STATUS_ZH = {
    "granted": "已核准，待拨付",
    "in_batch": "拨付中",
    "paid": "已拨付",
    "payment_failed": "拨付未成功，正在处理",
}
# Control characters, lone surrogates and invisible format characters (zero-width spaces,
# direction marks, byte-order marks): never printed on a notice.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u200b-\u200f\u2028-\u202e\ufeff]")
UNNAMED = "（名称未登记）"


def _register() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=17, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", base, fontSize=18, leading=26, alignment=1),
        "body": base,
        "cell": ParagraphStyle("cell", base, fontSize=10.5, leading=15),
        "small": ParagraphStyle("small", base, fontSize=8.5, leading=12, textColor=colors.grey),
    }


def _text(value: object) -> str:
    """Ledger text as paragraph markup: control characters dropped, markup escaped."""
    return escape(_CONTROL.sub("", str(value)))


def amount_text(fen: int) -> str:
    """The amount as the notice prints it: ``￥12,345.67 元`` (exact, from integer fen)."""
    return f"￥{format_yuan(fen)} 元"


def render_notice(notice: GrantNotice) -> bytes:
    """The notice as PDF bytes (A4, one page for any ordinary grant)."""
    _register()
    st = _styles()
    name = _CONTROL.sub("", notice.enterprise_name or "").strip() or UNNAMED
    rows = [
        ("企业名称", name),
        ("统一社会信用代码", notice.uscc),
        ("政策名称", notice.title_zh),
        ("发文部门", notice.department_zh),
        ("政策依据", notice.source_document),
        ("兑现期间", notice.benefit_period),
        ("兑现金额", amount_text(notice.amount_fen)),
        ("金额大写", yuan_in_words(notice.amount_fen)),
        ("核准日期", notice.granted_on.isoformat()),
        ("状态", STATUS_ZH.get(notice.status, notice.status)),
        ("授予编号", str(notice.grant_id)),
    ]
    if notice.top_up is not None:
        made = notice.top_up
        rows.append(
            (
                "补差说明",
                f"同组政策就高不重复：本政策金额 {amount_text(made.due_fen)}，同组政策已发放"
                f" {amount_text(made.given_fen)}（授予编号 {made.of_grant}），本次补发差额"
                f" {amount_text(notice.amount_fen)}",
            )
        )
    if notice.correction is not None:
        fix = notice.correction
        rows.append(
            (
                "更正说明",
                f"政策新版本金额更正：第 {notice.version} 版金额 {amount_text(fix.due_fen)}，"
                f"此前已按第 {fix.of_version} 版发放 {amount_text(fix.given_fen)}"
                f"（授予编号 {fix.of_grant}），本次补发差额 {amount_text(notice.amount_fen)}，"
                "不重复享受",
            )
        )
    if notice.withdrawal is not None:
        rows.append(
            (
                "复核结论",
                f"经复核已决定撤回（{notice.withdrawal}）；已发放的资金由主管部门按规定程序处理",
            )
        )
    table = Table(
        [[Paragraph(_text(k), st["cell"]), Paragraph(_text(v), st["cell"])] for k, v in rows],
        colWidths=[38 * mm, 122 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (0, -1), colors.Color(0.95, 0.95, 0.95)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    basis = notice.basis or ["（无）"]
    story = [
        Paragraph(TITLE, st["title"]),
        Spacer(1, 6 * mm),
        Paragraph(
            f"{_text(name)}：<br/>经核验，贵企业符合「{_text(notice.title_zh)}」的兑现条件，"
            f"现核准兑现资金 {_text(amount_text(notice.amount_fen))}。具体如下：",
            st["body"],
        ),
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 5 * mm),
        Paragraph("核准依据（核准时满足的条件）：", st["body"]),
        *[Paragraph(f"{i}. {_text(label)}", st["body"]) for i, label in enumerate(basis, 1)],
        *commitment_paragraphs(notice, st),
        Spacer(1, 6 * mm),
        Paragraph(_text(notice.department_zh), st["body"]),
        Paragraph(notice.granted_on.strftime("%Y年%m月%d日"), st["body"]),
        Spacer(1, 8 * mm),
        *[Paragraph(_text(line), st["small"]) for line in verification_lines(notice)],
    ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=22 * mm,
        bottomMargin=20 * mm,
        title=f"{TITLE}（授予编号 {notice.grant_id}）",
        author="huiqi",
        subject=notice.title_zh,
        creator="huiqi",
        invariant=True,  # the same notice gives the same bytes (no creation time or random id)
    )
    doc.build(story)
    return out.getvalue()


def commitment_lines(notice: GrantNotice) -> list[str]:
    """What the enterprise vouched for (告知承诺), when and by whom: the notice says it
    beside the conditions the data proved."""
    made = notice.commitments
    if made is None:
        return []
    head = f"企业承诺（告知承诺，{china_day(made.made_at):%Y年%m月%d日}由用户 {made.by} 确认）："
    return [head, *(f"{i}. {zh}" for i, (zh, _en) in enumerate(made.labels, 1))]


def commitment_paragraphs(notice: GrantNotice, st: Any) -> list[Any]:
    lines = commitment_lines(notice)
    if not lines:
        return []
    return [Spacer(1, 3 * mm), *(Paragraph(_text(line), st["body"]) for line in lines)]


def verification_lines(notice: GrantNotice) -> list[str]:
    """How to check the notice against the ledger: the grant id, and its audit event with
    the event's hash on a line of its own (it never wraps)."""
    head = f"核验：授予编号 {notice.grant_id}；政策 {notice.policy_id} 第 {notice.version} 版"
    if notice.event_id is None or notice.event_hash is None:
        return [head + "。"]
    return [f"{head}；审计事件 {notice.event_id}", f"事件哈希 {notice.event_hash}"]


def filename(notice: GrantNotice) -> str:
    """An ASCII file name for the download (no enterprise text in the header)."""
    return f"grant-{notice.grant_id}-notice.pdf"

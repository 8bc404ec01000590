"""The unit a header names: "营业收入（万元）", "资产总额(单位:万元)", "纳税总额/万元".

Headers are compared without their unit (``comparable``), and the unit word is read
apart (``header_unit_word``): a money column is the same column in 元, 万元 or 亿元, and
one in 千元 or 美元 is one huiqi reads no amount in.
"""

from __future__ import annotations

import re

from huiqi.profiles.mapping import normalise_header

UNIT_SUFFIX = re.compile(r"[(（\[【]\s*([^()（）\[\]【】]*?)\s*[)）\]】]$")
UNIT_WORDS = {"万元": "wan_yuan", "亿元": "yi_yuan", "元": "yuan"}
# Money units a header may name that huiqi does not read amounts in: a column in one of
# them read as 元 would be stored 1,000 times too small (千元), or in another currency.
OTHER_MONEY = frozenset({"千元", "百万元", "千万元", "美元", "万美元", "港元", "欧元", "日元"})
# Units written after the name without brackets: "营业收入/万元", "研发费用 万元".
_MULTI = "|".join(["万元", "亿元", *sorted(OTHER_MONEY, key=len, reverse=True)])
_BARE_UNIT = re.compile(rf"(?:/(元|{_MULTI})|(?<=[^\x00-\x7f])({_MULTI}))$")


def comparable(text: str) -> tuple[str, str | None]:
    """(comparable form, unit word) of a header or label: the unit in brackets
    ("营业收入（万元）", "资产总额(单位:万元)"), or a money unit after a slash or the
    name ("纳税总额/万元", "研发费用 万元")."""
    base = normalise_header(text)
    unit = None
    match = UNIT_SUFFIX.search(base)
    if match:
        unit = match.group(1).removeprefix("单位:").removeprefix("单位")
        base = base[: match.start()]
    elif (bare := _BARE_UNIT.search(base)) and bare.start() > 0:
        unit = bare.group(1) or bare.group(2)
        base = base[: bare.start()].removesuffix("/")
    # normalise_header took out every space: underscores and hyphens go too, so that
    # 'credit_code' meets 'credit code' and 'R&D_expense' the label 'R&D expense'.
    return re.sub(r"[\s_\-]+", "", base.lower()), unit


def header_unit_word(header: str) -> str | None:
    """The unit word a header names ("万元" for "资产总额(单位:万元)"), if any."""
    return comparable(header)[1]

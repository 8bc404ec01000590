"""What a policy document, another SQL or a programming language writes that a rule
writes otherwise, said where the scanner refuses it: a pattern (``industry_class LIKE
'65%'``, 软件和信息技术服务业 by its division code) and a unit after a number (``3年``,
``50人``, ``6个月``) (QA, qa7); a scale (``1000万``, ``5%``), a document's comparison
words (``不低于``), ``==`` or ``!``, and functions of other dialects (``MAX``, ``NVL``).

Example:
    >>> from sqlglot.tokens import Tokenizer
    >>> prev, unit = Tokenizer().tokenize("3年")
    >>> unit_advice(unit, prev)
    "a rule's numbers carry no unit: write 3 for 3年"
"""

from __future__ import annotations

from decimal import Decimal

from sqlglot.tokens import Token, TokenType

NO_PATTERNS = (
    "a rule has no pattern matching; list the values, industry_class IN ('6511', '6513'),"
    " or compare the range they share, industry_class >= '6500' AND industry_class <= '6599'"
)
# Pattern matching, which a rule does not have; the industry-class prefix an author means
# by it is worked out in pattern_advice.
PATTERN_WORDS = dict.fromkeys(("LIKE", "ILIKE", "GLOB", "REGEXP", "RLIKE", "SIMILAR"), NO_PATTERNS)


# The units a document writes after a count or a span (3年, 6个月, 50人): a rule's numbers
# carry none. "'年' is not part of the rule language: did you mean 'founder_age'?" sent
# the author to a field (QA, qa7).
_UNITS = frozenset(
    [
        "年",
        "周年",
        "年度",
        "个月",
        "月",
        "天",
        "日",
        "人",
        "名",
        "个",
        "家",
        "项",
        "件",
        "岁",
        "周岁",
        "倍",
    ]
)


def unit_advice(token: Token, prev: Token | None) -> str | None:
    """'write 3 for 3年': the advice for a unit word after a number."""
    if token.text not in _UNITS or prev is None or prev.token_type != TokenType.NUMBER:
        return None
    return f"a rule's numbers carry no unit: write {prev.text} for {prev.text}{token.text}"


def pattern_advice(token: Token, nxt: Token | None) -> str | None:
    """The range an ``industry_class LIKE '65%'`` stands for: a prefix of digits, worked
    out to the 4-digit classes it covers."""
    if token.token_type not in (TokenType.LIKE, TokenType.ILIKE) or nxt is None:
        return None
    prefix = nxt.text[:-1] if nxt.token_type == TokenType.STRING else ""
    if not (nxt.text.endswith("%") and prefix.isdigit() and 1 <= len(prefix) < 4):
        return None
    low, high = prefix.ljust(4, "0"), prefix.ljust(4, "9")
    return (
        f"a rule has no pattern matching; for the 4-digit classes that start with {prefix},"
        f" write industry_class >= '{low}' AND industry_class <= '{high}'"
    )


# Advice for tokens an author coming from another SQL or a programming language tries.
ADVICE = {
    "==": "write '=' to compare",
    "!": "write NOT",
    ";": "a rule is exactly one expression; remove the ';'",
    ".": "refer to fields by their name only (no table, no '.'); write numbers as 0.5, not .5",
    "SYMMETRIC": "BETWEEN takes the low bound first: x BETWEEN low AND high",
    "ASYMMETRIC": "BETWEEN takes the low bound first: x BETWEEN low AND high",
    "%": "write a percentage as a decimal fraction: 0.5 for 50%, 0.03 for 3%",
    # Signs a policy document prints (不低于 ≥, 不高于 ≤) that a rule writes in ASCII.
    "=>": "write '>='",
    "\u2265": "write '>='",
    "\u2264": "write '<='",
    "\u2260": "write '<>'",
    # The same signs as other fonts and GB 2312 print them: ≧ ≦ ⩾ ⩽, and ≮ (not less
    # than) / ≯ (not more than), a document's way of printing 不低于 / 不高于.
    "\u2267": "write '>='",
    "\u2266": "write '<='",
    "\u2a7e": "write '>='",
    "\u2a7d": "write '<='",
    "\u226e": "write '>='",
    "\u226f": "write '<='",
    "\u00d7": "write '*'",
    "\u00f7": "write '/' (in a criterion; an amount formula multiplies by a rate instead)",
    # The words a policy document joins its conditions with, and its units of money.
    # A document's comparison words, typed where the operator goes.
    "大于等于": "write '>='",
    "不低于": "write '>='",
    "不少于": "write '>='",
    "不小于": "write '>='",
    "小于等于": "write '<='",
    "不高于": "write '<='",
    "不超过": "write '<='",
    "不多于": "write '<='",
    "不大于": "write '<='",
    "大于": "write '>'",
    "高于": "write '>'",
    "超过": "write '>'",
    "小于": "write '<'",
    "低于": "write '<'",
    "等于": "write '='",
    "不等于": "write '<>'",
    "是": "write TRUE",
    "否": "write FALSE",
    "且": "write AND",
    "并且": "write AND",
    "或": "write OR",
    "或者": "write OR",
    "万": "a rule's amounts are in yuan: write 5000000 for 500万",
    "万元": "a rule's amounts are in yuan: write 5000000 for 500万元",
    "亿": "a rule's amounts are in yuan: write 100000000 for 1亿",
    "亿元": "a rule's amounts are in yuan: write 100000000 for 1亿元",
    "元": "a rule's amounts are in yuan: write the number alone",
    **PATTERN_WORDS,
}


# What a number followed by one of these is in a rule's terms: 1000万 is 10000000 (yuan),
# 5% is 0.05.
_SCALES = {
    "万": Decimal(10_000),
    "万元": Decimal(10_000),
    "亿": Decimal(100_000_000),
    "亿元": Decimal(100_000_000),
    "%": Decimal("0.01"),
}
# Functions of other SQL dialects and spreadsheets an author reaches for, and the rule
# language's own.
_FUNCTION_ALIASES = {
    "MIN": "LEAST(a, b, ...) for the smaller of values",
    "MAX": "GREATEST(a, b, ...) for the larger of values",
    "IFNULL": "COALESCE(a, b) for the first known value",
    "NVL": "COALESCE(a, b) for the first known value",
    "ISNULL": "COALESCE(a, b) for the first known value, or 'x IS NULL' to test",
    "IIF": "IF(condition, a, b)",
    # A document's "近两年平均" and "合计" (QA, qa7).
    "AVG": "(a + b) / 2 for the mean of two years, e.g. (revenue + revenue[-1]) / 2",
    "AVERAGE": "(a + b) / 2 for the mean of two years, e.g. (revenue + revenue[-1]) / 2",
    "SUM": "a + b for a total over years, e.g. rd_expense + rd_expense[-1]",
}


def scaled_advice(token: Token, prev: Token | None) -> str | None:
    """'write 10000000 for 1000万': the advice for a unit or a percent sign after a number,
    worked out for that number (exactly, in Decimal)."""
    scale = _SCALES.get(token.text)
    if scale is None or prev is None or prev.token_type != TokenType.NUMBER:
        return None
    try:
        value = Decimal(prev.text) * scale
    except ArithmeticError:
        return None
    written = f"{value.normalize():f}"
    if token.text == "%":
        return f"write a percentage as a decimal fraction: {written} for {prev.text}%"
    return f"a rule's amounts are in yuan: write {written} for {prev.text}{token.text}"


def function_alias(word: str) -> str:
    """'; write LEAST(a, b, ...) ...' for a function name from elsewhere, else ''."""
    alias = _FUNCTION_ALIASES.get(word.upper())
    return f"; write {alias}" if alias else ""

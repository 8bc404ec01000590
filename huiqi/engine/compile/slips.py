"""What a policy document writes that a rule writes otherwise, said where the scanner
refuses it (QA, qa7): a pattern (``industry_class LIKE '65%'``, 软件和信息技术服务业 by its
division code), and a unit after a number (``3年``, ``50人``, ``6个月``).

Example:
    >>> from sqlglot.tokens import Tokenizer
    >>> prev, unit = Tokenizer().tokenize("3年")
    >>> unit_advice(unit, prev)
    "a rule's numbers carry no unit: write 3 for 3年"
"""

from __future__ import annotations

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

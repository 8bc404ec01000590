"""Read a rule's text into tokens, refusing everything outside the rule language.

The parser underneath (SQLGlot) reads all of SQL and quietly keeps or drops what
a rule should never contain: a comment that hides the rest of a criterion, a
trailing ``;``, ``==``, ``!x``, ``IN [..]``, ``BETWEEN SYMMETRIC``, functions of
other SQL dialects. The scanner runs first and accepts only the words, operators
and functions of ``language``; every refusal points at the character it is about.
It also bounds the size and the nesting of a rule, so that no later step (parser,
checker, a backend) runs out of stack.

Example:
    >>> [t.text for t in scan("revenue[-1] >= 1000000")]
    ['revenue', '[', '-', '1', ']', '>=', '1000000']
    >>> scan("employees > 10 -- AND NOT credit_dishonest")
    Traceback (most recent call last):
    ...
    huiqi.engine.compile.scan.CheckError: ...comments are not allowed in a rule...
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from sqlglot.errors import TokenError
from sqlglot.tokens import Token, Tokenizer, TokenType

from huiqi.engine.compile import language as L
from huiqi.engine.compile.brackets import too_deep, unbalanced
from huiqi.engine.compile.slips import PATTERN_WORDS, pattern_advice, unit_advice


@dataclass
class CheckError(Exception):
    """A refusal, with the character offset (0-based) in the expression where known."""

    message: str
    offset: int | None = None

    def __str__(self) -> str:
        return self.message


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?\Z")

_KEYWORD_TYPES = {
    TokenType.AND: "AND",
    TokenType.OR: "OR",
    TokenType.NOT: "NOT",
    TokenType.IN: "IN",
    TokenType.BETWEEN: "BETWEEN",
    TokenType.IS: "IS",
    TokenType.NULL: "NULL",
    TokenType.CASE: "CASE",
    TokenType.WHEN: "WHEN",
    TokenType.THEN: "THEN",
    TokenType.ELSE: "ELSE",
    TokenType.END: "END",
    TokenType.TRUE: "TRUE",
    TokenType.FALSE: "FALSE",
    TokenType.DATE: "DATE",
    TokenType.INTERVAL: "INTERVAL",
}
_OPERATOR_TYPES = {
    TokenType.EQ,
    TokenType.NEQ,
    TokenType.LT,
    TokenType.LTE,
    TokenType.GT,
    TokenType.GTE,
    TokenType.PLUS,
    TokenType.DASH,
    TokenType.STAR,
    TokenType.SLASH,
}
_PUNCTUATION_TYPES = {
    TokenType.L_PAREN,
    TokenType.R_PAREN,
    TokenType.COMMA,
    TokenType.L_BRACKET,
    TokenType.R_BRACKET,
}
# Advice for tokens an author coming from another SQL or a programming language tries.
_ADVICE = {
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


def _tokenize(text: str) -> list[Token]:
    try:
        return Tokenizer().tokenize(text)
    except TokenError:
        raise CheckError(
            "cannot read the expression: check that every text in quotes ('...') is closed",
            None,
        ) from None


def _uncovered(text: str, tokens: list[Token]) -> None:
    """Refuse any character no token stands for: comments, and whatever the tokenizer skips."""
    covered = [False] * len(text)
    for t in tokens:
        for i in range(t.start, min(t.end + 1, len(text))):
            covered[i] = True
    for i, ch in enumerate(text):
        if covered[i] or ch.isspace():
            continue
        if text.startswith(("--", "/*", "#"), i):
            raise CheckError(
                "comments are not allowed in a rule: the whole text is the rule; put explanations"
                " in the criterion's label",
                i,
            )
        raise CheckError(f"'{ch}' is not part of the rule language", i)


# Chinese punctuation an input method types where the rule language wants ASCII; the
# full-width forms of ASCII characters (（，＞０％) are found through NFKC.
_CHINESE_PUNCTUATION = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": "'",
    "\u201d": "'",
    "\u3001": ",",
    "\u3002": ".",
    "\u3010": "[",
    "\u3011": "]",
    "\u2014": "-",
}


def _half_width(ch: str) -> str | None:
    """The ASCII character a full-width or Chinese punctuation character stands for."""
    if ch in _CHINESE_PUNCTUATION:
        return _CHINESE_PUNCTUATION[ch]
    plain = unicodedata.normalize("NFKC", ch)
    return plain if plain != ch and plain.isascii() and plain.strip() else None


def _full_width(text: str, tokens: list[Token]) -> None:
    """Refuse a full-width or Chinese punctuation character outside a quoted text, saying
    which ASCII character to type: "'＞' is not part of the rule language" did not say
    that the author's input method was in Chinese mode."""
    quoted = [False] * len(text)
    for t in tokens:
        if t.token_type == TokenType.STRING:
            for i in range(t.start, min(t.end + 1, len(text))):
                quoted[i] = True
    for i, ch in enumerate(text):
        if quoted[i] or ch.isascii():
            continue
        plain = _half_width(ch)
        if plain is not None:
            shown = "quote '" if plain == "'" else f"'{plain}'"
            raise CheckError(
                f"'{ch}' is a full-width (Chinese) character; write the ASCII {shown} instead"
                " (switch the input method to English for rules)",
                i,
            )


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


def _scaled(token: Token, prev: Token | None) -> str | None:
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


def _refuse(
    token: Token, what: str | None = None, prev: Token | None = None, nxt: Token | None = None
) -> CheckError:
    text = token.text
    advice = (
        _scaled(token, prev)
        or unit_advice(token, prev)
        or pattern_advice(token, nxt)
        or _ADVICE.get(text.upper())
        or _ADVICE.get(text)
    )
    base = what or f"'{text}' is not part of the rule language"
    if advice:
        base = f"{base}: {advice}"
    elif what is None:
        base += " (see docs/policies.md §4 for what a rule may contain)"
    return CheckError(base, token.start)


def _number(token: Token) -> None:
    text = token.text
    if not _NUMBER.match(text):
        raise CheckError(
            f"'{text}' is not a number as rules write them: digits with an optional decimal part"
            " (1000000, 0.055), no exponent",
            token.start,
        )
    digits = len(text.replace(".", "").lstrip("0")) or 1
    if digits > L.MAX_DIGITS:
        raise CheckError(
            f"'{text}' has {digits} significant digits; an exact number has at most {L.MAX_DIGITS}"
            " (round it, or drop trailing zeros)",
            token.start,
        )


def _check_token(tokens: list[Token], i: int) -> None:
    t = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    prev = tokens[i - 1] if i > 0 else None
    tt = t.token_type
    if tt == TokenType.VAR:
        word = t.text
        if not _NAME.match(word):
            raise _refuse(t, prev=prev, nxt=nxt)
        if word.upper() in _ADVICE:
            raise _refuse(t, prev=prev, nxt=nxt)
        if nxt is not None and nxt.token_type == TokenType.L_PAREN:
            if word.upper() not in L.BUILTIN_FUNCTIONS and word.lower() not in L.CUSTOM_FUNCTIONS:
                # 'rd_expense >= 0.03 * revenue (employees <= 300)': a field, then a bracket
                # after a space, is more likely a condition whose AND was left out.
                spaced = nxt.start > t.end + 1
                raise CheckError(
                    f"function '{word}' is not allowed; allowed functions: {L.allowed_functions()}"
                    + function_alias(word)
                    + (
                        f"; if '{word}' is a field, an operator (AND, OR, =, +, ...) is missing"
                        " between it and the '(' after it"
                        if spaced and not function_alias(word)
                        else ""
                    ),
                    nxt.start if spaced else t.start,
                )
        elif word.upper() in L.INTERVAL_UNITS and not (
            prev is not None and prev.token_type == TokenType.NUMBER
        ):
            pass  # a field of that name does not exist; the checker says so
        return
    if tt == TokenType.NUMBER:
        _number(t)
        return
    if tt == TokenType.STRING:
        return
    if tt in _KEYWORD_TYPES:
        if t.text.upper() != _KEYWORD_TYPES[tt]:
            raise _refuse(t, prev=prev, nxt=nxt)
        if tt == TokenType.DATE and (nxt is None or nxt.token_type != TokenType.STRING):
            raise CheckError("write a date as DATE 'YYYY-MM-DD'", t.start)
        if tt == TokenType.INTERVAL:
            unit = tokens[i + 2] if i + 2 < len(tokens) else None
            if (
                nxt is None
                or nxt.token_type != TokenType.NUMBER
                or "." in nxt.text
                or unit is None
                or unit.token_type != TokenType.VAR
                or unit.text.upper() not in L.INTERVAL_UNITS
            ):
                raise CheckError(
                    "write an interval as INTERVAL n YEAR, INTERVAL n MONTH or INTERVAL n DAY"
                    " with a whole number n, as in as_of - INTERVAL 3 YEAR",
                    t.start,
                )
        if tt == TokenType.IS:
            after = nxt.token_type if nxt is not None else None
            if after == TokenType.NOT:
                after = tokens[i + 2].token_type if i + 2 < len(tokens) else None
            if after != TokenType.NULL:
                raise CheckError("IS is only allowed as IS NULL or IS NOT NULL", t.start)
        if tt == TokenType.IN and (nxt is None or nxt.token_type != TokenType.L_PAREN):
            raise CheckError(
                "IN takes a list in parentheses, as in district_code IN ('310115', '310104')",
                t.start,
            )
        return
    if tt in _OPERATOR_TYPES:
        if t.text not in L.OPERATORS:
            raise _refuse(t, prev=prev, nxt=nxt)
        if (
            tt == TokenType.EQ
            and nxt is not None
            and nxt.token_type in (TokenType.LT, TokenType.GT)
            and nxt.start == t.end + 1
        ):
            # '=<' reads as '=' then '<', and was refused as "an operator or a function is
            # missing a value", which did not say that the two signs were the wrong way round.
            raise CheckError(
                f"'={nxt.text}' is not part of the rule language: write '{nxt.text}='", t.start
            )
        return
    if tt in _PUNCTUATION_TYPES:
        if tt == TokenType.L_BRACKET and (prev is None or prev.token_type != TokenType.VAR):
            raise CheckError(
                "'[' only follows a yearly field, as in revenue[-1]; a list is written in"
                " parentheses: IN ('C', 'I')",
                t.start,
            )
        if (
            tt == TokenType.R_PAREN
            and prev is not None
            and prev.token_type == TokenType.L_PAREN
            and i >= 2
            and tokens[i - 2].token_type == TokenType.IN
        ):
            raise CheckError("IN () is an empty list; name at least one value", prev.start)
        return
    if tt == TokenType.IDENTIFIER:
        raise CheckError(
            f'write field names without quotes (revenue, not "{t.text}"); text values take'
            " single quotes",
            t.start,
        )
    raise _refuse(t, prev=prev, nxt=nxt)


def _open_quote(text: str) -> int | None:
    """Where the text in quotes that is never closed opens ('' inside quotes is a quote)."""
    at, i = None, 0
    while i < len(text):
        if text[i] == "'":
            if at is None:
                at = i
            elif text[i + 1 : i + 2] == "'":
                i += 1
            else:
                at = None
        i += 1
    return at


def scan(text: str) -> list[Token]:
    """The tokens of ``text``, or a CheckError at the first thing outside the rule language."""
    if not text.strip():
        raise CheckError("the expression is empty", None)
    try:
        tokens = _tokenize(text)
    except CheckError as exc:
        # A quote typed full-width leaves its ASCII partner unclosed: name the culprit.
        _full_width(text, [])
        at = _open_quote(text)
        if at is None:
            raise
        raise CheckError(
            "cannot read the expression: this quote opens a text that is never closed; add"
            " the closing ' (a quote inside the text is written twice: '')",
            at,
        ) from exc
    _full_width(text, tokens)
    _uncovered(text, tokens)
    if len(tokens) > L.MAX_TOKENS:
        raise CheckError(
            f"the expression has {len(tokens)} words and symbols; at most {L.MAX_TOKENS}:"
            " split it into several criteria",
            tokens[L.MAX_TOKENS].start,
        )
    for i in range(len(tokens)):
        _check_token(tokens, i)
    for problem in (unbalanced(tokens), too_deep(tokens)):
        if problem is not None:
            raise CheckError(*problem)
    return tokens

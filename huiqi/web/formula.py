"""An amount formula as a person reads it, in the page's language.

``0.5 * rent_paid[-1]`` reads "50% × 经营场所租金（上一年度）": each field by its label in
the data dictionary, a year offset in words, a rate as the exact percentage it stands
for, the operators as written by hand. Every number stays exact (a rate is moved two
places, never rounded). A text the rule language does not read is shown as it is.

Example:
    >>> import gettext
    >>> readable("0.5 * rent_paid[-1] + 100", gettext.NullTranslations(), "en")
    '50% × Rent paid for premises (the year before) + 100'

A code compared with a coded field reads as its name: ``size_class = 'large'`` is
"企业规模 = 大型".
"""

from __future__ import annotations

import gettext
from decimal import Decimal

from sqlglot.tokens import Token, TokenType

from huiqi.engine.compile.scan import CheckError, scan
from huiqi.profiles.dictionary import load_dictionary
from huiqi.web.i18n import N_

SYMBOLS = {
    TokenType.STAR: "×",
    TokenType.SLASH: "÷",
    TokenType.GTE: "≥",
    TokenType.LTE: "≤",
    TokenType.NEQ: "≠",
}
WORDS = {
    TokenType.CASE: "",
    TokenType.END: "",
    TokenType.WHEN: N_("if (in a formula)"),
    TokenType.THEN: N_("then (in a formula)"),
    TokenType.ELSE: N_("otherwise (in a formula)"),
    TokenType.AND: N_("and (in a formula)"),
    TokenType.OR: N_("or (in a formula)"),
    TokenType.NOT: N_("not (in a formula)"),
}

# The rule language's own names (not dictionary fields) in words; a function keeps its
# brackets: "取较小值(年末参保人数, 8)".
NAMES = {
    "data_year": N_("the data year (in a formula)"),
    "as_of": N_("the assessment date (in a formula)"),
    "least": N_("the smaller of (in a formula)"),
    "greatest": N_("the larger of (in a formula)"),
    "holds": N_("holds the qualification (in a formula)"),
    "contract_total": N_("contracts' total (in a formula)"),
    "unrelated_contract_total": N_("total of contracts with unrelated parties (in a formula)"),
}
CONTRACT_FUNCTIONS = {"contract_total", "unrelated_contract_total", "related_contract"}


def _rate(tokens: list[Token], i: int) -> str | None:
    """The percentage a decimal multiplier below 1 stands for (0.05 * x → 5%), else None:
    ``12 * 969.80`` is an amount in yuan, not 96980%."""
    text = tokens[i].text
    beside = {t.token_type for t in tokens[max(i - 1, 0) : i + 2] if t is not tokens[i]}
    if "." not in text or TokenType.STAR not in beside or Decimal(text) >= 1:
        return None
    return f"{format((Decimal(text) * 100).normalize(), 'f')}%"


def _offset(tokens: list[Token], i: int) -> tuple[int, int]:
    """The year offset written after the name at ``i`` (``[-1]``), and the index after it."""
    if i + 1 >= len(tokens) or tokens[i + 1].token_type != TokenType.L_BRACKET:
        return 0, i + 1
    end = next(j for j in range(i + 1, len(tokens)) if tokens[j].token_type == TokenType.R_BRACKET)
    digits = "".join(t.text for t in tokens[i + 2 : end])
    return int(digits), end + 1


def readable(formula: str, catalogue: gettext.NullTranslations, language: str) -> str:
    """``formula`` in words and symbols of ``language`` (see the module's docstring)."""
    try:
        tokens = scan(formula)
    except CheckError:
        return formula
    dictionary = load_dictionary()
    parts: list[str] = []
    codes = None  # the code list of the last coded field read: 'large' reads 大型
    i = 0
    while i < len(tokens):
        token, after = tokens[i], i + 1
        text = formula[token.start : token.end + 1]
        field = dictionary.get(token.text) if token.token_type == TokenType.VAR else None
        if field is not None:
            codes = dictionary.codelist(field.codes) if field.codes else None
            offset, after = _offset(tokens, i)
            text = field.label.en if language == "en" else field.label.zh
            if offset == -1:
                text = catalogue.gettext(N_("%(field)s (the year before)")) % {"field": text}
            elif offset < -1:
                years = {"field": text, "n": -offset}
                text = catalogue.gettext(N_("%(field)s (%(n)s years before)")) % years
        elif token.token_type == TokenType.VAR and token.text.lower() in NAMES:
            text = catalogue.gettext(NAMES[token.text.lower()]).removesuffix(" (in a formula)")
            if token.text.lower() in CONTRACT_FUNCTIONS:  # its type argument: 'corpus' → 语料
                codes = dictionary.codelist("contract_types")
        elif token.token_type in (TokenType.INTERVAL, TokenType.DATE):
            text = ""  # INTERVAL 1 YEAR reads "1 年"; DATE '2025-01-01' the date itself
        elif (
            token.token_type == TokenType.VAR
            and token.text.upper() == "YEAR"
            and i >= 2
            and (tokens[i - 2].token_type == TokenType.INTERVAL)
        ):
            text = catalogue.gettext(N_("year (in a formula)")).removesuffix(" (in a formula)")
        elif token.token_type == TokenType.STRING and codes and token.text in codes.codes:
            text = codes.label(token.text, "en" if language == "en" else "zh")
        elif token.token_type == TokenType.NUMBER:
            text = _rate(tokens, i) or text
        elif token.token_type in SYMBOLS:
            text = SYMBOLS[token.token_type]
        elif token.token_type in WORDS:
            word = WORDS[token.token_type]  # "if (in a formula)": a word of its own
            text = catalogue.gettext(word).removesuffix(" (in a formula)") if word else ""
        parts.append(text)
        if after < len(tokens):
            parts.append(formula[tokens[after - 1].end + 1 : tokens[after].start])
        i = after
    return " ".join("".join(parts).split()).replace("( ", "(")

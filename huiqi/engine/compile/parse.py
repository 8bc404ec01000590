"""Parse one rule expression into a SQLGlot tree, after the scanner accepted its text.

Besides parsing, this step makes sure the tree says everything the text says:
every name, number and text of the rule appears in the tree (none was dropped or
turned into an alias), comparisons do not chain, and the tree is not deeper than
``language.MAX_TREE_DEPTH``. Parser messages are rewritten in the rule's terms.
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from huiqi.engine.compile import language as L
from huiqi.engine.compile.chinese_names import named_in_chinese
from huiqi.engine.compile.scan import CheckError, scan
from huiqi.profiles.dictionary import Dictionary

_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
_INTERNAL = re.compile(r"<class|Required keyword|sqlglot|Expression|'[A-Z_]+'")


# A number written with thousands separators (10,000,000), outside quoted text. The parser
# would read 5,000,000 inside LEAST(…) as three arguments, 5, 0 and 0, and pay nothing.
_GROUPED = re.compile(r"'(?:[^']|'')*'|(?<![\w.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?)(?![\w.])")


def _grouped_number(text: str) -> CheckError | None:
    for m in _GROUPED.finditer(text):
        if m.group(1):
            plain = m.group(1).replace(",", "")
            return CheckError(
                f"'{m.group(1)}' reads as a number with thousands separators, which rules do not"
                f" take: write {plain} (for a list of values, put a space after each comma:"
                f" {m.group(1).replace(',', ', ')})",
                m.start(1),
            )
    return None


# An operator with no value after it: another operator, a closing bracket or the end.
# Never the first character of a two-character operator: the '>' of '>=' is followed by
# '=', and was taken for a dangling operator, so every unreadable rule with a '>=' in it
# was pointed at that '>=' (QA: 'revenue >= 1000000 employees > 5', at character 9).
_DANGLING_WORD = re.compile(r"\b(?:AND|OR|NOT)\s*(?=\)|$)", re.IGNORECASE)
_DANGLING = re.compile(
    r"(?<![<>!=])(?:>=|<=|<>|!=|=|<(?![=>])|>(?!=)|\+|-|\*|/)\s*(?=>=|<=|<>|!=|=|<|>|\)|$)"
)


def _highlighted(error: dict, text: str) -> int | None:
    """Where the token sqlglot stopped at starts in ``text`` (its ``col`` is the token's
    last character, counted from 1 on its ``line``), or None when that cannot be told."""
    token, line, col = error.get("highlight"), error.get("line"), error.get("col")
    if not token or not isinstance(line, int) or not isinstance(col, int):
        return None
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return None
    start = sum(len(ln) + 1 for ln in lines[: line - 1]) + col - len(token)
    return start if start >= 0 and text[start : start + len(token)] == token else None


def _parse_error(exc: ParseError | TokenError, text: str = "") -> CheckError:
    errors = getattr(exc, "errors", None) or [{}]
    start = errors[0].get("start")
    desc = (errors[0].get("description") or str(exc).splitlines()[0]).strip().rstrip(".")
    token = errors[0].get("highlight")
    if start is None and (desc.startswith(("Expecting", "Invalid expression"))):
        start = _highlighted(errors[0], text)
    if start is None:  # sqlglot names no place for a missing value: the dangling operator
        # or, for 'revenue >= 10000000 AND' (QA, qa7: no place at all), the dangling word.
        dangling = _DANGLING.search(text) or _DANGLING_WORD.search(text)
        start = dangling.start() if dangling else None
    if desc == "Expected ]":
        # revenue[-1 year] (QA, qa7): sqlglot's own words, and no place.
        bracket = text.find("[")
        return CheckError(
            "a year offset is one integer, as in revenue[-1]",
            bracket if bracket >= 0 else None,
        )
    if "Required keyword" in desc or _INTERNAL.search(desc):
        desc = "an operator or a function is missing a value"
    elif desc.startswith("Expecting"):
        desc = desc.replace("Expecting", "expected", 1)
        if token and start is not None:
            desc += f" before '{token}'"
    elif desc.startswith("Invalid expression / Unexpected token"):
        desc = "unexpected word or symbol" + (f" '{token}'" if token and start is not None else "")
    if start is not None and desc.startswith(("unexpected", "expected")):
        # The AND left out between two conditions: SQLGlot reads the second one's first
        # name as an alias of the first ('... >= 1000000 employees'), or its bracket as
        # the alias's column list ('(...) (employees'), and stops further on.
        left_out = _LEFT_OUT.search(text[:start])
        before = text[: left_out.start(1)].rstrip() if left_out is not None else ""
        if (
            left_out is not None
            and left_out.group(1).upper() not in _KEYWORDS
            and before.rsplit(None, 1)[-1].upper() not in _KEYWORDS
        ):
            return CheckError(
                f"'{left_out.group(1)}' follows a complete expression; join the two with an"
                " operator (AND, OR, =, +, ...)",
                left_out.start(1),
            )
    return CheckError(f"cannot read the expression: {desc}", start)


# A name or a bracket right after a value, a name or a closing bracket, with nothing else
# up to where the parser stopped.
_LEFT_OUT = re.compile(r"[\w')\]]\s+(\(?\s*[A-Za-z_]\w*|\()\s*$")
_KEYWORDS = frozenset(
    {"AND", "OR", "NOT", "IN", "IS", "BETWEEN", "CASE", "WHEN", "THEN", "ELSE", "END"}
)


def _depth(tree: exp.Expression) -> tuple[int, exp.Expression]:
    """The tree's depth (iteratively: a deep tree must not exhaust the stack here)."""
    deepest, at = 0, tree
    stack = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        if d > deepest:
            deepest, at = d, node
        for child in node.iter_expressions():
            stack.append((child, d + 1))
    return deepest, at


_DIALECT = Dialect.get_or_raise(None)


def _start(node: exp.Expression) -> int | None:
    meta = getattr(node, "_meta", None) or {}
    return int(meta["start"]) if "start" in meta else None


def parse_rule(text: str, dictionary: Dictionary | None = None) -> exp.Expression:
    """Scan and parse one rule expression; refuse anything the tree would not say.
    With the ``dictionary``, a field written by its Chinese label is named in the refusal.

    Example:
        >>> parse_rule("employees > 10").sql()
        'employees > 10'
    """
    try:
        tokens = scan(text)
    except CheckError as exc:
        if dictionary is None:
            raise
        raise named_in_chinese(exc, text, dictionary) from None
    grouped = _grouped_number(text)
    if grouped is not None:
        raise grouped
    try:
        # The scanner's tokens, not a second tokenization of the text (a tenth of compiling).
        trees = _DIALECT.parser().parse(tokens, text)
    except (ParseError, TokenError) as exc:
        raise _parse_error(exc, text) from None
    trees = [t for t in trees if t is not None]
    if len(trees) != 1:
        raise CheckError("a rule is exactly one expression", None)
    tree = trees[0]
    depth, at = _depth(tree)
    if depth > L.MAX_TREE_DEPTH:
        raise CheckError(
            f"the expression is {depth} operators deep; at most {L.MAX_TREE_DEPTH}: split it into"
            " several criteria, or use IN (...) instead of a chain of OR",
            _start(at),
        )
    if isinstance(tree, exp.Alias):
        alias = tree.args.get("alias")
        raise CheckError(
            f"'{alias.name if alias is not None else ''}' follows a complete expression; join the"
            " two with an operator (AND, OR, =, +, ...)",
            _start(alias) if alias is not None else None,
        )
    # Every name, number and text the author wrote must be in the tree.
    seen = {s for node in tree.walk() if (s := _start(node)) is not None}
    for i, tok in enumerate(tokens):
        if tok.token_type not in (TokenType.VAR, TokenType.NUMBER, TokenType.STRING):
            continue
        prev = tokens[i - 1] if i else None
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.token_type == TokenType.VAR and (
            (nxt is not None and nxt.token_type == TokenType.L_PAREN)  # a function's name
            or (
                tok.text.upper() in L.INTERVAL_UNITS
                and prev is not None
                and prev.token_type == TokenType.NUMBER
            )
        ):
            continue
        if prev is not None and prev.token_type == TokenType.INTERVAL:
            continue  # SQLGlot rebuilds an interval's number; the checker reads it
        if tok.start not in seen:
            raise CheckError(
                f"'{tok.text}' is left over: the expression ends before it; join it with an"
                " operator (AND, OR, =, +, ...)",
                tok.start,
            )
    for node in tree.find_all(*_COMPARISONS):
        for side in (node.this, node.expression):
            if isinstance(side, _COMPARISONS):
                raise CheckError(
                    "comparisons do not chain: 'a > b = c' is ambiguous; write each comparison"
                    " on its own, joined by AND, or put one in parentheses",
                    _start(next(iter(side.find_all(exp.Identifier, exp.Literal)), side)),
                )
    return tree

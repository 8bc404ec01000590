"""How a rule's groups nest: brackets that pair up, and a depth that no later step (parser,
checker, a backend) runs out of stack on. Each check answers the problem and the offset of
the character it is about (``scan`` raises it), or None."""

from __future__ import annotations

from sqlglot.tokens import Token, TokenType

from huiqi.engine.compile import language as L

_PREFIX_RESET = {TokenType.AND, TokenType.OR, TokenType.COMMA, TokenType.WHEN, TokenType.THEN}


def too_deep(tokens: list[Token]) -> tuple[str, int] | None:
    """Where a rule nests deeper than MAX_NESTING (parentheses, CASE, prefix NOT / minus),
    and what to say; None when it does not."""
    prefix: list[int] = [0]
    for i, t in enumerate(tokens):
        tt = t.token_type
        prev = tokens[i - 1].token_type if i else None
        if tt in (TokenType.L_PAREN, TokenType.CASE):
            prefix.append(0)
        elif tt in (TokenType.R_PAREN, TokenType.END):
            if len(prefix) > 1:
                prefix.pop()
        elif tt in _PREFIX_RESET:
            prefix[-1] = 0
        elif tt == TokenType.NOT or (
            tt in (TokenType.DASH, TokenType.PLUS)
            and (prev is None or prev not in (TokenType.VAR, TokenType.NUMBER, TokenType.R_PAREN))
            and prev not in (TokenType.STRING, TokenType.R_BRACKET, TokenType.END)
        ):
            prefix[-1] += 1
        depth = len(prefix) - 1 + sum(prefix)
        if depth > L.MAX_NESTING:
            return (
                f"the expression nests more than {L.MAX_NESTING} levels deep (parentheses, CASE,"
                " NOT and minus signs inside each other); split it into several criteria",
                t.start,
            )
    return None


_PAIRS = {TokenType.R_PAREN: TokenType.L_PAREN, TokenType.R_BRACKET: TokenType.L_BRACKET}
_OPENING = {TokenType.L_PAREN: "(", TokenType.L_BRACKET: "["}


def unbalanced(tokens: list[Token]) -> tuple[str, int] | None:
    """A bracket that closes nothing or is never closed, with what to say (the parser only
    says "expected )" at the end of the text, not which one is open); None when every
    bracket is paired."""
    open_at: list[Token] = []
    for t in tokens:
        if t.token_type in _OPENING:
            open_at.append(t)
        elif t.token_type in _PAIRS:
            if not open_at or open_at[-1].token_type != _PAIRS[t.token_type]:
                return (
                    f"this '{t.text}' closes no '{'(' if t.text == ')' else '['}' before it;"
                    " remove it, or open its group where it starts",
                    t.start,
                )
            open_at.pop()
    if open_at:
        first = open_at[-1]
        close = ")" if first.token_type == TokenType.L_PAREN else "]"
        return (
            f"this '{_OPENING[first.token_type]}' is never closed; add '{close}' where its"
            " part of the expression ends",
            first.start,
        )
    return None

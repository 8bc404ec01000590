"""The pattern that reads a service's English text written from a catalogue template,
and the shapes of the values such texts name (:mod:`huiqi.web.refusals` and
:mod:`huiqi.web.ledger_texts` list the templates)."""

from __future__ import annotations

import re

# What each value named in a refusal's English text looks like, as a pattern; a refusal
# whose value has another shape says so where it is listed.
VALUE_SHAPES = {
    "allowed": r".+",
    "amount": r"\S+",
    "batch": r"\d+",
    "boolean": r"true|false",
    "choices": r"'.+'",
    "code": r"'.*'",
    "codes": r"\w+",
    # A text inside a text (huiqi.web.policy_texts), translated in its turn: whole, or
    # (details) part by part; advice is a second one.
    "detail": r".+",
    "advice": r".+",
    "details": r".+",
    "day": r"\S+",
    "district": r"\d{6}",
    "districts": r"\d{6}(?:, \d{6})*",
    "entity": r"\S+",
    "days": r"\d+",
    "exported": r"\S+",
    "field": r"[^']+",
    "file": r"[^:]+",
    "got_ids": r"\[.*?\]",
    "group": r"[^']+",
    "high": r"\S+",
    "id": r"\d+",
    "ids": r"\[.*?\]",
    "k": r"\d+",
    "known": r".+",
    "least": r"\d+",
    "left": r"\S+",
    "length": r"\d+",
    "limit": r"[\d.]+",
    "line": r"\d+",
    "low": r"\S+",
    "mode": r"\w+",
    "more_ids": r"\[.*?\]",
    "n": r"\d+",
    "name": r".*",
    "now": r"\d+",
    "percent": r"[\d.]+%",
    "period": r"\S+",
    "policy": r".+",
    "quoted": r"'[^']*'",
    "right": r"\S+",
    "size": r"[\d,]+",
    "stars": r".*",
    "title": r".*",
    "status": r"\w+",
    "today": r"[^:]+",
    "unit": r"\w+",
    "uscc": r"\w+",
    "value": r".*",
    "version": r"\S+ v\d+",
    "wan": r"[\d.]+[万亿]",
    "what": r".+",
    "when": r".*",
    "who": r"\S+ \(.*\)",
    "year": r"\d+",
    "yuan": r"\d+",
}


def refusal(template: str, **shapes: str) -> tuple[re.Pattern[str], str]:
    """The pattern that reads a service's refusal written from ``template`` (the
    catalogue's template, which is the English text with its values as %(name)s), and the
    template: the text's words taken literally, each value as a named group of its
    shape."""
    words = re.split(r"%\((\w+)\)s", template)
    pattern = "".join(
        re.escape(part)
        if i % 2 == 0
        else f"(?P<{part}>{shapes[part] if part in shapes else VALUE_SHAPES[part]})"
        for i, part in enumerate(words)
    )
    return re.compile(pattern), template

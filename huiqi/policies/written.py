"""What a policy file's author wrote at a place in its text, as written: the loader quotes
it where YAML read it as something else (``no`` read as False, a number whose thousands
separators split it inside ``{ … }``)."""

from __future__ import annotations

import re


def written_at(text: str, line: int | None, column: int | None) -> str | None:
    """The plain value written at (line, column) of ``text``: ``no`` where YAML read False."""
    if line is None or column is None:
        return None
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return None
    found = re.match(r"[^\s,{}\[\]#]+", lines[line - 1][column - 1 :])
    return found.group(0) if found else None


def grouped_number_at(text: str, line: int | None, column: int | None) -> str | None:
    """The number written with thousands separators (``1,234,000``) of which a group
    stands at (line, column), without its separators; None when there is none."""
    if line is None or column is None:
        return None
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return None
    for found in re.finditer(
        r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\w|[.,]\d)", lines[line - 1]
    ):
        if found.start() < column - 1 <= found.end():
            return found.group(0).replace(",", "")
    return None

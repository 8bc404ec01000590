"""Chinese full-text search by character n-grams, with no word segmenter.

Chinese has no spaces between words, so a policy is indexed by its overlapping
character pairs (bigrams): "研发费用" holds 研发, 发费, 费用, and the query "研发" finds
it. A query matches a text when every bigram of every query term occurs in it (a
one-character term: the character itself). Latin words are compared in lower case,
so "R&D" and "r&d" are the same term. The score counts the title's hits three times.

>>> index = SearchText.of(title="研发费用补贴", body="高新技术企业")
>>> index.score(parse_query("研发")) > 0, index.score(parse_query("研究"))
(True, 0)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SPACE = re.compile(r"[\s,，、;；/|]+")
MAX_QUERY = 200  # characters of a query kept; a longer one is cut, not refused


def normalise(text: str) -> str:
    """Full-width forms folded to ASCII (NFKC), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def grams(term: str) -> frozenset[str]:
    """The character bigrams of one term (the term itself when it is one character)."""
    if len(term) <= 1:
        return frozenset({term}) if term else frozenset()
    return frozenset(term[i : i + 2] for i in range(len(term) - 1))


def parse_query(text: str | None) -> tuple[frozenset[str], ...]:
    """A query as its terms' gram sets; terms are separated by spaces or punctuation."""
    cleaned = normalise((text or "")[:MAX_QUERY])
    return tuple(g for g in (grams(t) for t in _SPACE.split(cleaned) if t) if g)


def _all_grams(text: str) -> frozenset[str]:
    out: set[str] = set()
    for part in _SPACE.split(normalise(text)):
        out |= grams(part)
        out |= set(part)  # single characters, for one-character query terms
    return frozenset(out)


@dataclass(frozen=True)
class SearchText:
    """A policy's searchable text as gram sets: its title, and everything else."""

    title: frozenset[str]
    body: frozenset[str]

    @classmethod
    def of(cls, *, title: str, body: str) -> SearchText:
        return cls(_all_grams(title), _all_grams(title + " " + body))

    def score(self, query: tuple[frozenset[str], ...]) -> int:
        """0 when some term is missing; else the hits, the title's counted three times."""
        if not query:
            return 1
        total = 0
        for term in query:
            if not term <= self.body:
                return 0
            total += len(term) + 2 * len(term & self.title)
        return total

"""The types of the rule language and how they combine.

Numbers form a ladder ``integer < decimal < float``: integers and decimals are
exact; a division is the only way to get a float, and floats never reach money.
"""

from __future__ import annotations

from dataclasses import dataclass

NUMERIC = ("integer", "decimal", "float")


@dataclass(frozen=True)
class Ty:
    """A rule-language type. ``codes`` names the code list of an enum."""

    kind: str
    codes: str | None = None

    def __str__(self) -> str:
        return f"enum<{self.codes}>" if self.kind == "enum" else self.kind

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC

    @property
    def textual(self) -> bool:
        return self.kind in ("string", "enum")


INTEGER = Ty("integer")
DECIMAL = Ty("decimal")
FLOAT = Ty("float")
BOOLEAN = Ty("boolean")
DATE = Ty("date")
STRING = Ty("string")
INTERVAL = Ty("interval")
NULL = Ty("null")
TAGS = Ty("tags")
QUALIFICATION = Ty("qualification")


def field_type(kind: str, codes: str | None = None) -> Ty:
    """The rule type of a data-dictionary field type."""
    if kind == "money":
        return DECIMAL
    if kind == "enum":
        return Ty("enum", codes)
    return Ty(kind)


def widen(a: Ty, b: Ty) -> Ty | None:
    """The common type of two branches, or None if they do not mix."""
    if a.kind == "null":
        return b
    if b.kind == "null":
        return a
    if a.numeric and b.numeric:
        return Ty(NUMERIC[max(NUMERIC.index(a.kind), NUMERIC.index(b.kind))])
    if a.textual and b.textual:
        return a if a == b else STRING
    return a if a == b else None


def comparable(a: Ty, b: Ty) -> bool:
    if "null" in (a.kind, b.kind):
        return True
    if a.numeric and b.numeric:
        return True
    if a.textual and b.textual:
        return True
    return a.kind == b.kind and a.kind in ("date", "boolean")

"""Whether simple conditions on one value can all be TRUE together, under SQL's NULL.

A rule's criteria, taken apart (:mod:`huiqi.engine.rule_dnf`), are conditions on single
values: a frame column or an expression of one, compared with constants. This module
answers, for the conditions on one value, whether some value (or NULL) makes every one of
them TRUE. A comparison, ``IN`` and ``<>`` are TRUE only for a known value; ``IS NULL``
only for NULL; so ``x > 5`` with ``x IS NULL`` can never both hold.

The answer is exact for what it is told: numbers are exact decimals (money and rates are
never floats in a rule), whole numbers and dates (day numbers) take whole values only,
texts and numbers without bounds have infinitely many values, a truth value has two. It
answers "can hold" whenever it is not sure (conditions of different kinds on one value).

Example:
    >>> from decimal import Decimal
    >>> x = Var("revenue__2025", ("revenue (2025)",))
    >>> feasible([Atom(x, ">", (Decimal(10),), "number"), Atom(x, "<", (Decimal(5),), "number")])
    False
    >>> feasible([Atom(x, ">", (Decimal(10),), "number"), Atom(x, "<>", (Decimal(11),), "number")])
    True
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Kind = Literal["number", "date", "text", "boolean"]
# A constant: a Decimal (number), an int (a date's day number), a str or a bool.
Value = Decimal | int | str | bool
ORDERING = ("<", "<=", ">", ">=")
OPS = ("=", "<>", *ORDERING, "in", "not in", "null", "not null")


@dataclass(frozen=True)
class Var:
    """A value a row holds: a frame column, or an expression (keyed by its text)."""

    key: str
    fields: tuple[str, ...]  # what a message names: the fields it reads, described
    discrete: bool = False  # whole numbers only (an integer field)


@dataclass(frozen=True)
class Atom:
    """``var op values``: a condition TRUE for some values of ``var``."""

    var: Var
    op: str  # one of OPS
    values: tuple[Value, ...] = ()
    kind: Kind | None = None  # the constants' kind; None for the NULL tests


def _whole(v: Value) -> bool:
    return isinstance(v, int | Decimal) and v == int(v)


def _first_whole(low: Decimal, strict: bool) -> int:
    """The least whole number above ``low`` (or equal to it, when not ``strict``)."""
    if low == low.to_integral_value():
        return int(low) + 1 if strict else int(low)
    return math.ceil(low)


def _number(v: Value) -> Decimal | None:
    """A number or a date's day number as a Decimal; None for a text or a truth value."""
    return Decimal(v) if isinstance(v, int | Decimal) and not isinstance(v, bool) else None


@dataclass
class _Range:
    """The bounds the ordering atoms set (numbers and day numbers)."""

    low: Decimal | None = None
    low_strict: bool = False
    high: Decimal | None = None
    high_strict: bool = False

    def narrow(self, op: str, v: Decimal) -> None:
        strict = op in ("<", ">")
        if op in ("<", "<="):
            if self.high is None or v < self.high or (v == self.high and strict):
                self.high, self.high_strict = v, strict
        elif self.low is None or v > self.low or (v == self.low and strict):
            self.low, self.low_strict = v, strict

    def holds(self, value: Value) -> bool:
        v = _number(value)
        if v is None:
            return self.low is None and self.high is None
        if self.low is not None and (v < self.low or (v == self.low and self.low_strict)):
            return False
        return self.high is None or not (v > self.high or (v == self.high and self.high_strict))

    def room(self, excluded: set[Value], discrete: bool) -> bool:
        """Whether some value in the range is not ``excluded`` (every value allowed)."""
        if self.low is None or self.high is None:
            return True  # unbounded on one side: infinitely many values
        if discrete:
            first = _first_whole(self.low, self.low_strict)
            last = -_first_whole(self.high.copy_negate(), self.high_strict)
            if last < first:
                return False
            holes = {int(v) for v in excluded if _whole(v) and first <= int(v) <= last}
            return last - first + 1 > len(holes)
        if self.low < self.high:
            return True  # infinitely many values between
        return (
            self.low == self.high
            and not self.low_strict
            and not self.high_strict
            and self.low not in excluded
        )


def feasible(atoms: Iterable[Atom]) -> bool:
    """Whether one value of their variable (the same for all) makes every atom TRUE."""
    atoms = list(atoms)
    kinds = {a.kind for a in atoms if a.kind is not None}
    if len(kinds) > 1:
        return True  # constants of different kinds on one value: not decided here
    ops = {a.op for a in atoms}
    if "null" in ops:
        return ops == {"null"}  # every other condition needs a known value
    if not kinds:
        return True  # only IS NOT NULL
    (kind,) = kinds
    discrete = kind == "date" or any(a.var.discrete for a in atoms)
    allowed: set[Value] | None = {True, False} if kind == "boolean" else None
    excluded: set[Value] = set()
    bounds = _Range()
    for a in atoms:
        if a.op in ("=", "in"):
            allowed = set(a.values) if allowed is None else allowed & set(a.values)
        elif a.op in ("<>", "not in"):
            excluded.update(a.values)
        elif a.op in ORDERING:
            if kind in ("text", "boolean"):
                return True  # text order depends on the collation: not decided here
            bound = _number(a.values[0])
            if bound is None:
                return True
            bounds.narrow(a.op, bound)
    if allowed is not None:
        return any(
            v not in excluded and bounds.holds(v) and (not discrete or _whole(v)) for v in allowed
        )
    return bounds.room(excluded, discrete)

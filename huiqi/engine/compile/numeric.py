"""Exact arithmetic that cannot overflow: bound every number a rule computes, widen where needed.

Each numeric node of a lowered rule gets a *shape*: the largest absolute value it can
take, in units of its last decimal, and its number of decimals, when every field it
reads holds the most its dictionary range admits (``range:``; a field without one, the
most its storage type holds: 64-bit integers, DECIMAL(18,2) money, DECIMAL(18,6)
decimals). A sum adds the bounds, a product multiplies them, exactly.

* A rule whose numbers could need more than 38 digits (the exact decimals every
  backend has) is refused when it is compiled, with the place that needs them.
* Arithmetic whose bound proves it stays below 10^18 units runs in the backend's own
  64-bit integers and DECIMAL(18, s) (arithmetic over small integer literals alone:
  below 10^9, DuckDB's 32-bit INTEGER). Anything that could reach it is computed in
  DECIMAL(38, s): its operands are cast, in the neutral tree, so every backend
  computes it the same exact way and none overflows (DuckDB would otherwise multiply
  two DECIMAL(18,2) in 64 bits and fail on one large row).
* Where such a wide value meets others (CASE, IF, COALESCE, GREATEST, LEAST), every
  branch is cast to one DECIMAL(38, s) with the largest scale: DuckDB's common type
  of DECIMAL(38,0) and 2500.55 is DECIMAL(38,0), and it would round 2500.55 to 2501.

A division gives a float and has no shape; floats never reach money.

Example:
    >>> from huiqi.profiles.dictionary import load_dictionary
    >>> shape_of_field(load_dictionary().field("revenue"))
    Shape(units=1000000000000000, scale=2)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING
from functools import cache

from sqlglot import exp

from huiqi.engine.compile import language as L
from huiqi.engine.compile.scan import CheckError
from huiqi.engine.frame_columns import CONTRACT_DIGITS, GROUP_DIGITS, FrameColumn
from huiqi.profiles.dictionary import Dictionary, Field

# Exact arithmetic that provably stays below 10^18 units of its last decimal runs in the
# backend's own 64-bit integers and decimals (DECIMAL(18, s) at most); arithmetic that
# could reach it runs in DECIMAL(38, s). Arithmetic over small integer literals alone is
# typed as 32-bit integers (DuckDB's INTEGER), which hold 9 digits.
NATIVE_DIGITS = 18
NARROW_LITERAL_DIGITS = 9

# What a field's storage type holds (profiles/storeschema.duck_type), in units of its last decimal.
_STORAGE = {
    "integer": (2**63, 0),  # BIGINT: -2^63 .. 2^63 - 1
    "money": (10**18 - 1, 2),  # DECIMAL(18,2)
    "decimal": (10**18 - 1, 6),  # DECIMAL(18,6)
}


@dataclass(frozen=True)
class Shape:
    """Exact numbers of at most ``units`` x 10^-scale in absolute value, ``scale`` decimals.

    Bounds are whole numbers of the last decimal, so products and sums of them are exact.
    """

    units: int
    scale: int

    @property
    def digits(self) -> int:
        """Digits before the decimal point (at least 1)."""
        return max(1, len(str(self.units)) - self.scale)

    @property
    def precision(self) -> int:
        return self.digits + self.scale

    def rescaled(self, scale: int) -> int:
        """The bound in units of ``scale`` decimals (``scale`` >= this shape's)."""
        return self.units * 10 ** (scale - self.scale)

    def join(self, other: Shape) -> Shape:
        scale = max(self.scale, other.scale)
        return Shape(max(self.rescaled(scale), other.rescaled(scale)), scale)


def shape_of_field(field: Field) -> Shape | None:
    """The shape of a field's values: its dictionary range, within its storage type.

    The compiled arithmetic trusts the range (the importer refuses values outside it);
    a snapshot that still holds one (imported under a wider range) fails on that row
    only, which bulk matching and delivery isolate as an 'error' row.
    """
    storage = _STORAGE.get(field.type)
    if storage is None:
        return None
    most, scale = storage
    if field.min is not None and field.max is not None:
        end = max(abs(field.min), abs(field.max)) * 10**scale
        most = min(most, int(end.to_integral_value(rounding=ROUND_CEILING)))
    return Shape(most, scale)


def aggregate_shape(col: FrameColumn, field: Field | None) -> Shape | None:
    """The bound of a contract total or a group total (frame_columns: CONTRACT_DIGITS,
    GROUP_DIGITS); None for any other column that is not a field."""
    if col.kind == "contracts" and col.field != "related_contract":
        return Shape(10 ** (CONTRACT_DIGITS + 2) - 1, 2)  # below 10^CONTRACT_DIGITS yuan
    own = shape_of_field(field) if col.kind == "group" and field is not None else None
    if own is None:
        return None
    # Totals at or above 10^(digits + GROUP_DIGITS) are unknown (related.group_total).
    return Shape(10 ** (own.digits + GROUP_DIGITS + own.scale) - 1, own.scale)


def shape_of_literal(text: str) -> Shape:
    whole, _, frac = text.partition(".")
    return Shape(int((whole + frac).lstrip("0") or "0"), len(frac))


def _narrow_literal(node: exp.Expression) -> bool:
    """An integer literal that fits 32 bits, or arithmetic over such literals alone."""
    while isinstance(node, exp.Paren | exp.Neg):
        node = node.this
    if isinstance(node, exp.Literal):
        return not node.is_string and node.name.isdigit() and len(node.name) <= 9
    if isinstance(node, exp.Add | exp.Sub | exp.Mul):
        return _narrow_literal(node.this) and _narrow_literal(node.expression)
    return False


def _native_limit(node: exp.Expression) -> int:
    return NARROW_LITERAL_DIGITS if _narrow_literal(node) else NATIVE_DIGITS


@cache
def _wide(scale: int) -> exp.DataType:
    return exp.DataType.build(f"DECIMAL(38, {scale})")


def _offset(node: exp.Expression) -> int | None:
    for n in node.walk():
        meta = getattr(n, "_meta", None) or {}
        if "start" in meta:
            return int(meta["start"])
    return None


def _too_wide(node: exp.Expression, shape: Shape, what: str) -> CheckError:
    return CheckError(
        f"{what} can need {shape.precision} digits when its fields hold the largest values their"
        f" dictionary ranges admit; exact numbers hold at most {L.MAX_DIGITS}: use fewer"
        " decimal places in a rate, or fewer factors",
        _offset(node),
    )


class Widener:
    """Computes shapes bottom-up and casts the operands of arithmetic that could grow wide."""

    def __init__(self, dictionary: Dictionary) -> None:
        self.dictionary = dictionary
        # Arithmetic already computed in DECIMAL(38, s): its value needs no further cast.
        self._wide: set[int] = set()

    def _cast(
        self, node: exp.Expression, shape: Shape | None, scale: int | None = None
    ) -> exp.Expression:
        """``node`` as DECIMAL(38, scale) (default: its own scale)."""
        if shape is None:  # a float or NULL: nothing to widen
            return node
        inner = node
        while isinstance(inner, exp.Paren):
            inner = inner.this
        if id(inner) in self._wide and (scale is None or scale == shape.scale):
            return node
        cast = exp.Cast(this=inner, to=_wide(shape.scale if scale is None else scale).copy())
        self._wide.add(id(cast))
        return cast

    def is_wide(self, node: exp.Expression, shape: Shape | None) -> bool:
        """Whether ``node`` may be computed in a 128-bit decimal (a cast, or a long literal)."""
        while isinstance(node, exp.Paren):
            node = node.this
        long_literal = isinstance(node, exp.Literal | exp.Neg) and (
            shape is not None and shape.precision > NATIVE_DIGITS
        )
        return id(node) in self._wide or long_literal

    def _arith(self, node: exp.Expression, shapes: list[Shape | None]) -> Shape | None:
        if any(s is None for s in shapes):
            # A float operand (a quotient) or NULL: the result is a float or NULL.
            return None
        known = [s for s in shapes if s is not None]
        if isinstance(node, exp.Mul):
            out = Shape(known[0].units * known[1].units, known[0].scale + known[1].scale)
        elif isinstance(node, exp.Add | exp.Sub):
            scale = max(known[0].scale, known[1].scale)
            out = Shape(known[0].rescaled(scale) + known[1].rescaled(scale), scale)
        else:  # Neg, Abs
            out = known[0]
        if out.precision > L.MAX_DIGITS:
            raise _too_wide(node, out, "this arithmetic")
        return out

    def shape(self, node: exp.Expression) -> Shape | None:
        """The node's shape (None when it is not an exact number), widening inside it."""
        if isinstance(node, exp.Literal):
            return None if node.is_string else shape_of_literal(node.name)
        if isinstance(node, exp.Null):
            # No value: it bounds nothing (as a float would), so ABS(NULL) or -NULL in a
            # branch leaves the other branches' bound, and the amount's overflow guard, intact.
            return Shape(0, 0)
        if isinstance(node, exp.Column):
            col = FrameColumn.parse(node.name)
            field = self.dictionary.get(col.field)
            if col.kind in ("static", "yearly") and field is not None:
                return shape_of_field(field)
            return aggregate_shape(col, field)
        if isinstance(node, exp.Paren | exp.Nullif):
            inner = self.shape(node.this)
            if isinstance(node, exp.Nullif):
                self.shape(node.expression)
            return inner
        if isinstance(node, exp.Year):
            self.shape(node.this)
            return Shape(99999, 0)
        if isinstance(node, exp.Month | exp.Day):
            self.shape(node.this)
            return Shape(31, 0)
        if isinstance(node, exp.Add | exp.Sub | exp.Mul):
            if isinstance(node.expression, exp.Interval):
                self.shape(node.this)
                return None
            return self._binary(node)
        if isinstance(node, exp.Neg | exp.Abs):
            inner = self.shape(node.this)
            out = self._arith(node, [inner])
            literal = isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal)
            if out is not None and out.precision > _native_limit(node) and not literal:
                node.set("this", self._cast(node.this, inner))
                self._wide.add(id(node))
            return out
        if isinstance(node, exp.Div):
            self.shape(node.this)
            self.shape(node.expression)
            return None
        if isinstance(node, exp.Case | exp.If | exp.Coalesce | exp.Greatest | exp.Least):
            return self._branches(node)
        if isinstance(node, exp.Cast):
            self.shape(node.this)
            return None
        # Comparisons, logic, IN, BETWEEN, IS: check their operands can be compared exactly.
        shapes = [self.shape(child) for child in node.iter_expressions()]
        known = [s for s in shapes if s is not None]
        if len(known) > 1:
            joined = known[0]
            for s in known[1:]:
                joined = joined.join(s)
            if joined.precision > L.MAX_DIGITS:
                raise _too_wide(node, joined, "this comparison")
        return None

    def _binary(self, node: exp.Expression) -> Shape | None:
        left, right = self.shape(node.this), self.shape(node.expression)
        out = self._arith(node, [left, right])
        if out is not None and out.precision > _native_limit(node):
            node.set("this", self._cast(node.this, left))
            node.set("expression", self._cast(node.expression, right))
            self._wide.add(id(node))
        return out

    def _branches(self, node: exp.Expression) -> Shape | None:
        values: list[exp.Expression] = []
        if isinstance(node, exp.Case):
            for branch in node.args.get("ifs") or []:
                self.shape(branch.this)
                values.append(branch.args["true"])
            if node.args.get("default") is not None:
                values.append(node.args["default"])
        elif isinstance(node, exp.If):
            self.shape(node.this)
            values += [node.args[k] for k in ("true", "false") if node.args.get(k) is not None]
        else:
            values = [node.this, *node.expressions]
        shapes = [self.shape(v) for v in values]
        if any(s is None for s in shapes):
            return None
        known = [s for s in shapes if s is not None]
        if not known:
            return None
        out = known[0]
        for s in known[1:]:
            out = out.join(s)
        if out.precision > L.MAX_DIGITS:
            raise _too_wide(node, out, "this expression")
        if any(self.is_wide(v, sh) for v, sh in zip(values, shapes, strict=True)):
            for v, sh in zip(values, shapes, strict=True):
                if sh is None:
                    continue
                parent, key, index = v.parent, v.arg_key, v.index
                cast = self._cast(v, sh, out.scale)
                if cast is not v and parent is not None:
                    parent.set(key, cast, index=index)
            self._wide.add(id(node))
        return out

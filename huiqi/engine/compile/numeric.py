"""Exact arithmetic that cannot overflow: bound every number a rule computes, widen where needed.

Each numeric node of a lowered rule gets a *shape*: how many digits it can have
before and after the decimal point when every field it reads holds the largest
value its storage type admits (an integer field is a 64-bit integer, 19 digits; a
money field is DECIMAL(18,2), 16 digits and 2 decimals). A sum adds one digit, a
product adds the digits of both sides.

* A rule whose numbers could need more than 38 digits (the exact decimals every
  backend has) is refused when it is compiled, with the place that needs them.
* Arithmetic that could leave 9 digits (past what a backend's narrowest integer
  holds) is computed in DECIMAL(38, s): its operands are cast, in the neutral
  tree, so every backend computes it the same exact way and none overflows
  (DuckDB would otherwise multiply two DECIMAL(18,2) in 64 bits and fail on one
  large row, stopping a whole run).
* Where such a wide value meets others (CASE, IF, COALESCE, GREATEST, LEAST), every
  branch is cast to one DECIMAL(38, s) with the largest scale: DuckDB's common type
  of DECIMAL(38,0) and 2500.55 is DECIMAL(38,0), and it would round 2500.55 to 2501.

A division gives a float and has no shape; floats never reach money.

Example:
    >>> from huiqi.profiles.dictionary import load_dictionary
    >>> shape_of_field(load_dictionary().field("revenue"))
    Shape(digits=16, scale=2)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlglot import exp

from huiqi.engine.compile import language as L
from huiqi.engine.compile.scan import CheckError
from huiqi.engine.frame_columns import CONTRACT_DIGITS, GROUP_DIGITS, FrameColumn
from huiqi.profiles.dictionary import Dictionary, Field

# Arithmetic whose result may need more digits than this runs in DECIMAL(38, s).
NATIVE_DIGITS = 9


@dataclass(frozen=True)
class Shape:
    """At most ``digits`` digits before the decimal point and ``scale`` after it."""

    digits: int
    scale: int

    @property
    def precision(self) -> int:
        return self.digits + self.scale

    def join(self, other: Shape) -> Shape:
        return Shape(max(self.digits, other.digits), max(self.scale, other.scale))


def shape_of_field(field: Field) -> Shape | None:
    """The shape of a field's values, from its storage type (profiles/store.duck_type)."""
    if field.type == "integer":
        return Shape(19, 0)  # BIGINT
    if field.type == "money":
        return Shape(16, 2)  # DECIMAL(18,2)
    if field.type == "decimal":
        return Shape(12, 6)  # DECIMAL(18,6)
    return None


def aggregate_shape(col: FrameColumn, field: Field | None) -> Shape | None:
    """The bound of a contract total or a group total (frame_columns: CONTRACT_DIGITS,
    GROUP_DIGITS); None for any other column that is not a field."""
    if col.kind == "contracts" and col.field != "related_contract":
        return Shape(CONTRACT_DIGITS, 2)
    own = shape_of_field(field) if col.kind == "group" and field is not None else None
    return None if own is None else Shape(own.digits + GROUP_DIGITS, own.scale)


def shape_of_literal(text: str) -> Shape:
    whole, _, frac = text.partition(".")
    return Shape(len(whole.lstrip("0")) or 1, len(frac))


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
        f"{what} can need {shape.precision} digits when its fields hold the largest values they"
        f" admit (money up to 9999999999999999.99, counts up to 9223372036854775807); exact"
        f" numbers hold at most {L.MAX_DIGITS}: use fewer decimal places in a rate, or fewer"
        " factors",
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
            shape is not None and shape.precision > 18
        )
        return id(node) in self._wide or long_literal

    def _arith(self, node: exp.Expression, shapes: list[Shape | None]) -> Shape | None:
        if any(s is None for s in shapes):
            # A float operand (a quotient) or NULL: the result is a float or NULL.
            return None
        known = [s for s in shapes if s is not None]
        if isinstance(node, exp.Mul):
            out = Shape(known[0].digits + known[1].digits, known[0].scale + known[1].scale)
        elif isinstance(node, exp.Add | exp.Sub):
            out = known[0].join(known[1])
            out = Shape(out.digits + 1, out.scale)
        else:  # Neg, Abs
            out = known[0]
        if out.precision > L.MAX_DIGITS:
            raise _too_wide(node, out, "this arithmetic")
        return out

    def shape(self, node: exp.Expression) -> Shape | None:
        """The node's shape (None when it is not an exact number), widening inside it."""
        if isinstance(node, exp.Literal):
            return None if node.is_string else shape_of_literal(node.name)
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
            return Shape(5, 0)
        if isinstance(node, exp.Month | exp.Day):
            self.shape(node.this)
            return Shape(2, 0)
        if isinstance(node, exp.Add | exp.Sub | exp.Mul):
            if isinstance(node.expression, exp.Interval):
                self.shape(node.this)
                return None
            return self._binary(node)
        if isinstance(node, exp.Neg | exp.Abs):
            inner = self.shape(node.this)
            out = self._arith(node, [inner])
            literal = isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal)
            if out is not None and out.precision > NATIVE_DIGITS and not literal:
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
        if out is not None and out.precision > NATIVE_DIGITS:
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
        if any(
            s is None and not isinstance(v, exp.Null) for s, v in zip(shapes, values, strict=True)
        ):
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

"""Numeric thresholds in a criterion, and how far an enterprise is from one.

A near miss is worth showing only when the enterprise can act on it: a figure it can
change (R&D spend, revenue, insured staff) below or above a threshold. This module
reads the shape of a criterion as written in the rule language and recognises the
thresholds among its comparisons:

* ``field OP number``          ``revenue >= 50000000``, ``COALESCE(x, 0) >= 100000``
* ``field OP k * field``       ``rd_expense >= 0.03 * revenue`` (a ratio: 3 %)
* ``field / field OP k``       ``rd_expense / revenue >= 0.03`` (the same ratio, k > 0)
* ``field OP field``           ``rd_expense > rd_expense[-1]`` (more than the year before)

and conjunctions of them (``rd_staff >= 20 AND rd_staff >= 0.1 * employees``), where the
one failing part is the gap. The values come from the engine's trace of the same
evaluation (column -> value, with each column's field and year), so the gap is the
engine's own figures, not a second evaluation of the rule. Only numeric fields that are
neither scope (whom the policy is for) nor personal (a founder's age) count as
actionable; a status (on the dishonest list, registration type, years since founding,
a qualification) is never a threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from sqlglot import exp

from huiqi.engine.compile.nearness import undivided
from huiqi.engine.compile.parse import parse_rule
from huiqi.matching.gaptext import figures, gap_zh
from huiqi.profiles.dictionary import Dictionary, load_dictionary

NUMERIC = frozenset({"integer", "money", "decimal"})
_OPS: dict[type[exp.Expression], str] = {exp.GTE: ">=", exp.GT: ">", exp.LTE: "<=", exp.LT: "<"}
_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Ref:
    """A field as a rule reads it: its name and year (None for a static field)."""

    field: str
    year: int | None
    default: Decimal | None = None  # COALESCE(field, default)


@dataclass(frozen=True)
class Threshold:
    """One comparison ``left OP factor * right`` (right None: ``left OP constant``)."""

    left: Ref
    op: str
    factor: Decimal
    right: Ref | None = None

    @property
    def ratio(self) -> bool:
        """A share of another figure (3 % of revenue), shown in per cent."""
        return self.right is not None and self.factor != 1


@dataclass(frozen=True)
class Gap:
    """How far one figure is from its threshold: ``actual`` against ``required``."""

    field: str
    label_zh: str
    label_en: str
    year: int | None
    actual: Decimal
    required: Decimal
    op: str  # the comparison that must hold: actual OP required
    unit: str | None  # the field's unit, or "%" for a ratio
    source: str
    whole: bool = False  # a count in whole units (persons, items): never 0.5 of one

    @property
    def shortfall(self) -> Decimal:
        """How far the figure is from the threshold (always positive)."""
        return abs(self.required - self.actual)

    @property
    def must_rise(self) -> bool:
        """Whether the figure must rise (``>=``, ``>``) rather than come down."""
        return self.op in (">=", ">")

    @property
    def direction(self) -> str:
        """``short`` (the figure must rise) or ``over`` (it must come down)."""
        return "short" if self.must_rise else "over"

    @property
    def needed(self) -> Decimal:
        """How far the figure must move to meet the threshold, in its unit: the shortfall,
        or for a whole count to the nearest count that meets it (320 employees against
        ``< 300``: 21; 18 R&D staff against ``> 20``: 3)."""
        if not self.whole:
            return self.shortfall
        if self.op in (">", "<"):
            return self.shortfall.to_integral_value(rounding=ROUND_FLOOR) + 1
        return self.shortfall.to_integral_value(rounding=ROUND_CEILING)

    @property
    def beyond(self) -> bool:
        """Whether the figure must move by *more than* ``needed``: a strict comparison
        (``>``, ``<``) of a figure that is not a whole count (revenue > 10,000,000)."""
        return self.op in (">", "<") and not self.whole

    def text_zh(self) -> str:
        """In Chinese words and units: "研发费用占营业收入比例 2.8 %，要求不低于 3 %",
        money in 万元 or 亿元 when that large (see :mod:`huiqi.matching.gaptext`)."""
        return gap_zh(self.label_zh, self.actual, self.required, self.op, self.unit)

    def text_en(self) -> str:
        if self.unit in ("yuan", "fen"):  # amounts at the same precision, as in Chinese
            have, want = figures(self.actual, self.required)
        else:
            have, want = _num(self.actual), _num(self.required)
        return f"{self.label_en} {have}{_u(self.unit)}, {self.op} {want}{_u(self.unit)} required"


def _num(value: Decimal) -> str:
    return f"{value.normalize():,f}" if value == value.to_integral_value() else f"{value:,f}"


def _u(unit: str | None) -> str:
    return "" if not unit else (" %" if unit == "%" else f" {unit}")


def _number(node: exp.Expression) -> Decimal | None:
    node = node.unnest()
    if isinstance(node, exp.Neg):
        inner = _number(node.this)
        return None if inner is None else -inner
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return Decimal(node.this)
        except InvalidOperation:
            return None
    return None


def _ref(node: exp.Expression, data_year: int, d: Dictionary) -> Ref | None:
    node = node.unnest()
    default = None
    if isinstance(node, exp.Coalesce) and len(node.expressions) == 1:
        default = _number(node.expressions[0])
        if default is None:
            return None
        node = node.this.unnest()
    offset = 0
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
        index = _number(node.expressions[0])
        if index is None or index != index.to_integral_value():
            return None
        offset = int(index) - data_year if index > 1900 else int(index)
        node = node.this
    if not isinstance(node, exp.Column) or node.table:
        return None
    f = d.get(node.name)
    if f is None or f.type not in NUMERIC or f.scope or f.personal:
        return None
    return Ref(f.name, data_year + offset if f.yearly else None, default)


def _comparison(node: exp.Expression, data_year: int, d: Dictionary) -> Threshold | None:
    # ``rd_expense / revenue >= 0.03`` is the share ``rd_expense >= 0.03 * revenue``, as
    # the engine's near-miss rule reads it.
    node = undivided(node, d)
    op = _OPS.get(type(node))
    if op is None:
        return None
    left_node, right_node = node.this, node.expression
    left = _ref(left_node, data_year, d)
    if left is None:  # ``number OP field``: the same threshold read the other way
        left, op, right_node = _ref(right_node, data_year, d), _FLIP[op], left_node
        if left is None:
            return None
    constant = _number(right_node)
    if constant is not None:
        return Threshold(left, op, constant)
    right_node = right_node.unnest()
    factor = Decimal(1)
    if isinstance(right_node, exp.Mul):
        a, b = right_node.this, right_node.expression
        k = _number(a)
        other = b
        if k is None:
            k, other = _number(b), a
        if k is None or k <= 0:
            return None
        factor, right_node = k, other
    right = _ref(right_node, data_year, d)
    return None if right is None else Threshold(left, op, factor, right)


def thresholds(
    expression: str, data_year: int, dictionary: Dictionary | None = None
) -> list[Threshold] | None:
    """The thresholds of a criterion that is one comparison or an AND of comparisons;
    None when any part is something else (a status, a code, an OR)."""
    d = dictionary or load_dictionary()
    try:
        tree = parse_rule(expression)
    except Exception:  # a criterion the compiler accepted always parses; be safe anyway
        return None
    parts = list(tree.flatten()) if isinstance(tree, exp.And) else [tree]
    found = [_comparison(p.unnest(), data_year, d) for p in parts]
    if any(t is None for t in found):
        return None
    return [t for t in found if t is not None]


def _holds(op: str, a: Decimal, b: Decimal) -> bool:
    return {">=": a >= b, ">": a > b, "<=": a <= b, "<": a < b}[op]


def _value(ref: Ref, values: Mapping[tuple[str, int | None], Any]) -> Decimal | None:
    raw = values.get((ref.field, ref.year))
    if raw is None:
        return ref.default
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def gap_of(
    t: Threshold,
    values: Mapping[tuple[str, int | None], Any],
    margin: Decimal,
    dictionary: Dictionary | None = None,
) -> Gap | None:
    """The gap of a failing threshold within ``margin`` (a share of the threshold), else None.

    ``values`` maps (field, year) to the value the engine read.
    """
    d = dictionary or load_dictionary()
    left = _value(t.left, values)
    if left is None:
        return None
    f = d.field(t.left.field)
    if t.right is None:
        actual, required, unit = left, t.factor, f.unit
        label_zh, label_en = f.label.zh, f.label.en
    else:
        right = _value(t.right, values)
        if right is None:
            return None
        g = d.field(t.right.field)
        if t.ratio:
            if right <= 0:
                return None
            exact, required, unit = left / right * HUNDRED, t.factor * HUNDRED, "%"
            if _holds(t.op, exact, required) or abs(required - exact) > margin * required:
                return None
            # Shown to the hundredth, rounded away from the threshold: 2.9999 % reads
            # 2.99 %, never a "3.00 %" that seems to meet "3 %".
            rounding = ROUND_FLOOR if t.op in (">=", ">") else ROUND_CEILING
            actual = exact.quantize(Decimal("0.01"), rounding=rounding)
            label_zh = f"{f.label.zh}占{g.label.zh}比例"
            label_en = f"{f.label.en} as a share of {g.label.en.lower()}"
        else:
            actual, required, unit = left, right, f.unit
            label_zh, label_en = f.label.zh, f.label.en
            if (t.left.field, t.left.year) != (t.right.field, t.right.year) and t.right.year:
                label_en = f"{f.label.en} (against {g.label.en.lower()} {t.right.year})"
    if _holds(t.op, actual, required) or required == 0:
        return None
    if abs(required - actual) > margin * abs(required):
        return None
    return Gap(
        field=t.left.field,
        label_zh=label_zh,
        label_en=label_en,
        year=t.left.year,
        actual=actual,
        required=required,
        op=t.op,
        unit=unit,
        source=f.source,
        whole=f.type == "integer" and unit != "%",
    )


def failing(t: Threshold, values: Mapping[tuple[str, int | None], Any]) -> bool | None:
    """Whether a threshold fails on these values (None: a value is unknown)."""
    left = _value(t.left, values)
    right = t.factor if t.right is None else _value(t.right, values)
    if left is None or right is None:
        return None
    if t.right is not None:
        right = right * t.factor
    return not _holds(t.op, left, right)

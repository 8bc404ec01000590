"""Lower a checked rule tree into a backend-neutral tree over the matching frame.

Passes, in order (each a small function over the SQLGlot tree):

1. ``three_valued``       GREATEST / LEAST with an unknown argument, and CASE / IF with an
                          unknown condition, are unknown (SQL would skip the unknown or take
                          the ELSE branch, and pay an amount no data supports);
2. ``resolve_functions``  holds / recognised_in / years_since / has_tag and the contract and
                          group functions become frame columns or plain SQL;
3. ``resolve_constants``  ``as_of`` and ``data_year`` become literals;
4. ``resolve_periods``    ``revenue[-1]`` becomes the column ``revenue__2024``;
5. ``resolve_fields``     static fields become quoted frame columns;
   (``note_quotients`` before the first pass and ``note_divisors`` after this one keep
   each quotient's text and divisor, for explanations: ``divisors``);
6. ``exact_ratios``       a comparison of ratios is compared without dividing (``ratios``), so
                          a rate exactly at its threshold meets it;
7. ``guard_division``     ``a / b`` becomes ``a / NULLIF(b, 0)``: division by zero is unknown;
8. ``widen_arithmetic``   arithmetic that could overflow runs in DECIMAL(38, s) (``numeric``).

The output tree reads only frame columns and literals, and holds only SQLGlot
node types every dialect renders (no backend-only function, no ``rowid``); a
backend renders it in its own dialect, so no text from a policy file is ever
pasted into SQL.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from huiqi.engine.compile import language as L
from huiqi.engine.compile.check import Checker, CheckError, offset_of
from huiqi.engine.compile.divisors import Divisor, divisors_of, mark_quotients
from huiqi.engine.compile.numeric import Shape, Widener
from huiqi.engine.compile.ratios import exact_comparisons
from huiqi.engine.frame_columns import FrameColumn


@dataclass
class LowerContext:
    data_year: int
    as_of: dt.date
    checker: Checker
    reads: set[FrameColumn] = field(default_factory=set)
    # The bound of the expression's value, when it is an exact number (widen_arithmetic).
    shape: Shape | None = None
    # Each quotient's text and divisor over frame columns (note_divisors), for explanations.
    divisors: list[Divisor] = field(default_factory=list)


def date_literal(value: dt.date) -> exp.Expression:
    return exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("DATE"))


def frame_column(col: FrameColumn, ctx: LowerContext) -> exp.Column:
    ctx.reads.add(col)
    return exp.column(col.name, quoted=True)


def add_interval(base: dt.date, amount: int, unit: str) -> dt.date:
    """Date + interval with the month-end clamping DuckDB uses (31 Jan + 1 month = 28/29 Feb)."""
    if unit == "DAY":
        return base + dt.timedelta(days=amount)
    months = amount * (12 if unit == "YEAR" else 1)
    total = base.year * 12 + (base.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(base.day, last))


def const_date(node: exp.Expression, ctx: LowerContext) -> dt.date:
    """Evaluate a constant date: DATE '..', as_of, or either plus/minus an INTERVAL."""
    if isinstance(node, exp.Paren):
        return const_date(node.this, ctx)
    if isinstance(node, exp.Cast):
        return ctx.checker.date_literal(node)
    if isinstance(node, exp.Column) and node.name == "as_of":
        return ctx.as_of
    if isinstance(node, exp.Add | exp.Sub) and isinstance(node.expression, exp.Interval):
        amount, unit = ctx.checker.interval_parts(node.expression)
        sign = 1 if isinstance(node, exp.Add) else -1
        return add_interval(const_date(node.this, ctx), sign * amount, unit)
    raise CheckError("this date must be a constant: DATE 'YYYY-MM-DD' or as_of", offset_of(node))


def const_int(node: exp.Expression, ctx: LowerContext) -> int:
    """Evaluate a constant year: an integer literal, data_year, or data_year plus/minus one."""
    if isinstance(node, exp.Paren):
        return const_int(node.this, ctx)
    if isinstance(node, exp.Literal) and not node.is_string and node.name.isdigit():
        return int(node.name)
    if isinstance(node, exp.Neg):
        return -const_int(node.this, ctx)
    if isinstance(node, exp.Column) and node.name == "data_year":
        return ctx.data_year
    if isinstance(node, exp.Add | exp.Sub):
        left, right = const_int(node.this, ctx), const_int(node.expression, ctx)
        return left + right if isinstance(node, exp.Add) else left - right
    raise CheckError("this year must be a constant: 2024 or data_year - 1", offset_of(node))


def anniversary_day(as_of: dt.date) -> int:
    """The day of ``as_of``'s month up to which a date's anniversary has come by ``as_of``.

    A period counted in years ends on the same day of the month; where that month has no
    such day, on the month's last day (民法典 第二百零二条: a 29 February
    reaches its anniversary on 28 February of a common year). So on 28 February of a common
    year, dates of 29 February count as reached: the comparison takes the day as 29.
    """
    last_february = as_of.month == 2 and as_of.day == 28 and not calendar.isleap(as_of.year)
    return 29 if last_february else as_of.day


def years_since_sql(date_expr: exp.Expression, as_of: dt.date) -> exp.Expression:
    """Whole years from ``date_expr`` to ``as_of``, as month/day arithmetic every engine
    shares (an anniversary on a day the month lacks falls on its last day:
    :func:`anniversary_day`)."""
    month, day = exp.Month(this=date_expr.copy()), exp.Day(this=date_expr.copy())
    not_yet = exp.or_(
        exp.GT(this=month, expression=exp.Literal.number(as_of.month)),
        exp.and_(
            exp.EQ(this=month.copy(), expression=exp.Literal.number(as_of.month)),
            exp.GT(this=day, expression=exp.Literal.number(anniversary_day(as_of))),
        ),
    )
    full = exp.Sub(this=exp.Literal.number(as_of.year), expression=exp.Year(this=date_expr.copy()))
    adjust = exp.Case(
        ifs=[exp.If(this=not_yet, true=exp.Literal.number(1))], default=exp.Literal.number(0)
    )
    return exp.Paren(this=exp.Sub(this=full, expression=adjust))


def resolve_constants(tree: exp.Expression, ctx: LowerContext) -> exp.Expression:
    def visit(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.name == "as_of":
            return date_literal(ctx.as_of)
        if isinstance(node, exp.Column) and node.name == "data_year":
            return exp.Literal.number(ctx.data_year)
        return node

    return tree.transform(visit, copy=False)


def resolve_functions(tree: exp.Expression, ctx: LowerContext) -> exp.Expression:
    def visit(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Anonymous):
            return node
        name, args = node.name.lower(), node.expressions
        if name == "holds":
            on = const_date(args[1], ctx) if len(args) == 2 else ctx.as_of
            return frame_column(FrameColumn("held", args[0].name, date=on), ctx)
        if name == "recognised_in":
            year = const_int(args[1], ctx)
            if not L.YEAR_MIN <= year <= L.YEAR_MAX:
                raise CheckError(
                    f"recognised_in needs a year from {L.YEAR_MIN} to {L.YEAR_MAX}, not {year}",
                    offset_of(args[1]),
                )
            return frame_column(FrameColumn("new", args[0].name, year=year), ctx)
        if name in L.CONTRACT_FUNCTIONS:
            start, end = const_date(args[0], ctx), const_date(args[1], ctx)
            if end < start:
                raise CheckError(
                    f"{name}: the period ends ({end}) before it starts ({start})", offset_of(node)
                )
            types = tuple(sorted({a.name for a in args[2:]}))
            return frame_column(
                FrameColumn("contracts", name, date=start, until=end, types=types), ctx
            )
        if name == "group_total":
            return frame_column(group_column(args, ctx), ctx)
        if name == "years_since":
            return years_since_sql(args[0], ctx.as_of)
        if name == "has_tag":
            # A SQLGlot node, not a function name: each dialect spells it its own way.
            return exp.ArrayContains(this=args[0], expression=args[1])
        return node

    # Constants inside holds()/recognised_in() arguments are evaluated here, before
    # resolve_constants rewrote them, so run this pass on the original names.
    return tree.transform(visit, copy=False)


def group_column(args: list[exp.Expression], ctx: LowerContext) -> FrameColumn:
    """The frame column of ``group_total(field[-k], date)``."""
    target, on = args[0], const_date(args[1], ctx) if len(args) == 2 else ctx.as_of
    column = target.this if isinstance(target, exp.Bracket) else target
    field = ctx.checker.dictionary.field(column.name)
    if not field.yearly:
        return FrameColumn("group", field.name, date=on)
    offset = ctx.checker.year_offset(target) if isinstance(target, exp.Bracket) else 0
    return FrameColumn("group", field.name, year=ctx.data_year + offset, date=on)


def resolve_periods(tree: exp.Expression, ctx: LowerContext) -> exp.Expression:
    def visit(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Bracket) and isinstance(node.this, exp.Column):
            offset = ctx.checker.year_offset(node)
            return frame_column(
                FrameColumn("yearly", node.this.name, year=ctx.data_year + offset), ctx
            )
        return node

    return tree.transform(visit, copy=False)


def resolve_fields(tree: exp.Expression, ctx: LowerContext) -> exp.Expression:
    dictionary = ctx.checker.dictionary

    def visit(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Column) or node.this.quoted:
            return node
        f = dictionary.get(node.name)
        if f is None:
            return node
        if f.yearly:
            return frame_column(FrameColumn("yearly", f.name, year=ctx.data_year), ctx)
        return frame_column(FrameColumn("static", f.name), ctx)

    return tree.transform(visit, copy=False)


def note_quotients(tree: exp.Expression, ctx: LowerContext) -> exp.Expression:
    return mark_quotients(tree)


def note_divisors(tree: exp.Expression, ctx: LowerContext) -> exp.Expression:
    ctx.divisors.extend(divisors_of(tree))
    return tree


def exact_ratios(tree: exp.Expression, ctx: LowerContext) -> exp.Expression:
    return exact_comparisons(tree, ctx.checker.dictionary)


def guard_division(tree: exp.Expression, ctx: LowerContext) -> exp.Expression:
    # Every division, nested ones included: a zero divisor makes the quotient unknown.
    for node in list(tree.find_all(exp.Div)):
        if not isinstance(node.expression, exp.Nullif):
            divisor = node.expression
            node.set(
                "expression",
                exp.Nullif(this=divisor, expression=exp.Literal.number(0)),
            )
    return tree


def _unknown(node: exp.Expression) -> exp.Expression:
    return exp.Is(this=exp.Paren(this=node.copy()), expression=exp.Null())


def _may_be_unknown(node: exp.Expression) -> bool:
    # holds() and recognised_in() are never unknown (a missing certificate is not held).
    if isinstance(node, exp.Anonymous) and node.name.lower() in ("holds", "recognised_in"):
        return False
    return not isinstance(node, exp.Literal | exp.Boolean)


def three_valued(tree: exp.Expression, ctx: LowerContext) -> exp.Expression:
    def visit(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Greatest | exp.Least):
            args = [node.this, *node.expressions]
            tests = [_unknown(a) for a in args if _may_be_unknown(a)]
            if not tests:
                return node
            return exp.Case(
                ifs=[exp.If(this=exp.or_(*tests, copy=False), true=exp.Null())], default=node
            )
        if isinstance(node, exp.If) and node.arg_key != "ifs":  # IF(c, a, b), not a WHEN
            branches = [exp.If(this=node.this, true=node.args["true"])]
            node = exp.Case(ifs=branches, default=node.args.get("false"))
        if isinstance(node, exp.Case):
            ifs: list[exp.Expression] = []
            for branch in node.args.get("ifs") or []:
                ifs.append(branch)
                if _may_be_unknown(branch.this):
                    ifs.append(exp.If(this=_unknown(branch.this), true=exp.Null()))
            node.set("ifs", ifs)
        return node

    return tree.transform(visit, copy=False)


def widen_arithmetic(tree: exp.Expression, ctx: LowerContext) -> exp.Expression:
    ctx.shape = Widener(ctx.checker.dictionary).shape(tree)
    return tree


def strip_comments(tree: exp.Expression, ctx: LowerContext) -> exp.Expression:
    for node in tree.walk():
        node.comments = None
        # A user may quote a field name; quoting is ours to decide (frame columns are quoted).
        if isinstance(node, exp.Identifier):
            node.set("quoted", False)
    return tree


PASSES: tuple[Callable[[exp.Expression, LowerContext], exp.Expression], ...] = (
    note_quotients,
    strip_comments,
    three_valued,
    resolve_functions,
    resolve_constants,
    resolve_periods,
    resolve_fields,
    note_divisors,
    exact_ratios,
    guard_division,
    widen_arithmetic,
)


def lower(tree: exp.Expression, ctx: LowerContext) -> exp.Expression:
    """Run every lowering pass in order on ``tree``, which it changes in place (the parsed
    tree is the compiler's own; copying it cost a tenth of compiling)."""
    out = tree
    for step in PASSES:
        out = step(out, ctx)
    return out

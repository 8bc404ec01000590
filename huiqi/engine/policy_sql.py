"""The SQL that evaluates one compiled policy over the frame.

``evaluation_query`` gives one row per enterprise with every criterion's value
(TRUE / FALSE / NULL = unknown), the amount in fen, and the derived status:

* ``eligible``     every checked criterion TRUE and the amount known;
* ``near_miss``    exactly one criterion FALSE, none unknown;
* ``needs_data``   none FALSE, at least one unknown (or the amount unknown);
* ``not_eligible`` otherwise.

Bulk matching keeps only the first three; an explanation keeps everything. Both
run this same query, so they cannot disagree.
"""

from __future__ import annotations

from decimal import Decimal

from sqlglot import exp

from huiqi.engine.compiler import DIALECT, CompiledPolicy
from huiqi.engine.frame import FRAME


def crit_alias(i: int) -> str:
    return f"c{i}"


def _num(value: Decimal | int) -> exp.Expression:
    # Positional notation always: "1E+6" would be read by DuckDB as a DOUBLE.
    return exp.Literal.number(format(Decimal(value), "f"))


def amount_fen_expression(cp: CompiledPolicy) -> exp.Expression:
    """Yuan -> fen: clamp to [floor, cap] (floor 0 by default), round half up once, BIGINT.

    GREATEST/LEAST skip NULLs in DuckDB, so an unknown amount is kept unknown
    explicitly rather than silently becoming the floor.
    """
    amt = exp.Paren(this=cp.amount.copy())
    spec = cp.policy.amount
    floor = spec.floor if spec.floor is not None else Decimal(0)
    clamped: exp.Expression = exp.Greatest(this=amt.copy(), expressions=[_num(floor)])
    if spec.cap is not None:
        clamped = exp.Least(this=clamped, expressions=[_num(spec.cap)])
    # Round to the fen first, then widen before scaling by 100: the product of a rate
    # and a large amount may already use all 18 digits of DuckDB's narrow decimals.
    fen = exp.Cast(
        this=exp.Mul(
            this=exp.Cast(
                this=exp.Round(this=clamped, decimals=exp.Literal.number(2)),
                to=exp.DataType.build("DECIMAL(38, 2)"),
            ),
            expression=exp.Literal.number(100),
        ),
        to=exp.DataType.build("BIGINT"),
    )
    return exp.Case(
        ifs=[exp.If(this=exp.Is(this=amt, expression=exp.Null()), true=exp.Null())], default=fen
    )


def _sum_flags(aliases: list[str], test: str) -> exp.Expression:
    if not aliases:
        return exp.Literal.number(0)
    terms: list[exp.Expression] = []
    for a in aliases:
        col = exp.column(a, quoted=True)
        cond = (
            exp.Is(this=col, expression=exp.Null())
            if test == "null"
            else exp.Is(this=col, expression=exp.Boolean(this=False))
        )
        terms.append(exp.Cast(this=cond, to=exp.DataType.build("INTEGER")))
    total = terms[0]
    for t in terms[1:]:
        total = exp.Add(this=total, expression=t)
    return total


def _ids_where(aliases: list[str], ids: list[str], test: str) -> exp.Expression:
    parts: list[exp.Expression] = []
    for a, cid in zip(aliases, ids, strict=True):
        col = exp.column(a, quoted=True)
        cond = (
            exp.Is(this=col, expression=exp.Null())
            if test == "null"
            else exp.Is(this=col, expression=exp.Boolean(this=False))
        )
        parts.append(exp.Case(ifs=[exp.If(this=cond, true=exp.Literal.string(cid))]))
    if not parts:
        return exp.Null()
    return exp.Anonymous(this="concat_ws", expressions=[exp.Literal.string(","), *parts])


def evaluation_query(
    cp: CompiledPolicy, *, keep_all: bool = False, frame: str = FRAME
) -> exp.Select:
    """One row per enterprise of ``frame`` with criteria values, amount_fen and status."""
    checked = cp.checked
    aliases = [crit_alias(i) for i in range(len(checked))]
    ids = [c.id for c in checked]
    inner = exp.select(exp.column("uscc", quoted=True)).from_(exp.to_table(frame))
    for alias, crit in zip(aliases, checked, strict=True):
        assert crit.tree is not None
        inner = inner.select(exp.alias_(crit.tree.copy(), alias, quoted=True))
    inner = inner.select(exp.alias_(amount_fen_expression(cp), "amount_fen", quoted=True))

    n_false, n_null = exp.column("n_false", quoted=True), exp.column("n_null", quoted=True)
    amount = exp.column("amount_fen", quoted=True)
    counted = (
        exp.select("*")
        .select(exp.alias_(_sum_flags(aliases, "false"), "n_false", quoted=True))
        .select(exp.alias_(_sum_flags(aliases, "null"), "n_null", quoted=True))
        .from_(inner.subquery("v"))
    )
    zero, one = exp.Literal.number(0), exp.Literal.number(1)
    status = exp.Case(
        ifs=[
            exp.If(
                this=exp.and_(
                    exp.EQ(this=n_false, expression=zero),
                    exp.EQ(this=n_null, expression=zero.copy()),
                    exp.Not(this=exp.Is(this=amount, expression=exp.Null())),
                ),
                true=exp.Literal.string("eligible"),
            ),
            exp.If(
                this=exp.EQ(this=n_false.copy(), expression=zero.copy()),
                true=exp.Literal.string("needs_data"),
            ),
            exp.If(
                this=exp.and_(
                    exp.EQ(this=n_false.copy(), expression=one),
                    exp.EQ(this=n_null.copy(), expression=zero.copy()),
                ),
                true=exp.Literal.string("near_miss"),
            ),
        ],
        default=exp.Literal.string("not_eligible"),
    )
    outer = exp.select(
        exp.column("uscc", quoted=True),
        *[exp.column(a, quoted=True) for a in aliases],
        amount.copy(),
        n_false.copy(),
        n_null.copy(),
        exp.alias_(status, "status", quoted=True),
        exp.alias_(_ids_where(aliases, ids, "false"), "failed", quoted=True),
        exp.alias_(_ids_where(aliases, ids, "null"), "unknown", quoted=True),
    ).from_(counted.subquery("w"))
    if not keep_all:
        outer = outer.where(
            exp.or_(
                exp.EQ(this=n_false.copy(), expression=zero.copy()),
                exp.and_(
                    exp.EQ(this=n_false.copy(), expression=one.copy()),
                    exp.EQ(this=n_null.copy(), expression=zero.copy()),
                ),
            )
        )
    return outer


def evaluation_sql(cp: CompiledPolicy, *, keep_all: bool = False, frame: str = FRAME) -> str:
    return evaluation_query(cp, keep_all=keep_all, frame=frame).sql(dialect=DIALECT)

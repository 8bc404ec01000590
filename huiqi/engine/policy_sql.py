"""The SQL that evaluates one compiled policy over the frame.

``evaluation_query`` gives one row per enterprise with every criterion's value
(TRUE / FALSE / NULL = unknown), the amount in fen, and the derived status:

* ``eligible``     every checked criterion TRUE and the amount known;
* ``near_miss``    exactly one criterion FALSE, none unknown, and that one is not a
                   scope criterion (whom the policy is for: district, industry...);
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


STATUSES = ("eligible", "near_miss", "needs_data", "not_eligible")


def _is_false(col: exp.Expression) -> exp.Expression:
    return exp.Is(this=col, expression=exp.Boolean(this=False))


def _counted(cp: CompiledPolicy, *, keep_all: bool, frame: str, row_id: bool) -> exp.Select:
    """Criteria values, amount and the counts the status is derived from, per enterprise."""
    checked = cp.checked
    aliases = [crit_alias(i) for i in range(len(checked))]
    key = exp.alias_(exp.column("rowid"), "rid") if row_id else exp.column("uscc", quoted=True)
    inner = exp.select(key).from_(exp.to_table(frame))
    for alias, crit in zip(aliases, checked, strict=True):
        assert crit.tree is not None
        inner = inner.select(exp.alias_(crit.tree.copy(), alias, quoted=True))
    # The amount is computed later, only for the rows kept; pass its inputs through.
    for col in sorted(set(cp.amount_reads)):
        inner = inner.select(exp.column(col.name, quoted=True))
    if not keep_all:
        # Whom the policy is for: enterprises outside its scope (another district, another
        # industry) are dropped before anything else is computed for them.
        for crit in (c for c in checked if c.scope):
            assert crit.tree is not None
            inner = inner.where(exp.Not(this=_is_false(exp.Paren(this=crit.tree.copy()))))
    scoped = [a for a, c in zip(aliases, checked, strict=True) if c.scope]
    counted = (
        exp.select("*")
        .select(exp.alias_(_sum_flags(aliases, "false"), "n_false", quoted=True))
        .select(exp.alias_(_sum_flags(aliases, "null"), "n_null", quoted=True))
        .select(exp.alias_(_sum_flags(scoped, "false"), "n_scope", quoted=True))
        .from_(inner.subquery("v"))
    )
    if not keep_all:
        counted = counted.where(_kept())
    # Only now, for the rows that are kept, the amount.
    return (
        exp.select(
            exp.column(key.alias_or_name, quoted=not row_id),
            *[exp.column(a, quoted=True) for a in aliases],
        )
        .select(exp.alias_(amount_fen_expression(cp), "amount_fen", quoted=True))
        .select(*[exp.column(n, quoted=True) for n in ("n_false", "n_null", "n_scope")])
        .from_(counted.subquery("k"))
    )


def _status(labels: tuple[exp.Expression, ...]) -> exp.Expression:
    """The one definition of the status, with the given label for each of STATUSES."""
    n_false, n_null = exp.column("n_false", quoted=True), exp.column("n_null", quoted=True)
    n_scope, amount = exp.column("n_scope", quoted=True), exp.column("amount_fen", quoted=True)
    zero, one = exp.Literal.number(0), exp.Literal.number(1)
    eligible, near_miss, needs_data, not_eligible = labels
    return exp.Case(
        ifs=[
            exp.If(
                this=exp.and_(
                    exp.EQ(this=n_false, expression=zero),
                    exp.EQ(this=n_null, expression=zero.copy()),
                    exp.Not(this=exp.Is(this=amount, expression=exp.Null())),
                ),
                true=eligible,
            ),
            exp.If(this=exp.EQ(this=n_false.copy(), expression=zero.copy()), true=needs_data),
            exp.If(
                this=exp.and_(
                    exp.EQ(this=n_false.copy(), expression=one),
                    exp.EQ(this=n_null.copy(), expression=zero.copy()),
                    exp.EQ(this=n_scope, expression=zero.copy()),
                ),
                true=near_miss,
            ),
        ],
        default=not_eligible,
    )


def _kept() -> exp.Expression:
    """Rows bulk matching keeps: eligible, needs data, near miss (never not eligible)."""
    n_false, n_null = exp.column("n_false", quoted=True), exp.column("n_null", quoted=True)
    zero, one = exp.Literal.number(0), exp.Literal.number(1)
    return exp.or_(
        exp.EQ(this=n_false, expression=zero),
        exp.and_(
            exp.EQ(this=n_false.copy(), expression=one),
            exp.EQ(this=n_null, expression=zero.copy()),
            exp.EQ(this=exp.column("n_scope", quoted=True), expression=zero.copy()),
        ),
    )


def evaluation_query(
    cp: CompiledPolicy, *, keep_all: bool = False, frame: str = FRAME
) -> exp.Select:
    """One row per enterprise of ``frame`` with criteria values, amount_fen and status."""
    aliases = [crit_alias(i) for i in range(len(cp.checked))]
    ids = [c.id for c in cp.checked]
    status = _status(tuple(exp.Literal.string(s) for s in STATUSES))
    outer = exp.select(
        exp.column("uscc", quoted=True),
        *[exp.column(a, quoted=True) for a in aliases],
        exp.column("amount_fen", quoted=True),
        exp.column("n_false", quoted=True),
        exp.column("n_null", quoted=True),
        exp.alias_(status, "status", quoted=True),
        exp.alias_(_ids_where(aliases, ids, "false"), "failed", quoted=True),
        exp.alias_(_ids_where(aliases, ids, "null"), "unknown", quoted=True),
    ).from_(_counted(cp, keep_all=keep_all, frame=frame, row_id=False).subquery("w"))
    return outer


def compact_query(cp: CompiledPolicy, index: int, *, frame: str = FRAME) -> exp.Select:
    """The rows bulk matching keeps for one policy, as small integers (~20 bytes a row).

    ``rid`` (frame rowid), ``policy`` (``index``), ``status`` (position in STATUSES),
    ``amount_fen``, ``failed`` (index of the one false criterion of a near miss) and
    ``unknown_mask`` (bit i set when criterion i is unknown). The status is the same
    expression as in ``evaluation_query``; strings are joined back by the matcher.
    """
    aliases = [crit_alias(i) for i in range(len(cp.checked))]
    tiny = exp.DataType.build("UTINYINT", dialect=DIALECT)
    status = _status(tuple(exp.Literal.number(i) for i in range(len(STATUSES))))
    failed = exp.Case(
        ifs=[
            exp.If(this=_is_false(exp.column(a, quoted=True)), true=exp.Literal.number(i))
            for i, a in enumerate(aliases)
        ]
    )
    mask: exp.Expression = exp.Literal.number(0)
    for i, a in enumerate(aliases):
        bit = exp.Mul(
            this=exp.Cast(
                this=exp.Is(this=exp.column(a, quoted=True), expression=exp.Null()),
                to=exp.DataType.build("INTEGER"),
            ),
            expression=exp.Literal.number(1 << i),
        )
        mask = bit if i == 0 else exp.Add(this=mask, expression=bit)
    return exp.select(
        exp.column("rid"),
        exp.alias_(
            exp.Cast(this=exp.Literal.number(index), to=exp.DataType.build("SMALLINT")),
            "policy",
        ),
        exp.alias_(exp.Cast(this=status, to=tiny), "status"),
        exp.column("amount_fen", quoted=True),
        exp.alias_(exp.Cast(this=failed if aliases else exp.Null(), to=tiny.copy()), "failed"),
        exp.alias_(
            exp.Cast(this=mask, to=exp.DataType.build("UINTEGER", dialect=DIALECT)),
            "unknown_mask",
        ),
    ).from_(_counted(cp, keep_all=False, frame=frame, row_id=True).subquery("w"))


def evaluation_sql(cp: CompiledPolicy, *, keep_all: bool = False, frame: str = FRAME) -> str:
    return evaluation_query(cp, keep_all=keep_all, frame=frame).sql(dialect=DIALECT)

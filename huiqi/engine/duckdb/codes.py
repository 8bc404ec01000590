"""The DuckDB backend's lowering of a compiled policy: integer codes, status, amount in fen.

Every criterion becomes a small integer *code* per enterprise:

* ``0``          the criterion holds;
* ``1``          it fails and is actionable (``compile/nearness``: an attainable
                 qualification, or a threshold failed within its margin);
* ``null``       it is unknown (``16``; ``256`` for a policy with 16 or more criteria);
* ``null + 1``   it fails and is not actionable (whom the policy is for, a status,
                 a threshold beyond its margin). It counts as a failure and as an
                 unknown at once, so such an enterprise is never kept as a near miss.

The sum ``s`` of a policy's codes then decides the status with two integer tests,
whatever the number of criteria:

* ``eligible``     ``s = 0`` and the amount is known;
* ``needs_data``   no failure (``s & (null - 1) = 0``) but something unknown;
* ``near_miss``    ``s = 1``: exactly one actionable criterion fails, nothing unknown;
* ``not_eligible`` otherwise.

These pieces are built over the neutral trees of ``CompiledPolicy`` (the DuckDB
backend's own pass: its types, its bit operations; its cheapest exact money path is
``amount``); ``policy_sql`` assembles them into the evaluation and bulk queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from sqlglot import exp

from huiqi.engine.compile.compiler import MAX_CRITERIA, CompiledCriterion, CompiledPolicy

DIALECT = "duckdb"


@cache
def _type(name: str) -> exp.DataType:
    return exp.DataType.build(name, dialect=DIALECT)


def dtype(name: str) -> exp.DataType:
    """A DuckDB type node, parsed once (building policy SQL is on the matching path)."""
    return _type(name).copy()


def alias(expression: exp.Expression, name: str) -> exp.Alias:
    """``expression AS "name"`` without copying the expression."""
    return exp.Alias(this=expression, alias=exp.to_identifier(name))


def crit_alias(i: int) -> str:
    """The column of criterion ``i``'s value (TRUE / FALSE / NULL)."""
    return f"c{i}"


def code_alias(i: int) -> str:
    """The column of criterion ``i``'s code."""
    return f"k{i}"


@dataclass(frozen=True)
class Codes:
    """The integer encoding of criterion results for one policy (see the module doc)."""

    null: int

    @classmethod
    def for_policy(cls, cp: CompiledPolicy) -> Codes:
        n = len(cp.checked)
        if n > MAX_CRITERIA:
            raise ValueError(f"policy {cp.policy.id} checks {n} criteria; at most {MAX_CRITERIA}")
        # The failures must not carry into the unknowns' bits: fifteen failures fit
        # below 16, thirty-two below 256.
        return cls(16) if n < 16 else cls(256)

    @property
    def shift(self) -> int:
        return self.null.bit_length() - 1


def criterion_code(crit: CompiledCriterion, codes: Codes) -> exp.Expression:
    """``0`` holds, ``1`` fails actionably, ``null + 1`` fails otherwise, ``null`` unknown.

    Bulk matching filters out the enterprises a scope criterion excludes before the
    codes are read, so there a failing scope criterion never reaches the sum. A
    threshold's failure is ``1`` where its relaxed rule holds (within the margin),
    ``null + 1`` elsewhere.

    A CASE with two tests measured 20-40 % cheaper in DuckDB than the shorter
    ``COALESCE(CAST(NOT (x) AS UTINYINT), null)``: the second test runs only on the rows
    where the criterion does not hold.
    """
    assert crit.tree is not None
    hard = exp.Literal.number(codes.null + 1)
    fails: exp.Expression = exp.Literal.number(1) if crit.nearness == "always" else hard
    if crit.nearness == "margin" and crit.near is not None:
        fails = exp.Case(
            ifs=[exp.If(this=exp.Paren(this=crit.near.copy()), true=exp.Literal.number(1))],
            default=hard.copy(),
        )
    return exp.Case(
        ifs=[
            exp.If(this=exp.Paren(this=crit.tree.copy()), true=exp.Literal.number(0)),
            exp.If(
                this=exp.Not(this=exp.Paren(this=crit.tree.copy())),
                true=fails,
            ),
        ],
        default=exp.Literal.number(codes.null),
    )


# Node types through which a NULL can only come from a NULL column: for such a scope
# criterion, "holds or one of its columns is NULL" is a filter DuckDB pushes into the scan
# (and answers from zone maps on the frame, which is sorted by scope fields).
_NULL_FROM_COLUMNS_ONLY = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Paren, exp.Cast, exp.EQ,
    exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Between, exp.And, exp.Or, exp.Not,
    exp.DataType,
)  # fmt: skip


def scope_filter(crit: CompiledCriterion) -> exp.Expression:
    """Exactly the enterprises a scope criterion does not exclude (it holds or is unknown).

    When the criterion can only be unknown through a missing column, the filter starts
    with "holds or one of its columns is missing", which DuckDB pushes into the scan and
    answers from zone maps on the frame (sorted by scope fields), skipping row groups.
    """
    assert crit.tree is not None
    tree = crit.tree
    # IS DISTINCT FROM FALSE: one comparison per row, where NOT (x IS FALSE) costs two.
    exact = exp.NullSafeNEQ(this=exp.Paren(this=tree.copy()), expression=exp.false())
    if not all(isinstance(node, _NULL_FROM_COLUMNS_ONLY) for node in tree.walk()):
        return exact
    nulls = [
        exp.Is(this=exp.column(c.name, quoted=True), expression=exp.Null()) for c in crit.reads
    ]
    return exp.and_(
        exp.Paren(this=exp.or_(exp.Paren(this=tree.copy()), *nulls, copy=False)), exact, copy=False
    )


def col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def coded_query(
    cp: CompiledPolicy,
    *,
    keep_all: bool,
    frame: str,
    row_id: bool,
    rid_range: bool = False,
    carry: Sequence[tuple[str, str]] = (),
) -> exp.Select:
    """Per enterprise: its key, the amount's inputs, each criterion's code and their sum.

    With ``rid_range`` only the frame rows ``rowid BETWEEN $lo AND $hi`` (``isolate``);
    ``carry``: frame columns passed through as (column, alias), e.g. what a simulation
    breaks its results down by.
    """
    codes = Codes.for_policy(cp)
    aliases = [code_alias(i) for i in range(len(cp.checked))]
    key = (
        alias(exp.Cast(this=exp.column("rowid"), to=dtype("INTEGER")), "rid")
        if row_id
        else col("uscc")
    )
    inner = exp.select(key).from_(exp.to_table(frame), copy=False)
    for name, crit in zip(aliases, cp.checked, strict=True):
        inner = inner.select(alias(criterion_code(crit, codes), name), copy=False)
    # The amount is computed later, only where it is needed; pass its inputs through.
    for read in sorted(set(cp.amount_reads)):
        inner = inner.select(col(read.name), copy=False)
    for column, name in carry:
        inner = inner.select(alias(col(column), name), copy=False)
    if not keep_all:
        # Whom the policy is for: enterprises outside its scope (another district, another
        # industry) are dropped before anything else is computed for them.
        for crit in (c for c in cp.checked if c.scope):
            inner = inner.where(scope_filter(crit), copy=False)
    if rid_range:
        inner = inner.where(rid_filter(), copy=False)
    total: exp.Expression = exp.Literal.number(0)
    for i, name in enumerate(aliases):
        total = col(name) if i == 0 else exp.Add(this=total, expression=col(name))
    return exp.select(exp.Star(), alias(total, "s")).from_(
        inner.subquery("v", copy=False), copy=False
    )


def rid_filter() -> exp.Expression:
    """``rowid BETWEEN $lo AND $hi``: the frame rows one step of ``isolate`` reads."""
    return exp.Between(
        this=exp.column("rowid"), low=exp.Placeholder(this="lo"), high=exp.Placeholder(this="hi")
    )


def sum_column() -> exp.Column:
    return col("s")


def no_failure(codes: Codes) -> exp.Expression:
    return exp.EQ(
        this=exp.BitwiseAnd(this=sum_column(), expression=exp.Literal.number(codes.null - 1)),
        expression=exp.Literal.number(0),
    )


def kept_filter(codes: Codes) -> exp.Expression:
    """Rows bulk matching keeps: eligible, needs data, near miss (never not eligible).

    That is "no failure, or exactly one and nothing unknown" (``s & (null - 1) = 0 OR
    s = 1``), written as one comparison: the failures times ``s`` is at most 1 exactly
    then (no failure gives 0; one failure gives ``s``, which is 1 only without unknowns;
    more failures give at least 4). DuckDB evaluates an OR of two tests over selection
    vectors at about four times the cost of this product (8 ns a row saved here, over
    some 10^9 rows at 3.5 M x 709).
    """
    failures = exp.BitwiseAnd(this=sum_column(), expression=exp.Literal.number(codes.null - 1))
    product = exp.Mul(this=exp.Cast(this=failures, to=dtype("INTEGER")), expression=sum_column())
    return exp.LTE(this=product, expression=exp.Literal.number(1))


def status_expression(
    labels: tuple[exp.Expression, ...], codes: Codes, *, may_overflow: bool = True
) -> exp.Expression:
    """The one definition of the status, with the given label for each of STATUSES.

    Reads the columns ``s`` (the codes' sum), ``amount_fen`` and, when ``may_overflow``
    (the amount can reach the limit: ``amount_overflow`` is not FALSE itself),
    ``amount_error``.
    """
    eligible, near_miss, needs_data, not_eligible, error = labels
    zero, one = exp.Literal.number(0), exp.Literal.number(1)
    amount_known = exp.Not(this=exp.Is(this=col("amount_fen"), expression=exp.Null()))
    ifs = [
        exp.If(
            this=exp.and_(exp.EQ(this=sum_column(), expression=zero), amount_known, copy=False),
            true=eligible,
        ),
        exp.If(this=no_failure(codes), true=needs_data),
        exp.If(this=exp.EQ(this=sum_column(), expression=one), true=near_miss),
    ]
    if may_overflow:
        overflow = exp.and_(
            exp.EQ(this=sum_column(), expression=zero.copy()),
            exp.Is(this=col("amount_error"), expression=exp.true()),
            copy=False,
        )
        ifs.insert(0, exp.If(this=overflow, true=error))
    return exp.Case(ifs=ifs, default=not_eligible)


def criterion_value(alias: str, codes: Codes) -> exp.Expression:
    """A criterion's value back from its code: TRUE, FALSE or NULL (unknown)."""
    code = col(alias)
    return exp.Case(
        ifs=[
            exp.If(this=exp.EQ(this=code, expression=exp.Literal.number(0)), true=exp.true()),
            exp.If(
                this=exp.EQ(this=code.copy(), expression=exp.Literal.number(codes.null)),
                true=exp.Null(),
            ),
        ],
        default=exp.false(),
    )


def flags(values: list[exp.Expression], test: exp.Expression) -> list[exp.Expression]:
    return [exp.Is(this=v.copy(), expression=test.copy()) for v in values]


def count_of(conds: list[exp.Expression]) -> exp.Expression:
    total: exp.Expression = exp.Literal.number(0)
    for c in conds:
        total = exp.Add(this=total, expression=exp.Cast(this=c, to=dtype("INT")))
    return total


def ids_where(conds: list[exp.Expression], ids: list[str]) -> exp.Expression:
    if not conds:
        return exp.Null()
    parts = [
        exp.Case(ifs=[exp.If(this=c, true=exp.Literal.string(cid))])
        for c, cid in zip(conds, ids, strict=True)
    ]
    return exp.Anonymous(this="concat_ws", expressions=[exp.Literal.string(","), *parts])

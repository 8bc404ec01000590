"""Compile a policy into SQLGlot trees over the matching frame.

``compile_policy`` parses every criterion and the amount formula, checks them
(constructs, fields, types), lowers them to frame columns, and returns a
``CompiledPolicy``: the one meaning of the policy that bulk matching, single
enterprise explanations, test cases and the reference evaluator all share.

A compiled policy is backend-neutral: SQLGlot trees over named frame columns,
with no rendered SQL and no backend-only function in them. Each backend renders
them in its own dialect (``CompiledCriterion.sql(dialect)``) and adds its own
passes (the DuckDB backend's integer codes and money paths, ``engine/duckdb/codes``).

Example:
    >>> from huiqi.policies.loader import load_policy_text
    >>> cp = compile_policy(load_policy_text(EXAMPLE_POLICY, "example.yaml"))
    >>> cp.criteria[0].sql("duckdb")
    '"revenue__2024" >= 1000000'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlglot import exp

from huiqi.engine.compile.check import Checker, CheckError
from huiqi.engine.compile.divisors import Divisor
from huiqi.engine.compile.lower import LowerContext, lower
from huiqi.engine.compile.nearness import DEFAULT_MARGIN, Nearness, is_threshold, relaxed_rule
from huiqi.engine.compile.numeric import Shape
from huiqi.engine.compile.parse import parse_rule
from huiqi.engine.compile.types import Ty
from huiqi.engine.frame_columns import FrameColumn
from huiqi.errors import Location, RuleCompileError
from huiqi.policies.loader import LoadedPolicy
from huiqi.policies.model import MAX_AMOUNT_DIGITS as MAX_AMOUNT_DIGITS  # re-exported
from huiqi.policies.model import Criterion, Policy
from huiqi.profiles.dictionary import Dictionary, load_dictionary

# Bulk results keep the unknown criteria of a row as a bit mask; 32 keeps it far inside
# the 64-bit detail column and a policy readable.
MAX_CRITERIA = 32

EXAMPLE_POLICY = """
id: example
version: 1
title: {zh: 示例, en: Example}
department: {zh: 示例局, en: Example bureau}
level: city
region: "310000"
source: {document: 示例文件}
valid_from: 2025-01-01
valid_to: 2025-12-31
delivery: auto
data_year: 2024
criteria:
  - id: big_enough
    label: {zh: 营业收入不低于100万元, en: Revenue at least 1 m yuan}
    expr: revenue >= 1000000
amount: {formula: "10000"}
"""


@dataclass(frozen=True)
class CompiledCriterion:
    id: str
    label_zh: str
    label_en: str
    source: str | None
    attested: bool
    tree: exp.Expression | None
    reads: tuple[FrameColumn, ...]
    scope: bool = False
    # Whether failing it alone can make a near miss (engine/compile/nearness): 'never',
    # 'always' (an attainable qualification) or 'margin' (a numeric threshold: where
    # ``near``, the relaxed rule lowered like ``tree``, is TRUE).
    nearness: Nearness = "never"
    near: exp.Expression | None = None
    margin: Decimal | None = None
    # Its quotients' divisors: an explanation names the one that is 0 (compile/divisors).
    divisors: tuple[Divisor, ...] = ()

    def sql(self, dialect: str) -> str:
        """The criterion as SQL text in a SQLGlot ``dialect`` ('duckdb', 'postgres', 'spark')."""
        return self.tree.sql(dialect=dialect) if self.tree is not None else "TRUE"


@dataclass(frozen=True)
class CompiledPolicy:
    policy: Policy
    criteria: tuple[CompiledCriterion, ...]
    amount: exp.Expression
    amount_reads: tuple[FrameColumn, ...]
    source_hash: str | None = None
    # The rule type of the amount formula: 'integer' lets the fen conversion skip
    # rounding and 128-bit decimals (see engine/duckdb/amount.fen_expression).
    amount_kind: str = "decimal"
    requirements: frozenset[FrameColumn] = field(default_factory=frozenset)
    # At most this many digits before the decimal point in the formula's value, with the
    # largest values its fields admit (engine/compile/numeric): above MAX_AMOUNT_DIGITS the
    # amount of one enterprise can exceed what huiqi records, and that row is an 'error'.
    amount_digits: int = 0
    # At most this many digits after the decimal point in the formula's value.
    amount_scale: int = 0
    # The file (or "policy@version") the policy came from, for messages.
    filename: str | None = None

    @property
    def checked(self) -> tuple[CompiledCriterion, ...]:
        """Criteria that registry data decides (attested ones are confirmed by the enterprise)."""
        return tuple(c for c in self.criteria if not c.attested)

    @property
    def attested(self) -> tuple[CompiledCriterion, ...]:
        return tuple(c for c in self.criteria if c.attested)


def is_scope(reads: tuple[FrameColumn, ...], dictionary: Dictionary) -> bool:
    """A criterion is about whom the policy is for when it reads only scope fields."""
    return bool(reads) and all(
        c.kind == "static" and dictionary.field(c.field).scope for c in reads
    )


def _error(
    message: str,
    *,
    filename: str | None,
    at: tuple[int, int] | None,
    offset: int | None,
    what: str,
    path: str,
) -> RuleCompileError:
    where = f" (at character {offset + 1} of the expression)" if offset is not None else ""
    line, col = at if at else (None, None)
    return RuleCompileError(
        f"{what}: {message}{where}", location=Location(filename, line, col, path)
    )


def _scale(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def compile_expression(
    text: str,
    *,
    checker: Checker,
    data_year: int,
    as_of: object,
    want: str,
    divisors: list[Divisor] | None = None,
) -> tuple[exp.Expression, Ty, tuple[FrameColumn, ...], Shape | None]:
    """Parse, check and lower one expression. ``want`` is 'boolean' or 'amount'.

    Returns the lowered tree, its rule type, the frame columns it reads and the bound of
    its value when it is an exact number; ``divisors``, when given, receives the divisor of
    each of its quotients.
    """
    return compile_tree(
        parse_rule(text, checker.dictionary),
        checker=checker,
        data_year=data_year,
        as_of=as_of,
        want=want,
        divisors=divisors,
    )


def compile_tree(
    tree: exp.Expression,
    *,
    checker: Checker,
    data_year: int,
    as_of: object,
    want: str,
    divisors: list[Divisor] | None = None,
) -> tuple[exp.Expression, Ty, tuple[FrameColumn, ...], Shape | None]:
    """``compile_expression`` of a parsed rule tree."""
    checker.check_constructs(tree)
    ty = checker.type_of(tree)
    if want == "boolean" and ty.kind not in ("boolean", "null"):
        hint = " (use holds(...) to test a qualification)" if ty.kind == "qualification" else ""
        raise CheckError(
            f"a criterion must be true or false, but this expression is {ty}{hint}", None
        )
    if want == "amount":
        if ty.kind == "float":
            raise CheckError(
                "an amount formula cannot divide: division gives a binary fraction and money must be"
                " exact; write rates as multipliers (0.3 * model_contract) or test ratios in criteria",
                None,
            )
        if not (ty.numeric or ty.kind == "null"):
            raise CheckError(f"an amount formula must be a number of yuan, but this is {ty}", None)
    assert isinstance(as_of, dt.date)
    ctx = LowerContext(data_year=data_year, as_of=as_of, checker=checker)
    lowered = lower(tree, ctx)
    if divisors is not None:
        divisors.extend(ctx.divisors)
    return lowered, ty, tuple(sorted(ctx.reads)), ctx.shape


QUALIFICATION_KINDS = ("held", "new")


def _nearness(
    crit: Criterion,
    i: int,
    reads: tuple[FrameColumn, ...],
    scope: bool,
    policy: Policy,
    checker: Checker,
    *,
    filename: str | None,
    marks: dict[tuple[str | int, ...], tuple[int, int]],
) -> tuple[Nearness, exp.Expression | None, Decimal | None]:
    """Whether failing criterion ``crit`` alone is a near miss: ``nearness`` (with the
    lowered relaxed rule and the margin of a threshold); refuses ``attainable`` on what is
    not a qualification and ``margin`` on what is not a numeric threshold."""
    if crit.attainable:
        if not reads or any(c.kind not in QUALIFICATION_KINDS for c in reads):
            raise _error(
                "'attainable: true' marks a qualification the enterprise can obtain"
                " (holds(...), recognised_in(...)), but this criterion reads other fields:"
                " remove 'attainable'",
                filename=filename,
                at=marks.get(("criteria", i, "attainable")),
                offset=None,
                what=f"criterion '{crit.id}'",
                path=f"criteria[{i}].attainable",
            )
        return "always", None, None
    if scope:
        return "never", None, None
    assert crit.expr is not None
    margin = crit.margin if crit.margin is not None else DEFAULT_MARGIN
    relaxed = relaxed_rule(parse_rule(crit.expr), margin, checker.dictionary)
    if relaxed is None and crit.margin is not None and crit.margin != 0:
        why = (
            "its thresholds are 0, which no margin moves"
            if is_threshold(parse_rule(crit.expr), checker.dictionary)
            else "this criterion is not a numeric threshold (field >= number, field >= k *"
            " field, field / field >= k, BETWEEN, or an AND of them) over figures the"
            " enterprise can change"
        )
        raise _error(
            f"'margin' applies to numeric thresholds, but {why}: remove 'margin'",
            filename=filename,
            at=marks.get(("criteria", i, "margin")),
            offset=None,
            what=f"criterion '{crit.id}'",
            path=f"criteria[{i}].margin",
        )
    if relaxed is None:
        return "never", None, None
    try:
        near, _, _, _ = compile_tree(
            relaxed,
            checker=checker,
            data_year=policy.data_year,
            as_of=policy.evaluation_date,
            want="boolean",
        )
    except CheckError as exc:
        raise _error(
            f"with its margin, the threshold cannot be compiled: {exc.message}; use a"
            " smaller margin or fewer decimal places",
            filename=filename,
            at=marks.get(("criteria", i, "margin")) or marks.get(("criteria", i, "expr")),
            offset=None,
            what=f"criterion '{crit.id}'",
            path=f"criteria[{i}].margin",
        ) from None
    return "margin", near, margin


def compile_policy(
    source: LoadedPolicy | Policy,
    *,
    dictionary: Dictionary | None = None,
    filename: str | None = None,
    marks: dict[tuple[str | int, ...], tuple[int, int]] | None = None,
    source_hash: str | None = None,
) -> CompiledPolicy:
    """Compile every criterion and the amount; raise RuleCompileError for the first refusal,
    with every other criterion's and the amount's refusal in its ``more``.

    ``source`` is a loaded policy file (its file name, positions and hash are used) or a
    bare ``Policy`` (with the optional ``filename``, ``marks`` and ``source_hash``).
    """
    if isinstance(source, LoadedPolicy):
        policy = source.policy
        filename = filename or (str(source.path) if source.path else source.filename)
        marks = marks or source.marks
        source_hash = source_hash or source.source_hash
    else:
        policy = source
    checker = Checker(dictionary or load_dictionary())
    marks = marks or {}
    criteria: list[CompiledCriterion] = []
    requirements: set[FrameColumn] = set()
    refused: list[RuleCompileError] = []  # every criterion is compiled: lint lists them all
    checked = sum(1 for c in policy.criteria if not c.attested)
    if checked > MAX_CRITERIA:
        raise _error(
            f"{checked} criteria are checked against registry data; at most {MAX_CRITERIA} are"
            " allowed: split the policy, or combine related conditions in one criterion",
            filename=filename,
            at=marks.get(("criteria",)),
            offset=None,
            what="criteria",
            path="criteria",
        )
    for i, crit in enumerate(policy.criteria):
        if crit.attested:
            criteria.append(
                CompiledCriterion(crit.id, crit.label.zh, crit.label.en, None, True, None, ())
            )
            continue
        assert crit.expr is not None
        divisors: list[Divisor] = []
        try:
            tree, _, reads, _ = compile_expression(
                crit.expr,
                checker=checker,
                data_year=policy.data_year,
                as_of=policy.evaluation_date,
                want="boolean",
                divisors=divisors,
            )
        except CheckError as exc:
            refused.append(
                _error(
                    exc.message,
                    filename=filename,
                    at=marks.get(("criteria", i, "expr")),
                    offset=exc.offset,
                    what=f"criterion '{crit.id}'",
                    path=f"criteria[{i}].expr",
                )
            )
            continue
        requirements.update(reads)
        scope = crit.scope if crit.scope is not None else is_scope(reads, checker.dictionary)
        try:
            nearness, near, margin = _nearness(
                crit, i, reads, scope, policy, checker, filename=filename, marks=marks
            )
        except RuleCompileError as exc:
            refused.append(exc)
            continue
        criteria.append(
            CompiledCriterion(
                crit.id,
                crit.label.zh,
                crit.label.en,
                crit.expr,
                False,
                tree,
                reads,
                scope,
                nearness,
                near,
                margin,
                tuple(divisors),
            )
        )
    try:
        amount, amount_ty, amount_reads, amount_shape = compile_expression(
            policy.amount.formula,
            checker=checker,
            data_year=policy.data_year,
            as_of=policy.evaluation_date,
            want="amount",
        )
    except CheckError as exc:
        refused.append(
            _error(
                exc.message,
                filename=filename,
                at=marks.get(("amount", "formula")),
                offset=exc.offset,
                what="amount formula",
                path="amount.formula",
            )
        )
    if refused:
        first, *rest = refused
        raise RuleCompileError(first.message, location=first.location, more=tuple(rest))
    requirements.update(amount_reads)
    bounds = [b for b in (policy.amount.floor, policy.amount.cap) if b is not None]
    scale = max([amount_shape.scale if amount_shape else 0, *(_scale(b) for b in bounds)])
    if amount_shape is not None and amount_shape.digits + scale > 38:
        raise _error(
            f"with the decimals of its floor or cap, the amount can need"
            f" {amount_shape.digits + scale} digits; exact numbers hold at most 38: use fewer"
            " decimal places",
            filename=filename,
            at=marks.get(("amount", "formula")),
            offset=None,
            what="amount formula",
            path="amount.formula",
        )
    compiled = CompiledPolicy(
        policy=policy,
        criteria=tuple(criteria),
        amount=amount,
        amount_reads=amount_reads,
        source_hash=source_hash,
        amount_kind=amount_ty.kind,
        amount_digits=amount_shape.digits if amount_shape is not None else 0,
        amount_scale=amount_shape.scale if amount_shape is not None else 0,
        requirements=frozenset(requirements),
        filename=filename,
    )
    return compiled

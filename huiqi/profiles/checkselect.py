"""The SELECT that parses and checks every staged cell (``_checked``), with a short way
for plain rows.

Most rows of a registry file are plain: every amount and count is written as bare digits
(``12``, ``-3``, ``1234.50``). Such a row needs none of the checks on how a number is
written (full-width digits, thousands separators, units, exponents, a sheet's error
values), only its values' size and range. Those checks were already skipped for a plain
cell inside each reason's CASE, but the parse of every number cell (``coalesce`` of a
cast of the text and a cast of the text without separators and full-width digits)
repeats the full-width test, and DuckDB's common-subexpression pass lifts it out into a
projection of its own, evaluated for every cell: on the 1.57-million-row tax CSV that was
the largest single cost of the check pass (profiled 2026-12-03).

So each row is marked once (``_plain_row``: every shortcut field fits its pattern or is
empty, one pattern match per group over the row's values joined) and each shortcut
field's text, value and reason is a CASE on that mark:

* a plain row reads the text as it stands (it fits a pattern without blanks, so
  trimming would not change it), casts it at once and runs only the checks the shortcut
  leaves (:func:`huiqi.profiles.validate.rules_for` with the text as the field's *typed*
  value, as for a Parquet column's typed twin);
* any other row (a blank, a separator, a unit, a bad value) runs every rule as before.

DuckDB was not seen lifting subexpressions out from behind a CASE on the mark (twelve
guarded parses cost what the mark and the plain casts cost), so the full rules cost
nothing measurable for plain rows. Both ways give a row the same values and reasons: a hypothesis
test holds ``split=True`` equal to ``split=False`` (every row through every rule) on
random cells of four layouts (``tests/profiles/test_check_split.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from huiqi.profiles.cellchecks import BLANKS
from huiqi.profiles.formulatext import unwrapped_text
from huiqi.profiles.mapping import Mapping
from huiqi.profiles.sqlexpr import and_, case, col, fn, lit, or_
from huiqi.profiles.stagesql import typed_name
from huiqi.profiles.validate import Rule, rules_for

USCC_VALID = "_uscc_valid"
PLAIN = "_plain_row"


def why(field: str) -> str:
    return f"why__{field}"


def trimmed_text(v: exp.Expression, maybe: exp.Expression | None = None) -> exp.Expression:
    """``v`` without the blanks around it.

    Trimming a set of characters that includes non-ASCII ones costs several times a
    pattern search in DuckDB, and most cells have nothing to trim. ``maybe``, when
    given, is FALSE for a row none of whose cells holds a blank anywhere (see
    :func:`blank_somewhere`): such a row's cells are not searched at all.
    """
    edge = fn("regexp_matches", v, lit(f"^[{BLANKS}]|[{BLANKS}]$"))
    if maybe is not None:
        edge = and_(maybe, edge)
    return case((edge, fn("trim", v, lit(BLANKS))), default=v)


def blank_somewhere(fields: list[str]) -> exp.Expression:
    """TRUE when one of the row's cells holds a blank character anywhere.

    One substring search per blank character over the row's cells joined (a few
    hundred bytes) costs a fraction of one pattern search per cell, and a registry
    row of codes and figures holds no blank at all.
    """
    joined = fn("concat_ws", lit(""), *(col(f) for f in fields))
    return or_(*(fn("contains", joined, lit(b)) for b in BLANKS))


def cell_text(
    field: str,
    v: exp.Expression,
    maybe: exp.Expression | None,
    formula: exp.Expression | None = None,
) -> exp.Expression:
    """A staged cell as the checks read it: trimmed, the text inside Excel's text formula
    (``="0610"``: :mod:`huiqi.profiles.formulatext`), empty as NULL, a USCC upper-cased.
    ``maybe`` and ``formula``: the row's flags that spare a row with no blank, or no
    formula, the searches."""
    text = fn("nullif", unwrapped_text(trimmed_text(v, maybe), formula), lit(""))
    return fn("upper", text) if field == "uscc" else text


def _untrimmed(v: exp.Expression) -> exp.Expression:
    """A cell that fits a shortcut pattern as the checks read it (nothing to trim)."""
    return fn("nullif", v, lit(""))


def fits_all(groups: dict[str, list[str]], text: dict[str, exp.Expression]) -> exp.Expression:
    """TRUE when each field of each group fits the group's pattern or is empty: one
    pattern match over the group's values joined by ``|``, which no plain value holds."""
    fits = []
    for pattern, members in groups.items():
        joined = fn("concat_ws", lit("|"), *(text[f] for f in members))
        fits.append(fn("regexp_full_match", joined, lit(f"(({pattern})(\\|({pattern}))*)?")))
    return and_(*fits)


@dataclass(frozen=True)
class Facts:
    """What the check SELECT reads: a row source and its columns."""

    fields: list[str]
    twins: dict[str, int]  # field -> its typed twin's decimal places
    uscc_once: bool  # the source carries ``_uscc_valid``


def _meta(facts: Facts) -> list[exp.Expression]:
    meta = [col("_line"), col("_cells"), col("_problem")]
    return meta + ([col(USCC_VALID)] if facts.uscc_once else [])


def _rules(
    mapping: Mapping,
    facts: Facts,
    plain: dict[str, exp.Expression] | None = None,
    texts_typed: list[str] | None = None,
) -> list[Rule]:
    values = {f: col(f, "n") for f in facts.fields}
    typed = {f: (col(typed_name(f), "n"), places) for f, places in facts.twins.items()}
    # A plain text is its own typed value: digits that cast at once (see the module's doc).
    typed |= {f: (col(f, "n"), 0) for f in texts_typed or []}
    uscc_valid = col(USCC_VALID, "n") if facts.uscc_once else None
    return rules_for(mapping, facts.fields, values, plain, uscc_valid, typed)


def shortcut_groups(mapping: Mapping, facts: Facts) -> dict[str, list[str]]:
    """Shortcut pattern -> the fields whose rule has it (amounts, counts)."""
    groups: dict[str, list[str]] = {}
    for rule in _rules(mapping, facts):
        if rule.plain is not None:
            groups.setdefault(rule.plain, []).append(rule.field)
    return groups


def plain_flag(groups: dict[str, list[str]], table: str) -> exp.Expression:
    """The ``_plain_row`` column: every shortcut field of the row (staged in ``table``) fits
    its pattern or is empty."""
    text = {f: _untrimmed(col(f, table)) for members in groups.values() for f in members}
    return fn("coalesce", fits_all(groups, text), exp.false())


def _guarded(plain: exp.Expression, short: exp.Expression, full: exp.Expression) -> exp.Expression:
    """``short`` on a plain row, ``full`` on the others. The CASE is what keeps ``full``
    (and what it repeats) from being evaluated for the plain rows."""
    if short == full:
        return full
    return case((plain, short), default=full)


def _replaced(
    reason: exp.Expression, computed: dict[exp.Expression, exp.Expression]
) -> exp.Expression:
    """``reason`` with each parse it repeats read from its ``_parsed`` column instead.

    Only the nodes on the way to a replaced parse are new; the rest of the tree is shared
    with ``reason``, which stays as it was (the other path's reason may be the same tree).
    ``sqlexpr.settled`` renders shared nodes correctly. SQLGlot's ``transform`` copied
    every reason whole, which was most of building a small file's statement.
    """
    kinds = {type(k) for k in computed}
    return _rebuilt(reason, computed, kinds) if kinds else reason


def _rebuilt(
    node: exp.Expression,
    computed: dict[exp.Expression, exp.Expression],
    kinds: set[type[exp.Expression]],
) -> exp.Expression:
    if type(node) in kinds and (hit := computed.get(node)) is not None:
        return hit
    changed: dict[str, object] = {}
    for key, value in node.args.items():
        if isinstance(value, exp.Expression):
            new = _rebuilt(value, computed, kinds)
            if new is not value:
                changed[key] = new
        elif isinstance(value, list):
            items = [
                _rebuilt(v, computed, kinds) if isinstance(v, exp.Expression) else v for v in value
            ]
            if any(a is not b for a, b in zip(items, value, strict=True)):
                changed[key] = items
    if not changed:
        return node
    return type(node)(**{**node.args, **changed})


def checked_select(
    mapping: Mapping, facts: Facts, source: exp.Select, *, split: bool = True
) -> exp.Select:
    """``_line, _cells, _problem`` and each field's value and ``why__`` reason, over
    ``source`` (the staged text, ``_blank``, ``_formula`` and ``_uscc_valid`` where
    ``facts.uscc_once``); the plain rows go the short way unless ``split`` is False."""
    groups = shortcut_groups(mapping, facts)
    short = sorted({f for members in groups.values() for f in members}) if split else []
    plain: exp.Expression = exp.false()
    if short:
        source = source.select(exp.alias_(plain_flag(groups, "s"), PLAIN), copy=False)
        plain = col(PLAIN)
    twins = facts.twins
    texts = [*_meta(facts), *([plain] if short else [])]
    for f in facts.fields:
        text = col(f) if f in twins else cell_text(f, col(f), col("_blank"), col("_formula"))
        if f in short:
            # It fits a pattern without blanks: nothing to trim.
            text = _guarded(plain, _untrimmed(col(f)), text)
        texts.append(exp.alias_(text, f, quoted=True))
    texts += [col(typed_name(f)) for f in twins]
    trimmed = exp.select(*texts).from_(source.subquery("f", copy=False), copy=False)
    # Fields sharing a shortcut pattern are matched together, once per row (a plain
    # row is known to fit every pattern).
    flagged = exp.select(exp.Star())
    conditions: dict[str, exp.Expression] = {}
    for k, (pattern, members) in enumerate(groups.items()):
        if len(members) < 2:
            continue
        fits = fits_all({pattern: members}, {f: col(f) for f in members})
        # A CASE, not OR: DuckDB evaluates both sides of an OR in a projection.
        known = case((plain, exp.true()), default=fits) if short else fits
        flagged = flagged.select(exp.alias_(known, f"_plain{k}"))
        conditions[pattern] = col(f"_plain{k}", "n")
    full = _rules(mapping, facts, conditions)
    shorter = _rules(mapping, facts, texts_typed=short) if short else full
    # Each parsed value once: a reason repeats its field's parse (is it NULL, below the
    # minimum, above the maximum), and DuckDB does not share it inside a CASE. A reason
    # reads the parse of its own path, which is what the guarded column holds there.
    parses: list[exp.Expression] = [exp.Star()]
    computed_full: dict[exp.Expression, exp.Expression] = {}
    computed_short: dict[exp.Expression, exp.Expression] = {}
    for k, (f_rule, s_rule) in enumerate(zip(full, shorter, strict=True)):
        if isinstance(f_rule.parsed, exp.Column) and isinstance(s_rule.parsed, exp.Column):
            continue
        if f_rule.parsed in computed_full and s_rule.parsed in computed_short:
            continue
        parses.append(
            exp.alias_(_guarded(plain, s_rule.parsed, f_rule.parsed), f"_parsed{k}", copy=False)
        )
        computed_full[f_rule.parsed] = col(f"_parsed{k}", "n")
        computed_short[s_rule.parsed] = col(f"_parsed{k}", "n")

    def value(rule: Rule, computed: dict[exp.Expression, exp.Expression]) -> exp.Expression:
        return computed.get(rule.parsed, rule.parsed)

    # Columns are gathered first: each ``select`` call copies the statement built so far.
    outputs = [col("_line", "n"), col("_cells", "n"), col("_problem", "n")]
    for f_rule, s_rule in zip(full, shorter, strict=True):
        reason = _guarded(
            plain,
            _replaced(s_rule.reason, computed_short),
            _replaced(f_rule.reason, computed_full),
        )
        outputs += [
            exp.alias_(
                _guarded(plain, value(s_rule, computed_short), value(f_rule, computed_full)),
                f_rule.field,
                quoted=True,
            ),
            exp.alias_(reason, why(f_rule.field), quoted=True),
        ]
    # The tree is built once and rendered once: no builder needs to copy what it is given
    # (copying the whole statement at each step was most of a large file's Python time).
    inner = flagged.from_(trimmed.subquery("t", copy=False), copy=False).subquery("n", copy=False)
    parsed_once = exp.select(*parses, copy=False).from_(inner, copy=False)
    return exp.select(*outputs, copy=False).from_(parsed_once.subquery("n", copy=False), copy=False)

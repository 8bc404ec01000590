"""Criteria that can never all be TRUE: a policy no enterprise can ever be eligible for.

``revenue > 10000000`` in one criterion and ``revenue < 5000000`` in another, ``x = 3 AND
x <> 3``, ``industry_section IN ('C')`` beside ``industry_section = 'I'``, ``NOT (x > 5)``
beside ``x > 7``: each criterion is read as the ways it can be TRUE
(:mod:`huiqi.engine.rule_dnf`), and a search looks for one way of each that a single
value per field satisfies (:mod:`huiqi.engine.constraints`). When none exists, the
criteria can never all hold, so the policy is never eligible (a criterion unknown for an
enterprise sends it to needs-data, never to eligible): an error at the first criterion,
naming the criteria that contradict each other (each one needed) and the fields.

A field's values are also bounded by the dictionary's range (``range: [min, max]`` of an
integer, money or decimal field, which an import refuses values outside of): ``employees <
0`` or ``revenue > 10^14`` alone is never true of any enterprise huiqi holds. A group's
total across related enterprises is a sum, not a field's value, and is not bounded.

The check is sound: it reports only a proof. What the analysis cannot read is "no
condition", an OR is impossible only when every branch is, and a search longer than
``MAX_STEPS`` is given up (no error). Money is compared in yuan on both sides, as the
compiler leaves it: a rule's literals and the money fields are both yuan.

Example (no policy, no problem):
    >>> contradiction_errors([])
    []
"""

from __future__ import annotations

from collections.abc import Sequence

from huiqi.engine.compile.compiler import CompiledCriterion, CompiledPolicy
from huiqi.engine.constraints import Atom, Var, feasible
from huiqi.engine.rule_dnf import DNF, criterion_dnf
from huiqi.errors import Location, PolicyError
from huiqi.policies.yamlmarks import Marks, locate
from huiqi.profiles.dictionary import Dictionary, load_dictionary

# Conjunctions tried for one policy, all searches together; beyond, what is not yet proved
# counts as satisfiable (a set already proved stays reported, perhaps with a criterion more).
MAX_STEPS = 100_000
_WHOLE_KINDS = ("static", "yearly", "group")
# Frame columns that hold one field's own value, so its dictionary range bounds them.
_BOUNDED_KINDS = ("static", "yearly")
_NUMERIC_TYPES = ("integer", "money", "decimal")
Domain = dict[str, tuple[Atom, ...]]


class _GaveUp(Exception):
    pass


def _fits(atoms: tuple[Atom, ...], domain: Domain) -> bool:
    """Whether one value makes every atom TRUE; a known value within its domain (the range
    bounds a value the row holds, not NULL)."""
    if any(a.op == "null" for a in atoms):
        return feasible(atoms)
    return feasible((*atoms, *domain.get(atoms[0].var.key, ())))


class _Prover:
    """Searches for one conjunction of each DNF that can hold together, within a budget."""

    def __init__(self, steps: int | None = None) -> None:
        self.steps = MAX_STEPS if steps is None else steps

    def impossible(self, dnfs: Sequence[DNF], domain: Domain | None = None) -> set[Var] | None:
        """The values whose conditions clashed, when the DNFs can never all be TRUE (each
        value also within its ``domain``); None when they can, or when the budget ran out
        first."""
        conflicts: set[Var] = set()
        try:
            found = self._search(sorted(dnfs, key=len), 0, {}, conflicts, domain or {})
        except _GaveUp:
            return None
        return None if found else conflicts

    def _search(
        self,
        order: Sequence[DNF],
        i: int,
        held: dict[str, tuple[Atom, ...]],
        conflicts: set[Var],
        domain: Domain,
    ) -> bool:
        if i == len(order):
            return True
        for conj in order[i]:
            self.steps -= 1
            if self.steps < 0:
                raise _GaveUp
            more = dict(held)
            for atom in conj:
                more[atom.var.key] = (*more.get(atom.var.key, ()), atom)
            bad = [a.var for a in conj if not _fits(more[a.var.key], domain)]
            if bad:
                conflicts.update(bad)
            elif self._search(order, i + 1, more, conflicts, domain):
                return True
        return False


def never_all_true(dnfs: Sequence[DNF]) -> bool:
    """Whether criteria read as ``dnfs`` can never all be TRUE (proved; False when not sure)."""
    return _Prover().impossible(dnfs) is not None


def _whole_columns(crit: CompiledCriterion, dictionary: Dictionary) -> frozenset[str]:
    return frozenset(
        c.name
        for c in crit.reads
        if c.kind in _WHOLE_KINDS
        and (f := dictionary.get(c.field)) is not None
        and f.type == "integer"
    )


def _domain(crits: Sequence[CompiledCriterion], dictionary: Dictionary) -> Domain:
    """For each column the criteria read that holds a numeric field's own value, the
    dictionary's range as two conditions on it."""
    out: Domain = {}
    for c in crits:
        for r in c.reads:
            f = dictionary.get(r.field)
            if r.kind not in _BOUNDED_KINDS or f is None or f.derived:
                continue
            if f.type not in _NUMERIC_TYPES or r.name in out:
                continue
            var = Var(r.name, (r.describe(),), f.type == "integer")
            bounds = [(">=", f.min), ("<=", f.max)]
            out[r.name] = tuple(Atom(var, op, (v,), "number") for op, v in bounds if v is not None)
    return out


def _range_text(fields: Sequence[str], dictionary: Dictionary) -> str:
    return "; ".join(
        f"{name} to {f.min}..{f.max}" + (f" {f.unit}" if f.unit else "")
        for name in fields
        if (f := dictionary.get(name)) is not None and f.min is not None and f.max is not None
    )


def contradictions(
    cp: CompiledPolicy, dictionary: Dictionary | None = None
) -> list[tuple[list[int], list[str]]]:
    """Each set of the policy's checked criteria that can never all be TRUE, with no
    criterion it could do without, as (indexes into ``cp.checked``, the fields they
    contradict each other on); disjoint sets, found one after the other."""
    return [(core, fields) for core, fields, _ in _cores(cp, dictionary or load_dictionary())]


def _cores(cp: CompiledPolicy, d: Dictionary) -> list[tuple[list[int], list[str], list[str]]]:
    """``contradictions``, each with the fields whose dictionary range it needs (those
    whose conditions could hold together for a value outside the range)."""
    dnfs = {
        i: criterion_dnf(c.tree, {r.name: r for r in c.reads}, _whole_columns(c, d))
        for i, c in enumerate(cp.checked)
        if c.tree is not None
    }
    domain = _domain(cp.checked, d)
    found: list[tuple[list[int], list[str], list[str]]] = []
    prover = _Prover()
    left = sorted(dnfs)
    while left and (clash := prover.impossible([dnfs[i] for i in left], domain)) is not None:
        core = list(left)
        for i in list(core):
            rest = [j for j in core if j != i]
            fewer = prover.impossible([dnfs[j] for j in rest], domain)
            if fewer is not None:
                core, clash = rest, fewer
        ranged: list[str] = []
        if prover.impossible([dnfs[j] for j in core]) is None:
            keys = {v.key for v in clash} & domain.keys()
            ranged = sorted({r.field for c in cp.checked for r in c.reads if r.name in keys})
        found.append((core, sorted({f for v in clash for f in v.fields}), ranged))
        left = [i for i in left if i not in core]
    return sorted(found)


def _message(crits: Sequence[CompiledCriterion], fields: Sequence[str], ranges: str = "") -> str:
    fix = "correct a threshold (amounts in rules are yuan) or the direction of a comparison"
    on = ", ".join(fields)
    if ranges:
        if len(crits) == 1:
            head = f"criterion '{crits[0].id}': it is never true for data huiqi accepts"
        else:
            named = ", ".join(f"'{c.id}' ({c.label_zh})" for c in crits)
            head = f"criteria {named} can never all be true for data huiqi accepts"
        return (
            f"{head}: the data dictionary bounds {ranges}, and an import refuses values"
            f" outside; so no enterprise can be eligible; {fix}"
        )
    if len(crits) == 1:
        (c,) = crits
        if not on:
            return f"criterion '{c.id}': it is never true, so no enterprise can be eligible; {fix}"
        return (
            f"criterion '{c.id}': its conditions on {on} contradict each other, so it is never"
            f" true and no enterprise can be eligible; {fix}"
        )
    named = ", ".join(f"'{c.id}' ({c.label_zh})" for c in crits)
    where = f" on {on}" if on else ""
    return (
        f"criteria {named} contradict each other{where}: no enterprise can meet them all, so"
        f" none can be eligible; {fix}, or remove the criterion that does not belong"
    )


def contradiction_errors(
    pairs: Sequence[tuple[CompiledPolicy, Marks]], *, dictionary: Dictionary | None = None
) -> list[PolicyError]:
    """An error at the first criterion of each set of criteria that can never all hold."""
    d = dictionary or load_dictionary()
    errors: list[PolicyError] = []
    for cp, marks in pairs:
        for core, fields, ranged in _cores(cp, d):
            crits = [cp.checked[i] for i in core]
            index = cp.criteria.index(crits[0])
            at = locate(marks, ("criteria", index, "expr"), cp.filename or cp.policy.id)
            errors.append(
                PolicyError(
                    _message(crits, fields, _range_text(ranged, d)),
                    location=Location(at.file, at.line, at.column, f"criteria[{index}].expr"),
                )
            )
    return errors

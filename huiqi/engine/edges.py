"""Run compiled policies on a frame of edge values, on every backend, and report what breaks.

``huiqi policy lint`` says yes only when a policy runs: this module evaluates each
policy on enterprises whose fields hold the values where rules break (missing
values, zeros, the largest and smallest values each field's dictionary range admits,
the first and last dates huiqi holds) on every registered backend, and reports
as a ``RuleCompileError`` at the criterion's (or the amount's) line and column:

Enterprises that a rule's contract or group functions read also carry relations at the
edges of the related-party definition and contracts of the largest amount on the first
and last day of each period (``edge_relations``, ``edge_contracts``).

* a backend that fails (an exception) on any of those enterprises;
* two backends that disagree on a criterion, the status or the amount.

An ``error`` status (an amount too large to record) is an answer, not a failure.

Example:
    >>> from huiqi.engine.compile.compiler import EXAMPLE_POLICY, compile_policy
    >>> from huiqi.policies.loader import load_policy_text
    >>> loaded = load_policy_text(EXAMPLE_POLICY, "example.yaml")
    >>> edge_errors([(compile_policy(loaded), loaded.marks)])
    []
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlglot import exp

from huiqi.engine.backend import get_backend, in_process_backend_names
from huiqi.engine.compile import language as L
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.frame_columns import FrameColumn
from huiqi.engine.profile import RawProfile
from huiqi.engine.related import Contract, Relation
from huiqi.engine.results import Evaluation
from huiqi.errors import ConfigError, Location, RuleCompileError
from huiqi.profiles.dictionary import Dictionary, Field, load_codelist, load_dictionary
from huiqi.profiles.uscc import make

Marks = dict[tuple[str | int, ...], tuple[int, int]]

BIGINT_MAX = 2**63 - 1
MONEY_MAX = Decimal("9999999999999999.99")  # DECIMAL(18,2)
DECIMAL_MAX = Decimal("999999999999.999999")  # DECIMAL(18,6)
VENDOR = make("91310000MA1K0000A")  # a seller outside the population


def _ends(field: Field, most: Decimal) -> tuple[Decimal, Decimal]:
    """The smallest and largest value the field admits: its range, within its storage type."""
    low = field.min if field.min is not None else -most
    high = field.max if field.max is not None else most
    return max(low, -most), min(high, most)


def edge_values(field: Field) -> list[Any]:
    """The values of a field where rules break, missing first: zero, the smallest step, and
    the ends of its dictionary range (the compiled arithmetic is bounded by that range)."""
    match field.type:
        case "integer":
            low, high = _ends(field, Decimal(BIGINT_MAX))
            return [None, 0, 1, int(high), int(low) if field.min is not None else -BIGINT_MAX - 1]
        case "money":
            low, high = _ends(field, MONEY_MAX)
            return [None, Decimal(0), Decimal("0.01"), high, low]
        case "decimal":
            low, high = _ends(field, DECIMAL_MAX)
            return [None, Decimal(0), high, low]
        case "date":
            return [None, L.DATE_MIN, L.DATE_MAX, dt.date(2024, 2, 29)]
        case "boolean":
            return [None, False, True]
        case "enum":
            codes = sorted(load_codelist(field.codes or "").codes) if field.codes else []
            return [None, *codes[:1], *codes[-1:]]
        case "tags":
            return [None, [], ["regional_hq"]]
        case "string":
            return [None, "", "6520"]
    return [None]


def _qualifications(name: str, level: int) -> list[tuple[str, dt.date, dt.date]]:
    if level == 0:
        return []
    if level == 1:
        return [(name, L.DATE_MIN, L.DATE_MAX)]
    return [(name, L.DATE_MAX, L.DATE_MAX)]


def edge_profiles(
    columns: Iterable[FrameColumn], dictionary: Dictionary | None = None
) -> list[RawProfile]:
    """Enterprises over the fields ``columns`` read: all fields at the same edge, then one
    field at each of its edges with the others at a middle value (1, a code, a date)."""
    d = dictionary or load_dictionary()
    cols = sorted(set(columns))
    fields = sorted({c.field for c in cols if c.kind in ("static", "yearly", "group")})
    years = sorted({c.year for c in cols if c.kind in ("yearly", "group") and c.year is not None})
    quals = sorted({c.field for c in cols if c.kind in ("held", "new")})
    values = {f: edge_values(d.field(f)) for f in fields}
    widest = max([3, *(len(v) for v in values.values())])
    rows: list[tuple[dict[str, Any], int]] = []
    for k in range(widest):
        rows.append(({f: v[k % len(v)] for f, v in values.items()}, k % 3))
    for f, vals in values.items():
        for v in vals:
            rows.append(({**{g: w[min(2, len(w) - 1)] for g, w in values.items()}, f: v}, 1))
    out: list[RawProfile] = []
    links = sorted({c for c in cols if c.kind in ("contracts", "group")})
    for i, (row, qual_level) in enumerate(rows):
        static = {f: v for f, v in row.items() if not d.field(f).yearly}
        yearly = {f: v for f, v in row.items() if d.field(f).yearly}
        uscc = make(f"91310115MA1E{i:05d}")
        prev = make(f"91310115MA1E{max(i - 1, 0):05d}")
        out.append(
            RawProfile(
                uscc,
                static=static,
                years={y: dict(yearly) for y in years},
                qualifications=[q for name in quals for q in _qualifications(name, qual_level)],
                relations=edge_relations(uscc, prev, qual_level) if links else [],
                contracts=[k for c in links for k in edge_contracts(c, uscc, prev, qual_level, i)],
            )
        )
    return out


def edge_relations(uscc: str, prev: str, level: int) -> list[Relation]:
    """Relations at the edges of the definition: a share of exactly 25 %, a legal
    representative shared by every enterprise at this level, the first and last dates."""
    if level == 0:
        return []
    if level == 1:
        return [Relation(uscc, prev, "enterprise", "shareholder", Decimal(25), L.DATE_MIN)]
    return [
        Relation(uscc, "PEDGE", "person", "legal_representative", None, L.DATE_MIN, L.DATE_MAX),
        Relation(uscc, "PSHARE", "person", "shareholder", Decimal("24.9999"), L.DATE_MIN),
    ]


def edge_contracts(
    col: FrameColumn, uscc: str, prev: str, level: int, index: int
) -> list[Contract]:
    """Contracts at the edges of a contract column: the largest amounts on the first and
    last day of its period, the smallest from a related seller; none at level 0."""
    if col.kind != "contracts" or level == 0:
        return []
    assert col.date is not None and col.until is not None
    kind = col.types[0] if col.types else "other"
    tag = f"{col.name}-{index}"
    if level == 1:
        return [
            Contract(uscc, f"{tag}-a", VENDOR, kind, MONEY_MAX, col.date),
            Contract(uscc, f"{tag}-b", prev, kind, Decimal("0.01"), col.until),
        ]
    return [
        Contract(uscc, f"{tag}-c", VENDOR, kind, MONEY_MAX, col.until),
        Contract(uscc, f"{tag}-d", uscc, "other", MONEY_MAX, col.date),
    ]


def _location(cp: CompiledPolicy, marks: Marks, path: tuple[str | int, ...]) -> Location:
    at = marks.get(path)
    field = f"criteria[{path[1]}].expr" if path[0] == "criteria" else "amount.formula"
    return Location(cp.filename, at[0] if at else None, at[1] if at else None, field)


def _only(cp: CompiledPolicy, index: int | None) -> CompiledPolicy:
    """The policy with one checked criterion (and a constant amount), or with the amount only."""
    if index is None:
        return dataclasses.replace(cp, criteria=(), requirements=frozenset(cp.amount_reads))
    crit = cp.checked[index]
    return dataclasses.replace(
        cp,
        criteria=(crit,),
        amount=exp.Literal.number(0),
        amount_reads=(),
        amount_digits=1,
        amount_scale=0,
        requirements=frozenset(crit.reads),
    )


def _index_in_file(cp: CompiledPolicy, checked_index: int) -> int:
    return cp.criteria.index(cp.checked[checked_index])


def usable_backends() -> tuple[str, ...]:
    """The in-process backends this machine can run (CuPy needs a GPU: left out without
    one; Spark and PostgreSQL, external, are never started for a quick check)."""
    names = []
    for name in in_process_backend_names():
        try:
            get_backend(name)
        except ConfigError:
            continue
        names.append(name)
    return tuple(names)


def _run(name: str, profiles: Sequence[RawProfile], policies: Sequence[CompiledPolicy]) -> Any:
    try:
        return get_backend(name).evaluate(list(profiles), list(policies))
    except Exception as exc:
        return exc


def _failure(
    cp: CompiledPolicy, marks: Marks, name: str, profiles: Sequence[RawProfile]
) -> RuleCompileError:
    """Which part of ``cp`` fails on backend ``name``: each criterion alone, then the amount."""
    parts: list[tuple[int | None, str]] = [
        (i, f"criterion '{c.id}'") for i, c in enumerate(cp.checked)
    ]
    parts.append((None, "amount formula"))
    for index, what in parts:
        got = _run(name, profiles, [_only(cp, index)])
        if isinstance(got, Exception):
            path: tuple[str | int, ...] = (
                ("criteria", _index_in_file(cp, index), "expr")
                if index is not None
                else ("amount", "formula")
            )
            first = str(got).splitlines()[0] if str(got) else type(got).__name__
            return RuleCompileError(
                f"{what}: fails on the {name} backend with extreme but admissible data"
                f" (missing values, zeros, the largest values a field can hold): {first}",
                location=_location(cp, marks, path),
            )
    got = _run(name, profiles, [cp])
    first = str(got).splitlines()[0] if isinstance(got, Exception) else ""
    return RuleCompileError(
        f"the policy fails on the {name} backend with extreme but admissible data: {first}",
        location=Location(cp.filename),
    )


def _disagreement(
    cp: CompiledPolicy, marks: Marks, names: tuple[str, str], a: Evaluation, b: Evaluation
) -> RuleCompileError:
    for i, (va, vb) in enumerate(zip(a.values, b.values, strict=True)):
        if va is not vb:
            crit = cp.checked[i]
            return RuleCompileError(
                f"criterion '{crit.id}': the {names[0]} and {names[1]} backends disagree"
                f" ({va} against {vb}) on an enterprise with extreme data; please report it",
                location=_location(cp, marks, ("criteria", _index_in_file(cp, i), "expr")),
            )
    return RuleCompileError(
        f"amount formula: the {names[0]} and {names[1]} backends disagree ({a.status}"
        f" {a.amount_fen} fen against {b.status} {b.amount_fen} fen) on an enterprise with"
        " extreme data; please report it",
        location=_location(cp, marks, ("amount", "formula")),
    )


def edge_errors(
    policies: Sequence[tuple[CompiledPolicy, Marks]], *, backends: Sequence[str] | None = None
) -> list[RuleCompileError]:
    """Every failure or disagreement of ``policies`` on the edge frame, one per policy."""
    names = tuple(backends or usable_backends())
    errors: list[RuleCompileError] = []
    columns: set[FrameColumn] = set()
    for cp, _ in policies:
        columns |= cp.requirements
    profiles = edge_profiles(columns)
    compiled = [cp for cp, _ in policies]
    results = {name: _run(name, profiles, compiled) for name in names}
    for cp, marks in policies:
        own = dict(results)
        by_backend: dict[str, dict[str, Evaluation]] = {}
        failed = False
        for name in names:
            got = own[name]
            if isinstance(got, Exception):
                # Some policy of the batch fails here: run this one alone to see if it is it.
                got = _run(name, profiles, [cp])
                if isinstance(got, Exception):
                    errors.append(_failure(cp, marks, name, profiles))
                    failed = True
                    break
            by_backend[name] = {e.uscc: e for e in got if e.policy_id == cp.policy.id}
        if failed or len(names) < 2:
            continue
        first = names[0]
        for other in names[1:]:
            bad = next(
                (
                    (by_backend[first][u], by_backend[other][u])
                    for u in sorted(by_backend[first])
                    if (
                        by_backend[first][u].status,
                        by_backend[first][u].amount_fen,
                        by_backend[first][u].values,
                    )
                    != (
                        by_backend[other][u].status,
                        by_backend[other][u].amount_fen,
                        by_backend[other][u].values,
                    )
                ),
                None,
            )
            if bad is not None:
                errors.append(_disagreement(cp, marks, (first, other), *bad))
                break
    return errors

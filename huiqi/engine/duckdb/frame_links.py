"""Frame columns over relations and contracts: related parties, contract and group totals.

The meaning is ``huiqi/engine/related.py`` (the reference computes it there, one
enterprise at a time); this module computes the same in SQL for every enterprise at
once, as one aggregate subquery per column that the frame LEFT JOINs on ``uscc``.

The queries are SQL text of this module only, parsed by SQLGlot; the policy's
constants (dates, contract types, the year) enter as literal nodes put in place of
named placeholders, never as text.
"""

from __future__ import annotations

import datetime as dt
import functools

import sqlglot
from sqlglot import exp

from huiqi.engine.compile.numeric import shape_of_field
from huiqi.engine.frame_columns import CONTRACT_DIGITS, GROUP_DIGITS, IDS, FrameColumn
from huiqi.engine.related import SHARE_THRESHOLD
from huiqi.profiles.dictionary import Dictionary

# Relations valid on a day, as a predicate over alias r.
_VALID = "({r}.valid_from <= {d} AND ({r}.valid_to IS NULL OR {r}.valid_to >= {d}))"
_MAJOR = "({r}.relation = 'shareholder' AND {r}.share_pct >= :threshold)"


def _related(a: str, b: str, day: str) -> str:
    """SQL that is TRUE when enterprises ``a`` and ``b`` are related on ``day``."""
    v1, v2 = _VALID.format(r="r1", d=day), _VALID.format(r="r2", d=day)
    direct = (
        f"EXISTS (SELECT 1 FROM relations r1 WHERE {v1} AND {_MAJOR.format(r='r1')}"
        f" AND r1.party_kind = 'enterprise' AND ((r1.uscc = {a} AND r1.party = {b})"
        f" OR (r1.uscc = {b} AND r1.party = {a})))"
    )
    common = (
        f"EXISTS (SELECT 1 FROM relations r1 JOIN relations r2 ON r1.party = r2.party"
        f" WHERE r1.uscc = {a} AND r2.uscc = {b} AND {v1} AND {v2} AND"
        f" (({_MAJOR.format(r='r1')} AND {_MAJOR.format(r='r2')}) OR"
        f" (r1.relation = 'legal_representative' AND r2.relation = 'legal_representative')))"
    )
    return f"({a} = {b} OR {direct} OR {common})"


_CONTRACTS = f"""
SELECT c.uscc AS uscc,
       sum(c.amount) AS total,
       sum(c.amount) FILTER (WHERE NOT c.related) AS unrelated,
       bool_or(c.related) AS any_related,
       list(c.contract_id ORDER BY c.contract_id) AS total_ids,
       list(c.contract_id ORDER BY c.contract_id) FILTER (WHERE NOT c.related) AS unrelated_ids,
       list(c.contract_id ORDER BY c.contract_id) FILTER (WHERE c.related) AS any_related_ids
FROM (
  SELECT k.uscc, k.contract_id, k.amount,
         {_related("k.uscc", "k.seller_uscc", "k.signed_on")} AS related
  FROM contracts k
  WHERE k.signed_on BETWEEN :start AND :until AND (:any_type OR k.contract_type IN (:types))
) c
GROUP BY c.uscc
"""

_COVERED = """
(SELECT count(DISTINCT year(k.signed_on)) FROM contracts k
 WHERE year(k.signed_on) BETWEEN :first_year AND :last_year) = :years
"""

_PAIRS = f"""
SELECT r1.uscc AS a, r1.party AS b FROM relations r1
WHERE {_VALID.format(r="r1", d=":day")} AND {_MAJOR.format(r="r1")} AND r1.party_kind = 'enterprise'
UNION
SELECT r1.party, r1.uscc FROM relations r1
WHERE {_VALID.format(r="r1", d=":day")} AND {_MAJOR.format(r="r1")} AND r1.party_kind = 'enterprise'
UNION
SELECT r1.uscc, r2.uscc FROM relations r1 JOIN relations r2 ON r1.party = r2.party
WHERE {_VALID.format(r="r1", d=":day")} AND {_VALID.format(r="r2", d=":day")}
  AND ((({_MAJOR.format(r="r1")}) AND ({_MAJOR.format(r="r2")}))
       OR (r1.relation = 'legal_representative' AND r2.relation = 'legal_representative'))
UNION
SELECT uscc, uscc FROM enterprises
"""

_GROUP_YEARLY = f"""
SELECT m.a AS uscc, CASE WHEN count(*) = count(v.value) THEN sum(v.value) END AS total
FROM ({_PAIRS}) m
LEFT JOIN (SELECT y.uscc, y.__field__ AS value FROM enterprise_years y WHERE y.year = :year) v
  ON v.uscc = m.b
GROUP BY m.a
"""

_GROUP_STATIC = f"""
SELECT m.a AS uscc, CASE WHEN count(*) = count(v.value) THEN sum(v.value) END AS total
FROM ({_PAIRS}) m
LEFT JOIN (SELECT e.uscc, e.__field__ AS value FROM enterprises e) v ON v.uscc = m.b
GROUP BY m.a
"""


@functools.cache
def _template(text: str) -> exp.Expression:
    return sqlglot.parse_one(text, dialect="duckdb")


def _day(value: dt.date) -> exp.Expression:
    return exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("DATE"))


def _fill(
    template: str,
    values: dict[str, exp.Expression | list[exp.Expression]],
    field: str | None = None,
) -> exp.Expression:
    """The template with each ``:name`` replaced by its literal node (a list inside IN),
    and the column ``__field__`` by the dictionary field ``field``."""

    def visit(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.In):
            names = [e.name for e in node.expressions if isinstance(e, exp.Placeholder)]
            listed = values.get(names[0]) if names else None
            if isinstance(listed, list):
                node.set("expressions", [v.copy() for v in listed])
            return node
        if isinstance(node, exp.Placeholder) and node.name in values:
            value = values[node.name]
            assert not isinstance(value, list)
            return value.copy()
        if isinstance(node, exp.Column) and node.name == "__field__" and field is not None:
            return exp.column(field, table=node.table, quoted=True)
        return node

    return _template(template).copy().transform(visit)


def contracts_subquery(col: FrameColumn, alias: str) -> tuple[exp.Expression, exp.Expression]:
    """(the per-buyer aggregate, the frame value over it as ``alias``) of a contracts column."""
    assert col.date is not None and col.until is not None
    types = [exp.Literal.string(t) for t in col.types] or [exp.Literal.string("")]
    query = _fill(
        _CONTRACTS,
        {
            "start": _day(col.date),
            "until": _day(col.until),
            "any_type": exp.Boolean(this=not col.types),
            "types": types,
            "threshold": exp.Literal.number(str(SHARE_THRESHOLD)),
        },
    )
    first, last = col.date.year, col.until.year
    covered: exp.Expression = _fill(
        _COVERED,
        {
            "first_year": exp.Literal.number(first),
            "last_year": exp.Literal.number(last),
            "years": exp.Literal.number(last - first + 1),
        },
    )
    function = col.field.removesuffix(IDS)
    name = {"related_contract": "any_related", "contract_total": "total"}.get(function, "unrelated")
    if col.field.endswith(IDS):
        empty = exp.Cast(this=exp.Array(expressions=[]), to=exp.DataType.build("VARCHAR[]"))
        value: exp.Expression = exp.func("coalesce", exp.column(name + IDS, alias), empty)
    elif function == "related_contract":
        value = exp.func("coalesce", exp.column(name, alias), exp.false())
    else:
        value = exp.func("coalesce", exp.column(name, alias), exp.Literal.number(0))
        bound = exp.Literal.number(10**CONTRACT_DIGITS)
        covered = exp.and_(covered, exp.LT(this=value.copy(), expression=bound))
    return query, exp.Case(ifs=[exp.If(this=covered, true=value)])


def group_subquery(
    col: FrameColumn, d: Dictionary, alias: str
) -> tuple[exp.Expression, exp.Expression]:
    """(the per-enterprise group total, the frame value over it as ``alias``)."""
    assert col.date is not None
    field = d.field(col.field)
    shape = shape_of_field(field)
    assert shape is not None
    values: dict[str, exp.Expression | list[exp.Expression]] = {
        "day": _day(col.date),
        "threshold": exp.Literal.number(str(SHARE_THRESHOLD)),
    }
    if col.year is not None:
        values["year"] = exp.Literal.number(col.year)
    query = _fill(_GROUP_YEARLY if col.year is not None else _GROUP_STATIC, values, col.field)
    total = exp.column("total", alias)
    bound = exp.Literal.number(10 ** (shape.digits + GROUP_DIGITS))
    ok = exp.LT(this=exp.Abs(this=total.copy()), expression=bound)
    return query, exp.Case(ifs=[exp.If(this=ok, true=total)])

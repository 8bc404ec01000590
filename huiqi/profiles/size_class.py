"""Enterprise size classes 大中小微 by the 2017 statistical rule (国统字〔2017〕213号).

The thresholds are data (``huiqi/reference/size_thresholds.yaml``). The rule:
large, medium and small each need *every* listed indicator at or above the
class's lower bound; if one fails, drop a class and test again; what is left is
micro (one indicator under the small bound suffices).

One rule, three evaluators that must agree (tests check it on thousands of inputs):

* :func:`classify`: one enterprise-year, pure Python, ``Decimal`` money;
* :func:`classify_many`: numpy arrays, money in integer fen (used by the generator);
* :func:`size_class_sql`: a SQLGlot expression for bulk derivation in DuckDB
  (:func:`refresh_size_classes`).

**Industries outside the regulation.** J 金融业, P 教育, Q 卫生 (except 85 社会工作),
S and T are outside its scope, and 53 铁路运输业 is not covered by any row we are
sure of. huiqi still gives them a size, using the row 其他未列明行业 (employees only),
because policies such as 稳岗返还 ask "large or SME?" of every employer. That is a
huiqi convention, not part of the regulation; a policy that must exclude those
sections should test ``industry_section`` itself.

``None`` (SQL NULL) means "not known": the class is malformed or belongs to no
section, or an indicator the industry needs is missing.

Example:
    >>> from decimal import Decimal
    >>> classify("6513", 120, Decimal("8000000"), None)   # medium fails on revenue
    'small'
    >>> classify("6513", 8, Decimal("8000000"), None)
    'micro'
    >>> classify("6513", None, Decimal("1"), None) is None
    True
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import numpy as np
from sqlglot import exp

from huiqi import reference
from huiqi.errors import DictionaryError
from huiqi.profiles.industry import division_sections, divisions_of

CLASSES = ("large", "medium", "small")  # tested in this order; the rest is micro
INDICATORS = ("employees", "revenue", "total_assets")
MONEY_INDICATORS = frozenset({"revenue", "total_assets"})
_TEN_THOUSAND = 10_000  # the regulation states money in 万元
_CLASS_RE = re.compile(r"^[0-9]{4}$")
_CLASS_PATTERN = "^[0-9]{4}$"


@dataclass(frozen=True)
class SizeGroup:
    """One row block of the regulation's table: which industries, which bounds.

    ``bounds[indicator][size]`` is the inclusive lower bound in persons or yuan.
    """

    id: str
    zh: str
    divisions: frozenset[int]
    classes: frozenset[str]
    fallback: bool
    bounds: dict[str, dict[str, int]]

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(i for i in INDICATORS if i in self.bounds)


@functools.cache
def load_size_groups() -> tuple[SizeGroup, ...]:
    """Read ``size_thresholds.yaml`` (cached), converting 万元 to yuan."""
    raw = reference.load("size_thresholds")
    groups: list[SizeGroup] = []
    for entry in raw["groups"]:
        divisions = {int(d) for d in entry.get("divisions", [])}
        for section in entry.get("sections", []):
            divisions.update(divisions_of(section))
        bounds: dict[str, dict[str, int]] = {}
        for indicator, by_class in entry["bounds"].items():
            if indicator not in INDICATORS or set(by_class) != set(CLASSES):
                raise DictionaryError(
                    f"size_thresholds.yaml group '{entry['id']}': indicator '{indicator}' needs "
                    f"bounds for {CLASSES} and must be one of {INDICATORS}"
                )
            if not by_class["large"] >= by_class["medium"] >= by_class["small"]:
                raise DictionaryError(
                    f"size_thresholds.yaml group '{entry['id']}': bounds of '{indicator}' must "
                    "not increase from large to small"
                )
            scale = _TEN_THOUSAND if indicator in MONEY_INDICATORS else 1
            bounds[indicator] = {k: int(v) * scale for k, v in by_class.items()}
        groups.append(
            SizeGroup(
                id=str(entry["id"]),
                zh=str(entry["zh"]),
                divisions=frozenset(divisions),
                classes=frozenset(str(c) for c in entry.get("classes", [])),
                fallback=bool(entry.get("fallback", False)),
                bounds=bounds,
            )
        )
    if sum(g.fallback for g in groups) != 1:
        raise DictionaryError("size_thresholds.yaml needs exactly one group with 'fallback: true'")
    return tuple(groups)


def group_for(industry_class: str | None) -> SizeGroup | None:
    """The threshold group of a bare 4-digit class; most specific match wins."""
    if industry_class is None or not _CLASS_RE.match(industry_class):
        return None
    division = int(industry_class[:2])
    if division not in division_sections():
        return None
    groups = load_size_groups()
    for group in groups:
        if industry_class in group.classes:
            return group
    for group in groups:
        if division in group.divisions:
            return group
    return next(g for g in groups if g.fallback)


def classify(
    industry_class: str | None,
    employees: int | None,
    revenue_yuan: Decimal | None,
    total_assets_yuan: Decimal | None,
) -> str | None:
    """Size class ('large', 'medium', 'small', 'micro') of one enterprise-year, or None."""
    group = group_for(industry_class)
    if group is None:
        return None
    values = {"employees": employees, "revenue": revenue_yuan, "total_assets": total_assets_yuan}
    needed = {i: values[i] for i in group.indicators}
    if any(v is None for v in needed.values()):
        return None
    for size in CLASSES:
        if all(v >= group.bounds[i][size] for i, v in needed.items()):  # type: ignore[operator]
            return size
    return "micro"


def classify_many(
    industry_class: np.ndarray,
    employees: np.ndarray,
    revenue_fen: np.ndarray,
    total_assets_fen: np.ndarray,
    *,
    missing: np.ndarray | None = None,
) -> np.ndarray:
    """Vectorised :func:`classify` for the generator.

    Args:
        industry_class: array of 4-digit class strings.
        employees: int array.
        revenue_fen: int64 array of revenue in fen (0.01 yuan).
        total_assets_fen: int64 array of total assets in fen.
        missing: optional bool array of shape (3, n): True where employees,
            revenue or total assets is unknown.

    Returns:
        An object array of size codes, None where :func:`classify` gives None.
    """
    n = len(industry_class)
    values = {
        "employees": np.asarray(employees, dtype=np.int64),
        "revenue": np.asarray(revenue_fen, dtype=np.int64),
        "total_assets": np.asarray(total_assets_fen, dtype=np.int64),
    }
    unknown = np.zeros((3, n), dtype=bool) if missing is None else np.asarray(missing, dtype=bool)
    uniques, inverse = np.unique(np.asarray(industry_class, dtype=str), return_inverse=True)
    groups = load_size_groups()
    position = {g.id: k for k, g in enumerate(groups)}
    unique_group = [group_for(str(u)) for u in uniques]
    per_row = np.array([position[g.id] if g else -1 for g in unique_group], dtype=np.int64)
    per_row = per_row[inverse.reshape(-1)] if n else per_row[:0]
    # 0 = unknown, then the sizes in CLASSES order, then micro; mapped to labels at the end.
    code = np.zeros(n, dtype=np.int8)
    for k, group in enumerate(groups):
        rows = np.flatnonzero(per_row == k)
        if rows.size == 0:
            continue
        known = np.ones(rows.size, dtype=bool)
        for indicator in group.indicators:
            known &= ~unknown[INDICATORS.index(indicator), rows]
        result = np.full(rows.size, len(CLASSES) + 1, dtype=np.int8)
        for rank in range(len(CLASSES), 0, -1):  # smallest first, so larger classes win
            size = CLASSES[rank - 1]
            ok = np.ones(rows.size, dtype=bool)
            for indicator in group.indicators:
                scale = 100 if indicator in MONEY_INDICATORS else 1  # yuan -> fen
                ok &= values[indicator][rows] >= group.bounds[indicator][size] * scale
            result[ok] = rank
        code[rows] = np.where(known, result, 0)
    labels = np.array([None, *CLASSES, "micro"], dtype=object)
    return labels[code]


def _column(ref: str | exp.Expression) -> exp.Expression:
    return ref if isinstance(ref, exp.Expression) else exp.to_column(ref)


def _in(this: exp.Expression, values: list[str]) -> exp.Expression:
    return exp.In(this=this.copy(), expressions=[exp.Literal.string(v) for v in values])


def size_class_sql(
    industry_col: str | exp.Expression,
    employees_col: str | exp.Expression,
    revenue_col: str | exp.Expression,
    assets_col: str | exp.Expression,
) -> exp.Expression:
    """A SQL expression (SQLGlot tree) giving the size class, NULL where :func:`classify` gives None.

    Columns are names (``"e.industry_class"``) or expressions; money columns hold yuan.

    Example:
        >>> sql = size_class_sql("industry_class", "employees", "revenue", "total_assets")
        >>> sql.sql("duckdb").startswith("CASE WHEN")
        True
    """
    industry = _column(industry_col)
    columns = {
        "employees": _column(employees_col),
        "revenue": _column(revenue_col),
        "total_assets": _column(assets_col),
    }
    division = exp.Substring(
        this=industry.copy(), start=exp.Literal.number(1), length=exp.Literal.number(2)
    )
    valid = exp.and_(
        exp.Not(this=exp.Is(this=industry.copy(), expression=exp.Null())),
        exp.RegexpLike(this=industry.copy(), expression=exp.Literal.string(_CLASS_PATTERN)),
    )
    groups = load_size_groups()
    # The CASE order mirrors group_for: class matches, then division matches, then fallback.
    # Its branches are gathered, then the CASE is built once: ``Case.when`` copies the whole
    # CASE built so far at every branch (most of the 0.2-0.3 s of Python that building the
    # size-class UPDATE cost each import).
    ifs: list[exp.Expression] = []
    for group in groups:
        if group.classes:
            ifs.append(
                exp.If(this=_in(industry, sorted(group.classes)), true=_group_case(group, columns))
            )
    for group in groups:
        if group.divisions:
            codes = [f"{d:02d}" for d in sorted(group.divisions)]
            ifs.append(exp.If(this=_in(division, codes), true=_group_case(group, columns)))
    fallback = next(g for g in groups if g.fallback)
    all_divisions = [f"{d:02d}" for d in sorted(division_sections())]
    ifs.append(exp.If(this=_in(division, all_divisions), true=_group_case(fallback, columns)))
    outer = exp.Case(ifs=ifs, default=exp.Null())
    return exp.Case(ifs=[exp.If(this=valid, true=outer)], default=exp.Null())


def _group_case(group: SizeGroup, columns: dict[str, exp.Expression]) -> exp.Expression:
    missing = [exp.Is(this=columns[i].copy(), expression=exp.Null()) for i in group.indicators]
    ifs = [exp.If(this=exp.or_(*missing), true=exp.Null())]
    for size in CLASSES:
        tests = [
            exp.GTE(this=columns[i].copy(), expression=exp.Literal.number(group.bounds[i][size]))
            for i in group.indicators
        ]
        ifs.append(exp.If(this=exp.and_(*tests), true=exp.Literal.string(size)))
    return exp.Case(ifs=ifs, default=exp.Literal.string("micro"))


def refresh_size_classes(
    con: duckdb.DuckDBPyConnection, *, only: str | None = None, snapshot_id: int | None = None
) -> int:
    """Derive ``enterprise_years.size_class`` from each year's figures and the enterprise's class.

    Years whose enterprise is unknown get NULL. With ``only`` (a table with a ``uscc``
    column, e.g. an import's changed rows), only those enterprises' years are derived
    again, so an import pays for what it touched, not for the population. With
    ``snapshot_id``, only years whose class changes are written, and they are marked as
    written by that snapshot (what freezing and incremental re-matching read). Returns
    the number of rows written.
    """
    update, orphans = _refresh_statements(only, snapshot_id is not None)
    params = [snapshot_id] if snapshot_id is not None else []
    row = con.execute(update, params).fetchone()
    written = int(row[0]) if row else 0
    row = con.execute(orphans, params).fetchone()
    return written + (int(row[0]) if row else 0)


@functools.cache
def _refresh_statements(only: str | None, marked: bool) -> tuple[str, str]:
    """The two UPDATEs of :func:`refresh_size_classes` as DuckDB SQL (the class where the
    enterprise is known, NULL where it is not), built once per process: rendering the
    size-class CASE took about 0.2 s, paid by every import before."""
    years = exp.to_table("enterprise_years")
    year_uscc = exp.column("uscc", table="enterprise_years")
    derived = size_class_sql(
        exp.column("industry_class", table="enterprises"),
        exp.column("employees", table="enterprise_years"),
        exp.column("revenue", table="enterprise_years"),
        exp.column("total_assets", table="enterprise_years"),
    )
    current = exp.column("size_class", table="enterprise_years")
    same_uscc = exp.EQ(this=exp.column("uscc", table="enterprises"), expression=year_uscc)
    limits: list[exp.Expression] = []
    if only is not None:
        limits.append(year_uscc.copy().isin(query=exp.select("uscc").from_(only)))
    values: dict[str, exp.Expression] = {"size_class": derived}
    if marked:
        values["updated_snapshot"] = exp.Placeholder()

    def changes(to: exp.Expression) -> list[exp.Expression]:
        if not marked:
            return []
        as_text = exp.cast(current.copy(), "VARCHAR")
        return [exp.NullSafeEQ(this=as_text, expression=exp.cast(to, "VARCHAR")).not_()]

    update = exp.update(
        years,
        values,
        where=exp.and_(same_uscc, *limits, *changes(derived.copy())),
        from_="enterprises",
        copy=False,  # the trees above are this statement's own: no second copy of the CASE
    )
    cleared: dict[str, exp.Expression] = {"size_class": exp.Null()}
    if marked:
        cleared["updated_snapshot"] = exp.Placeholder()
    orphans = exp.update(
        years.copy(),
        cleared,
        where=exp.and_(
            exp.Not(
                this=exp.Exists(this=exp.select("1").from_("enterprises").where(same_uscc.copy()))
            ),
            *[c.copy() for c in limits],
            *([current.copy().is_(exp.Null()).not_()] if marked else []),
        ),
        copy=False,
    )
    return update.sql(dialect="duckdb"), orphans.sql(dialect="duckdb")


def disagreements(con: duckdb.DuckDBPyConnection, limit: int) -> tuple[int, list[tuple]]:
    """Enterprise-years of a yearly import (its ``_good`` rows) whose reported size class
    (``size_class_reported``) differs from the derived one, after the import: (count, first
    ``limit`` as (line, uscc, year, reported, derived)). Both classes are kept; only years
    where both are known are compared. The file may carry the reported class (statistics)
    or figures that changed the derived one (tax: revenue, assets)."""
    query = """
        SELECT g._line, g.uscc, g.year, CAST(y.size_class_reported AS VARCHAR),
               CAST(y.size_class AS VARCHAR)
        FROM _good g JOIN enterprise_years y ON y.uscc = g.uscc AND y.year = g.year
        WHERE y.size_class_reported IS NOT NULL AND y.size_class IS NOT NULL
          AND CAST(y.size_class_reported AS VARCHAR) <> CAST(y.size_class AS VARCHAR)
        ORDER BY g._line"""
    row = con.execute(f"SELECT count(*) FROM ({query})").fetchone()
    first = con.execute(f"{query} LIMIT ?", [limit]).fetchall()
    return (int(row[0]) if row else 0), first

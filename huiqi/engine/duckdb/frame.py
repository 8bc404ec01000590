"""Build the matching frame: one wide row per enterprise with exactly the columns rules read.

The frame is built inside a DuckDB connection from the relations named
``enterprises``, ``enterprise_years``, ``qualifications``, ``relations`` and
``contracts`` (views over a frozen snapshot's Parquet files, or small tables made for
test cases); contract and group columns are aggregates (``frame_links``). Categorical
fields become ENUM columns (dictionary-encoded), so 3.5 million rows fit in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb
from sqlglot import exp

from huiqi.engine.duckdb.frame_links import contracts_subquery, group_subquery
from huiqi.engine.frame_columns import FrameColumn
from huiqi.engine.snapshot import SOURCES, Snapshot
from huiqi.profiles.dictionary import Dictionary, Field, load_dictionary
from huiqi.profiles.frozen import overlay
from huiqi.profiles.links import create_link_tables
from huiqi.profiles.storeschema import (
    LINK_TABLES,
    create_enum_types,
    duck_type,
    enum_type_name,
)

FRAME = "frame"


def attach_snapshot(con: duckdb.DuckDBPyConnection, snapshot: Snapshot) -> None:
    """Expose a frozen snapshot's relations as the source views (a base file, with its
    delta laid over it where the relation changed since the base).

    Called from one place, ``DuckDBBackend.connect``; everything else receives a
    connection with the snapshot already attached.
    """
    d = load_dictionary()
    for name in SOURCES:
        if name in snapshot.files:
            _attach_view(con, name, overlay(con, snapshot.table(name)), d)
    # Empty, for a snapshot frozen before relations and contracts were kept.
    create_link_tables(con, tuple(t for t in LINK_TABLES if t not in snapshot.files))


def absent_fields(name: str, columns: Sequence[str], d: Dictionary) -> list[Field]:
    """The dictionary's fields of the source relation ``name`` that ``columns`` (a frozen
    file's) lack: fields added to the data directory's dictionary after it was frozen."""
    fields = {"enterprises": d.static_fields, "enterprise_years": d.yearly_fields}.get(name, [])
    have = {c.lower() for c in columns}
    return [f for f in fields if f.name.lower() not in have]


def _attach_view(
    con: duckdb.DuckDBPyConnection, name: str, rel: duckdb.DuckDBPyRelation, d: Dictionary
) -> None:
    """Expose ``rel`` as the view ``name``, with a NULL column for each dictionary field
    it lacks.

    A field added to the data directory's ``dictionary.yaml`` after a snapshot was frozen
    has no column in it; its value is unknown for every enterprise of that snapshot (a
    policy reading it says "needs data"), as the next import would leave it for an
    enterprise its file does not mention.
    """
    absent = absent_fields(name, rel.columns, d)
    if not absent:
        rel.create_view(name, replace=True)
        return
    base = f"_{name}_frozen"
    rel.create_view(base, replace=True)
    nulls: list[exp.Expression] = [exp.Star()]
    for f in absent:
        kind = "VARCHAR" if f.type == "enum" else duck_type(f)
        null = exp.Cast(this=exp.Null(), to=exp.DataType.build(kind))
        nulls.append(exp.alias_(null, f.name, quoted=True))
    view = exp.Create(
        this=exp.to_table(name),
        kind="VIEW",
        expression=exp.select(*nulls).from_(exp.to_table(base)),
        replace=True,
    )
    con.execute(view.sql(dialect="duckdb"))


def _col(table: str, name: str) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def _typed(value: exp.Expression, field_name: str, d: Dictionary) -> exp.Expression:
    f = d.get(field_name)
    if f is not None and f.type == "enum":
        return exp.Cast(this=value, to=exp.DataType.build(enum_type_name(f), udt=True))
    return value


def frame_query(
    columns: Iterable[FrameColumn],
    dictionary: Dictionary | None = None,
    *,
    enums: bool = True,
    ordered: bool = True,
) -> exp.Select:
    """The SELECT that computes the frame for the given columns (plus uscc).

    The tree is neutral but for two DuckDB choices, which other SQL backends turn off:
    categorical fields cast to ENUM types (``enums``) and rows sorted by scope fields
    (``ordered``, for DuckDB's zone maps).
    """
    d = dictionary or load_dictionary()
    cols = sorted(set(columns))
    select: list[exp.Expression] = [exp.alias_(_col("e", "uscc"), "uscc", quoted=True)]
    query = exp.select().from_(exp.to_table("enterprises").as_("e"))
    joined_years: set[int] = set()
    for i, c in enumerate(cols):
        if c.kind == "static":
            value: exp.Expression = _col("e", c.field)
            value = _typed(value, c.field, d) if enums else value
        elif c.kind == "yearly":
            assert c.year is not None
            alias = f"y{c.year}"
            if c.year not in joined_years:
                joined_years.add(c.year)
                cond = exp.and_(
                    exp.EQ(this=_col(alias, "uscc"), expression=_col("e", "uscc")),
                    exp.EQ(this=_col(alias, "year"), expression=exp.Literal.number(c.year)),
                )
                query = query.join(
                    exp.to_table("enterprise_years").as_(alias), on=cond, join_type="left"
                )
            value = _col(alias, c.field)
            value = _typed(value, c.field, d) if enums else value
        elif c.kind in ("contracts", "group"):
            alias = f"l{i}"
            sub, value = (
                contracts_subquery(c, alias)
                if c.kind == "contracts"
                else group_subquery(c, d, alias)
            )
            query = query.join(
                exp.Subquery(this=sub, alias=exp.TableAlias(this=exp.to_identifier(alias))),
                on=exp.EQ(this=_col(alias, "uscc"), expression=_col("e", "uscc")),
                join_type="left",
            )
        else:
            alias = f"q{i}"
            q = exp.column("qualification", table="q", quoted=True)
            vf, vt = _col("q", "valid_from"), _col("q", "valid_to")
            if c.kind == "held":
                assert c.date is not None
                day = exp.Cast(
                    this=exp.Literal.string(c.date.isoformat()), to=exp.DataType.build("DATE")
                )
                when = exp.and_(
                    exp.LTE(this=vf, expression=day), exp.GTE(this=vt, expression=day.copy())
                )
            else:
                assert c.year is not None
                when = exp.EQ(this=exp.Year(this=vf), expression=exp.Literal.number(c.year))
            sub = (
                exp.select(exp.alias_(_col("q", "uscc"), "uscc"))
                .from_(exp.to_table("qualifications").as_("q"))
                .where(exp.and_(exp.EQ(this=q, expression=exp.Literal.string(c.field)), when))
                .group_by(_col("q", "uscc"))
            )
            query = query.join(
                sub.subquery(alias),
                on=exp.EQ(this=_col(alias, "uscc"), expression=_col("e", "uscc")),
                join_type="left",
            )
            value = exp.Not(this=exp.Is(this=_col(alias, "uscc"), expression=exp.Null()))
        select.append(exp.alias_(value, c.name, quoted=True))
    # Rows sorted by scope fields give DuckDB tight min/max zone maps per row group, so a
    # district- or industry-scoped policy skips most of the frame without reading it.
    order = [c.name for c in cols if c.kind == "static" and d.field(c.field).scope]
    query = query.select(*select)
    if order and ordered:
        query = query.order_by(*[exp.column(name, quoted=True) for name in order])
    return query


def build_frame(
    con: duckdb.DuckDBPyConnection,
    columns: Iterable[FrameColumn],
    *,
    usccs: Sequence[str] | None = None,
    dictionary: Dictionary | None = None,
    table: str = FRAME,
) -> None:
    """(Re)create the frame table in ``con``; with ``usccs`` only those enterprises' rows."""
    d = dictionary or load_dictionary()
    create_enum_types(con, d)
    query = frame_query(columns, d)
    params: list[object] = []
    if usccs is not None and len(usccs) == 1:
        query = query.where(exp.EQ(this=_col("e", "uscc"), expression=exp.Placeholder()))
        params.append(usccs[0])
    elif usccs is not None:
        query = query.where(exp.ArrayContains(this=exp.Placeholder(), expression=_col("e", "uscc")))
        params.append(list(usccs))
    ddl = exp.Create(
        this=exp.to_table(table),
        kind="TABLE",
        expression=query,
        replace=True,
    )
    con.execute(ddl.sql(dialect="duckdb"), params)

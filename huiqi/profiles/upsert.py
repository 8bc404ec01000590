"""Write validated rows into the profile store, touching only the mapped columns.

Rows are keyed by USCC and period: ``enterprises`` by ``uscc``,
``enterprise_years`` by ``(uscc, year)``, ``qualifications`` by
``(uscc, qualification, valid_from)``. Only rows that are new or differ in a
mapped column are written (an ``UPDATE … FROM`` of the mapped columns alone for
stored keys, a plain ``INSERT`` for new ones), so:

* importing the same file again changes nothing, not even ``updated_snapshot``;
* an empty cell of an enterprise's or a year's row says nothing: it never clears a value
  another import stored (a partial file, or a registry that left one figure out, would
  otherwise erase it and turn eligible enterprises into "needs data"); the report counts
  the values kept so (:func:`blanks_kept`);
* a registry updates its own fields and leaves the other registries' columns of
  an existing row untouched; a new enterprise gets NULL in them;
* a yearly or qualification row for an enterprise the store does not know yet
  creates a stub ``enterprises`` row (USCC and its region only).

Derived fields: ``uscc_region`` is USCC characters 3-8; ``industry_section``
follows from the industry class's division (GB/T 4754-2017 ranges in
``huiqi/reference/industry_sections.yaml``); ``size_class`` is refreshed by
``huiqi.profiles.size_class.refresh_size_classes`` when that module is present.
"""

from __future__ import annotations

import duckdb
from sqlglot import exp

from huiqi.profiles.coderules import section_of
from huiqi.profiles.frozen import keep_order
from huiqi.profiles.mapping import Mapping
from huiqi.profiles.sqlexpr import col, fn, is_null, num, sql

TABLES = {
    "static": "enterprises",
    "yearly": "enterprise_years",
    "qualifications": "qualifications",
    "relations": "relations",
    "contracts": "contracts",
}
CHANGED = "_changed"
# The layouts whose empty cells never clear a stored value (a relation's or a
# qualification's row is rewritten whole by ``links``).
KEEP_ON_BLANK = ("static", "yearly")
NEW = "_new"  # a column of CHANGED: the key is not in the table yet


def _derived(mapping: Mapping, fields: list[str]) -> dict[str, exp.Expression]:
    """Derived columns written with a static row, as SQL over the good row."""
    if mapping.layout != "static":
        return {}
    derived: dict[str, exp.Expression] = {
        "uscc_region": fn("substr", col("uscc"), num(3), num(6)),
    }
    if "industry_class" in fields:
        derived["industry_section"] = section_of(col("industry_class"))
    return derived


def empty_tables(con: duckdb.DuckDBPyConnection, mapping: Mapping) -> frozenset[str]:
    """The tables that an import of ``mapping`` fills in USCC order: its own table and
    ``enterprises`` (stubs), each where it holds no row yet (a first import).

    Such a table then holds only this import's rows, inserted sorted by one ``INSERT``
    (``write_changes`` with ``ordered``; the size-class ``UPDATE`` rewrites in place), so
    its first frozen base is written as the rows are stored, without sorting them again
    (``store.freeze``'s ``presorted``): sorting the mapped columns as they are inserted
    costs less than sorting every column of the whole table (most of them NULL) as it is
    frozen (the store's writes of a first tax import of 500,000 enterprises: 7.6-7.8 s of CPU
    instead of 8.9, docs/benchmarks.md).
    Only the static and yearly tables: the others are small or rewritten by ``links``.
    """
    if mapping.layout not in ("static", "yearly"):
        return frozenset()
    empty = set()
    for table in {TABLES[mapping.layout], "enterprises"}:
        # Table names come from TABLES, never from input.
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        if row is not None and int(row[0]) == 0:
            empty.add(table)
    return frozenset(empty)


def collect_changes(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, fields: list[str], *, empty: bool = False
) -> int:
    """Build ``_changed`` (good rows that are new or differ) and return its size.

    ``empty``: the layout's table holds no row yet (``empty_tables``), so every good row is
    new and ``_changed`` is a view of them: a copy of millions of rows compared with an
    empty table spilled to disk under the import's memory limit for nothing.
    """
    table = TABLES[mapping.layout]
    derived = _derived(mapping, fields)
    if empty:
        every = exp.select(*(col(f) for f in fields), exp.alias_(exp.true(), NEW, quoted=True))
        for name, expression in derived.items():
            every = every.select(exp.alias_(expression, name, quoted=True))
        return _create_changed(con, every.from_("_good"), view=True)
    values = [f for f in fields if f not in mapping.keys]
    joined = exp.and_(*(exp.EQ(this=col(k, "g"), expression=col(k, "t")) for k in mapping.keys))
    is_new = is_null(col("uscc", "t"))
    differs: list[exp.Expression] = [is_new]
    if mapping.layout in KEEP_ON_BLANK:  # an empty cell is no change
        differs += [
            exp.and_(
                exp.not_(is_null(col(f, "g"))),
                exp.NullSafeNEQ(this=col(f, "g"), expression=col(f, "t")),
            )
            for f in values
        ]
    else:
        differs += [exp.NullSafeNEQ(this=col(f, "g"), expression=col(f, "t")) for f in values]
    select = exp.select(*(col(f, "g") for f in fields))
    select = select.select(exp.alias_(is_new.copy(), NEW, quoted=True))
    for name, expression in derived.items():
        select = select.select(exp.alias_(expression.transform(_qualify_g), name, quoted=True))
    select = (
        select.from_(exp.to_table("_good").as_("g"))
        .join(exp.to_table(table).as_("t"), on=joined, join_type="left")
        .where(exp.or_(*differs))
    )
    return _create_changed(con, select, view=False)


def _create_changed(con: duckdb.DuckDBPyConnection, select: exp.Select, *, view: bool) -> int:
    create = exp.Create(
        this=exp.to_table(CHANGED),
        kind="VIEW" if view else "TABLE",
        replace=True,
        expression=select,
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
    )
    con.execute(sql(create))
    row = con.execute(sql(exp.select(exp.func("count", exp.Star())).from_(CHANGED))).fetchone()
    return int(row[0]) if row else 0


def blanks_kept(con: duckdb.DuckDBPyConnection, mapping: Mapping, fields: list[str]) -> int:
    """How many stored values the file's empty cells left as they were (its good rows of
    stored keys, mapped columns only)."""
    if mapping.layout not in KEEP_ON_BLANK:
        return 0
    table = TABLES[mapping.layout]
    values = [f for f in fields if f not in mapping.keys]
    if not values:
        return 0
    joined = exp.and_(*(exp.EQ(this=col(k, "g"), expression=col(k, "t")) for k in mapping.keys))
    kept = [
        exp.Cast(
            this=exp.and_(is_null(col(f, "g")), exp.not_(is_null(col(f, "t")))),
            to=exp.DataType.build("INTEGER"),
        )
        for f in values
    ]
    total = kept[0]
    for term in kept[1:]:
        total = exp.Add(this=total, expression=term)
    query = (
        exp.select(fn("coalesce", exp.func("sum", total), num(0)))
        .from_(exp.to_table("_good").as_("g"))
        .join(exp.to_table(table).as_("t"), on=joined)
    )
    row = con.execute(sql(query)).fetchone()
    return int(row[0]) if row else 0


def _qualify_g(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Column) and not node.table:
        return col(node.name, "g")
    return node


def write_changes(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    fields: list[str],
    snapshot_id: int,
    *,
    ordered: frozenset[str] = frozenset(),
) -> None:
    """Write ``_changed`` into the layout's table; add stub enterprises where needed.
    A table in ``ordered`` (empty, ``empty_tables``) is filled in USCC order.

    Stored keys get an ``UPDATE … FROM`` of the mapped columns (a hash join), new keys
    a plain ``INSERT``. The data tables carry no primary-key index (``store.py``): the
    import itself keeps keys unique, since a file's repeated keys are rejected before
    this step and ``collect_changes`` marks as new only keys the table does not hold.
    Maintaining an index row by row (``INSERT … ON CONFLICT``) was 40 % of a first
    import's time, and ten times more when the table had been filled in key order.
    """
    table = TABLES[mapping.layout]
    derived = list(_derived(mapping, fields))
    columns = [*fields, *derived, "updated_snapshot"]
    names = [exp.to_identifier(c, quoted=True) for c in columns]
    values = [*(col(c) for c in [*fields, *derived]), exp.Placeholder()]
    fresh = exp.select(*values).from_(CHANGED).where(col(NEW))
    if table in ordered:
        fresh = fresh.order_by(col("uscc"))
        with keep_order(con):
            con.execute(sql(exp.insert(fresh, table, columns=names)), [snapshot_id])
    else:
        con.execute(sql(exp.insert(fresh, table, columns=names)), [snapshot_id])
    updates = [c for c in [*fields, *derived] if c not in mapping.keys]
    stored = exp.and_(
        exp.not_(col(NEW, "c")),
        *(exp.EQ(this=col(k, table), expression=col(k, "c")) for k in mapping.keys),
    )
    assignments = [
        exp.EQ(
            this=col(c),
            expression=fn("coalesce", col(c, "c"), col(c, table))
            if mapping.layout in KEEP_ON_BLANK
            else col(c, "c"),
        )
        for c in updates
    ]
    assignments.append(exp.EQ(this=col("updated_snapshot"), expression=exp.Placeholder()))
    update = exp.Update(
        this=exp.to_table(table),
        expressions=assignments,
        where=exp.Where(this=stored),
    )
    # set after construction: exp.update's from_ argument drops the FROM keyword (sqlglot 30)
    update.set("from_", exp.From(this=exp.to_table(CHANGED).as_("c")))
    con.execute(sql(update), [snapshot_id])
    if mapping.layout != "static":
        known = exp.Exists(
            this=exp.select(num(1))
            .from_(exp.to_table("enterprises").as_("e"))
            .where(exp.EQ(this=col("uscc", "e"), expression=col("uscc", "c")))
        )
        stub = (
            exp.select(
                col("uscc", "c"), fn("substr", col("uscc", "c"), num(3), num(6)), exp.Placeholder()
            )
            .from_(exp.to_table(CHANGED).as_("c"))
            .where(exp.not_(known))
            .distinct()
        )
        if "enterprises" in ordered:
            stub = stub.order_by(col("uscc", "c"))
        insert = exp.insert(
            stub,
            "enterprises",
            columns=[exp.to_identifier(c) for c in ("uscc", "uscc_region", "updated_snapshot")],
        )
        if "enterprises" in ordered:
            with keep_order(con):
                con.execute(sql(insert), [snapshot_id])
        else:
            con.execute(sql(insert), [snapshot_id])


def refresh_derived(
    con: duckdb.DuckDBPyConnection, snapshot_id: int, *, filled: frozenset[str] = frozenset()
) -> bool:
    """Recompute the size classes of the enterprises in ``_changed`` if
    ``huiqi.profiles.size_class`` exists; True if it ran. Years whose class changes are
    marked as written by ``snapshot_id``.

    ``filled`` names the tables this import filled from empty (``empty_tables``). When it
    holds both ``enterprises`` and ``enterprise_years`` (a first yearly import), nothing can
    change: every enterprise is one of this import's stubs, with no industry class, so the
    class derived for each of its years is NULL (not known), and each year was inserted
    with a NULL class. The two ``UPDATE``s would then write no row; they are not run (on
    a first tax import of 300,000 enterprises they cost about 0.6 s of CPU, and building
    them 0.1-0.2 s more).
    """
    try:
        from huiqi.profiles import size_class
    except ModuleNotFoundError as exc:
        # Only the module's own absence is expected; a broken import inside it is a bug.
        if exc.name not in ("huiqi.profiles.size_class",):
            raise
        return False
    if {"enterprises", "enterprise_years"} <= filled:
        return True
    size_class.refresh_size_classes(con, only=CHANGED, snapshot_id=snapshot_id)
    return True

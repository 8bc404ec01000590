"""Write validated rows into the profile store, touching only the mapped columns.

Rows are keyed by USCC and period: ``enterprises`` by ``uscc``,
``enterprise_years`` by ``(uscc, year)``, ``qualifications`` by
``(uscc, qualification, valid_from)``. Only rows that are new or differ in a
mapped column are written (``INSERT ... ON CONFLICT DO UPDATE SET`` of the
mapped columns alone), so:

* importing the same file again changes nothing, not even ``updated_snapshot``;
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

from huiqi.profiles.mapping import Mapping
from huiqi.profiles.sqlexpr import col, fn, num, sql
from huiqi.profiles.validate import section_of

TABLES = {
    "static": "enterprises",
    "yearly": "enterprise_years",
    "qualifications": "qualifications",
    "relations": "relations",
    "contracts": "contracts",
}
CHANGED = "_changed"


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


def collect_changes(con: duckdb.DuckDBPyConnection, mapping: Mapping, fields: list[str]) -> int:
    """Build ``_changed`` (good rows that are new or differ) and return its size."""
    table = TABLES[mapping.layout]
    derived = _derived(mapping, fields)
    values = [f for f in fields if f not in mapping.keys]
    joined = exp.and_(*(exp.EQ(this=col(k, "g"), expression=col(k, "t")) for k in mapping.keys))
    differs: list[exp.Expression] = [col("uscc", "t").is_(exp.null())]
    differs += [exp.NullSafeNEQ(this=col(f, "g"), expression=col(f, "t")) for f in values]
    select = exp.select(*(col(f, "g") for f in fields))
    for name, expression in derived.items():
        select = select.select(exp.alias_(expression.transform(_qualify_g), name, quoted=True))
    select = (
        select.from_(exp.to_table("_good").as_("g"))
        .join(exp.to_table(table).as_("t"), on=joined, join_type="left")
        .where(exp.or_(*differs))
    )
    create = exp.Create(
        this=exp.to_table(CHANGED),
        kind="TABLE",
        replace=True,
        expression=select,
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
    )
    con.execute(sql(create))
    row = con.execute(sql(exp.select(exp.func("count", exp.Star())).from_(CHANGED))).fetchone()
    return int(row[0]) if row else 0


def _qualify_g(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Column) and not node.table:
        return col(node.name, "g")
    return node


def write_changes(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, fields: list[str], snapshot_id: int
) -> None:
    """Upsert ``_changed`` into the layout's table; add stub enterprises where needed.

    One ``INSERT … ON CONFLICT DO UPDATE`` for every row, new keys included. Appending
    the new keys of a first import with a plain INSERT instead made every later
    import into that table about 10× slower (a second yearly file into 629,326 stored
    keys: 34 s against 3.3 s; DuckDB's conflict check on a table so built).
    """
    table = TABLES[mapping.layout]
    derived = list(_derived(mapping, fields))
    columns = [*fields, *derived, "updated_snapshot"]
    names = [exp.to_identifier(c, quoted=True) for c in columns]
    values = [*(col(c) for c in [*fields, *derived]), exp.Placeholder()]
    insert = exp.insert(exp.select(*values).from_(CHANGED), table, columns=names)
    updates = [c for c in columns if c not in mapping.keys]
    insert.set(
        "conflict",
        exp.OnConflict(
            conflict_keys=[col(k) for k in mapping.keys],
            action=exp.var("DO UPDATE"),
            expressions=[exp.EQ(this=col(c), expression=col(c, "excluded")) for c in updates],
        ),
    )
    con.execute(sql(insert), [snapshot_id])
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
        insert = exp.insert(
            stub,
            "enterprises",
            columns=[exp.to_identifier(c) for c in ("uscc", "uscc_region", "updated_snapshot")],
        )
        con.execute(sql(insert), [snapshot_id])


def refresh_derived(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> bool:
    """Recompute the size classes of the enterprises in ``_changed`` if
    ``huiqi.profiles.size_class`` exists; True if it ran. Years whose class changes are
    marked as written by ``snapshot_id``."""
    try:
        from huiqi.profiles import size_class
    except ModuleNotFoundError as exc:
        # Only the module's own absence is expected; a broken import inside it is a bug.
        if exc.name not in ("huiqi.profiles.size_class",):
            raise
        return False
    size_class.refresh_size_classes(con, only=CHANGED, snapshot_id=snapshot_id)
    return True

"""Raw profiles in and out of a DuckDB connection (test cases, the oracle, benchmarks)."""

from __future__ import annotations

import dataclasses
from typing import Any

import duckdb
import pyarrow as pa

from huiqi.engine.profile import RawProfile
from huiqi.engine.related import Contract, Relation
from huiqi.profiles.dictionary import Dictionary, load_dictionary
from huiqi.profiles.storeschema import create_schema


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert many rows at once through Arrow (DuckDB's executemany is one row at a time)."""
    if not rows:
        return
    names = list(rows[0])
    arrow = pa.table({n: pa.array([r.get(n) for r in rows]) for n in names})
    con.register("_rows", arrow)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    finally:
        con.unregister("_rows")


def load_profiles_into(
    con: duckdb.DuckDBPyConnection, profiles: list[RawProfile], dictionary: Dictionary | None = None
) -> None:
    """Create the store tables in ``con`` and insert the profiles (as data, never as SQL text)."""
    d = dictionary or load_dictionary()
    create_schema(con, d)
    static_names = [f.name for f in d.static_fields if f.name != "uscc"]
    yearly_names = [f.name for f in d.yearly_fields]
    _insert_rows(
        con,
        "enterprises",
        [{"uscc": p.uscc, **{n: p.static.get(n) for n in static_names}} for p in profiles],
    )
    _insert_rows(
        con,
        "enterprise_years",
        [
            {"uscc": p.uscc, "year": year, **{n: vals.get(n) for n in yearly_names}}
            for p in profiles
            for year, vals in p.years.items()
        ],
    )
    _insert_rows(
        con,
        "qualifications",
        [
            {
                "uscc": p.uscc,
                "qualification": q,
                "certificate_id": None,
                "valid_from": a,
                "valid_to": b,
            }
            for p in profiles
            for (q, a, b) in p.qualifications
        ],
    )
    _insert_links(con, profiles)


def _insert_links(con: duckdb.DuckDBPyConnection, profiles: list[RawProfile]) -> None:
    _insert_rows(con, "relations", [dataclasses.asdict(r) for p in profiles for r in p.relations])
    _insert_rows(con, "contracts", [dataclasses.asdict(c) for p in profiles for c in p.contracts])


def read_profiles(
    con: duckdb.DuckDBPyConnection,
    usccs: list[str] | None = None,
    dictionary: Dictionary | None = None,
) -> list[RawProfile]:
    """Read raw profiles back from the source relations (all, or the given USCCs)."""
    d = dictionary or load_dictionary()
    static_names = [f.name for f in d.static_fields if f.name != "uscc"]
    yearly_names = [f.name for f in d.yearly_fields]
    con.execute("CREATE OR REPLACE TEMP TABLE _wanted (uscc VARCHAR)")
    if usccs is not None:
        con.executemany("INSERT INTO _wanted VALUES (?)", [[u] for u in usccs])
    else:
        con.execute("INSERT INTO _wanted SELECT uscc FROM enterprises")
    out: dict[str, RawProfile] = {}
    cols = ", ".join(f"e.{n}" for n in static_names)
    for row in con.execute(
        f"SELECT e.uscc, {cols} FROM enterprises e JOIN _wanted w USING (uscc)"
    ).fetchall():
        out[row[0]] = RawProfile(row[0], dict(zip(static_names, row[1:], strict=True)))
    ycols = ", ".join(f"y.{n}" for n in yearly_names)
    for row in con.execute(
        f"SELECT y.uscc, y.year, {ycols} FROM enterprise_years y JOIN _wanted w USING (uscc)"
    ).fetchall():
        if row[0] in out:
            out[row[0]].years[int(row[1])] = dict(zip(yearly_names, row[2:], strict=True))
    for row in con.execute(
        "SELECT q.uscc, q.qualification, q.valid_from, q.valid_to FROM qualifications q"
        " JOIN _wanted w USING (uscc)"
    ).fetchall():
        if row[0] in out:
            out[row[0]].qualifications.append((row[1], row[2], row[3]))
    for row in con.execute(
        "SELECT r.uscc, r.party, r.party_kind, r.relation, r.share_pct, r.valid_from, r.valid_to"
        " FROM relations r JOIN _wanted w USING (uscc) ORDER BY ALL"
    ).fetchall():
        if row[0] in out:
            out[row[0]].relations.append(Relation(*row))
    for row in con.execute(
        "SELECT c.uscc, c.contract_id, c.seller_uscc, c.contract_type, c.amount, c.signed_on"
        " FROM contracts c JOIN _wanted w USING (uscc) ORDER BY ALL"
    ).fetchall():
        if row[0] in out:
            out[row[0]].contracts.append(Contract(*row))
    order = usccs if usccs is not None else list(out)
    return [out[u] for u in order if u in out]

"""Raw enterprise profiles as Python values, for test cases and the reference evaluator.

A ``RawProfile`` is what the store holds for one enterprise: its static fields,
its yearly fields by year, and its qualification certificates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from huiqi.errors import PolicyError
from huiqi.profiles.dictionary import Dictionary, load_dictionary
from huiqi.profiles.store import create_schema
from huiqi.profiles.uscc import make


@dataclass
class RawProfile:
    uscc: str
    static: dict[str, Any] = field(default_factory=dict)
    years: dict[int, dict[str, Any]] = field(default_factory=dict)
    qualifications: list[tuple[str, dt.date, dt.date]] = field(default_factory=list)


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise PolicyError(f"{where}: '{value}' is not a date (YYYY-MM-DD)") from None


def _coerce(value: Any, ftype: str, where: str) -> Any:
    if value is None:
        return None
    if ftype in ("money", "decimal"):
        if isinstance(value, float):
            raise PolicyError(
                f"{where}: write money as an integer or a quoted decimal, not {value!r}"
            )
        return Decimal(str(value))
    if ftype == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise PolicyError(f"{where}: expected a whole number, got {value!r}")
        return value
    if ftype == "boolean":
        if not isinstance(value, bool):
            raise PolicyError(f"{where}: expected true or false, got {value!r}")
        return value
    if ftype == "date":
        return _date(value, where)
    if ftype == "tags":
        if not isinstance(value, list):
            raise PolicyError(f"{where}: tags are a list, as in [ai, regional_hq]")
        return [str(v) for v in value]
    return str(value)


def profile_from_case(
    data: dict[str, Any], *, data_year: int, seq: int = 1, dictionary: Dictionary | None = None
) -> RawProfile:
    """Build a profile from a test case's ``profile:`` mapping.

    Yearly fields take ``{year: value}`` or a single value (meaning the data year);
    qualifications take a list of ``[valid_from, valid_to]`` pairs.
    """
    d = dictionary or load_dictionary()
    uscc = str(data.get("uscc") or make(f"91310115MA{seq:07d}"))
    prof = RawProfile(uscc=uscc)
    for name, value in data.items():
        if name == "uscc":
            continue
        f = d.get(name)
        where = f"profile field '{name}'"
        if f is None:
            raise PolicyError(f"{where} is not in the data dictionary")
        if f.type == "qualification":
            periods = value if isinstance(value, list) else [value]
            if periods and not isinstance(periods[0], list | tuple | dict):
                periods = [periods]
            for p in periods:
                start, end = (p["from"], p["to"]) if isinstance(p, dict) else p
                prof.qualifications.append((name, _date(start, where), _date(end, where)))
        elif f.yearly:
            per_year = value if isinstance(value, dict) else {data_year: value}
            for year, v in per_year.items():
                prof.years.setdefault(int(year), {})[name] = _coerce(v, f.type, f"{where} {year}")
        else:
            prof.static[name] = _coerce(value, f.type, where)
    return prof


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


def read_profiles(
    con: duckdb.DuckDBPyConnection,
    usccs: list[str] | None = None,
    dictionary: Dictionary | None = None,
) -> list[RawProfile]:
    """Read raw profiles back from the three source relations (all, or the given USCCs)."""
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
    order = usccs if usccs is not None else list(out)
    return [out[u] for u in order if u in out]

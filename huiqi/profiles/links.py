"""Records between enterprises in the profile store: relations and contracts.

Two tables beside the enterprise tables, imported with ``huiqi import`` like any
registry file (layouts ``relations`` and ``contracts``, rules in ``linkrules``) and
frozen into every snapshot (``snapshots/<id>/relations.parquet``, ``contracts.parquet``):

* ``relations``  (uscc, party, party_kind, relation, share_pct, valid_from, valid_to):
  ``party`` is a USCC when ``party_kind`` is ``enterprise``, and a person's keyed
  hash (``persons.pseudonym``, ``P`` + 32 hex digits) when it is ``person``;
  ``valid_to`` is NULL while the relation holds. Keyed by (uscc, party, relation,
  valid_from).
* ``contracts``  (uscc = the buyer, contract_id, seller_uscc, contract_type, amount,
  signed_on); amount in yuan, DECIMAL(18,2). Keyed by (uscc, contract_id).

What makes two enterprises related parties, and how a rule reads contracts, is the
engine's (``huiqi/engine/related.py``, docs/policies.md §4.5).

After the rows are checked, :func:`after_check` replaces each person's identifier by
its keyed hash in the rows to store, and :func:`mask_persons` masks it
(``3101**********1234``) in the staged text that ``rejects.csv`` quotes and in the
checked values that ``normalised.csv`` quotes, also for an import that stores nothing:
no clear identifier is written anywhere.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
from sqlglot import exp

from huiqi.config import Settings
from huiqi.profiles import persons
from huiqi.profiles.mapping import Mapping
from huiqi.profiles.sqlexpr import case, col, concat, fn, lit, num, sql
from huiqi.profiles.staging import STAGE
from huiqi.profiles.storeschema import LINK_TABLES

SCHEMA = {
    "relations": """
        CREATE TABLE IF NOT EXISTS relations (
          uscc VARCHAR NOT NULL,
          party VARCHAR NOT NULL,
          party_kind VARCHAR NOT NULL,
          relation VARCHAR NOT NULL,
          share_pct DECIMAL(18,6),
          valid_from DATE NOT NULL,
          valid_to DATE,
          updated_snapshot INTEGER
        )""",
    "contracts": """
        CREATE TABLE IF NOT EXISTS contracts (
          uscc VARCHAR NOT NULL,
          contract_id VARCHAR NOT NULL,
          seller_uscc VARCHAR NOT NULL,
          contract_type VARCHAR NOT NULL,
          amount DECIMAL(18,2) NOT NULL,
          signed_on DATE NOT NULL,
          updated_snapshot INTEGER
        )""",
}


def create_link_tables(
    con: duckdb.DuckDBPyConnection, tables: tuple[str, ...] = LINK_TABLES
) -> None:
    for name in tables:
        con.execute(SCHEMA[name])


def after_check(con: duckdb.DuckDBPyConnection, mapping: Mapping, settings: Settings) -> None:
    """Hash persons in ``_good`` and mask them in ``_stage`` (a relations import only)."""
    if mapping.layout != "relations":
        return
    rows = con.execute(
        "SELECT DISTINCT party FROM _good WHERE party_kind = 'person' AND party IS NOT NULL"
    ).fetchall()
    if rows:
        key = persons.person_key(settings)
        raw = [r[0] for r in rows]
        hashed = [persons.pseudonym(key, r) for r in raw]
        con.register("_persons", pa.table({"raw": raw, "hashed": hashed}))
        try:
            con.execute(
                "UPDATE _good SET party = p.hashed FROM _persons p"
                " WHERE _good.party_kind = 'person' AND _good.party = p.raw"
            )
        finally:
            con.unregister("_persons")
    mask_persons(con, mapping)


def mask_sql(v: exp.Expression) -> exp.Expression:
    """SQL of :func:`persons.mask` over trimmed text."""
    t = fn("upper", fn("trim", v))
    n = fn("length", t)
    return case(
        (exp.LTE(this=n, expression=num(8)), fn("repeat", lit("*"), n)),
        default=concat(
            fn("left", t, num(4)),
            fn("repeat", lit("*"), exp.Sub(this=n.copy(), expression=num(8))),
            fn("right", t, num(4)),
        ),
    )


def mask_persons(con: duckdb.DuckDBPyConnection, mapping: Mapping) -> None:
    """Mask every person's identifier in ``_stage`` (the file's text, which
    ``rejects.csv`` and ``normalised.csv`` quote) and in ``_checked`` (the values read,
    which ``normalised.csv`` quotes as stored), a relations import only. Called once the
    rows to store are hashed (:func:`after_check`), and by the importer whatever it
    stored: an import that accepts no row writes its ``rejects.csv`` too. Masking is
    idempotent (a masked identifier masks to itself)."""
    if mapping.layout != "relations":
        return
    # Every party that is not certainly an enterprise is treated as a person's identifier.
    enterprise = exp.EQ(
        this=fn("coalesce", col("party_kind", "c"), lit("")), expression=lit("enterprise")
    )
    update = exp.update(
        STAGE,
        {"party": mask_sql(col("party", STAGE))},
        where=exp.and_(
            exp.EQ(this=col("_line", STAGE), expression=col("_line", "c")),
            exp.not_(enterprise),
            exp.not_(col("party", STAGE).is_(exp.null())),
        ),
        from_=exp.From(this=exp.to_table("_checked").as_("c")),
    )
    con.execute(sql(update))
    checked = exp.update(
        "_checked",
        {"party": mask_sql(col("party", "_checked"))},
        where=exp.and_(
            exp.not_(
                exp.EQ(
                    this=fn("coalesce", col("party_kind", "_checked"), lit("")),
                    expression=lit("enterprise"),
                )
            ),
            exp.not_(col("party", "_checked").is_(exp.null())),
        ),
    )
    con.execute(sql(checked))


def overlapping_legal_representatives(
    con: duckdb.DuckDBPyConnection, limit: int
) -> tuple[int, list[tuple[str, object, list[int]]]]:
    """Enterprises of a relations import (its ``_good`` rows naming a legal representative)
    that, once the import is stored, hold two or more legal representatives over the same
    days: (count, first ``limit`` as (uscc, the first day two hold, this file's lines)).
    A registry records one at a time; the rows are all kept (the earlier one's end may come
    in a later file) and the report says so."""
    query = """
        WITH touched AS (
          SELECT uscc, list(_line ORDER BY _line) AS lines FROM _good
          WHERE relation = 'legal_representative' GROUP BY uscc
        ),
        held AS (
          SELECT r.uscc, r.party, r.valid_from,
                 coalesce(r.valid_to, DATE '9999-12-31') AS valid_to
          FROM relations r JOIN touched USING (uscc)
          WHERE r.relation = 'legal_representative'
        ),
        clashes AS (
          SELECT a.uscc, min(greatest(a.valid_from, b.valid_from)) AS since
          FROM held a JOIN held b ON a.uscc = b.uscc AND a.party < b.party
           AND a.valid_from <= b.valid_to AND b.valid_from <= a.valid_to
          GROUP BY a.uscc
        )
        SELECT o.uscc, o.since, t.lines FROM clashes o JOIN touched t USING (uscc)
        ORDER BY t.lines[1]"""
    row = con.execute(f"SELECT count(*) FROM ({query})").fetchone()
    first = con.execute(f"{query} LIMIT ?", [limit]).fetchall()
    return (int(row[0]) if row else 0), [(str(u), since, list(lines)) for u, since, lines in first]


def shares_at_most_one(con: duckdb.DuckDBPyConnection) -> int:
    """How many shares a relations import (its ``_good`` rows) gives, when every one of
    them is at most 1 (per cent): a file that writes shares as fractions (0.3 for 30 %)
    under a header without its unit (持股比例) is stored as 0.3 %, and a related-party
    threshold (25 %) then never holds. 0 when any share is above 1, or none is given."""
    row = con.execute(
        "SELECT count(share_pct), coalesce(max(share_pct) <= 1, FALSE) FROM _good"
    ).fetchone()
    return int(row[0]) if row and row[1] else 0

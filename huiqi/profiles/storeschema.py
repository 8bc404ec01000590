"""The profile store's schema in DuckDB: a table per data kind, a column per dictionary
field, an ENUM type per code list; and the upgrades a store made by an earlier huiqi needs
(a field added to the dictionary since, the primary keys dropped on 2026-12-01)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from huiqi.errors import StoreError

if TYPE_CHECKING:
    from huiqi.profiles.dictionary import Dictionary, Field

# Who relates to whom, and contracts: made by huiqi.profiles.links.
LINK_TABLES = ("relations", "contracts")
DATA_TABLES = ("enterprises", "enterprise_years", "qualifications", *LINK_TABLES)
# Tables a snapshot frozen before relations and contracts existed lacks: read as empty.
OPTIONAL_TABLES = LINK_TABLES


def enum_type_name(field: Field) -> str:
    return f"enum_{field.name}"


def duck_type(field: Field) -> str:
    """The DuckDB column type that stores a dictionary field exactly."""
    match field.type:
        case "string":
            return "VARCHAR"
        case "integer":
            return "BIGINT"
        case "money":
            return "DECIMAL(18,2)"
        case "decimal":
            return "DECIMAL(18,6)"
        case "date":
            return "DATE"
        case "boolean":
            return "BOOLEAN"
        case "enum":
            return enum_type_name(field)
        case "tags":
            return "VARCHAR[]"
    raise StoreError(f"field '{field.name}' of type '{field.type}' has no column type")


def enum_values(field: Field) -> list[str]:
    assert field.codes is not None
    from huiqi.profiles.dictionary import load_codelist

    return list(load_codelist(field.codes).codes)


def create_enum_types(con: duckdb.DuckDBPyConnection, dictionary: Dictionary) -> None:
    """Create one ENUM type per enum field (dictionary-encoded categoricals).

    A type whose code list has changed since it was created (a code added to a list) is
    replaced, and the columns using it are converted through text; a code still in use
    that the list no longer has makes that conversion fail with a StoreError.
    """
    have = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT type_name FROM duckdb_types() WHERE logical_type = 'ENUM'"
        ).fetchall()
    }
    for f in dictionary.fields:
        if f.type != "enum":
            continue
        wanted, name = enum_values(f), enum_type_name(f)
        if name not in have:
            con.execute(f"CREATE TYPE {_ident(name)} AS ENUM ({_members(wanted)})")
            continue
        # A type name cannot be bound as a parameter; it is quoted as an identifier.
        row = con.execute(f"SELECT enum_range(NULL::{_ident(name)})").fetchone()
        if (list(row[0]) if row else []) != wanted:
            _replace_enum(con, f.name, name, wanted)


def _ident(name: str) -> str:
    # Type and column names come from the dictionary, whose names are checked snake_case.
    return '"' + name.replace('"', '""') + '"'


def _members(values: list[str]) -> str:
    # ENUM members cannot be bound as parameters in DDL; they come from code lists, and are
    # quoted by DuckDB's literal rules here.
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _replace_enum(con: duckdb.DuckDBPyConnection, field: str, name: str, wanted: list[str]) -> None:
    # The store names an enum column after its field; its type is the field's ENUM.
    users = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE column_name = ?"
        " AND data_type LIKE 'ENUM(%' AND NOT internal"
        " AND database_name = current_database()",
        [field],
    ).fetchall()
    for table, column in users:
        con.execute(f"ALTER TABLE {_ident(table)} ALTER COLUMN {_ident(column)} TYPE VARCHAR")
    con.execute(f"DROP TYPE {_ident(name)}")
    con.execute(f"CREATE TYPE {_ident(name)} AS ENUM ({_members(wanted)})")
    for table, column in users:
        try:
            con.execute(
                f"ALTER TABLE {_ident(table)} ALTER COLUMN {_ident(column)} TYPE {_ident(name)}"
            )
        except duckdb.ConversionException as exc:
            raise StoreError(
                f"column {table}.{column} holds a code that its code list no longer has ({exc});"
                " put the code back in the list, or correct the data first"
            ) from None


def add_missing_columns(con: duckdb.DuckDBPyConnection, dictionary: Dictionary) -> list[str]:
    """Add a column for each dictionary field the store's tables lack (a field added to
    the dictionary after the store was made); returns the fields added. A field removed
    from the dictionary keeps its column: snapshots stay complete."""
    have = {
        (r[0], r[1])
        for r in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE table_name IN"
            " ('enterprises', 'enterprise_years')"
        ).fetchall()
    }
    added = []
    for table, fields in (
        ("enterprises", dictionary.static_fields),
        ("enterprise_years", dictionary.yearly_fields),
    ):
        for f in fields:
            if (table, f.name) not in have:
                con.execute(f"ALTER TABLE {table} ADD COLUMN {_ident(f.name)} {duck_type(f)}")
                added.append(f.name)
    return added


def create_schema(con: duckdb.DuckDBPyConnection, dictionary: Dictionary | None = None) -> None:
    from huiqi.profiles.dictionary import load_dictionary
    from huiqi.profiles.links import create_link_tables

    d = dictionary or load_dictionary()
    create_enum_types(con, d)
    static_cols = ",\n  ".join(
        f"{f.name} {duck_type(f)}" + (" NOT NULL" if f.key else "") for f in d.static_fields
    )
    yearly_cols = ",\n  ".join(f"{f.name} {duck_type(f)}" for f in d.yearly_fields)
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS snapshots (
          snapshot_id INTEGER PRIMARY KEY,
          created_at TIMESTAMP NOT NULL,
          kind VARCHAR NOT NULL,
          registry VARCHAR,
          source_file VARCHAR,
          file_sha256 VARCHAR,
          rows_read BIGINT DEFAULT 0,
          rows_accepted BIGINT DEFAULT 0,
          rows_rejected BIGINT DEFAULT 0,
          rows_changed BIGINT DEFAULT 0,
          report_path VARCHAR,
          frozen BOOLEAN DEFAULT FALSE
        )"""
    )
    con.execute(
        f"CREATE TABLE IF NOT EXISTS enterprises (\n  {static_cols},\n  updated_snapshot INTEGER\n)"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS enterprise_years (\n  uscc VARCHAR NOT NULL,\n"
        f"  year INTEGER NOT NULL,\n  {yearly_cols},\n  updated_snapshot INTEGER\n)"
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS qualifications (
          uscc VARCHAR NOT NULL,
          qualification VARCHAR NOT NULL,
          certificate_id VARCHAR,
          valid_from DATE NOT NULL,
          valid_to DATE NOT NULL,
          updated_snapshot INTEGER
        )"""
    )
    create_link_tables(con)
    drop_primary_keys(con)
    add_missing_columns(con, d)


def drop_primary_keys(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rebuild, without its primary-key index, each data table a store made before
    2026-12-01 created with one; returns the tables rebuilt.

    The import keeps keys unique itself (``upsert.write_changes``); the index only cost
    time (DuckDB cannot drop a key constraint, so the table is copied). Types, enum
    columns included, and every column, fields since removed from the dictionary too,
    are kept; the key columns stay NOT NULL.
    """
    keyed = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT table_name FROM duckdb_constraints()"
            " WHERE constraint_type = 'PRIMARY KEY' AND database_name = current_database()"
            f" AND table_name IN ({', '.join('?' for _ in DATA_TABLES)})",
            list(DATA_TABLES),
        ).fetchall()
    ]
    for table in keyed:
        keys = [
            r[0]
            for r in con.execute(
                "SELECT unnest(constraint_column_names) FROM duckdb_constraints()"
                " WHERE constraint_type = 'PRIMARY KEY' AND table_name = ?"
                " AND database_name = current_database()",
                [table],
            ).fetchall()
        ]
        name, copy = _ident(table), _ident(f"{table}__unkeyed")
        con.execute(f"CREATE OR REPLACE TABLE {copy} AS SELECT * FROM {name}")
        con.execute(f"DROP TABLE {name}")
        con.execute(f"ALTER TABLE {copy} RENAME TO {name}")
        for key in keys:
            con.execute(f"ALTER TABLE {name} ALTER COLUMN {_ident(key)} SET NOT NULL")
    return keyed

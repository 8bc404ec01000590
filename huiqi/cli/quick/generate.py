"""Compile the quick listings' statements ahead: ``python -m huiqi.cli.quick.generate``.

Each statement is built by the function the full path calls (the service's listing
statements, the sign-in check's queries) with a sentinel for each input, compiled for
SQLite into ``statements.json`` (read by :mod:`huiqi.cli.quick.read`) and for PostgreSQL
with psycopg into ``statements_postgresql.json`` (read by :mod:`huiqi.cli.quick.postgres`):
its SQL text, which input feeds each bind parameter, and how each column is converted as
SQLAlchemy converts it. Run it after changing one of those statements;
tests/cli/test_quick.py fails until it is run.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg

from huiqi.accounts.access import Actor
from huiqi.accounts.bearer import roles_query, token_query
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.delivery.listing_queries import Page, grants_query, records_query, versions_query

TARGET = Path(__file__).with_name("statements.json")
PG_TARGET = Path(__file__).with_name("statements_postgresql.json")
# A stand-in for each input, recognised among the compiled statement's parameters.
SENTINELS: dict[str, Any] = {
    "digest": "\x00digest",
    "user_id": -900_001,
    "uscc": "\x00uscc",
    "policy_id": "\x00policy_id",
    "status": "granted",  # a valid status of both records and grants (parsed first)
    "after_id": -900_002,
    "limit": 9_003,  # within MAX_LIMIT: passed as it is
}
# Lists (an IN of as many parameters as values): the enterprises an actor is, its parks.
# The enterprise an actor is stands for the --uscc filter too: its own rows need no lookup.
LIST_SENTINELS: dict[str, str] = {"own": SENTINELS["uscc"], "parks": "\x00park"}
# The actors the quick listings serve, by what they read (their scope's shape): every row;
# their own enterprises' rows; their parks' enterprises' rows; both. Officers whose scope is
# a district or a department take the full path.
SHAPES: dict[str, Actor] = {
    "": Actor.of("generate", "finance_officer"),
    "own": Actor("generate", (RoleGrant(Role.ENTERPRISE, LIST_SENTINELS["own"]),)),
    "parks": Actor("generate", (RoleGrant(Role.PARK_OPERATOR, LIST_SENTINELS["parks"]),)),
    "own+parks": Actor(
        "generate",
        (
            RoleGrant(Role.ENTERPRISE, LIST_SENTINELS["own"]),
            RoleGrant(Role.PARK_OPERATOR, LIST_SENTINELS["parks"]),
        ),
    ),
}
_NO_SESSION: Any = None  # never read: an actor who reads everything needs no lookup


def _filters(names: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """Every combination of ``names`` present (sentinel) or absent (None)."""
    for present in itertools.product((False, True), repeat=len(names)):
        yield {n: SENTINELS[n] if p else None for n, p in zip(names, present, strict=True)}


def key_of(listing: str, shape: str = "", **present: object) -> str:
    """A statement's name: the listing, the actor's shape and the filters it has, e.g.
    ``grants+uscc+status``, ``records@own+policy_id``."""
    head = f"{listing}@{shape}" if shape else listing
    return "+".join([head, *(name for name, value in present.items() if value)])


def statements(postgresql: bool = False) -> Iterator[tuple[str, Any]]:
    """(name, SQLAlchemy statement) of every statement the quick listings run (on
    PostgreSQL, a status is read as a range: :func:`huiqi.delivery.listing_queries.scoped_listing`)."""
    yield "token", token_query(SENTINELS["digest"])
    yield "roles", roles_query(SENTINELS["user_id"])
    for f in _filters(("policy_id",)):
        yield key_of("versions", **f), versions_query(f["policy_id"])
    after, limit = SENTINELS["after_id"], SENTINELS["limit"]
    for (shape, actor), f in itertools.product(
        SHAPES.items(), _filters(("uscc", "policy_id", "status"))
    ):
        if shape == "parks" and f["uscc"]:
            continue  # allowed after a lookup of the enterprise's park: the full path
        page = Page(f["uscc"], f["policy_id"], f["status"], after, limit)
        yield (
            key_of("grants", shape, **f),
            grants_query(_NO_SESSION, actor=actor, page=page, postgresql=postgresql),
        )
        for flagged, name in ((None, ""), (True, "flagged"), (False, "unflagged")):
            query = records_query(
                _NO_SESSION, actor=actor, page=page, flagged=flagged, postgresql=postgresql
            )
            yield key_of("records", shape, **f, **{name: bool(name)}), query


_CONVERTERS: list[tuple[type, str]] = [
    (DateTime, "datetime"),
    (Date, "date"),
    (Boolean, "bool"),
    (JSON, "json"),
]


def _converter(type_: Any) -> str | None:
    return next((name for kind, name in _CONVERTERS if isinstance(type_, kind)), None)


Binds = tuple[tuple[str, str, Any], ...]


def compiled(statement: Any) -> tuple[str, Binds, tuple[str | None, ...]]:
    """SQLite's SQL text; the binds in order as (name, input, None), or (name, '',
    constant); the column converters. An input that is a list is an IN whose text is
    ``__[POSTCOMPILE_name]`` until it is run (one ``?`` per value, as SQLAlchemy does)."""
    done = statement.compile(dialect=sqlite.dialect())
    binds = tuple(_bind(name, done.params[name], None) for name in done.positiontup)
    converters = tuple(_converter(c.type) for c in statement.selected_columns)
    return done.string, binds, converters


def _bind(name: str, value: Any, element: str | None) -> tuple[str, str, Any]:
    """(name, input, ``element``) when ``value`` is an input's sentinel, else (name, '',
    value): a constant of the statement."""
    by_value: dict[Any, str] = {v: k for k, v in SENTINELS.items()}
    by_value.update({(v,): k for k, v in LIST_SENTINELS.items()})
    if isinstance(value, list):
        value = tuple(value)
    source = by_value.get(value) if isinstance(value, str | int | tuple) else None
    if source in LIST_SENTINELS:
        return name, source, element
    return (name, source, None) if source else (name, "", value)


def compiled_postgresql(statement: Any) -> tuple[str, Binds, tuple[None, ...]]:
    """As :func:`compiled`, for PostgreSQL through psycopg (named parameters, each cast as
    SQLAlchemy casts it): the binds in the order SQLAlchemy lists them; a list's third
    field is how one of its values is written, ``{}`` standing for its name. psycopg
    returns every column as SQLAlchemy does (SQLAlchemy converts none of them; a column
    it would convert stops the generator)."""
    dialect = psycopg.dialect()
    done = statement.compile(dialect=dialect)
    binds = []
    for name, value in done.params.items():
        element = None
        if isinstance(value, list):
            bind = done.binds[name]
            impl = bind.type._unwrapped_dialect_impl(dialect)
            element = done.bindtemplate % {"name": "{}"}
            if dialect._bind_typing_render_casts and impl.render_bind_cast:
                element = done.render_bind_cast(bind.type, impl, element)
        binds.append(_bind(name, value, element))
    for column in statement.selected_columns:
        impl = column.type.dialect_impl(dialect)
        if impl.result_processor(dialect, None) is not None:
            raise SystemExit(f"{column}: SQLAlchemy converts it on PostgreSQL; convert it too")
    return done.string, tuple(binds), tuple(None for _ in statement.selected_columns)


def as_json(entry: Any) -> Any:
    """An entry as JSON reads it back: tuples as lists."""
    return json.loads(json.dumps(entry))


def render(postgresql: bool = False) -> str:
    """The text of ``statements.json`` (``statements_postgresql.json``): name -> [SQL,
    binds as [name, input, null] (a list: [name, input, element]) or [name, "", constant],
    column converters]."""
    table = compiled_table(postgresql)
    return json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def compiled_table(postgresql: bool = False) -> dict[str, Any]:
    """Every statement by name, compiled for SQLite or for PostgreSQL."""
    compile_: Callable[[Any], Any] = compiled_postgresql if postgresql else compiled
    return {name: compile_(statement) for name, statement in statements(postgresql)}


def main() -> None:
    for target, postgresql in ((TARGET, False), (PG_TARGET, True)):
        target.write_text(render(postgresql), encoding="utf-8")
        print(f"wrote {target}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""A read-only PostgreSQL client for the quick listings: libpq through ctypes.

``import psycopg`` costs 0.13-0.15 s on a 2-core VM, half of the 0.3 s a listing may take
(issue 11). The quick path runs a handful of precompiled statements in one read-only
transaction, so it talks to libpq itself: the libpq psycopg's binary wheel ships (or the
system's), every parameter sent as text with the type the statement casts it to, every
value read as text and converted as psycopg converts it. Only what it covers is served:
a type it does not convert, a date style other than ISO, a value it cannot read, a NUL in
a parameter or any libpq error raise :class:`~huiqi.cli.quick.read.Declined`, and the full
path (SQLAlchemy and psycopg) runs and reports it its own way.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import functools
import importlib.util
import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from huiqi.cli.quick.read import Declined

# libpq's constants (libpq-fe.h).
CONNECTION_OK = 0
PGRES_COMMAND_OK = 1
PGRES_TUPLES_OK = 2
PG_DIAG_SQLSTATE = ord("C")

# Result columns by type OID, read from their text form as psycopg loads them.
_LOADERS: dict[int, Callable[[str], Any]] = {
    16: "t".__eq__,  # bool
    20: int,  # int8
    21: int,  # int2
    23: int,  # int4
    25: str,  # text
    114: json.loads,  # json (a review flag's conditions), as psycopg loads it
    1043: str,  # varchar
    1082: dt.date.fromisoformat,  # date (DateStyle ISO)
    1114: dt.datetime.fromisoformat,  # timestamp without time zone (DateStyle ISO)
    1700: Decimal,  # numeric
}
# A placeholder as SQLAlchemy's psycopg dialect writes it, or an escaped percent sign.
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


@functools.cache
def library() -> ctypes.CDLL | None:
    """libpq, as psycopg finds it: the copy its binary wheel ships, else the system's;
    None where there is none (the quick path then reads through psycopg)."""
    candidates: list[str] = []
    spec = importlib.util.find_spec("psycopg_binary")  # found, not imported
    if spec is not None and spec.origin is not None:
        libs = Path(spec.origin).parent.parent / "psycopg_binary.libs"
        candidates += sorted(str(p) for p in libs.glob("libpq-*.so*"))
    candidates += ["libpq.so.5", "libpq.5.dylib"]
    for name in candidates:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        _declare(lib)
        return lib
    return None


def _declare(lib: ctypes.CDLL) -> None:
    p, s, i, u = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint
    strings = ctypes.POINTER(ctypes.c_char_p)
    for name, args, result in (
        ("PQconnectdbParams", [strings, strings, i], p),
        ("PQstatus", [p], i),
        ("PQerrorMessage", [p], s),
        ("PQparameterStatus", [p, s], s),
        ("PQfinish", [p], None),
        ("PQexecParams", [p, s, i, p, strings, p, p, i], p),
        ("PQresultStatus", [p], i),
        ("PQresultErrorMessage", [p], s),
        ("PQresultErrorField", [p, i], s),
        ("PQntuples", [p], i),
        ("PQnfields", [p], i),
        ("PQftype", [p, i], u),
        ("PQgetisnull", [p, i, i], i),
        ("PQgetvalue", [p, i, i], s),
        ("PQclear", [p], None),
    ):
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, result


class LibpqError(Declined):
    """libpq's error: the quick path declines with it (``sqlstate`` where the server gave one)."""

    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _text(value: bytes | None) -> str:
    return (value or b"").decode("utf-8", "replace").strip()


class Connection:
    """One libpq connection: statements with text parameters, rows as psycopg's."""

    def __init__(self, lib: ctypes.CDLL, handle: int) -> None:
        self._lib, self._handle = lib, handle

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run ``sql`` (placeholders ``%(name)s``, as psycopg takes them) with ``params``;
        its rows (none for a command)."""
        text, values = _numbered(sql, params or {})
        array = (ctypes.c_char_p * max(len(values), 1))(*values)
        lib = self._lib
        result = lib.PQexecParams(self._handle, text.encode(), len(values), None, array,
                                  None, None, 0)  # fmt: skip
        if not result:
            raise LibpqError(_text(lib.PQerrorMessage(self._handle)))
        try:
            status = lib.PQresultStatus(result)
            if status == PGRES_COMMAND_OK:
                return []
            if status != PGRES_TUPLES_OK:
                state = lib.PQresultErrorField(result, PG_DIAG_SQLSTATE)
                raise LibpqError(
                    _text(lib.PQresultErrorMessage(result)), state.decode() if state else None
                )
            return _rows(lib, result)
        finally:
            lib.PQclear(result)

    def close(self) -> None:
        if self._handle:
            self._lib.PQfinish(self._handle)
            self._handle = 0


def _numbered(sql: str, params: Mapping[str, Any]) -> tuple[str, list[bytes | None]]:
    """``sql`` with ``$1``, ``$2``... for its named placeholders, and their values as text
    (the statement casts each: ``%(id_1)s::INTEGER``)."""
    order: dict[str, int] = {}

    def number(found: re.Match[str]) -> str:
        name = found[1]
        if name is None:
            return "%"
        if name not in params:
            raise Declined(f"no value for {name}")
        return f"${order.setdefault(name, len(order) + 1)}"

    text = _PLACEHOLDER.sub(number, sql)
    return text, [_parameter(params[name]) for name in order]


def _parameter(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, int | str):
        text = str(value)
        if "\x00" in text:  # psycopg refuses it too; the full path reports it
            raise Declined("a NUL character in a parameter")
        return text.encode()
    raise Declined(f"a parameter of type {type(value).__name__}")


def _rows(lib: ctypes.CDLL, result: int) -> list[tuple[Any, ...]]:
    width = lib.PQnfields(result)
    loaders = []
    for col in range(width):
        oid = lib.PQftype(result, col)
        if oid not in _LOADERS:
            raise Declined(f"a column of type OID {oid}")
        loaders.append(_LOADERS[oid])
    rows = []
    for row in range(lib.PQntuples(result)):
        values: list[Any] = []
        for col, load in enumerate(loaders):
            if lib.PQgetisnull(result, row, col):
                values.append(None)
                continue
            raw = lib.PQgetvalue(result, row, col).decode("utf-8")
            try:
                values.append(load(raw))
            except ValueError as exc:  # e.g. a timestamp BC or 'infinity'
                raise Declined(f"a value the quick path does not read: {raw!r}") from exc
        rows.append(tuple(values))
    return rows


def connect(args: Mapping[str, Any]) -> Connection:
    """Connect with psycopg's connection arguments (:func:`~huiqi.cli.quick.postgres.
    connection_of`); Declined where there is no libpq, for a failed connection, and for a
    server whose output this does not read (not UTF-8 text, not ISO dates)."""
    lib = library()
    if lib is None:
        raise Declined("no libpq")
    keywords = {k: str(v) for k, v in args.items() if k != "prepare_threshold" and v is not None}
    keywords["client_encoding"] = "UTF8"
    keys = (ctypes.c_char_p * (len(keywords) + 1))(*(k.encode() for k in keywords), None)
    values = (ctypes.c_char_p * (len(keywords) + 1))(*(v.encode() for v in keywords.values()), None)
    handle = lib.PQconnectdbParams(keys, values, 0)
    if not handle:
        raise Declined("libpq could not allocate a connection")
    conn = Connection(lib, handle)
    try:
        if lib.PQstatus(handle) != CONNECTION_OK:
            raise LibpqError(_text(lib.PQerrorMessage(handle)))
        style = lib.PQparameterStatus(handle, b"DateStyle") or b""
        if not style.startswith(b"ISO"):
            raise Declined("a date style other than ISO")
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def reading(args: Mapping[str, Any], check: Callable[[Connection], None]) -> Iterator[Connection]:
    """A READ ONLY transaction (as psycopg's ``read_only`` connection begins it), ``check``
    run first, committed at the end; the connection closed whatever happens."""
    conn = connect(args)
    try:
        conn.execute("BEGIN READ ONLY")
        check(conn)
        yield conn
        conn.execute("COMMIT")
    finally:
        conn.close()

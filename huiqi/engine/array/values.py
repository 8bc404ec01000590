"""Typed array values with SQL's NULL, and the arithmetic the evaluator needs on them.

A ``Val`` is an array (or a scalar that broadcasts) of one kind, with ``known``
where it is not NULL. Where a value is unknown its ``data`` is meaningless. Exact
numbers are 64-bit integers scaled by ``10**scale``; an operation that could leave
64 bits raises ``Overflow`` and the policy is evaluated by DuckDB instead (a value
that large is outside every dictionary range, and DuckDB says so per row).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from huiqi.engine.array.columns import Column

LIMIT = 2**63 - 1


class Unsupported(Exception):
    """The array evaluator has no exact rule for this expression: the policy goes to DuckDB."""


class Overflow(Unsupported):
    """An exact number would not fit 64 bits."""


@dataclass
class Val:
    kind: str  # bool num float date cat list str null interval
    data: Any
    known: Any
    scale: int = 0
    col: Column | None = None  # cat and list: the column whose labels the codes index

    @staticmethod
    def null() -> Val:
        return Val("null", np.int64(0), np.bool_(False))


def wide(data: Any) -> Any:
    """Integers as 64 bits (columns are held narrower where their values allow:
    ``columns.compact``), before arithmetic that could leave the narrow type."""
    if isinstance(data, np.ndarray) and data.dtype.kind == "i" and data.dtype.itemsize < 8:
        return data.astype(np.int64)
    return data


def maxabs(data: Any) -> int:
    arr = np.asarray(data)
    if arr.size == 0:
        return 0
    return max(abs(int(arr.max())), abs(int(arr.min())))


def _fits(limit: Any, *data: Any) -> bool:
    """Whether ``limit(|x| bounds of data) <= LIMIT`` (no overflow), read from a narrow
    array's type where that settles it, else from its values (``maxabs``)."""
    narrow = [
        isinstance(d, np.ndarray) and d.dtype.kind == "i" and d.dtype.itemsize < 8 for d in data
    ]
    bounds = [
        2 ** (8 * d.dtype.itemsize - 1) if n else maxabs(d)
        for d, n in zip(data, narrow, strict=True)
    ]
    if limit(*bounds) <= LIMIT:
        return True
    exact = [maxabs(d) if n else b for d, n, b in zip(data, narrow, bounds, strict=True)]
    return bool(limit(*exact) <= LIMIT)


def rescale(v: Val, scale: int) -> Any:
    """``v``'s integers at ``scale`` (not below its own)."""
    k = scale - v.scale
    if k == 0:
        return v.data
    factor = 10**k
    if not _fits(lambda m: m * factor, v.data):
        raise Overflow(f"a value times 10^{k} leaves 64 bits")
    return wide(v.data) * np.int64(factor)


def as_float(v: Val) -> Any:
    """Exact numbers as DuckDB converts them to DOUBLE: the integer, divided by 10^scale."""
    if v.kind == "float":
        return v.data
    if v.kind != "num":
        raise Unsupported(f"{v.kind} used as a number")
    data = np.asarray(v.data).astype(np.float64)
    return data / np.float64(10.0**v.scale) if v.scale else data


def both_known(a: Val, b: Val) -> Any:
    return a.known & b.known


def add(a: Val, b: Val, sign: int) -> Val:
    if a.kind == "float" or b.kind == "float":
        fa, fb = as_float(a), as_float(b)
        return Val("float", fa + fb if sign > 0 else fa - fb, both_known(a, b))
    if a.kind != "num" or b.kind != "num":
        raise Unsupported(f"{a.kind} {'+' if sign > 0 else '-'} {b.kind}")
    s = max(a.scale, b.scale)
    da, db = rescale(a, s), rescale(b, s)
    if not _fits(lambda x, y: x + y, da, db):
        raise Overflow("a sum leaves 64 bits")
    op = np.add if sign > 0 else np.subtract
    # In 64 bits, cast as the ufunc reads each element (no widened copy of either).
    return Val("num", op(da, db, dtype=np.int64), both_known(a, b), scale=s)


def mul(a: Val, b: Val) -> Val:
    if a.kind == "float" or b.kind == "float":
        return Val("float", as_float(a) * as_float(b), both_known(a, b))
    if a.kind != "num" or b.kind != "num":
        raise Unsupported(f"{a.kind} * {b.kind}")
    if not _fits(lambda x, y: x * y, a.data, b.data):
        raise Overflow("a product leaves 64 bits")
    product = np.multiply(a.data, b.data, dtype=np.int64)
    return Val("num", product, both_known(a, b), scale=a.scale + b.scale)


def div(a: Val, b: Val) -> Val:
    """SQL division in the rule language: a DOUBLE, NULL where the divisor is zero."""
    fa, fb = as_float(a), as_float(b)
    nonzero = fb != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = fa / np.where(nonzero, fb, 1.0)
    return Val("float", out, both_known(a, b) & nonzero)


def compare(op: str, a: Val, b: Val) -> Val:
    """``a op b`` with op one of = <> < <= > >=: a boolean Val, NULL where either is."""
    known = both_known(a, b)
    if a.kind == "null" or b.kind == "null":
        return Val("bool", np.bool_(False), np.bool_(False))
    if a.kind == "str" and b.kind == "cat":
        a, b = b, a
        op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
    if a.kind == "cat":
        return _compare_text(op, a, b, known)
    if a.kind in ("num", "float") and b.kind in ("num", "float"):
        if a.kind == "float" or b.kind == "float":
            x, y = as_float(a), as_float(b)
        else:
            s = max(a.scale, b.scale)
            x, y = _plain(rescale(a, s)), _plain(rescale(b, s))
    elif a.kind == b.kind and a.kind in ("date", "bool"):
        x, y = _plain(a.data), _plain(b.data)
    else:
        raise Unsupported(f"{a.kind} {op} {b.kind}")
    ops = {
        "=": np.equal,
        "<>": np.not_equal,
        "<": np.less,
        "<=": np.less_equal,
        ">": np.greater,
        ">=": np.greater_equal,
    }
    return Val("bool", ops[op](x, y), known)


def _plain(x: Any) -> Any:
    """A NumPy integer scalar as a Python int: compared with a narrow column, NumPy then
    compares exactly in the column's own type (a value beyond it too) instead of
    converting every element to 64 bits."""
    return int(x) if isinstance(x, np.integer) else x


_TEXT_OPS = {
    "=": lambda x, y: x == y,
    "<>": lambda x, y: x != y,
    "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    ">=": lambda x, y: x >= y,
}


def _compare_text(op: str, a: Val, b: Val, known: Any) -> Val:
    """A coded text column against a text, through a table per code (a per-value index).

    A VARCHAR orders as DuckDB orders it (by code point, as UTF-8 bytes sort); an ENUM
    orders by its position in DuckDB, so only = and <> are evaluated here.
    """
    col = a.col
    assert col is not None
    if b.kind == "cat" and b.col is not None and b.col.labels == col.labels and op in ("=", "<>"):
        eq = a.data == b.data
        return Val("bool", eq if op == "=" else ~eq, known)
    if b.kind != "str":
        raise Unsupported("text compared with another kind of value")
    if op not in ("=", "<>") and not col.text:
        raise Unsupported("ordering the values of a code list")
    if op in ("=", "<>"):
        eq = a.data == col.code_of(str(b.data))
        return Val("bool", eq if op == "=" else ~eq, known)
    return Val("bool", text_table(col, op, str(b.data))[a.data], known)


_TEXT_UFUNCS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


def text_table(col: Column, op: str, wanted: str) -> Any:
    """Per code of a VARCHAR column, ``label op wanted`` (< <= > >=), as DuckDB orders text
    (by code point, as UTF-8 bytes sort, and as NumPy compares its strings), and False
    for code -1; kept with the column."""
    tables = col.__dict__.setdefault("_tables", {})
    key = (op, wanted)
    if key not in tables:
        labels: Any = col.__dict__.get("_label_array")
        if labels is None:
            # NumPy drops trailing NUL characters from its strings: such labels are
            # compared one by one in Python.
            nul = any("\x00" in label for label in col.labels)
            labels = np.array(col.labels, dtype=np.str_) if not nul else False
            col.__dict__["_label_array"] = labels
        if labels is False or "\x00" in wanted:
            test = _TEXT_OPS[op]
            found = np.array([test(label, wanted) for label in col.labels], dtype=bool)
        else:
            found = _TEXT_UFUNCS[op](labels, np.str_(wanted)) if len(labels) else labels[:0]
        tables[key] = np.concatenate([np.asarray(found, dtype=bool), [False]])
    return tables[key]


def everywhere(known: Any) -> bool:
    """Whether ``known`` says no value is NULL (a scalar TRUE): then no NULL work is done."""
    return (type(known) is np.bool_ or type(known) is bool) and bool(known)


def and3(a: Val, b: Val) -> Val:
    """Kleene AND: FALSE if either is FALSE, NULL if either is NULL, else TRUE."""
    ka, kb = a.known, b.known
    if everywhere(ka) and everywhere(kb):
        return Val("bool", a.data & b.data, np.bool_(True))
    false_a, false_b = ka & ~a.data, kb & ~b.data
    return Val("bool", a.data & b.data, (ka & kb) | false_a | false_b)


def or3(a: Val, b: Val) -> Val:
    ka, kb = a.known, b.known
    if everywhere(ka) and everywhere(kb):
        return Val("bool", a.data | b.data, np.bool_(True))
    true_a, true_b = ka & a.data, kb & b.data
    return Val("bool", a.data | b.data, (ka & kb) | true_a | true_b)


def not3(a: Val) -> Val:
    return Val("bool", ~a.data, a.known)


def is_true(v: Val) -> Any:
    return v.known & v.data


def unify(vals: list[Val]) -> tuple[str, int, Column | None]:
    """The kind (and scale, labels) that CASE, COALESCE, GREATEST give over ``vals``."""
    kinds = {v.kind for v in vals if v.kind != "null"}
    if not kinds:
        return "null", 0, None
    if kinds <= {"num", "float"}:
        if "float" in kinds:
            return "float", 0, None
        return "num", max(v.scale for v in vals if v.kind == "num"), None
    if len(kinds) == 1 and kinds <= {"bool", "date"}:
        return kinds.pop(), 0, None
    if kinds == {"cat"}:
        cols = {id(v.col): v.col for v in vals if v.kind == "cat"}
        first = next(iter(cols.values()))
        if first is not None and all(
            c is not None and c.labels == first.labels for c in cols.values()
        ):
            return "cat", 0, first
    raise Unsupported(f"a choice between {', '.join(sorted(kinds))}")


def cast_to(v: Val, kind: str, scale: int) -> Any:
    """``v``'s data in the unified ``kind`` (see ``unify``)."""
    if v.kind == "null":
        # A boolean CASE's missing ELSE stays boolean: an int64 0 would turn its data into
        # integers, and NOT (bitwise ~) of integer 1 is -2, which reads as true.
        dtype = {"float": np.float64, "bool": np.bool_}.get(kind, np.int64)
        return np.zeros((), dtype=dtype)
    if kind == "float":
        return as_float(v)
    if kind == "num":
        return rescale(v, scale)
    return v.data


# Dates as days since 1970-01-01, converted with integer arithmetic only (H. Hinnant's
# civil calendar algorithms), so that the same code runs on any array library.
def civil(days: Any) -> tuple[Any, Any, Any]:
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def days_from_civil(year: Any, month: Any, day: Any) -> Any:
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def add_months(days: Any, months: int) -> Any:
    """Date + months with DuckDB's month-end clamping (31 Jan + 1 month = 28/29 Feb)."""
    year, month, day = civil(np.asarray(days, dtype=np.int64))
    total = year * 12 + (month - 1) + months
    ny, nm = total // 12, total % 12 + 1
    first = days_from_civil(ny, nm, 1)
    following = days_from_civil(ny + nm // 12, nm % 12 + 1, 1)
    return first + np.minimum(day, following - first) - 1

"""Frame columns as arrays: each value with a known-mask, categoricals as small integers.

The columns are computed by the DuckDB frame builder (``engine/duckdb/frame``), so
every backend reads the same values for the same frame column (aggregates over
contracts and related parties included), and exported once through Arrow, ordered
by USCC. Each becomes a ``Column``:

* ``bool``   booleans;
* ``num``    exact numbers as integers scaled by ``10**scale`` (DECIMAL(18,2)
             revenue of 1234.50 yuan is 123450 with scale 2); a decimal that does not fit
             64 bits makes the column ``wide`` and its policies take the DuckDB path;
* ``float``  binary floating point (no frame column today; division results);
* ``date``   days since 1970-01-01;
* ``cat``    dictionary codes (-1 where missing) into ``labels``: ENUM and VARCHAR
             (``text``: a VARCHAR, which orders as text; an ENUM orders by its codes);
* ``list``   a list of labels per row (tags): ``offsets`` into ``codes``.

``num``, ``date`` and ``cat`` integers are held in the narrowest of int8, int16, int32
and int64 that holds every value of the column exactly (``compact``): a policy's
criteria gather their rows, and a narrower array moves fewer bytes. Arithmetic widens
them to 64 bits first (``values.wide``); a comparison reads them as they are.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huiqi.engine.frame_columns import FrameColumn


@dataclass
class Column:
    kind: str
    data: Any
    # Where the value is known (not NULL); None: everywhere.
    known: Any = None
    scale: int = 0
    labels: tuple[str, ...] = ()
    # ``list`` columns: row i's labels are codes[offsets[i]:offsets[i + 1]].
    offsets: Any = None
    # A decimal too large for 64 bits somewhere in the column.
    wide: bool = False
    # ``cat``: VARCHAR values (ordered as text), not an ENUM.
    text: bool = False
    # label -> code, built on first use.
    _index: dict[str, int] | None = field(default=None, repr=False)

    def label_table(self, test: Any, key: Hashable = None) -> Any:
        """Per code, ``test(label)``, with one more entry (False) that code -1 reads;
        kept under ``key`` (what the test is: the same one is asked for by many policies)."""
        tables = self.__dict__.setdefault("_tables", {})
        found = tables.get(key) if key is not None else None
        if found is None:
            found = np.array([bool(test(v)) for v in self.labels] + [False], dtype=bool)
            if key is not None:
                tables[key] = found
        return found

    def code_of(self, label: str) -> int:
        """The code of ``label`` (-2, which no row has, when no row has that label)."""
        if self._index is None:
            self._index = {v: i for i, v in enumerate(self.labels)}
        return self._index.get(label, -2)


_NARROW = (np.int8, np.int16, np.int32)


def compact(data: Any, *, spare: int = 0) -> Any:
    """Integers in the narrowest of int8, int16, int32 (else as they are) that holds each
    value exactly, with ``spare`` more above the largest (a code + 1 must fit too)."""
    if len(data) == 0 or data.dtype.kind != "i":
        return data
    lo, hi = int(data.min()), int(data.max()) + spare
    for t in _NARROW:
        info = np.iinfo(t)
        if info.min <= lo and hi <= info.max:
            return data.astype(t) if np.dtype(t).itemsize < data.dtype.itemsize else data
    return data


def _known(arr: pa.Array) -> Any:
    if arr.null_count == 0:
        return None
    return np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def _decimal(arr: pa.Array) -> tuple[np.ndarray, bool]:
    """A decimal128 array's unscaled values as int64, and whether some did not fit."""
    arr = arr.cast(pa.decimal128(38, arr.type.scale)) if arr.type.bit_width != 128 else arr
    buf = arr.buffers()[1]
    words = np.frombuffer(buf, dtype=np.int64, count=2 * (len(arr) + arr.offset))
    words = words[2 * arr.offset :]
    low, high = words[0::2], words[1::2]
    # A value fits in 64 bits when its high word is the sign extension of its low word.
    fits = high == (low >> 63)
    if arr.null_count:
        fits &= np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        wide = bool((~fits & ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False))).any())
    else:
        wide = not bool(fits.all())
    return np.where(fits, low, 0), wide


def column_from_arrow(arr: pa.ChunkedArray | pa.Array) -> Column:
    """One frame column exported by DuckDB as an array ``Column``."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    known = _known(arr)
    if pa.types.is_boolean(t):
        return Column("bool", arr.fill_null(False).to_numpy(zero_copy_only=False), known)
    if pa.types.is_integer(t):
        data = arr.fill_null(0).to_numpy().astype(np.int64, copy=False)
        return Column("num", compact(data), known)
    if pa.types.is_decimal(t):
        data, wide = _decimal(arr)
        return Column("num", data if wide else compact(data), known, scale=t.scale, wide=wide)
    if pa.types.is_floating(t):
        return Column("float", arr.fill_null(0).to_numpy().astype(np.float64), known)
    if pa.types.is_date(t):
        days = arr.cast(pa.date32()).cast(pa.int32()).fill_null(0).to_numpy()
        return Column("date", compact(days.astype(np.int64)), known)
    if pa.types.is_dictionary(t) or pa.types.is_string(t) or pa.types.is_large_string(t):
        enc = arr if pa.types.is_dictionary(t) else pc.dictionary_encode(arr)
        codes = enc.indices.cast(pa.int32()).fill_null(-1).to_numpy()
        labels = tuple(str(v) for v in enc.dictionary.to_pylist())
        # Code -1 (missing) must stay below the narrowest type, and a code + 1 fit it.
        data = compact(codes, spare=1) if len(codes) else codes
        return Column("cat", data, known, labels=labels, text=not pa.types.is_dictionary(t))
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        flat = pc.dictionary_encode(arr.flatten().cast(pa.string()))
        offsets = arr.offsets.to_numpy().astype(np.int64) - int(arr.offsets[0].as_py())
        codes = flat.indices.cast(pa.int32()).fill_null(-1).to_numpy()
        labels = tuple(str(v) for v in flat.dictionary.to_pylist())
        return Column("list", codes, known, labels=labels, offsets=offsets)
    raise TypeError(f"the array backend cannot hold a frame column of type {t}")


@dataclass
class Frame:
    """Columns by frame column name, one row per enterprise, in the order of ``keys``
    then ``uscc`` (USCC alone when there are no keys)."""

    uscc: pa.Array
    columns: dict[str, Column] = field(default_factory=dict)
    # The columns the rows are sorted by before USCC (``ranges``), first to last.
    keys: tuple[FrameColumn, ...] = ()
    # Where each criterion starts (``starts``), by criterion key and near-miss mode.
    starts: dict[tuple[str, bool], Any] = field(default_factory=dict, repr=False)
    # The runs of rows of equal sort keys (``ranges``), read once.
    runs: dict[str, Any] = field(default_factory=dict, repr=False)
    # Where each policy starts (``match``), by its criteria's keys and near-miss mode.
    plans: dict[tuple[tuple[str, ...], bool], Any] = field(default_factory=dict, repr=False)

    @property
    def rows(self) -> int:
        return len(self.uscc)

    def add(self, table: pa.Table) -> None:
        """The columns of ``table`` (uscc first, the same rows in the same order)."""
        if not table.column("uscc").combine_chunks().equals(self.uscc):
            raise RuntimeError("the frame's enterprises changed while columns were loaded")
        for name in table.column_names:
            if name != "uscc" and name not in self.columns:
                self.columns[name] = column_from_arrow(table.column(name))

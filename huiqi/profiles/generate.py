"""Generate a synthetic Shanghai enterprise population as registry files.

One file per registry mapping (``huiqi/profiles/mappings/*.yaml``), with that
mapping's Chinese column headers, so :mod:`huiqi.profiles.importer` reads the
files back exactly as it reads real extracts. The population is deterministic
from the seed and drawn in chunks of :data:`CHUNK` enterprises, so memory stays
bounded and millions of rows take seconds.

Formats and file names (``<mapping>`` is the mapping's name):

* ``parquet``  ``<mapping>.parquet``: codes for enum values, native booleans.
* ``csv-gbk``  ``<mapping>.csv``: GBK-encoded, as registries send them; enum values as
  Chinese labels, booleans as 是/否.
* ``csv-utf8`` ``<mapping>.utf8.csv``: the same content in UTF-8.
* ``xlsx``     ``<mapping>.xlsx``: one sheet, Chinese labels; refused above Excel's row limit.

Example:
    >>> import tempfile
    >>> result = generate(1000, seed=7, out_dir=tempfile.mkdtemp())
    >>> result.enterprises, sorted(result.files)[:2]
    (1000, ['ai_platform', 'contracts'])
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

from huiqi.errors import HuiqiError
from huiqi.fsmode import open_private, private_dir, private_file
from huiqi.profiles import uscc as uscc_mod
from huiqi.profiles.dictionary import load_codelist, load_dictionary
from huiqi.profiles.industry import known_classes
from huiqi.profiles.synth_links import draw_links
from huiqi.profiles.synth_population import draw_population, static_columns
from huiqi.profiles.synth_qualifications import draw_certificates
from huiqi.profiles.synth_values import SECTION_WEIGHTS
from huiqi.profiles.synth_yearly import draw_years

CHUNK = 100_000  # ~650 MB peak RSS; larger chunks are no faster
YEARS = (2022, 2023, 2024, 2025)
# The README's example enterprise ("huiqi explain 91310115MA1H8R7C41"): the first
# Pudong company of every generated population carries this code, so that the
# README's commands run as written after 'make demo' (see readme_enterprise).
README_USCC = "91310115MA1H8R7C41"
# ... an enterprise with staff, registered before the first data year: it has a row in
# every yearly file, so explanations read figures rather than "missing".
EXAMPLE_BEFORE = (dt.date(YEARS[0], 1, 1) - dt.date(1970, 1, 1)).days
AS_OF = dt.date(2026, 6, 30)
FORMATS = {"parquet": ".parquet", "csv-gbk": ".csv", "csv-utf8": ".utf8.csv", "xlsx": ".xlsx"}
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
# Qualification holders per enterprise (Shanghai: ~24,000 高企 and ~1,000 小巨人 per 3.5 m).
RATES = {
    "high_tech": 24_000 / 3_500_000,
    "tech_sme": 0.008,
    "innovative_sme": 0.006,
    "srdi_sme": 0.003,
    "little_giant": 1_000 / 3_500_000,
    "advanced_service": 0.0001,
}
# Columns kept as codes even in labelled formats: their headers say 代码 (code).
KEEP_CODES = frozenset({"district_code", "industry_class"})

Progress = Callable[[str, int, int], None]


class GenerateError(HuiqiError):
    """The generator was asked for something it cannot produce."""


@dataclass
class GenerationResult:
    """What :func:`generate` wrote: files per mapping and format, rows per mapping."""

    enterprises: int
    seed: int
    files: dict[str, dict[str, Path]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    qualifications: dict[str, int] = field(default_factory=dict)
    size_classes: dict[str, int] = field(default_factory=dict)  # latest year
    seconds: float = 0.0


@dataclass(frozen=True)
class _Mapping:
    name: str
    layout: str
    headers: dict[str, str]  # Chinese header -> field


def load_mappings() -> list[_Mapping]:
    """The registry mappings, sorted by name."""
    folder = resources.files("huiqi.profiles").joinpath("mappings")
    found = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            raw = yaml.safe_load(entry.read_text("utf-8"))
            found.append(_Mapping(raw["name"], raw["layout"], dict(raw["columns"])))
    return found


def generate(
    n: int,
    seed: int,
    out_dir: str | Path,
    formats: Iterable[str] = ("parquet",),
    *,
    progress: Progress | None = None,
) -> GenerationResult:
    """Write a population of ``n`` enterprises, reproducible from ``seed``.

    Args:
        n: number of enterprises.
        seed: random seed; the same seed and ``n`` give byte-identical Parquet files.
        out_dir: folder for the files (created if missing).
        formats: any of ``parquet``, ``csv-gbk``, ``csv-utf8``, ``xlsx``.
        progress: called as ``progress(step, done, total)`` after each chunk.

    Raises:
        GenerateError: unknown format, or xlsx asked for more rows than a sheet holds.
    """
    chosen = list(dict.fromkeys(formats))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise GenerateError(f"unknown format(s) {unknown}; choose from {sorted(FORMATS)}")
    if n < 0:
        raise GenerateError(f"cannot generate {n} enterprises; give a number >= 0")
    # Yearly files hold up to len(YEARS) rows per enterprise; certificates add a few percent.
    if "xlsx" in chosen and n * len(YEARS) > XLSX_MAX_ROWS:
        raise GenerateError(
            f"xlsx holds at most {XLSX_MAX_ROWS:,} rows per sheet, and {n:,} enterprises give up to "
            f"{n * len(YEARS):,} yearly rows; use parquet or csv for more than "
            f"{XLSX_MAX_ROWS // len(YEARS):,} enterprises"
        )
    started = time.perf_counter()
    out = private_dir(Path(out_dir), tighten=False)
    mappings = load_mappings()
    result = GenerationResult(enterprises=n, seed=seed)
    writers = {
        (m.name, f): _writer(out / f"{m.name}{FORMATS[f]}", f) for m in mappings for f in chosen
    }
    for m in mappings:
        result.files[m.name] = {f: out / f"{m.name}{FORMATS[f]}" for f in chosen}
        result.rows[m.name] = 0
    classes_by_section = {s: known_classes(s) for s in SECTION_WEIGHTS}
    root = np.random.SeedSequence(seed)
    body = np.random.default_rng(root.spawn(1)[0])
    body_a = int(body.integers(1, 31**6 // 31)) * 31 + int(body.integers(1, 31))  # coprime to 31
    body_b = int(body.integers(0, 31**6))
    chunk_seeds = np.random.SeedSequence([seed, 1]).spawn(max(1, -(-n // CHUNK)))
    readme = ReadmeEnterprise(body_a, body_b)
    background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="huiqi-generate-writer")
    pending: Future[None] | None = None
    try:
        for k, start in enumerate(range(0, n, CHUNK)):
            size = min(CHUNK, n - start)
            rng = np.random.default_rng(chunk_seeds[k])
            pop = draw_population(
                rng, size, as_of=AS_OF, classes_by_section=classes_by_section, rates=RATES
            )
            static = static_columns(
                rng, pop, serial_start=start, as_of=AS_OF, body_a=body_a, body_b=body_b
            )
            established = (pop.registration_day < EXAMPLE_BEFORE) & (pop.employees_base > 0)
            static["uscc"] = readme.apply(static["uscc"], start, established)
            yearly = draw_years(rng, pop, static["uscc"], YEARS)
            certs = draw_certificates(rng, pop, static["uscc"], as_of=AS_OF)
            link_rng = np.random.default_rng(np.random.SeedSequence([seed, 2, k]))
            relations, contracts = draw_links(
                link_rng, pop, static["uscc"], serial_start=start, years=YEARS
            )
            park_rows = pop.in_park | np.asarray(static["tags"].is_valid())
            sources = {
                "static": (static, None),
                "park": (static, park_rows),
                "yearly": (yearly.columns, None),
                "park_rent": (yearly.columns, yearly.rent_rows),
                "ai_platform": (yearly.columns, yearly.ai_rows),
                "qualifications": (certs, None),
                "relations": (relations, None),
                "contracts": (contracts, None),
            }
            tables: list[tuple[_Writer, pa.Table]] = []
            for m in mappings:
                columns, rows = sources.get(m.name) or sources[_source_of(m)]
                table = _table(m, columns, rows)
                result.rows[m.name] += table.num_rows
                tables.extend((writers[(m.name, f)], table) for f in chosen)
            # Writing (compression, mostly outside the GIL) overlaps drawing the next chunk;
            # one writer thread keeps every file's chunks in order, so output is deterministic.
            if pending is not None:
                pending.result()
            pending = background.submit(_write_all, tables)
            for name, count in zip(
                *np.unique(np.asarray(certs["qualification"]), return_counts=True), strict=True
            ):
                result.qualifications[str(name)] = result.qualifications.get(str(name), 0) + int(
                    count
                )
            for label, count in yearly.size_counts.items():
                result.size_classes[label] = result.size_classes.get(label, 0) + count
            if progress:
                progress("enterprises", start + size, n)
        if pending is not None:
            pending.result()
    finally:
        background.shutdown(wait=True)
        for w in writers.values():
            w.close()
    result.seconds = time.perf_counter() - started
    return result


class ReadmeEnterprise:
    """Gives the first Pudong company (``91310115…``) of the population the README's
    example code, :data:`README_USCC`, keeping every code unique.

    Codes are "MA" + a body that an affine bijection makes from the enterprise's
    serial, so exactly one serial ``s`` would draw the README's body. The chosen
    enterprise takes that body; the enterprise at ``s``, if the population reaches
    it, takes the chosen one's old body (with its own prefix and region). Chunks are
    drawn in order, and the chosen one is in the first, before ``s`` is reached.
    """

    def __init__(self, body_a: int, body_b: int) -> None:
        space = 31**6
        body = 0
        for ch in README_USCC[10:16]:
            body = body * 31 + uscc_mod.VALUES[ch]
        self.serial = (body - body_b) * pow(body_a, -1, space) % space
        self.taken: str | None = None  # the chosen enterprise's code before the change
        self.chosen = -1  # its serial

    def apply(self, codes: pa.Array, start: int, candidates: np.ndarray) -> pa.Array:
        """The chunk's codes (its first serial is ``start``) with the change made; the
        chosen enterprise is the first Pudong company among ``candidates`` (a mask)."""
        values: list[str] | None = None
        if start == 0:
            values = codes.to_pylist()
            chosen = next(
                (
                    i
                    for i, c in enumerate(values)
                    if c[:8] == README_USCC[:8] and bool(candidates[i])
                ),
                None,
            )
            if chosen is None:
                self.taken = None  # no Pudong company in the first chunk: nothing planted
                return codes
            self.taken, self.chosen = values[chosen], chosen
            values[chosen] = README_USCC
        k = self.serial - start
        if self.taken is not None and 0 <= k < len(codes) and self.serial != self.chosen:
            values = values if values is not None else codes.to_pylist()
            values[k] = uscc_mod.make(values[k][:8] + self.taken[8:17])
        return codes if values is None else pa.array(values, type=codes.type)


def _write_all(tables: list[tuple[_Writer, pa.Table]]) -> None:
    for writer, table in tables:
        writer.write(table)


def _source_of(m: _Mapping) -> str:
    return {"static": "static", "yearly": "yearly"}.get(m.layout, m.layout)


def _table(m: _Mapping, columns: dict[str, pa.Array], rows: np.ndarray | None) -> pa.Table:
    table = pa.table({header: columns[name] for header, name in m.headers.items()})
    return table if rows is None else table.filter(pa.array(rows))


class _Writer(Protocol):
    """Writes one registry file in one format, a table at a time."""

    def write(self, table: pa.Table) -> None: ...

    def close(self) -> None: ...


def _writer(path: Path, fmt: str) -> _Writer:
    if fmt == "parquet":
        return _ParquetWriter(path)
    if fmt == "xlsx":
        return _XlsxWriter(path)
    return _CsvWriter(path, "gbk" if fmt == "csv-gbk" else "utf-8")


class _ParquetWriter(_Writer):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.inner: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self.inner is None:
            self.inner = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self.inner.write_table(table)

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()
            private_file(self.path)


class _CsvWriter(_Writer):
    def __init__(self, path: Path, encoding: str) -> None:
        self.file = open_private(path, "wb")
        self.encoding = encoding
        self.header = True

    def write(self, table: pa.Table) -> None:
        buffer = io.BytesIO()
        options = pacsv.WriteOptions(include_header=self.header)
        pacsv.write_csv(labelled(table), buffer, write_options=options)
        self.header = False
        data = buffer.getvalue()
        # pyarrow writes UTF-8 only; registries send GBK, so transcode (strict: no silent loss).
        self.file.write(data if self.encoding == "utf-8" else data.decode("utf-8").encode("gbk"))

    def close(self) -> None:
        self.file.close()


class _XlsxWriter(_Writer):
    def __init__(self, path: Path) -> None:
        from openpyxl import Workbook

        self.path = path
        self.book = Workbook(write_only=True)
        self.sheet: Any = self.book.create_sheet(path.stem)
        self.header = True

    def write(self, table: pa.Table) -> None:
        table = labelled(table)
        if self.header:
            self.sheet.append(table.column_names)
            self.header = False
        for row in zip(*(c.to_pylist() for c in table.columns), strict=True):
            self.sheet.append(list(row))

    def close(self) -> None:
        if self.header:  # nothing was written: still leave a valid workbook
            self.sheet.append([])
        self.book.save(self.path)
        private_file(self.path)


def labelled(table: pa.Table) -> pa.Table:
    """The table as registries write text files: enum codes as Chinese labels, booleans 是/否."""
    dictionary = load_dictionary()
    headers = {h: n for m in load_mappings() for h, n in m.headers.items()}
    columns = []
    for header, column in zip(table.column_names, table.columns, strict=True):
        name = headers.get(header, "")
        f = dictionary.get(name)
        if pa.types.is_boolean(column.type):
            column = pa.chunked_array(
                [pc.if_else(c, "是", "否") for c in column.chunks], type=pa.string()
            )
        elif f is not None and f.type == "enum" and f.codes and name not in KEEP_CODES:
            column = _relabel(column, {k: v["zh"] for k, v in load_codelist(f.codes).codes.items()})
        elif name == "qualification":
            labels = {q.name: q.label.zh for q in dictionary.qualification_fields}
            column = _relabel(column, labels)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _relabel(column: pa.ChunkedArray, labels: dict[str, str]) -> pa.ChunkedArray:
    keys = pa.array(list(labels))
    values = pa.array(list(labels.values()))
    chunks = [values.take(pc.index_in(c, value_set=keys)) for c in column.chunks]
    return pa.chunked_array(chunks, type=pa.string())

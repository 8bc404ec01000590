"""Read a few enterprises' raw profiles out of a frozen snapshot, without scanning it.

A snapshot's Parquet files are written sorted by USCC in small row groups
(``ProfileStore.freeze``), so each row group's USCC range (its statistics, in the file
footer) says which groups can hold an enterprise: reading one enterprise decodes one
small row group per file, whatever the population. The footers are read once per
process and file (``SnapshotReader`` is cached by path, size and modification time).
A snapshot frozen before the files were sorted is still read correctly, only slower
(every row group's range holds every USCC). A relation that changed since its base
file has a small delta (``huiqi.profiles.frozen``), read whole once: its enterprises'
rows come from it, everyone else's from the base.

For policies that read related parties or contracts, ``population`` also loads the
enterprise's neighbourhood: the sellers of its contracts, the enterprises named in its
relations, and whoever shares a relation party with it, with the years the snapshot
holds contracts for, which is all ``engine/related`` needs to give the same answer as
over the whole population.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from huiqi.engine.profile import RawProfile
from huiqi.engine.related import Contract, Population, Relation
from huiqi.engine.snapshot import Snapshot

_RELATION_COLUMNS = (
    "uscc",
    "party",
    "party_kind",
    "relation",
    "share_pct",
    "valid_from",
    "valid_to",
)
_CONTRACT_COLUMNS = ("uscc", "contract_id", "seller_uscc", "contract_type", "amount", "signed_on")


@dataclass(frozen=True)
class _RowGroups:
    """One Parquet file: its reader and each row group's range of one key column."""

    file: pq.ParquetFile
    ranges: tuple[tuple[Any, Any], ...]

    @classmethod
    def open(cls, path: Path, key: str) -> _RowGroups:
        file = pq.ParquetFile(path)
        meta = file.metadata
        index = file.schema_arrow.get_field_index(key)
        ranges = []
        for i in range(meta.num_row_groups):
            stats = meta.row_group(i).column(index).statistics
            if stats is None or not stats.has_min_max:
                ranges.append((None, None))  # unknown: read it
            else:
                ranges.append((stats.min, stats.max))
        return cls(file, tuple(ranges))

    def rows(
        self, key: str, wanted: Collection[str], columns: Iterable[str] | None = None
    ) -> list[dict[str, Any]]:
        """The rows whose ``key`` is one of ``wanted``, reading only the row groups whose
        range can hold one."""
        if not wanted:
            return []
        ordered = sorted(wanted)
        groups = [
            i
            for i, (low, high) in enumerate(self.ranges)
            if low is None or any(low <= k <= high for k in ordered)
        ]
        if not groups:
            return []
        table = self.file.read_row_groups(groups, columns=list(columns) if columns else None)
        chosen = table.filter(pc.is_in(table[key], value_set=pa.array(ordered, pa.string())))
        return chosen.to_pylist()


@dataclass(frozen=True)
class _Delta:
    """A relation's delta (``huiqi.profiles.frozen``): small, held whole; its enterprises'
    rows replace theirs in the base file."""

    table: pa.Table
    keys: frozenset[str]

    @classmethod
    def open(cls, path: Path) -> _Delta:
        table = pq.read_table(path)
        return cls(table, frozenset(pc.unique(table["uscc"]).to_pylist()))

    def rows(
        self, key: str, wanted: Collection[str], columns: Iterable[str] | None = None
    ) -> list[dict[str, Any]]:
        if not wanted:
            return []
        table = self.table.select(list(columns)) if columns else self.table
        chosen = table.filter(pc.is_in(table[key], value_set=pa.array(sorted(wanted), pa.string())))
        return chosen.to_pylist()


class SnapshotReader:
    """Point reads of one snapshot's sources by USCC (and relations by party)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._groups: dict[tuple[str, str], _RowGroups | None] = {}
        self._deltas: dict[str, _Delta | None] = {}
        self._contract_years: set[int] | None = None
        self._lock = threading.Lock()

    def _file(self, source: str, key: str = "uscc") -> _RowGroups | None:
        with self._lock:
            if (source, key) not in self._groups:
                path = self.snapshot.files.get(source)
                self._groups[source, key] = (
                    _RowGroups.open(path, key) if path is not None and path.exists() else None
                )
            return self._groups[source, key]

    def _delta(self, source: str) -> _Delta | None:
        with self._lock:
            if source not in self._deltas:
                path = self.snapshot.deltas.get(source)
                self._deltas[source] = _Delta.open(path) if path is not None else None
            return self._deltas[source]

    def _rows(
        self,
        source: str,
        wanted: Collection[str],
        columns: list[str] | None = None,
        key: str = "uscc",
    ) -> list[dict[str, Any]]:
        """The rows of ``source`` whose ``key`` is in ``wanted``: from the base file,
        but for the enterprises of the delta, whose rows come from the delta."""
        groups = self._file(source, key)
        if groups is None:
            return []
        delta = self._delta(source)
        if delta is None:
            return groups.rows(key, wanted, columns)
        if key == "uscc":
            from_base = groups.rows(key, set(wanted) - delta.keys, columns)
        else:
            read = None if columns is None else list(dict.fromkeys(["uscc", *columns]))
            from_base = [r for r in groups.rows(key, wanted, read) if r["uscc"] not in delta.keys]
            if columns is not None:
                from_base = [{c: r[c] for c in columns} for r in from_base]
        return from_base + delta.rows(key, wanted, columns)

    def contract_years(self) -> set[int]:
        """The calendar years the snapshot holds at least one contract for (coverage)."""
        if self._contract_years is None:
            path = self.snapshot.files.get("contracts")
            if path is None or not path.exists():
                self._contract_years = set()
            else:
                base = pq.read_table(path, columns=["uscc", "signed_on"])
                delta = self._delta("contracts")
                signed = [base["signed_on"]]
                if delta is not None:
                    keys = pa.array(sorted(delta.keys), pa.string())
                    kept = pc.invert(pc.is_in(base["uscc"], value_set=keys))
                    signed = [base.filter(kept)["signed_on"], delta.table["signed_on"]]
                years = {y for column in signed for y in pc.unique(pc.year(column)).to_pylist()}
                self._contract_years = {int(y) for y in years if y is not None}
        return self._contract_years

    def _columns(self, source: str, fields: Collection[str] | None) -> list[str] | None:
        """The key columns and those of ``fields`` the file has (None: every column)."""
        groups = self._file(source)
        if fields is None or groups is None:
            return None
        names = set(groups.file.schema_arrow.names)
        keys = ["uscc", "year"] if source == "enterprise_years" else ["uscc"]
        return keys + sorted(f for f in fields if f in names and f not in keys)

    def profiles(
        self, usccs: Collection[str], fields: Collection[str] | None = None
    ) -> dict[str, RawProfile]:
        """The profiles of those of ``usccs`` the snapshot holds, by USCC, with every
        field or only ``fields`` (the static and yearly fields some policies read)."""
        out: dict[str, RawProfile] = {}
        for row in self._rows("enterprises", usccs, self._columns("enterprises", fields)):
            code = row.pop("uscc")
            out[code] = RawProfile(code, row)
        present = set(out)
        yearly = self._columns("enterprise_years", fields)
        for row in self._rows("enterprise_years", present, yearly):
            code, year = row.pop("uscc"), row.pop("year")
            out[code].years[int(year)] = row
        for row in self._rows("qualifications", present):
            out[row["uscc"]].qualifications.append(
                (row["qualification"], row["valid_from"], row["valid_to"])
            )
        for code, relations in self._relations(present).items():
            out[code].relations.extend(relations)
        contracts = sorted(
            (tuple(r[c] for c in _CONTRACT_COLUMNS) for r in self._rows("contracts", present)),
            key=lambda t: t[:2],
        )
        for values in contracts:
            out[values[0]].contracts.append(Contract(*values))
        return out

    def _relations(self, usccs: Collection[str]) -> dict[str, list[Relation]]:
        rows = sorted(
            (tuple(r[c] for c in _RELATION_COLUMNS) for r in self._rows("relations", usccs)),
            key=lambda t: t[:2],
        )
        out: dict[str, list[Relation]] = {}
        for values in rows:
            out.setdefault(values[0], []).append(Relation(*values))
        return out

    def population(
        self, usccs: Collection[str], *, groups: bool, fields: Collection[str] | None = None
    ) -> tuple[dict[str, RawProfile], Population]:
        """The profiles of ``usccs`` and a population holding their neighbourhood: what
        related parties and contract totals read (the relations of the sellers and of the
        enterprises named in the relations) and, with ``groups``, what group totals read
        (the profiles of whoever shares a relation party with them)."""
        chosen = self.profiles(usccs, fields)
        around: set[str] = set()
        for prof in chosen.values():
            around |= {c.seller_uscc for c in prof.contracts}
            around |= {r.party for r in prof.relations if r.party_kind == "enterprise"}
        if groups:
            parties = set(chosen) | {r.party for p in chosen.values() for r in p.relations}
            rows = self._rows("relations", parties, ["uscc", "party"], key="party")
            around |= {r["uscc"] for r in rows}
            others = self.profiles(around - set(chosen), fields)
        else:
            # Whether two enterprises are related reads only their relations.
            others = {
                code: RawProfile(code, relations=relations)
                for code, relations in self._relations(around - set(chosen)).items()
            }
        pop = Population([*chosen.values(), *others.values()], contract_years=self.contract_years())
        return chosen, pop


_READERS: OrderedDict[tuple[Any, ...], SnapshotReader] = OrderedDict()
_READERS_LOCK = threading.Lock()
_KEEP = 4


def reader(snapshot: Snapshot) -> SnapshotReader:
    """The process's reader of ``snapshot`` (footers read once; a rewritten file, new)."""
    key = tuple(
        (name, str(path), path.stat().st_size, path.stat().st_mtime_ns)
        for name, path in sorted([*snapshot.files.items(), *snapshot.deltas.items()])
        if path.exists()
    )
    with _READERS_LOCK:
        found = _READERS.get(key)
        if found is None:
            found = _READERS[key] = SnapshotReader(snapshot)
            while len(_READERS) > _KEEP:
                _READERS.popitem(last=False)
        else:
            _READERS.move_to_end(key)
        return found

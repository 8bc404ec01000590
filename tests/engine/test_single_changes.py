"""Which enterprises a snapshot changed: rows written after ``since``, plus, for policies
over related parties and contracts, the neighbours whose results they can move."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from huiqi.engine.single.changes import changed_enterprises
from huiqi.engine.snapshot import Snapshot


def _write(folder: Path, name: str, columns: dict[str, list[object]]) -> Path:
    path = folder / f"{name}.parquet"
    pq.write_table(pa.table(columns), path)
    return path


def test_changed_rows_and_their_neighbours(tmp_path: Path) -> None:
    files = {
        "enterprises": _write(
            tmp_path,
            "enterprises",
            {"uscc": ["A", "B", "C", "D", "E", "F"], "updated_snapshot": [2, 1, 1, 1, 1, 1]},
        ),
        "enterprise_years": _write(
            tmp_path, "enterprise_years", {"uscc": ["F", "G"], "updated_snapshot": [1, 3]}
        ),
        "relations": _write(
            tmp_path,
            "relations",
            {
                # B holds A; A holds C; person P holds A and D.
                "uscc": ["B", "A", "A", "D", "F"],
                "party": ["A", "C", "P", "P", "Q"],
                "party_kind": ["enterprise", "enterprise", "person", "person", "person"],
                "updated_snapshot": [1, 1, 1, 1, 1],
            },
        ),
        "contracts": _write(
            tmp_path,
            "contracts",
            {"uscc": ["E", "F"], "seller_uscc": ["A", "B"], "updated_snapshot": [1, 1]},
        ),
    }
    snapshot = Snapshot(3, files)
    assert changed_enterprises(snapshot, 1) == ["A", "G"]
    assert changed_enterprises(snapshot, 2) == ["G"]
    assert changed_enterprises(snapshot, 3) == []
    # B holds A, A holds C, D shares A's holder P, E bought from A; F is no neighbour.
    assert changed_enterprises(snapshot, 1, links=True) == ["A", "B", "C", "D", "E", "G"]


def test_a_snapshot_without_link_files_reads_its_other_sources(tmp_path: Path) -> None:
    files = {
        "enterprises": _write(
            tmp_path, "enterprises", {"uscc": ["A", "B"], "updated_snapshot": [5, 4]}
        ),
        "relations": tmp_path / "missing.parquet",
    }
    assert changed_enterprises(Snapshot(5, files), 4, links=True) == ["A"]

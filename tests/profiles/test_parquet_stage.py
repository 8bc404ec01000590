"""A Parquet file's stage: a view over the file where no staged cell is rewritten, a table
where one is (a relations file's persons are masked in place:
``test_import_links.test_a_relations_parquet_file_has_its_persons_masked``)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file
from huiqi.profiles.mapping_finder import get_mapping
from huiqi.profiles.parquetstage import FILE_VIEW, drop_stage, is_view, stage_parquet
from huiqi.profiles.readers import open_source
from huiqi.profiles.stagesql import STAGE

CODES = [uscc.make(f"91310115MA{i:07d}") for i in range(1, 4)]


def _market(path: Path) -> Path:
    names = ["甲公司", "乙公司", "丙公司"]
    pq.write_table(pa.table({"统一社会信用代码": CODES, "企业名称": names}), path)
    return path


def test_the_stage_is_a_view_over_the_file_and_drops_whole(tmp_path: Path) -> None:
    source = open_source(_market(tmp_path / "market.parquet"))
    positions = get_mapping("market", tmp_path).resolve(str(source.path), source.headers)
    con = duckdb.connect()
    assert stage_parquet(con, source, positions, view=True) == 3
    assert is_view(con)
    rows = con.execute(f'SELECT _line, uscc, "name" FROM {STAGE} ORDER BY _line').fetchall()
    assert rows == [(1, CODES[0], "甲公司"), (2, CODES[1], "乙公司"), (3, CODES[2], "丙公司")]
    drop_stage(con)
    views = con.execute("SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()
    assert (STAGE,) not in views and (FILE_VIEW,) not in views
    # Without view: a table of the same rows.
    assert stage_parquet(con, source, positions) == 3
    assert not is_view(con)
    assert con.execute(f'SELECT _line, uscc, "name" FROM {STAGE} ORDER BY _line').fetchall() == rows


def test_a_parquet_import_reads_the_file_through_duckdb(tmp_path: Path) -> None:
    report = import_file(Settings(tmp_path / "data"), _market(tmp_path / "market.parquet"))
    assert (report.reader, report.rows_accepted) == ("duckdb", 3)

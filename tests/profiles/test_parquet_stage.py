"""A Parquet file's stage: a view over the file where no staged cell is rewritten, a table
where one is (a relations file's persons are masked in place)."""

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
BUYER = CODES[0]
ID_NUMBER = "31011519850312104X"
REL = [
    "统一社会信用代码",
    "关联方类型",
    "关联方标识",
    "关系类型",
    "持股比例(%)",
    "起始日期",
    "终止日期",
]


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


def test_a_relations_parquet_file_has_its_persons_masked(tmp_path: Path) -> None:
    """The relations layout rewrites its staged persons (masked before any file quotes
    them): its stage stays a table, and no file of the data directory holds the number."""
    path = tmp_path / "relations.parquet"
    rows = [
        [BUYER, "自然人", ID_NUMBER, "法定代表人", None, "2020-01-01", None],
        [BUYER, "自然人", ID_NUMBER, "股东", None, "2020-01-01", None],  # rejected: no share
    ]
    pq.write_table(
        pa.table({h: pa.array([r[i] for r in rows], pa.string()) for i, h in enumerate(REL)}),
        path,
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert (report.reader, report.rows_accepted, report.rows_rejected) == ("duckdb", 1, 1)
    assert "3101**********104X" in report.rejects_path.read_text("utf-8-sig")
    for file in settings.data_dir.rglob("*"):
        if file.is_file():
            assert ID_NUMBER.encode() not in file.read_bytes(), file

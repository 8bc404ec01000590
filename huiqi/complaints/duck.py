"""An in-memory DuckDB connection for the complaint steps: no progress bar on stderr
(the CLI draws its own), every core."""

from __future__ import annotations

import duckdb


def connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con

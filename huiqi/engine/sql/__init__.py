"""SQL shared by the SQL backends that are not DuckDB (Spark, PostgreSQL): the dialect
differences the compiler handles explicitly (``dialect``), the neutral per-policy
evaluation query (``evaluation``) and reading its rows back (``rows``)."""

"""SQL shared by the SQL backends that are not DuckDB (Spark, PostgreSQL): the dialect
differences the compiler handles explicitly (``dialect``), the neutral per-policy
evaluation query (``evaluation``), reading its rows back (``rows``) and the base class of
both backends, with ``evaluate`` and ``trace`` (``backend``)."""

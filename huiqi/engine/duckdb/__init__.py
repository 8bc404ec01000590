"""The DuckDB backend: frame, evaluation and bulk SQL, matcher."""

"""The DuckDB backend (see ``backend.DuckDBBackend``)."""

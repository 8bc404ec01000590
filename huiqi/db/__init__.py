"""The operational database (SQLAlchemy 2): SQLite embedded by default, PostgreSQL by URL."""

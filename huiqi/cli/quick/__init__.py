"""Quick listings: ``huiqi versions``, ``grants``, ``records``, ``whoami`` and the sign-in
of ``snapshots`` on the embedded SQLite database (sqlite3) and on PostgreSQL (psycopg,
:mod:`huiqi.cli.quick.postgres`) without importing SQLAlchemy.

SQLAlchemy's import alone took about 0.14 s of each listing's start (issue 11's target
is 0.3 s). The statements are the service's own SQLAlchemy Core statements, compiled
ahead for each database into ``statements.json`` and ``statements_postgresql.json`` by
``python -m huiqi.cli.quick.generate``; tests/cli/test_quick.py compiles them again and
fails when the text differs, so the two cannot drift. The access checks are the
service's own functions (:mod:`huiqi.delivery.listing_access`,
:mod:`huiqi.accounts.tokencheck`), run before each read as on the full path. Whatever
the quick path does not cover (a ``--database-url`` or ``HUIQI_DATABASE_URL`` but a plain
PostgreSQL one, a database to migrate, an office dictionary to check, an officer scoped
to districts or departments, a check that needs a lookup, any driver error but SQLite's
lock not had in time, which is the full path's DatabaseBusy) it declines, and the
command takes the full path: same output, only slower.
"""

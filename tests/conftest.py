"""Database fixtures: every test that asks for ``engine`` or ``sessions`` runs on SQLite,
and on PostgreSQL when HUIQI_TEST_DATABASE_URL is set (as .ci/run does)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from huiqi.db.engine import session_factory
from huiqi.db.testing import fresh_database, postgres_server_url

BACKENDS = ["sqlite", "postgresql"]

# CI shares two cores with other work: an example that takes longer than hypothesis's
# default 200 ms deadline is a loaded machine, not a bug (tests set their own limits where
# time matters; performance lives in benchmarks/).
settings.register_profile("huiqi", deadline=None)
settings.load_profile("huiqi")


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgresql" and postgres_server_url() is None:
        pytest.skip("PostgreSQL tests need HUIQI_TEST_DATABASE_URL")
    with fresh_database(request.param, tmp_path) as eng:
        yield eng


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture(autouse=True)
def _standard_dictionary() -> Iterator[None]:
    """Each test starts with no data directory's dictionary in effect (import_file and
    open_snapshot make theirs active)."""
    from huiqi.profiles.dictionary import use_data_dir

    use_data_dir(None)
    yield
    use_data_dir(None)

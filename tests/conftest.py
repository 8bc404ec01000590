"""Database fixtures: every test that asks for ``engine`` or ``sessions`` runs on SQLite,
and on PostgreSQL when HUIQI_TEST_DATABASE_URL is set (as .ci/run does)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from hypothesis import settings
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts import credentials
from huiqi.db.engine import session_factory
from huiqi.db.testing import fresh_database, postgres_server_url

BACKENDS = ["sqlite", "postgresql"]

# CI shares two cores with other work: an example that takes longer than hypothesis's
# default 200 ms deadline is a loaded machine, not a bug (tests set their own limits where
# time matters; performance lives in benchmarks/).
settings.register_profile("huiqi", deadline=None)
settings.load_profile("huiqi")

# Passwords are hashed with argon2id at the cheapest parameters in the tests. The product's
# (the library's recommended 64 MiB, 3 passes, 4 lanes) take a quarter of a second per hash
# or sign-in on a loaded CI core, and the portal worlds and sign-ins of the web tests made
# thousands of them. A stored hash carries its parameters, so one made either way verifies;
# tests/accounts/test_accounts.py checks the product's own hasher (``product_hasher``).
PRODUCT_HASHER = credentials._hasher
credentials._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


# The Spark tests' JVM compiles with the quick JIT only (C1): a test run keeps it a minute or
# two, on little data, where the optimising compiler's warm-up is most of its CPU (the
# conformance suite on Spark: ~100 s -> ~50 s on two loaded cores). Same results: only
# how the JVM compiles Spark's own code differs. A PYSPARK_SUBMIT_ARGS of one's own wins.
os.environ.setdefault(
    "PYSPARK_SUBMIT_ARGS", '--driver-java-options "-XX:TieredStopAtLevel=1" pyspark-shell'
)

# The suite runs on one fixed day (huiqi.clock), the day its policies and fixtures were
# written for: the library's windows close on 2026-12-31 (one on 2025-12-31), and a test
# run on a later date must still see them open, as the day it was written. Tests of the
# window itself set their own day. Subprocesses (the CLI tests) inherit it.
os.environ["HUIQI_TODAY"] = "2026-12-03"


@pytest.fixture
def product_hasher(monkeypatch: pytest.MonkeyPatch) -> PasswordHasher:
    """The product's password hasher, in effect for this test only."""
    monkeypatch.setattr(credentials, "_hasher", PRODUCT_HASHER)
    return PRODUCT_HASHER


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

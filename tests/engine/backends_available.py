"""Which backends can run here, and why not: shared by the cross-backend tests."""

from __future__ import annotations

import os

from huiqi.engine.backend import Backend, get_backend
from huiqi.errors import ConfigError

DATABASE_URL = "HUIQI_TEST_DATABASE_URL"


def backend_or_skip_reason(name: str) -> Backend | str:
    """The backend ``name`` ready to run, or why it cannot run on this machine."""
    if name == "spark":
        from huiqi.engine.spark.session import missing

        why = missing()
        if why:
            return why
    if name == "postgres":
        url = os.environ.get(DATABASE_URL)
        if not url:
            return f"the postgres backend runs when {DATABASE_URL} is set"
        return get_backend("postgres", url=url)
    try:
        return get_backend(name)
    except (ConfigError, ImportError) as exc:
        return f"the {name} backend cannot run here: {exc}"

"""Engine tests. Shared builders live in ``engine_factories`` (policy YAML, random profiles).

The folder is put on ``sys.path`` so ``from engine_factories import ...`` works under
any pytest import mode.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture(scope="session")
def spark() -> Any:
    """The process's Spark session (local mode), started once for every test that needs it;
    the test is skipped, saying why, where pyspark or Java is missing."""
    from huiqi.engine.spark.session import missing, spark_session

    if why := missing():
        pytest.skip(why)
    return spark_session()

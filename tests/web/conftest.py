"""The web tests' world, built once per test module (see ``portal_data.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from portal_data import Portal, add_publishers, portal_world

from huiqi.jobs import runner


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with portal_world(tmp_path_factory.mktemp("portal")) as world:
        yield world
        for job_id in runner.running():  # a job a failed test left running ends first
            runner.wait(job_id, timeout=120)


@pytest.fixture(scope="module")
def staff(portal: Portal) -> Portal:
    """The portal with a publisher of the test policies' district and one of another."""
    return add_publishers(portal)

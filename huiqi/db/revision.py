"""The newest migration's revision, read without Alembic or SQLAlchemy.

Checking that a database is current is one read of ``alembic_version`` against this;
:mod:`huiqi.db.migrate` upgrades when it is not. The command line's quick listings
(:mod:`huiqi.cli.quick`) make the same check through the driver.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

_REVISION = re.compile(r"^(down_revision|revision) = ['\"]?([0-9A-Za-z_]+)", re.M)
# The one read that says which revision a database is at.
CURRENT_REVISION_SQL = "SELECT version_num FROM alembic_version"


@functools.cache
def head_revision() -> str:
    """The newest migration's revision, read from the migration files' own text (the one
    that no other revises), so checking a database that is up to date needs no Alembic."""
    revisions, revised = set(), set()
    versions = resources.files("huiqi.db").joinpath("migrations", "versions")
    for entry in versions.iterdir():
        if entry.name.endswith(".py"):
            found = {m.group(1): m.group(2) for m in _REVISION.finditer(entry.read_text("utf-8"))}
            if "revision" in found:
                revisions.add(found["revision"])
                revised.add(found.get("down_revision"))
    heads = revisions - revised
    if len(heads) != 1:
        raise RuntimeError(f"the migrations should have one head, not {sorted(heads)}")
    return heads.pop()

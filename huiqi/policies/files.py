"""Which files are policies: the shipped library's folder, and files and folders expanded
into a sorted list of ``.yaml`` / ``.yml`` files.

Without pydantic or YAML: ``huiqi policy list`` finds the files (and hashes them) before
it knows whether it needs to validate any (:mod:`huiqi.policies.summaries`).
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from huiqi.errors import Location, PolicyError

POLICY_SUFFIXES = (".yaml", ".yml")


def library_dir() -> Path:
    """The folder of the policy library shipped with huiqi."""
    return Path(str(resources.files("huiqi.policies").joinpath("library")))


def policy_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders into a sorted list of policy files; refused, naming every
    path that does not exist, when any does not."""
    out: list[Path] = []
    missing: list[PolicyError] = []
    for entry in paths:
        p = Path(entry)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix in POLICY_SUFFIXES))
        elif p.exists():
            out.append(p)
        else:
            missing.append(PolicyError("no such file or folder", location=Location(str(p))))
    if missing:
        first = missing[0]
        raise PolicyError(first.message, location=first.location, more=tuple(missing[1:]))
    return out

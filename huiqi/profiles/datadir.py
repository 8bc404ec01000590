"""Which data directory's dictionary file (``dictionary.yaml``) is in effect.

Kept apart from :mod:`huiqi.profiles.dictionary` so that every command can set it, and
the ledger's commands can see whether an office file exists, without importing the
dictionary and its YAML parser (docs/benchmarks.md, Command-line start-up).
"""

from __future__ import annotations

from pathlib import Path

OFFICE_FILE = "dictionary.yaml"

_active: list[Path | None] = [None]


def use_data_dir(data_dir: Path | None) -> None:
    """Make ``<data_dir>/dictionary.yaml`` (if any) the dictionary in effect; None: standard."""
    _active[0] = data_dir


def active_data_dir() -> Path | None:
    """The data directory set by :func:`use_data_dir` (None: the standard dictionary)."""
    return _active[0]


def office_file(data_dir: Path) -> Path:
    return data_dir / OFFICE_FILE

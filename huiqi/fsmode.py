"""Private files: what huiqi writes is readable by its owner only.

The data directory and every folder huiqi makes are 0700; every file holding
profiles, the ledger, snapshots, import reports, match outputs or exports is
0600. Some of those files are created by DuckDB, SQLite, pyarrow or openpyxl,
not by huiqi, so three layers work together:

* ``use_private_umask`` sets the process umask to 077; the CLI calls it first,
  so whatever any library creates in that process starts private (a portal
  process should call it at start-up too);
* folders come from :func:`private_dir` and the files huiqi writes itself from
  :func:`open_private` / :func:`write_private_bytes`, which create them 0600
  whatever the umask;
* a file another library wrote is tightened by :func:`private_file` as soon as
  it is complete.

A data directory found wider than 0700 (made by hand, or by an older huiqi) is
tightened with everything in it, and a warning is logged, rather than refused:
huiqi can fix it itself, and refusing would stop a service over it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path
from typing import IO, Any

PRIVATE_UMASK = 0o077
GROUP_OTHER = 0o077

log = logging.getLogger("huiqi.fsmode")


def use_private_umask() -> int:
    """Make files and folders this process creates from now on owner-only; return the old umask."""
    return os.umask(PRIVATE_UMASK)


def _tighten(path: Path, st: os.stat_result) -> bool:
    mode = stat.S_IMODE(st.st_mode)
    if not mode & GROUP_OTHER:
        return False
    os.chmod(path, mode & ~GROUP_OTHER)
    return True


def private_dir(path: Path, *, tighten: bool = True) -> Path:
    """Create ``path`` and any missing parents as 0700 folders; return it.

    An existing folder loses its group and other permissions unless ``tighten`` is
    False (a folder the user chose for an export is theirs to set).
    """
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made by a concurrent process meanwhile
            folder.mkdir(mode=0o700)
        _tighten(folder, folder.stat())
    if tighten and not missing:
        _tighten(path, path.stat())
    return path


def private_data_dir(path: Path) -> Path:
    """Create the data directory 0700; one found wider is tightened with all it holds."""
    if path.exists() and stat.S_IMODE(path.stat().st_mode) & GROUP_OTHER:
        changed = tighten_tree(path)
        log.warning(
            "data directory %s was readable by other users; made it and %d path(s) in it"
            " owner-only (folders 0700, files 0600)",
            path,
            changed,
        )
        return path
    return private_dir(path)


def tighten_tree(root: Path) -> int:
    """Remove group and other permissions from ``root`` and everything under it; return how many
    paths changed. Symbolic links are neither followed nor changed."""
    changed = int(_tighten(root, root.stat()))
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            st = path.lstat()
            if not stat.S_ISLNK(st.st_mode):
                changed += _tighten(path, st)
    return changed


def private_file(path: Path) -> Path:
    """Make a file another library wrote owner-only (no group or other bits); return it."""
    if path.exists():
        _tighten(path, path.stat())
    return path


def _private_opener(path: str, flags: int) -> int:
    fd = os.open(path, flags, 0o600)
    mode = stat.S_IMODE(os.fstat(fd).st_mode)
    if mode & GROUP_OTHER:  # the file existed before, with wider permissions
        os.fchmod(fd, mode & ~GROUP_OTHER)
    return fd


def open_private(path: Path, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """``open()`` that creates the file 0600 (and tightens an existing one)."""
    return open(path, mode, opener=_private_opener, **kwargs)


def write_private_bytes(path: Path, data: bytes) -> None:
    with open_private(path, "wb") as fh:
        fh.write(data)


def write_private_text(path: Path, text: str, *, encoding: str = "utf-8") -> None:
    with open_private(path, "w", encoding=encoding) as fh:
        fh.write(text)


def create_private_file(path: Path) -> Path:
    """Create an empty file 0600 unless it exists (then tighten it); for files a library fills,
    such as a SQLite database, whose journal files then get the same permissions."""
    fd = _private_opener(str(path), os.O_CREAT | os.O_WRONLY)
    os.close(fd)
    return path

"""What ``huiqi policy list`` prints of each policy file, kept under the file's SHA-256.

Listing the library validated every file with the full pydantic model (importing it took
0.11-0.15 s, reading and validating 37 files 0.03-0.09 s) to print seven header fields.
The headers of the files that validated are kept in ``<data dir>/.policy-summaries.json``
(owner-only, as every data-dir file): each under the SHA-256 of the file's bytes, all of
them under a fingerprint of the code that validates (the model, the loader, the YAML
reader, this module, the versions of pydantic and PyYAML). Only a file whose hash is there
is listed from it; anything else (a new or changed file, another fingerprint, a duplicate
id@version, a cache that cannot be read) loads and validates the whole list as before,
and reports its errors as before: a file that fails validation is never kept.

Nothing but the listing reads this file; linting, testing and publishing always validate.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from huiqi.fsmode import write_private_text

CACHE = ".policy-summaries.json"
# A cache of more summaries than this is started again (drafts come and go).
MOST = 2_000
# The modules whose code decides whether a file validates and what its header is.
_OWN = ("model.py", "loader.py", "yamlmarks.py", "summaries.py")
# Third-party modules whose text changes with their version (pydantic's names the
# pydantic-core it requires).
_THEIRS = (("pydantic", "version.py"), ("yaml", "__init__.py"))


@dataclass(frozen=True)
class Summary:
    """The header fields of a valid policy that its listing shows."""

    id: str
    version: int
    level: str
    delivery: str
    exclusivity_group: str | None
    budget: str | None  # a Decimal's text: exact
    title_zh: str

    @property
    def key(self) -> str:
        """As ``Policy.key``: one file per id and version."""
        return f"{self.id}@{self.version}"

    @classmethod
    def of(cls, policy: Any) -> Summary:
        """The summary of a validated ``huiqi.policies.model.Policy``."""
        return cls(
            id=policy.id,
            version=policy.version,
            level=policy.level,
            delivery=policy.delivery,
            exclusivity_group=policy.exclusivity_group,
            budget=None if policy.budget is None else str(policy.budget),
            title_zh=policy.title.zh,
        )


_TYPES: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "version": (int,),
    "level": (str,),
    "delivery": (str,),
    "exclusivity_group": (str, type(None)),
    "budget": (str, type(None)),
    "title_zh": (str,),
}
assert set(_TYPES) == {f.name for f in fields(Summary)}


def _summary(entry: Any) -> Summary | None:
    """An entry of the cache as a Summary; None for anything else."""
    if not isinstance(entry, dict) or set(entry) != set(_TYPES):
        return None
    if not all(isinstance(entry[k], t) and type(entry[k]) is not bool for k, t in _TYPES.items()):
        return None
    return Summary(**entry)


@functools.cache
def fingerprint() -> str:
    """A hash of the code that validates policy files and of the libraries it uses."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    sources = [here / name for name in _OWN]
    for package, name in _THEIRS:
        spec = find_spec(package)
        origin = spec.origin if spec is not None else None
        sources.append(Path(origin).with_name(name) if origin else Path(package))
    for path in sources:
        with contextlib.suppress(OSError):  # a missing file hashes as its name alone
            digest.update(path.read_bytes())
        digest.update(b"\0" + str(path).encode() + b"\0")
    return digest.hexdigest()


def file_hash(data: bytes) -> str:
    """As ``LoadedPolicy.source_hash`` of a file that loaded (its UTF-8 text's SHA-256)."""
    return hashlib.sha256(data).hexdigest()


def _read(data_dir: Path) -> dict[str, Any]:
    try:
        cache = json.loads((data_dir / CACHE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(cache, dict) or cache.get("fingerprint") != fingerprint():
        return {}
    kept = cache.get("policies")
    return kept if isinstance(kept, dict) else {}


def cached(data_dir: Path, files: Iterable[Path]) -> list[Summary] | None:
    """The summaries of ``files`` in their order when every one is kept under its hash and
    no two share an id and version; else None (then the caller loads and validates)."""
    kept = _read(data_dir)
    if not kept:
        return None
    found: list[Summary] = []
    keys: set[str] = set()
    for path in files:
        try:
            digest = file_hash(path.read_bytes())
        except OSError:
            return None  # the loader reports it
        summary = _summary(kept.get(digest))
        if summary is None or summary.key in keys:
            return None
        keys.add(summary.key)
        found.append(summary)
    return found


def remember(data_dir: Path, summaries: Iterable[tuple[str, Summary]]) -> None:
    """Keep the summaries of files that validated, each under its hash (``source_hash``),
    when the data directory exists (a listing creates none). Written whole and replaced,
    so a reader never sees half of it; a write that fails leaves the listing as it was."""
    if not data_dir.is_dir():
        return
    kept = _read(data_dir)
    new = {digest: asdict(s) for digest, s in summaries}
    kept = {**kept, **new} if len(kept) + len(new) <= MOST else new
    text = json.dumps(
        {"fingerprint": fingerprint(), "policies": kept}, ensure_ascii=False, sort_keys=True
    )
    tmp = data_dir / f"{CACHE}.{os.getpid()}.tmp"
    try:
        write_private_text(tmp, text)
        os.replace(tmp, data_dir / CACHE)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()

"""huiqi's bundled reference data: code lists and thresholds as YAML files.

:func:`load` reads one of them. The files are huiqi's own and checked by its tests, so
they are parsed with libyaml where PyYAML has it (about ten times faster than the
pure-Python parser: the industry classes alone took 0.1 s of every import's start-up);
text that comes from outside (policies, mappings, an office's dictionary) goes through
the loaders that report line and column (``huiqi.policies.yamlmarks``).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

_LOADER: Any = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


def names() -> frozenset[str]:
    """The bundled files' names, without ``.yaml``."""
    folder = resources.files(__name__)
    return frozenset(e.name[:-5] for e in folder.iterdir() if e.name.endswith(".yaml"))


def load(name: str) -> Any:
    """The parsed content of ``huiqi/reference/<name>.yaml`` (safe types only)."""
    text = resources.files(__name__).joinpath(f"{name}.yaml").read_text("utf-8")
    return yaml.load(text, Loader=_LOADER)  # a safe loader: no arbitrary objects

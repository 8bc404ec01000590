"""The seam between a compiled policy and where it runs.

A ``Backend`` evaluates backend-neutral ``CompiledPolicy`` trees over enterprise
data: a frozen ``Snapshot``, or a few ``RawProfile``s held in memory (policy test
cases, the oracle tests). Like SQLGlot's dialects, backends are one base class
with capability flags as class attributes and small subclasses that hold only the
real differences:

============  =========  =============  ==================  =========================
name          dialect    supports_bulk  supports_snapshots  what it is
============  =========  =============  ==================  =========================
``duckdb``    duckdb     yes            yes                 the engine (default)
``python``    (none)     no             no                  the pure-Python reference
``spark``     spark      yes            yes                 Apache Spark (external)
``postgres``  postgres   yes            yes                 inside PostgreSQL (external)
``single``    (none)     no             yes                 a few enterprises, in process
``numpy``     (none)     yes            yes                 arrays in memory (CuPy: ``cupy``)
============  =========  =============  ==================  =========================

The rest of huiqi asks for one by name (``get_backend("duckdb")``) and calls
only the methods below, through the service functions of ``huiqi.engine.api``.

Example:
    >>> from huiqi.engine.compile.compiler import EXAMPLE_POLICY, compile_policy
    >>> from huiqi.engine.profile import RawProfile
    >>> from huiqi.policies.loader import load_policy_text
    >>> cp = compile_policy(load_policy_text(EXAMPLE_POLICY))
    >>> rich = RawProfile("91310115MA1K000011", years={2024: {"revenue": 2_000_000}})
    >>> [(e.status, e.amount_fen) for e in get_backend("python").evaluate([rich], [cp])]
    [('eligible', 1000000)]
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from huiqi.engine.profile import RawProfile
from huiqi.engine.results import STATUSES, Evaluation, MatchRun, Progress
from huiqi.engine.snapshot import Snapshot
from huiqi.errors import ConfigError

if TYPE_CHECKING:
    from sqlglot import exp

    from huiqi.engine.compile.compiler import CompiledPolicy
    from huiqi.engine.trace import PolicyTrace

# Where a backend's data comes from: a frozen snapshot, or profiles held in memory.
Source = Snapshot | Sequence[RawProfile]


class Backend(ABC):
    """Evaluates compiled policies over enterprise data; subclass per engine."""

    name: ClassVar[str]
    # The SQLGlot dialect the backend renders the neutral trees in (None: it does not).
    dialect: ClassVar[str | None] = None
    # It matches every policy against every enterprise of a snapshot in one pass (``match``).
    supports_bulk: ClassVar[bool] = False
    # It reads frozen snapshots (otherwise only profiles held in memory).
    supports_snapshots: ClassVar[bool] = True
    # It runs on an engine outside this process (a cluster, a database server): quick
    # in-process checks (the edge frame of the policy linter) leave it out; the
    # conformance suite compares it with the reference.
    external: ClassVar[bool] = False

    def render(self, tree: exp.Expression) -> str:
        """A neutral tree (a criterion, the amount) as this backend's SQL text."""
        if self.dialect is None:
            raise ConfigError(f"the {self.name} backend does not render SQL")
        return tree.sql(dialect=self.dialect)

    def check_source(self, source: Source) -> None:
        if isinstance(source, Snapshot) and not self.supports_snapshots:
            raise ConfigError(
                f"the {self.name} backend cannot read snapshots; use the duckdb backend"
            )

    @abstractmethod
    def evaluate(
        self,
        source: Source,
        policies: Sequence[CompiledPolicy],
        *,
        usccs: Sequence[str] | None = None,
    ) -> list[Evaluation]:
        """Status, amount and criterion values of every policy for every enterprise of
        ``source`` (or only ``usccs``), by policy. Meant for test cases and a few
        enterprises; whole snapshots go through ``match``."""

    @abstractmethod
    def trace(
        self,
        source: Source,
        policies: Sequence[CompiledPolicy],
        *,
        usccs: Sequence[str] | None = None,
        statuses: Collection[str] = STATUSES,
        snapshot_id: int | None = None,
    ) -> list[PolicyTrace]:
        """The explanation of every policy for every enterprise of ``source`` (or only
        ``usccs``) whose status is in ``statuses``: by policy, then USCC.

        One enterprise and many policies explains it; one policy and a whole snapshot
        gives delivery its rows; one of each recomputes a grant.
        """

    def match(
        self,
        snapshot: Snapshot,
        policies: Sequence[CompiledPolicy],
        *,
        run_id: str,
        out_dir: Path,
        progress: Progress | None = None,
        top_near_misses: int = 10,
    ) -> MatchRun:
        """Match every policy against every enterprise of ``snapshot`` in bulk, writing
        ``out_dir/matches.parquet``. Only backends with ``supports_bulk``."""
        raise ConfigError(f"the {self.name} backend does not match in bulk; use duckdb")


# name -> "module:Class", imported on first use (a backend may need optional packages),
# or the class itself.
_REGISTRY: dict[str, str | type[Backend]] = {
    "duckdb": "huiqi.engine.duckdb.backend:DuckDBBackend",
    "numpy": "huiqi.engine.array.backend:NumpyBackend",
    "cupy": "huiqi.engine.array.fused_match:CupyBackend",
    "python": "huiqi.engine.python.backend:PythonBackend",
    "single": "huiqi.engine.single.backend:SingleBackend",
    "spark": "huiqi.engine.spark.backend:SparkBackend",
    "postgres": "huiqi.engine.postgres.backend:PostgresBackend",
}


def register_backend(name: str, target: str | type[Backend]) -> None:
    """Make ``get_backend(name)`` return ``target`` (a class, or "module:Class")."""
    _REGISTRY[name] = target


def backend_names() -> tuple[str, ...]:
    return tuple(sorted(_REGISTRY))


def in_process_backend_names() -> tuple[str, ...]:
    """The backends that run inside this process (not ``external``)."""
    return tuple(n for n in backend_names() if not backend_class(n).external)


def backend_class(name: str) -> type[Backend]:
    """The class registered as ``name`` (imported on first use)."""
    target = _REGISTRY.get(name)
    if target is None:
        raise ConfigError(
            f"no backend named '{name}'; the backends are {', '.join(backend_names())}"
        )
    if isinstance(target, str):
        module, _, cls_name = target.partition(":")
        target = getattr(importlib.import_module(module), cls_name)
    assert isinstance(target, type) and issubclass(target, Backend)
    return target


def get_backend(name: str = "duckdb", **options: Any) -> Backend:
    """A new backend by name; ``options`` go to its constructor (e.g. ``memory_limit``)."""
    backend = backend_class(name)(**options)
    assert isinstance(backend, Backend)
    return backend

"""The Backend seam: the registry, capability flags, neutral compiled policies, import rules."""

from __future__ import annotations

import dataclasses
import doctest
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_factories import POLICIES, compile_spec, compile_yaml, policy_yaml
from sqlglot import exp

import huiqi.engine.backend
import huiqi.engine.compile.compiler
import huiqi.engine.compile.numeric
import huiqi.engine.duckdb.isolate
import huiqi.engine.edges
import huiqi.engine.trace
import huiqi.policies.loader
from huiqi.engine import (
    Backend,
    CompiledPolicy,
    backend_names,
    compile_library,
    compile_policy,
    get_backend,
    register_backend,
)
from huiqi.engine.duckdb.backend import DuckDBBackend
from huiqi.engine.profile import RawProfile
from huiqi.engine.python.backend import PythonBackend
from huiqi.errors import ConfigError
from huiqi.policies.loader import load_library
from huiqi.policies.synth import synth_policies

DIALECTS = ("duckdb", "postgres", "spark")


def _all_compiled() -> Iterator[CompiledPolicy]:
    yield from compile_library(load_library()).compiled
    yield from (compile_policy(p) for p in synth_policies(60, seed=5))
    yield from (compile_spec(pid, spec) for pid, spec in POLICIES.items())


ALL = list(_all_compiled())


def test_registry_names_the_duckdb_and_python_backends() -> None:
    assert {"duckdb", "python"} <= set(backend_names())
    assert isinstance(get_backend(), DuckDBBackend)
    assert isinstance(get_backend("python"), PythonBackend)


def test_unknown_backend_names_the_known_ones() -> None:
    with pytest.raises(
        ConfigError, match=r"no backend named 'oracle'; the backends are (\w+, )*duckdb"
    ):
        get_backend("oracle")


def test_options_reach_the_backend() -> None:
    backend = get_backend("duckdb", memory_limit="1GB", threads=1)
    assert isinstance(backend, DuckDBBackend)
    assert (backend.memory_limit, backend.threads) == ("1GB", 1)


def test_a_registered_backend_is_found_by_name() -> None:
    class Echo(PythonBackend):
        name = "echo"

    register_backend("echo", Echo)
    try:
        assert type(get_backend("echo")) is Echo
    finally:
        huiqi.engine.backend._REGISTRY.pop("echo")


def test_capability_flags_are_class_attributes() -> None:
    assert (DuckDBBackend.dialect, DuckDBBackend.supports_bulk) == ("duckdb", True)
    assert (PythonBackend.dialect, PythonBackend.supports_bulk) == (None, False)
    assert not PythonBackend.supports_snapshots
    assert issubclass(DuckDBBackend, Backend) and issubclass(PythonBackend, Backend)


def test_reference_backend_refuses_what_it_cannot_do(tmp_path: object) -> None:
    from pathlib import Path

    from huiqi.engine.snapshot import Snapshot

    cp = compile_yaml(policy_yaml())
    snapshot = Snapshot(1, {})
    backend = get_backend("python")
    with pytest.raises(ConfigError, match="the python backend cannot read snapshots"):
        backend.evaluate(snapshot, [cp])
    with pytest.raises(ConfigError, match="does not match in bulk"):
        backend.match(snapshot, [cp], run_id="r", out_dir=Path(str(tmp_path)))
    with pytest.raises(ConfigError, match="does not render SQL"):
        backend.render(cp.amount)


def test_both_backends_evaluate_and_trace_the_same_profile() -> None:
    cp = compile_yaml(policy_yaml([("rich", "revenue >= 1000000")], formula="0.1 * revenue"))
    prof = RawProfile("91310115MA1K000011", years={2024: {"revenue": 2_000_000}})
    duck, py = get_backend("duckdb"), get_backend("python")
    assert duck.evaluate([prof], [cp]) == py.evaluate([prof], [cp])
    assert duck.trace([prof], [cp]) == py.trace([prof], [cp])
    (t,) = duck.trace([prof], [cp])
    assert (t.status, t.amount_fen, t.met, t.total) == ("eligible", 20_000_000, 1, 1)
    assert duck.trace([prof], [cp], statuses=("near_miss",)) == []


def test_module_examples_run() -> None:
    modules = (
        huiqi.engine.backend,
        huiqi.engine.trace,
        huiqi.engine.compile.compiler,
        huiqi.engine.compile.numeric,
        huiqi.engine.duckdb.isolate,
        huiqi.engine.edges,
        huiqi.policies.loader,
    )
    for module in modules:
        result = doctest.testmod(module)
        assert result.attempted and not result.failed


# ---------------------------------------------------------------- the neutral compiled policy


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))
    elif isinstance(value, tuple | list | frozenset | set):
        for v in value:
            yield from _strings(v)


def _trees(cp: CompiledPolicy) -> list[exp.Expression]:
    return [cp.amount, *(c.tree for c in cp.checked if c.tree is not None)]


@pytest.mark.parametrize("cp", ALL, ids=lambda cp: cp.policy.id)
def test_compiled_policy_holds_no_rendered_sql(cp: CompiledPolicy) -> None:
    for text in _strings([*cp.criteria, cp.source_hash, cp.amount_kind, cp.filename]):
        assert "SELECT" not in text.upper() and '"' not in text, text
    assert not hasattr(cp, "bulk_sql")


@pytest.mark.parametrize("cp", ALL, ids=lambda cp: cp.policy.id)
def test_compiled_trees_use_no_backend_only_function_or_rowid(cp: CompiledPolicy) -> None:
    for tree in _trees(cp):
        names = {c.name.lower() for c in tree.find_all(exp.Column)}
        assert "rowid" not in names
        # An Anonymous node is a function SQLGlot does not know: one dialect's own.
        assert not list(tree.find_all(exp.Anonymous)), tree.sql()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_compiled_tree_renders_in_every_dialect(dialect: str) -> None:
    for cp in ALL:
        for c in cp.checked:
            assert c.sql(dialect)
        assert cp.amount.sql(dialect=dialect)


def test_has_tag_is_rendered_by_each_dialect() -> None:
    cp = compile_yaml(policy_yaml([("ai", "has_tag(tags, 'ai')")]))
    assert cp.criteria[0].sql("duckdb") == "ARRAY_CONTAINS(\"tags\", 'ai')"
    assert cp.criteria[0].sql("spark") == "ARRAY_CONTAINS(`tags`, 'ai')"


# ---------------------------------------------------------------- import boundaries


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return set(out.split())


def test_policies_do_not_import_the_engine() -> None:
    loaded = _loaded_after(
        "import huiqi.policies.loader, huiqi.policies.lint, huiqi.policies.synth,"
        " huiqi.policies.model"
    )
    assert "huiqi.policies.loader" in loaded
    assert not {m for m in loaded if m.startswith("huiqi.engine")}


def test_engine_imports_no_shell() -> None:
    loaded = _loaded_after(
        "import huiqi.engine, huiqi.engine.duckdb.backend, huiqi.engine.python.backend,"
        " huiqi.engine.api; huiqi.engine.get_backend('duckdb')"
    )
    shells = ("huiqi.cli", "huiqi.delivery", "huiqi.web", "huiqi.db", "fastapi", "click")
    assert not {m for m in loaded if m.startswith(shells)}


def test_matching_spills_inside_the_data_directory(tmp_path: Path) -> None:
    """DuckDB's default spill folder is '.tmp' in the working directory; the engine's
    connection spills where it is told (a snapshot: its data directory), kept private."""
    from huiqi.engine.duckdb.matcher import connect_engine

    spill = tmp_path / "data" / "tmp"
    con = connect_engine(spill_dir=spill)
    try:
        row = con.execute("SELECT current_setting('temp_directory')").fetchone()
    finally:
        con.close()
    assert row is not None and Path(row[0]) == spill
    assert spill.is_dir() and spill.stat().st_mode & 0o077 == 0

"""The command group imports a command's module only when it runs."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from huiqi.cli.main import COMMANDS, cli

HEAVY = (
    "sqlalchemy",
    "duckdb",
    "numpy",
    "pyarrow",
    "sqlglot",
    "pydantic",
    "huiqi.engine",
    "fastapi",
    "uvicorn",
    "huiqi.web",
)
# What no listing needs: the engine and its libraries, the web stack, test tools,
# spreadsheets and progress bars. A listing of the ledger needs SQLAlchemy, no more.
NOT_FOR_LISTINGS = (
    "duckdb",
    "numpy",
    "pandas",
    "pyarrow",
    "sqlglot",
    "hypothesis",
    "fastapi",
    "starlette",
    "jinja2",
    "uvicorn",
    "openpyxl",
    "huiqi.engine",
    "huiqi.matching",
    "huiqi.web",
    "huiqi.delivery.disburse",
    "rich.progress",
)


def _modules_after(
    args: list[str], env: dict[str, str] | None = None, *, exit_code: int = 0
) -> list[str]:
    """Run ``huiqi ARGS`` in a fresh interpreter; the modules it imported (not its output)."""
    code = (
        "import sys\n"
        "from huiqi.cli.main import cli\n"
        "try:\n"
        f"    cli({args!r})\n"
        "except SystemExit as exit:\n"
        f"    assert (exit.code or 0) == {exit_code}, exit.code\n"
        "print('MODULES', sorted(sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    ).stdout
    line = [x for x in out.splitlines() if x.startswith("MODULES ")][-1]
    modules: list[str] = eval(line.removeprefix("MODULES "))  # a list printed by repr
    return modules


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == n or m.startswith(n + ".") for n in names)]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_summary_is_the_commands_own(name: str) -> None:
    entry = COMMANDS[name]
    command = getattr(importlib.import_module(entry.module), entry.attribute)
    assert isinstance(command, click.Command)
    assert command.name == name
    assert entry.summary == " ".join((command.help or "").split("\n\n")[0].split())


def test_every_command_of_the_command_modules_is_listed() -> None:
    listed = {(e.module, e.attribute) for e in COMMANDS.values()}
    for module_name in {e.module for e in COMMANDS.values()}:
        module = importlib.import_module(module_name)
        for attribute, value in vars(module).items():
            if isinstance(value, click.Command) and value.__module__ == module_name:
                top_level = not any(
                    value in group.commands.values()
                    for group in vars(module).values()
                    if isinstance(group, click.Group)
                )
                if top_level:
                    assert (module_name, attribute) in listed, f"{module_name}.{attribute}"


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from huiqi.cli.main import cli\n"
        "try:\n"
        "    cli(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}"
        f" or any(m.startswith(h + '.') or m == h for h in {HEAVY!r})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "grants" in out and out.strip().splitlines()[-1] == "[]", out


def test_a_command_runs_after_a_lazy_load() -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["policy", "--help"])
    assert result.exit_code == 0 and "lint" in result.output


def test_policy_list_reads_the_files_without_the_engine_or_the_database(tmp_path: Path) -> None:
    """Regression: 'huiqi policy list' compiled every policy (SQLGlot, DuckDB, NumPy) and
    loaded SQLAlchemy to list ids and titles: 1.3 s of start-up."""
    modules = _modules_after(["--data-dir", str(tmp_path), "policy", "list"])
    assert "huiqi.policies.loader" in modules
    assert _loaded(modules, (*NOT_FOR_LISTINGS, "sqlalchemy")) == []


def test_policy_list_of_files_listed_before_loads_neither_pydantic_nor_yaml(
    tmp_path: Path,
) -> None:
    """Regression: every 'huiqi policy list' imported the pydantic model (0.11-0.15 s) and
    validated every file to print seven header fields; unchanged files' headers are now
    kept under their hashes (huiqi.policies.summaries)."""
    _modules_after(["--data-dir", str(tmp_path), "policy", "list"])  # validates, keeps
    modules = _modules_after(["--data-dir", str(tmp_path), "policy", "list"])
    assert "huiqi.policies.summaries" in modules
    unwanted = (*NOT_FOR_LISTINGS, "sqlalchemy", "pydantic", "yaml", "huiqi.policies.model")
    assert _loaded(modules, unwanted) == []


# What a listing of the ledger must not load either: it reads through SQLAlchemy Core, so
# neither the ORM nor the mapped models (a tenth of a second at each start), nor the data
# dictionary and its YAML parser when the data directory has no dictionary file of its own.
NOT_FOR_LEDGER_LISTINGS = (
    *NOT_FOR_LISTINGS,
    "sqlalchemy.orm",
    "huiqi.delivery.models",
    "huiqi.accounts.models",
    "huiqi.accounts.service",
    "huiqi.delivery.audit",
    "huiqi.profiles.dictionary",
    "yaml",
)


@pytest.fixture(scope="module")
def signed_in_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A data directory with a ledger and an empty profile store, and a token per user."""
    from cliutil import accounts, run

    data = tmp_path_factory.mktemp("lazy") / "data"
    tokens = accounts(data)
    assert run(data, "init")[0] == 0  # an empty profile store, for 'snapshots'
    return data, tokens


@pytest.fixture
def signed_in_officer(signed_in_data: tuple[Path, dict[str, str]]) -> tuple[Path, dict[str, str]]:
    data, tokens = signed_in_data
    return data, {"HUIQI_TOKEN": tokens["officer"], "HUIQI_CONFIG_DIR": str(data / ".config")}


@pytest.mark.parametrize(
    ("user", "args"),
    [
        ("officer", ["versions", "--json"]),
        ("officer", ["grants"]),
        ("officer", ["records", "--json"]),
        ("officer", ["whoami"]),
        ("finance", ["grants", "--status", "paid"]),
    ],
    ids=lambda value: value if isinstance(value, str) else " ".join(value),
)
def test_a_ledger_listing_on_sqlite_loads_no_sqlalchemy(
    signed_in_data: tuple[Path, dict[str, str]], user: str, args: list[str]
) -> None:
    """Regression: 'huiqi versions' (and every listing of the ledger) imported the
    disbursement writers and Rich's progress bars it never uses; then the ORM, every
    mapped model and the data dictionary; then SQLAlchemy Core itself, 0.14 s of a 0.3 s
    budget, for statements that can be compiled ahead (huiqi.cli.quick)."""
    data, tokens = signed_in_data
    env = {"HUIQI_TOKEN": tokens[user], "HUIQI_CONFIG_DIR": str(data / ".config")}
    modules = _modules_after(["--data-dir", str(data), *args], env)
    assert "huiqi.cli.quick.read" in modules and "huiqi.accounts.tokencheck" in modules
    assert _loaded(modules, (*NOT_FOR_LEDGER_LISTINGS, "sqlalchemy", "alembic")) == []


@pytest.mark.parametrize(
    ("user", "args"),
    [
        ("finance", ["disburse", "batches"]),
        ("steward", ["grants"]),  # refused, by the full path: its rows are cut to a scope
    ],
    ids=lambda value: value if isinstance(value, str) else " ".join(value),
)
def test_a_listing_on_the_full_path_loads_sqlalchemy_core_and_nothing_heavier(
    signed_in_data: tuple[Path, dict[str, str]], user: str, args: list[str]
) -> None:
    """The listings the quick path does not serve read through SQLAlchemy Core, no ORM."""
    data, tokens = signed_in_data
    env = {"HUIQI_TOKEN": tokens[user], "HUIQI_CONFIG_DIR": str(data / ".config")}
    modules = _modules_after(
        ["--data-dir", str(data), *args], env, exit_code=5 if user == "steward" else 0
    )
    assert "sqlalchemy.engine" in modules and "huiqi.accounts.bearer" in modules
    assert _loaded(modules, NOT_FOR_LEDGER_LISTINGS) == []


def test_snapshots_loads_duckdb_and_nothing_else_heavy(
    signed_in_officer: tuple[Path, dict[str, str]],
) -> None:
    """Regression: 'huiqi snapshots' reads one DuckDB table, and imported PyArrow, SQLGlot,
    the importers, the ORM and every model (the profile store's schema builders and the
    import service's audit log) on the way; then SQLAlchemy for its sign-in check."""
    data, env = signed_in_officer
    modules = _modules_after(["--data-dir", str(data), "snapshots"], env)
    assert "duckdb" in modules and "huiqi.profiles.service" in modules
    unwanted = (*(m for m in NOT_FOR_LEDGER_LISTINGS if m != "duckdb"), "sqlalchemy")
    assert _loaded(modules, (*unwanted, "huiqi.profiles.links", "huiqi.profiles.importer")) == []


def test_a_listing_that_is_refused_still_checks_the_sign_in_without_the_orm(
    signed_in_officer: tuple[Path, dict[str, str]],
) -> None:
    """The quick path keeps both checks: a bad token is refused (exit 5) and nothing read."""
    data, env = signed_in_officer
    code = f"from huiqi.cli.main import cli; cli({['--data-dir', str(data), 'grants']!r})"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "HUIQI_TOKEN": "hq_not-a-token"},
    )
    assert out.returncode == 5 and "not known here" in out.stderr, out.stderr


@pytest.mark.parametrize("group", ["policy", "dictionary", "draft", "simulate"])
def test_the_help_of_a_group_without_the_database_loads_no_database(group: str) -> None:
    """Regression: 'huiqi dictionary --help' imported SQLAlchemy and the ledger's models."""
    modules = _modules_after([group, "--help"])
    assert _loaded(modules, (*NOT_FOR_LISTINGS, "sqlalchemy", "huiqi.delivery")) == []


def test_python_dash_m_huiqi_runs_the_command(tmp_path: Path) -> None:
    """Regression: 'python -m huiqi' had no __main__ module (and 'python -m huiqi.cli.main'
    ran nothing), so a checkout without the console script on the PATH had no command."""
    out = subprocess.run(
        [sys.executable, "-m", "huiqi", "--data-dir", str(tmp_path / "data"), "whoami"],
        capture_output=True,
        text=True,
        env={**os.environ, "HUIQI_TOKEN": "", "HUIQI_CONFIG_DIR": str(tmp_path / "cfg")},
    )
    assert out.returncode == 5, (out.stdout, out.stderr)
    assert "sign in first" in out.stderr
    usage = subprocess.run(
        [sys.executable, "-m", "huiqi", "--help"], capture_output=True, text=True
    )
    assert usage.returncode == 0 and "Usage:" in usage.stdout and "import" in usage.stdout

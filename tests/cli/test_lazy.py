"""The command group imports a command's module only when it runs."""

from __future__ import annotations

import importlib
import subprocess
import sys

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

"""Every CLI command and setting is documented in the README."""

from __future__ import annotations

from pathlib import Path

import click

from huiqi.cli.main import cli

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def command_paths(group: click.Group, prefix: str = "huiqi") -> list[str]:
    out = []
    for name, cmd in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(cmd, click.Group):
            out.extend(command_paths(cmd, path))
        else:
            out.append(path)
    return out


def test_every_command_is_in_the_readme() -> None:
    missing = [p for p in command_paths(cli) if p not in README]
    assert not missing, f"document these commands in README.md: {missing}"


def test_settings_are_documented() -> None:
    assert "HUIQI_DATA_DIR" in README

"""Every CLI command and setting is documented (README.md, or docs/ for settings)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from huiqi.cli.main import cli

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def command_paths(group: click.Group, prefix: str = "huiqi") -> list[str]:
    """Every command, the lazily imported ones too (``group.commands`` holds only those a
    test in this process has already run, so the test's answer depended on the order)."""
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, name
        path = f"{prefix} {name}"
        if isinstance(cmd, click.Group):
            out.extend(command_paths(cmd, path))
        else:
            out.append(path)
    return out


def test_every_command_is_in_the_readme() -> None:
    missing = [p for p in command_paths(cli) if p not in README]
    assert not missing, f"document these commands in README.md: {missing}"


def test_every_uscc_in_the_readme_is_valid() -> None:
    """Regression: 'huiqi desk file 91310115MA1000001X …' was refused as mistyped (its
    check character is 5), so the README's own example failed as written."""
    from huiqi.profiles.uscc import is_valid

    codes = set(re.findall(r"\b[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}\b", README))
    assert "91310115MA1H8R7C41" in codes
    assert not sorted(c for c in codes if not is_valid(c))


def test_the_listing_options_the_readme_names_exist() -> None:
    """Regression: the README said every listing command takes ``--after ID``; only
    records, grants and application list do ('huiqi versions --after 5': no such option)."""
    sentence = re.search(
        r"Every listing command\s*\((.*?)\) takes `--json`;(.*?)\. Each", README, re.S
    )
    assert sentence, "the README's sentence on listing commands"
    listed = re.findall(r"`([a-z ]+)`", sentence.group(1))
    assert len(listed) == 10
    ctx = click.Context(cli)

    def options(path: str) -> set[str]:
        cmd: click.Command | None = cli
        for word in path.split():
            assert isinstance(cmd, click.Group)
            cmd = cmd.get_command(ctx, word)
        assert cmd is not None, path
        return {o for p in cmd.params for o in getattr(p, "opts", [])}

    for path in listed:
        assert "--json" in options(path), path
    paging = sentence.group(2)
    for path in ("records", "grants", "application list"):
        assert "--after" in options(path), path
    assert "--before" in options("audit log")
    for path in ("inbox", "disburse batches"):
        assert "--limit" in options(path), path
    assert "with `--after ID`" in paging and "`--before ID`" in paging


def test_settings_are_documented() -> None:
    assert "HUIQI_DATA_DIR" in README


SOURCES = [Path(__file__).resolve().parents[2] / d for d in ("huiqi", "tests", "benchmarks")]
DOCS = README + "".join(
    p.read_text(encoding="utf-8")
    for p in (Path(__file__).resolve().parents[2] / "docs").rglob("*.md")
)


def environment_variables() -> set[str]:
    """Every HUIQI_* name the code and tests read (or mention) from the environment."""
    pattern = re.compile(r"\bHUIQI_[A-Z0-9_]*[A-Z0-9]\b")
    names: set[str] = set()
    for root in SOURCES:
        for path in root.rglob("*.py"):
            names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names


def test_every_environment_variable_is_documented() -> None:
    names = environment_variables()
    assert {"HUIQI_DATA_DIR", "HUIQI_SMTP_TLS", "HUIQI_DB_POOL_SIZE"} <= names
    missing = sorted(n for n in names if not re.search(f"`{n}[`=]", DOCS))
    assert not missing, f"document these settings in README.md or docs/: {missing}"

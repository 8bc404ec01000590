"""Running `huiqi` in-process, signed in as a given user.

``accounts(data)`` makes one user per role in a data directory's ledger through
the account service (as ``huiqi admin init`` and ``huiqi user add`` would) and
returns an API token for each; ``run(data, ..., token=...)`` passes it as
``HUIQI_TOKEN``. The CLI never signs anyone in by itself.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from huiqi.accounts import service as accounts_service
from huiqi.accounts import tokens as token_service
from huiqi.accounts.roles import RoleGrant
from huiqi.cli.main import cli
from huiqi.cli.quick import listings as quick_listings
from huiqi.cli.quick import read as quick_read
from huiqi.config import get_settings
from huiqi.db.engine import open_database, transaction

PASSWORD = "test-password-2026"
ROLES = {
    "officer": ["policy_author=*", "policy_publisher=*", "policy_reviewer=*"],
    "finance": ["finance_officer"],
    "steward": ["data_steward"],
}


def run(data: Path, *args: str, token: str | None = None, **env: str) -> tuple[int, str]:
    environ = {"HUIQI_TOKEN": token or "", "HUIQI_CONFIG_DIR": str(data / ".config"), **env}
    result = CliRunner().invoke(cli, ["--data-dir", str(data), *args], env=environ)
    return result.exit_code, result.output


def accounts(data: Path, **extra: list[str]) -> dict[str, str]:
    """Tokens for admin, scheduler, officer, finance, steward and ``extra`` users."""
    factory = open_database(get_settings(data))
    tokens: dict[str, str] = {}
    with transaction(factory) as s:
        if not accounts_service.has_admin(s):
            accounts_service.init_admin(s, username="admin", password=PASSWORD)
        admin, _ = token_service.sign_in(s, username="admin", password=PASSWORD)
        wanted = {**ROLES, **extra}
        existing = {u.username for u in accounts_service.list_users(s, actor=admin)}
        for name, roles in wanted.items():
            if name not in existing:
                accounts_service.add_user(
                    s,
                    actor=admin,
                    username=name,
                    roles=[RoleGrant.parse(r) for r in roles],
                    password=PASSWORD,
                )
        for name in ["admin", "scheduler", *wanted]:
            _, tokens[name] = token_service.create_token(s, actor=admin, name="test", username=name)
    return tokens


def one_enterprise(data: Path, steward: str) -> None:
    """Import a market file of one enterprise into ``data`` (a store to match and publish
    against), as the data steward whose token is ``steward``."""
    market = data.parent / "one-enterprise.csv"
    market.write_text("统一社会信用代码,企业名称\n91310115MA1QAP0154,企业\n", encoding="utf-8")
    code, out = run(data, "import", str(market), token=steward)
    assert code == 0, out


def decline_quick_path(patch: pytest.MonkeyPatch) -> None:
    """Make the listings decline their quick read path, so that they take the full one."""

    @contextmanager
    def declined(_ctx: Any) -> Iterator[Any]:
        raise quick_read.Declined("test: the full path")
        yield  # pragma: no cover

    patch.setattr(quick_read, "quick_reading", declined)
    patch.setattr(quick_listings, "quick_reading", declined)


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    """``rows`` as a UTF-8 CSV file at ``path`` (a registry file to import)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path

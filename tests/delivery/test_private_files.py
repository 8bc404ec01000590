"""Files holding profiles, the ledger or exports are readable by their owner only.

These tests run the library (not the CLI, which also sets a private umask) under a
permissive umask, so they prove that each writer makes its own files private.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import helpers as h
import pytest

from huiqi.accounts.testing import FINANCE, OFFICER
from huiqi.config import get_settings
from huiqi.db.engine import open_database, transaction
from huiqi.delivery.channels import LogChannel, Outgoing
from huiqi.delivery.disburse import export_batch
from huiqi.delivery.publish import publish
from huiqi.engine import compile_policy, run_matching
from huiqi.fsmode import open_private, private_dir, tighten_tree
from huiqi.policies.loader import load_policy_text
from huiqi.profiles.importer import import_file
from huiqi.profiles.store import ProfileStore
from huiqi.profiles.uscc import make


@pytest.fixture
def wide_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def modes(root: Path) -> dict[str, str]:
    """Every path under ``root`` (and root itself) with its permission bits, e.g. '0o600'."""
    out = {".": oct(stat.S_IMODE(root.stat().st_mode))}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            out[str(path.relative_to(root))] = oct(stat.S_IMODE(path.lstat().st_mode))
    return out


def assert_private(root: Path) -> None:
    wrong = {
        p: m for p, m in modes(root).items() if m != ("0o700" if (root / p).is_dir() else "0o600")
    }
    assert not wrong, f"not owner-only: {wrong}"


def test_import_match_publish_export_leave_only_private_files(
    tmp_path: Path, wide_umask: None
) -> None:
    data = tmp_path / "data"
    settings = get_settings(data)
    market = tmp_path / "market.csv"
    market.write_text(
        "统一社会信用代码,企业名称,成立日期,注册区划代码,行业代码,登记注册类型\n"
        f"{make('91310115MA0000001')},上海测试科技有限公司,2021-03-04,310115,6513,有限责任公司\n"
        "91310115MA1H8R7C6D,上海错误代码有限公司,2021-03-04,310115,6513,有限责任公司\n",
        encoding="utf-8",
    )
    report = import_file(settings, market, mapping="market")
    assert report.rows_rejected == 1
    h.build_store(data, {h.uscc(i): 2 for i in range(3)})
    text = h.policy_yaml("private-files")
    run = run_matching(settings, [compile_policy(load_policy_text(text))])
    assert (run.output_dir / "matches.parquet").exists()
    factory = open_database(settings)
    _, delivered = publish(settings, factory, text, actor=OFFICER, filename="p.yaml")
    assert delivered.granted == 3
    with transaction(factory) as s:
        batch = export_batch(s, out_dir=settings.data_dir / "disbursements", actor=FINANCE)
    assert batch.grants == 3
    LogChannel(data / "notifications.log").send(
        Outgoing(1, "log", h.uscc(0), "granted", "主题", "正文", "k", 1)
    )
    found = modes(data)
    assert {"huiqi.db", "profiles.duckdb", "imports/1/rejects.csv", "snapshots/2"} <= set(found)
    assert any(p.endswith(".xlsx") for p in found)
    assert_private(data)


def test_a_wider_data_dir_is_tightened_with_a_warning(
    tmp_path: Path, wide_umask: None, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    (data / "imports" / "1").mkdir(parents=True, mode=0o755)
    data.chmod(0o755)
    (data / "imports" / "1" / "rejects.csv").write_text("x\n")
    (data / "imports" / "1" / "rejects.csv").chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="huiqi.fsmode"):
        ProfileStore(get_settings(data)).init()
    assert "was readable by other users" in caplog.text
    assert_private(data)


def test_private_dir_creates_parents_private_and_leaves_a_chosen_folder_alone(
    tmp_path: Path, wide_umask: None
) -> None:
    chosen = tmp_path / "exports"
    chosen.mkdir(mode=0o755)
    private_dir(chosen, tighten=False)
    assert stat.S_IMODE(chosen.stat().st_mode) == 0o755
    private_dir(chosen / "a" / "b", tighten=False)
    assert modes(chosen)["a"] == modes(chosen)["a/b"] == "0o700"


def test_open_private_tightens_an_existing_file(tmp_path: Path, wide_umask: None) -> None:
    path = tmp_path / "old.csv"
    path.write_text("old\n")
    path.chmod(0o644)
    with open_private(path, "a", encoding="utf-8") as fh:
        fh.write("new\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == "old\nnew\n"


def test_tighten_tree_leaves_symbolic_links_alone(tmp_path: Path, wide_umask: None) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours\n")
    outside.chmod(0o644)
    (tmp_path / "data").mkdir(mode=0o755)
    (tmp_path / "data" / "link").symlink_to(outside)
    tighten_tree(tmp_path / "data")
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644

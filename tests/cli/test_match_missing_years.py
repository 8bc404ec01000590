"""``huiqi match --json`` names the policies that read a year the snapshot holds no
figures for, as ``huiqi match`` notes them (QA, qa12: the JSON said nothing of it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from cliutil import accounts

from huiqi.cli.main import cli
from huiqi.policies.loader import library_dir

SHIPPED = library_dir() / "sh-stable-jobs-refund-2026.yaml"  # data_year 2025, reads [-1]


def _match_json(data: Path, token: str, policy: Path) -> Any:
    env = {"HUIQI_TOKEN": token, "HUIQI_CONFIG_DIR": str(data / ".config")}
    args = ["--data-dir", str(data), "match", "--policies", str(policy), "--json"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_match_json_names_the_years_a_policy_reads_that_the_snapshot_lacks(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    tokens = accounts(data)
    generated = CliRunner().invoke(
        cli,
        ["--data-dir", str(data), "generate", "-n", "50", "--seed", "3"],
        env={"HUIQI_TOKEN": tokens["steward"], "HUIQI_CONFIG_DIR": str(data / ".config")},
    )
    assert generated.exit_code == 0, generated.output
    text = SHIPPED.read_text("utf-8")
    assert "\ndata_year: 2025" in text
    ahead = tmp_path / SHIPPED.name
    ahead.write_text(text.replace("\ndata_year: 2025", "\ndata_year: 2031", 1), "utf-8")
    (found,) = _match_json(data, tokens["officer"], ahead)["missing_years"]
    snapshot = found["snapshot_years"]
    assert snapshot and max(snapshot) < 2030, found
    assert found["policy"] == "sh-stable-jobs-refund-2026" and found["data_year"] == 2031
    assert found["years_read"] == [2030, 2031] == found["years_lacking"], found

    as_shipped = _match_json(data, tokens["officer"], SHIPPED)
    assert as_shipped["missing_years"] == []

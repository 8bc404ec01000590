"""Refusals exit non-zero with the reason on stderr: an export with nothing to pay (1) and an
approval or a claim that makes no grant (4)."""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner
from cliutil import accounts

from huiqi.cli.main import cli
from huiqi.config import get_settings
from huiqi.db.engine import open_database, transaction
from huiqi.delivery.models import Application, Entitlement

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
import factories as make


def run_split(data: Path, *args: str, token: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr, apart."""
    env = {"HUIQI_TOKEN": token, "HUIQI_CONFIG_DIR": str(data / ".config")}
    result = CliRunner().invoke(cli, ["--data-dir", str(data), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_export_with_nothing_to_pay_exits_1_on_stderr(tmp_path: Path) -> None:
    """Regression: it printed 'nothing to pay' on stdout and exited 0, as a success would."""
    data = tmp_path / "data"
    finance = accounts(data)["finance"]
    code, out, err = run_split(data, "disburse", "export", token=finance)
    assert (code, out) == (1, ""), (out, err)
    assert "nothing to pay: every granted amount is already in a batch or paid" in err
    assert not (data / "disbursements").exists() or not list((data / "disbursements").iterdir())


def _submitted_application_over_budget(
    data: Path, *, mode: str = "apply", status: str = "submitted", uscc: str = "913100000000000001"
) -> int:
    with transaction(open_database(get_settings(data))) as s:
        pv = make.policy_version(
            s,
            policy_id="test-apply",
            title_zh="测试申报",
            delivery=mode,
            budget_fen=100_00,
            committed_fen=100_00,  # spent
        )
        ent = make.entitlement(s, pv, code=uscc, status=status, computed_fen=50_00, mode=mode)
        if mode == "apply":
            s.add(Application(entitlement_id=ent.id, prefilled={}))
        return ent.id


def test_an_approval_refused_for_budget_exits_4_on_stderr(tmp_path: Path) -> None:
    """Regression: an approval the budget refused printed 'budget_exhausted' and exited 0."""
    data = tmp_path / "data"
    officer = accounts(data)["officer"]
    record = _submitted_application_over_budget(data)
    code, out, err = run_split(data, "application", "approve", str(record), token=officer)
    assert (code, out) == (4, ""), (out, err)
    assert f"application {record} is budget_exhausted, no grant was made" in err
    assert "the budget of 100.00 yuan is spent" in err


def test_a_claim_refused_for_budget_exits_4_on_stderr(tmp_path: Path) -> None:
    """Regression: a claim the budget refused printed its refusal on stdout, where a
    script reads results, not on stderr as every other refusal."""
    data = tmp_path / "data"
    who = "91310115MA10000015"
    record = _submitted_application_over_budget(data, mode="confirm", status="offered", uscc=who)
    ent = accounts(data, ent=[f"enterprise={who}"])["ent"]
    code, out, err = run_split(data, "claim", str(record), token=ent)
    assert (code, out) == (4, ""), (out, err)
    assert f"offer {record} is budget_exhausted, no grant was made" in err
    assert "the budget of 100.00 yuan is spent" in err


def test_approving_a_near_miss_exits_4_as_every_refused_decision(tmp_path: Path) -> None:
    """Regression: approving an application that is a near miss on the data exited 1 (an
    error of huiqi's), where the README's exit codes say a refused approval exits 4."""
    data = tmp_path / "data"
    officer = accounts(data)["officer"]
    record = _submitted_application_over_budget(data)
    with transaction(open_database(get_settings(data))) as s:
        ent = s.get(Entitlement, record)
        assert ent is not None
        ent.match_status = "near_miss"
    code, out, err = run_split(data, "application", "approve", str(record), token=officer)
    assert (code, out) == (4, ""), (out, err)
    assert "near miss" in err


def test_a_review_decision_on_an_unflagged_record_exits_4(tmp_path: Path) -> None:
    """Regression: withdrawing (or keeping) a record that carries no review flag exited 1,
    an error of huiqi's, where approving an application twice exits 4: both are decisions
    the record's state refuses."""
    data = tmp_path / "data"
    officer = accounts(data)["officer"]
    record = _submitted_application_over_budget(data)
    for decision in ("withdraw", "keep"):
        code, out, err = run_split(
            data, "review", decision, str(record), "--reason", "复核", token=officer
        )
        assert (code, out) == (4, ""), (decision, out, err)
        assert f"record {record}" in err and "flag" in err, err

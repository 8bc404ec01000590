"""``huiqi review correct``: a newer version's amount delivered on a reviewer's decision
(huiqi.delivery.version_fix); a decision refused exits 4 with the reason on stderr."""

from __future__ import annotations

import sys
from pathlib import Path

from cliutil import accounts
from sqlalchemy import select
from test_cli_refusal_exits import run_split

from huiqi.accounts.testing import FINANCE, OFFICER
from huiqi.config import get_settings
from huiqi.db.engine import open_database, transaction
from huiqi.delivery.disburse import export_batch
from huiqi.delivery.models import Entitlement, Grant
from huiqi.delivery.publish import deliver, publish_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import build_store, policy_yaml, uscc

E = uscc(1)


def _flagged(data: Path, *, sent: bool, yuan: int) -> int:
    """v1 grants E 350,000 yuan (exported when ``sent``); v2 gives ``yuan``: E's v2 record."""
    settings, _ = build_store(data, {E: 8})
    factory = open_database(get_settings(data))
    for version, text in (
        (1, policy_yaml("p", per_person=43_750)),
        (2, policy_yaml("p", formula=str(yuan), version=2)),
    ):
        pv, _ = publish_text(factory, text, "p.yaml", actor=OFFICER)
        deliver(settings, factory, pv.id, actor=OFFICER)
        if version == 1 and sent:
            with transaction(factory) as s:
                export_batch(s, out_dir=data / "out", actor=FINANCE)
    with factory() as s:
        return int(
            s.scalars(
                select(Entitlement.id).where(
                    Entitlement.policy_version_id == pv.id, Entitlement.review_flag
                )
            ).one()
        )


def _amounts(data: Path) -> list[tuple[int, str]]:
    with open_database(get_settings(data))() as s:
        rows = s.execute(select(Grant.amount_fen, Grant.status).order_by(Grant.id)).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_review_correct_grants_the_difference_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    officer = accounts(data)["officer"]
    record = _flagged(data, sent=True, yuan=400_000)
    args = ("review", "correct", str(record), "--reason", "新版本标准")
    code, out, err = run_split(data, *args, token=officer)
    assert code == 0, (out, err)
    assert f"record {record}: correct, granted" in out
    assert "the difference of 50,000.00 yuan is granted" in out
    assert _amounts(data) == [(35_000_000, "in_batch"), (5_000_000, "granted")]
    code, out, err = run_split(data, *args, token=officer)
    assert (code, out) == (4, ""), (out, err)
    assert "not flagged" in err
    assert len(_amounts(data)) == 2


def test_review_correct_refuses_less_than_was_sent(tmp_path: Path) -> None:
    data = tmp_path / "data"
    officer = accounts(data)["officer"]
    record = _flagged(data, sent=True, yuan=300_000)
    code, out, err = run_split(
        data, "review", "correct", str(record), "--reason", "调减", token=officer
    )
    assert (code, out) == (4, ""), (out, err)
    assert "takes no money back" in " ".join(err.split())
    assert _amounts(data) == [(35_000_000, "in_batch")]

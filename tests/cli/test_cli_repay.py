"""`huiqi disburse repay GRANT_ID --reason`: a failed payment, its cause addressed, goes
into the next `huiqi disburse export`; a paid grant is refused (exit 1, on stderr)."""

from __future__ import annotations

import sys
from pathlib import Path

from cliutil import accounts, run

from huiqi.config import get_settings
from huiqi.db.engine import open_database, transaction

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
import factories as make


def test_a_failed_payment_is_released_and_exported_again(tmp_path: Path) -> None:
    """Regression: a grant whose payment failed could never be put in another batch."""
    data = tmp_path / "data"
    finance = accounts(data)["finance"]
    with transaction(open_database(get_settings(data))) as s:
        pv = make.policy_version(s)
        paid, failed = (make.grant(s, pv, requested_fen=a).id for a in (1000, 2000))
    code, out = run(data, "disburse", "export", token=finance)
    assert code == 0 and "batch 1: 2 grants" in out, out
    results = tmp_path / "results.csv"
    results.write_text(
        f"grant_id,result,reason\n{paid},paid,\n{failed},failed,户名不符\n", encoding="utf-8"
    )
    code, out = run(data, "disburse", "results", str(results), token=finance)
    assert code == 0 and "1 paid, 1 failed" in out, out
    code, out = run(data, "disburse", "repay", str(paid), "--reason", "x", token=finance)
    assert code == 1 and f"grant {paid} is paid in batch 1; a paid grant is never paid again" in out
    code, out = run(data, "disburse", "repay", str(failed), "--reason", "账号已更正", token=finance)
    assert code == 0 and f"grant {failed}: released for re-payment (20.00 yuan)" in out, out
    code, out = run(data, "disburse", "export", token=finance)
    assert code == 0 and "batch 2: 1 grant, 20.00 yuan" in out, out

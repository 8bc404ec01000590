"""How ``huiqi explain`` prints a trace (``huiqi.cli.render``)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from huiqi.cli.render import budget_use, render_explanation
from huiqi.engine.trace import PolicyTrace


def trace(computed: str, amount_fen: int, status: str = "eligible") -> PolicyTrace:
    return PolicyTrace.from_json(
        {
            "format": 1,
            "policy_id": "sh-test",
            "version": 1,
            "content_hash": "0" * 64,
            "title": {"zh": "测试", "en": "Test"},
            "delivery": "auto",
            "uscc": "91310115MA1H8R7C41",
            "name": "甲公司",
            "snapshot_id": 1,
            "status": status,
            "met": 0,
            "total": 0,
            "failed": [],
            "unknown": [],
            "criteria": [],
            "amount": {
                "formula": "0.06 * revenue",
                "values": {},
                "computed_yuan": computed,
                "floor": None,
                "cap": "500000",
                "amount_fen": amount_fen,
            },
            "fields": {},
            "missing": [],
        }
    )


def printed(t: PolicyTrace) -> str:
    out = io.StringIO()
    render_explanation(Console(file=out, width=200, color_system=None), t)
    return out.getvalue()


def test_the_computed_amount_is_grouped_and_keeps_every_digit() -> None:
    """Regression: 'computed: 16204.6542 yuan' was printed without grouping, unlike the
    cap and the amount beside it; every decimal stays (it is before rounding)."""
    text = printed(trace("16204.6542", 1_620_465))
    assert "computed: 16,204.6542 yuan" in text
    assert "cap: 500,000.00 yuan" in text  # money to the fen (qa9)
    assert "16,204.65 yuan" in text


def test_an_eligible_zero_amount_says_nothing_is_granted() -> None:
    """An eligible enterprise whose amount is 0.00 is not granted (huiqi.delivery.zero):
    explain said only 'eligible … 0.00 yuan', as if a grant of nothing were coming."""
    assert "no grant, offer or application is made" in printed(trace("0", 0))
    assert "no grant, offer or application" not in printed(trace("16204.6542", 1_620_465))


@pytest.mark.parametrize("status", ["not_eligible", "near_miss"])
def test_the_amount_of_an_enterprise_that_does_not_qualify_says_it_is_not_received(
    status: str,
) -> None:
    """Regression (QA): under a 'not eligible' panel explain printed 'amount (rounded half
    up to the fen): 4,800.00 yuan' and nothing else, which read as money on its way."""
    text = " ".join(printed(trace("4800", 480_000, status)).split())
    assert "4,800.00 yuan not received: the enterprise does not meet every criterion" in text
    assert "not received" not in printed(trace("4800", 480_000))


def test_delivery_progress_counts_in_the_singular_for_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Regression (QA): the CLI printed "1 grants", "1 offers" (``huiqi publish``'s
    progress; likewise "1 offers expired", "1 rows written", "1 enterprises"): each count
    now goes through ``counted``."""
    from huiqi.cli.progress import TerminalProgress
    from huiqi.delivery.records import DeliveryReport

    report = DeliveryReport(1, "sh-test", 1, "auto", 1, granted=1, offered=0, applications=2)
    TerminalProgress("sh-test").delivering(report, 1, 1)
    err = " ".join(capsys.readouterr().err.split())
    assert "(1 grant, 0 offers, 2 applications so far)" in err, err


@pytest.mark.parametrize(
    ("amount_fen", "budget_fen", "shown"),
    [
        (18263267, 2000000000, "1.0%"),  # 0.91 %: was "0%"
        (100040, 100000, "100.1%"),  # over the budget: was "100%"
        (100000, 100000, "100.0%"),
        (0, 100000, "0.0%"),
    ],
)
def test_budget_use_never_reads_zero_or_full_when_it_is_not(
    amount_fen: int, budget_fen: int, shown: str
) -> None:
    """'huiqi match' showed budget use by whole per cent rounded down: 182,632.67 yuan of a
    20 m budget read '0%', and a total 0.04 % over its budget read '100%'."""
    assert budget_use(amount_fen, budget_fen) == shown

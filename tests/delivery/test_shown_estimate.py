"""A near miss whose formula gives nothing on today's data shows no estimate (regression:
Jiading's R&D-increase subsidy pre-filled applications for enterprises whose R&D had
fallen, 'estimate 0.00 yuan' in `huiqi application list`, the console queue and the
enterprise's home)."""

from __future__ import annotations

import datetime as dt

import pytest

from huiqi.delivery.rows import ApplicationRow, RecordRow, shown_estimate

NOW = dt.datetime(2026, 12, 3, 9, 0)


def record(match_status: str, fen: int | None) -> RecordRow:
    return RecordRow(
        1, "91310115MA1H8R7C41", "p", 1, "题", "apply", "application_open", match_status,
        fen, None, False, None, NOW,
    )  # fmt: skip


def application(match_status: str, fen: int | None) -> ApplicationRow:
    return ApplicationRow(
        1, 1, "91310115MA1H8R7C41", "p", 1, "application_open", match_status, fen, [], None,
        None, None, False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("match_status", "fen", "shown"),
    [
        ("near_miss", 0, None),
        ("near_miss", None, None),
        ("near_miss", 1_453_502, 1_453_502),
        ("eligible", 0, 0),  # an eligible zero is the ledger's to refuse, and is shown
        ("eligible", 147_63, 147_63),
        ("not_eligible", 0, 0),
    ],
)
def test_rows_show_no_estimate_for_a_near_miss_worth_nothing_yet(
    match_status: str, fen: int | None, shown: int | None
) -> None:
    assert shown_estimate(match_status, fen) == shown
    assert record(match_status, fen).amount_fen == shown
    assert application(match_status, fen).estimated_fen == shown

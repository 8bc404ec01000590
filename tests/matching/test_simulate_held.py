"""Simulation over a frame held between calls (the web server's): the same answers as a
frame built per call, one build per snapshot while the columns suffice, a wider build
when a draft reads a new column, a new build for a new snapshot."""

from __future__ import annotations

import time
from pathlib import Path

from matching_helpers import code, profile, snapshot_of
from sqlalchemy.orm import Session, sessionmaker
from test_simulate import draft

from huiqi.accounts.testing import OFFICER
from huiqi.config import get_settings
from huiqi.engine.duckdb.held import HeldFrame
from huiqi.matching.simulate import Simulation, simulate


def _population(data_dir: Path, revenue: int) -> None:
    snapshot_of(
        data_dir,
        [
            profile(
                code(i, "310114"),
                district_code="310114",
                industry_class="3911",
                industry_section="C",
                employees=10 * i,
                revenue=revenue,
                rd_expense=str(10_000 * i),
                registered_capital=str(1_000_000 * i),
            )
            for i in range(1, 9)
        ],
    )


def _answer(sim: Simulation) -> tuple[object, ...]:
    return (sim.enterprises, sim.eligible, sim.near_miss, sim.needs_data, sim.total_fen)


WIDER = draft(share="0.02").replace(
    "criteria:\n",
    "criteria:\n  - id: capital\n    label: {zh: 注册资本, en: Capital}\n"
    "    expr: registered_capital >= 2000000\n",
)


def test_held_frame_gives_the_same_answers_and_builds_once_per_snapshot(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    data = tmp_path / "data"
    _population(data, revenue=1_000_000)
    settings = get_settings(data)
    held = HeldFrame()
    drafts = [draft(share="0.03"), draft(share="0.05"), WIDER, draft(share="0.04")]
    with sessions() as s:
        fresh = [_answer(simulate(settings, s, actor=OFFICER, text=t)) for t in drafts]
        fresh_id = simulate(settings, s, actor=OFFICER, text=drafts[0]).snapshot_id
        kept = [_answer(simulate(settings, s, actor=OFFICER, text=t, held=held)) for t in drafts]
    assert kept == fresh
    assert fresh[0] != fresh[1] and fresh[2] != fresh[1]  # the drafts differ in answer
    # The first draft built the frame, the third (a new column) widened it, no others.
    assert held.builds == 2
    assert any(c.name == "registered_capital" for c in held.columns)

    # Another data directory: its snapshot has the same id, other files, and revenue
    # that puts every R&D share below the threshold.
    other = tmp_path / "other"
    _population(other, revenue=100_000_000)
    settings = get_settings(other)
    with sessions() as s:
        after = simulate(settings, s, actor=OFFICER, text=drafts[0], held=held)
        again = simulate(settings, s, actor=OFFICER, text=drafts[0])
    assert after.snapshot_id == fresh_id
    assert _answer(after) == _answer(again) and after.eligible == 0 != fresh[0][1]
    assert held.builds == 3
    held.forget()
    assert held.columns == frozenset()


def test_an_unused_frame_is_released(tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    data = tmp_path / "data"
    _population(data, revenue=1_000_000)
    settings = get_settings(data)
    held = HeldFrame(idle_seconds=0.2)
    with sessions() as s:
        first = simulate(settings, s, actor=OFFICER, text=draft(), held=held)
        assert held.columns  # held right after the call
        deadline = time.monotonic() + 10
        while held.columns and time.monotonic() < deadline:
            time.sleep(0.05)
        assert held.columns == frozenset()  # released once idle
        again = simulate(settings, s, actor=OFFICER, text=draft(), held=held)
    assert _answer(again) == _answer(first) and held.builds == 2
    held.forget()

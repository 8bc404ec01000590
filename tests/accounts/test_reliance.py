"""What an actor's access rested on beyond its roles is noted while a call runs
(huiqi.accounts.reliance), so that a kept answer is given again only while it holds: a
park operator's enterprise, in the ledger's directory or only in the latest snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from huiqi.accounts import reliance
from huiqi.accounts.access import Actor
from huiqi.matching import visibility
from huiqi.profiles.directory import EnterpriseIdentity

A = "91310000MA8HWE8X0M"


def test_nothing_is_noted_outside_a_call() -> None:
    reliance.note("enterprise", A)
    with reliance.noting() as noted:
        reliance.note("enterprise", A)
        reliance.note("enterprise", A)
    assert noted == [("enterprise", A)]
    reliance.note("request", "1")
    assert noted == [("enterprise", A)]


def test_a_kind_no_module_checks_counts_as_lost() -> None:
    actor = Actor.of("someone", f"enterprise={A}")
    assert reliance.lost(None, actor, [("no-such-kind", "1")]) == ["no-such-kind 1"]  # type: ignore[arg-type]


def test_a_park_operator_let_through_by_the_snapshot_alone_is_noted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Regression (qa2): an enterprise the ledger's directory does not hold yet is its
    park operator's by the latest snapshot (``park_member``); that rests on data as much
    as the directory's park does, and was not noted, so a kept answer about it would be
    given again after the registries moved it to another park."""
    found = EnterpriseIdentity(A, "测试企业", "310115", "张江科学城")
    monkeypatch.setattr(visibility, "snapshot_identity", lambda *args, **kwargs: found)
    operator = Actor.of("park", "park_operator=张江科学城")
    with reliance.noting() as noted:
        assert visibility.park_member(None, operator, A) is found  # type: ignore[arg-type]
    assert noted == [("enterprise", A)]
    elsewhere = Actor.of("park2", "park_operator=临港新片区")
    with reliance.noting() as noted:
        assert visibility.park_member(None, elsewhere, A) is None  # type: ignore[arg-type]
    assert noted == []

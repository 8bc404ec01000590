"""Values wider than the dictionary's range: the one-enterprise backend hands their
policies to the bulk engine, in one call for all such enterprises. One call per
enterprise reloaded the whole source each time, so 2,000 random profiles took minutes
(regression: the oracle's `single` fixture spent 645 s there in CI)."""

from __future__ import annotations

from typing import Any

import pytest
from engine_factories import POLICIES, compile_spec, random_profiles

from huiqi.engine import get_backend
from huiqi.engine.duckdb.backend import DuckDBBackend
from huiqi.engine.related import Population
from huiqi.engine.single.backend import program_for


@pytest.mark.parametrize("method", ["evaluate", "trace"])
def test_every_wide_enterprise_goes_to_the_bulk_engine_in_one_call(
    monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    profiles = random_profiles(600)
    compiled = [compile_spec(pid, spec) for pid, spec in POLICIES.items()]
    program, pop = program_for(compiled), Population(profiles)
    wide = [p.uscc for p in profiles if program.wide(program.row(p, pop))]
    assert len(wide) >= 5, "the random profiles no longer hold wide values"

    calls: list[Any] = []
    real = getattr(DuckDBBackend, method)

    def counted(self: DuckDBBackend, *args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs.get("usccs"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(DuckDBBackend, method, counted)
    single = getattr(get_backend("single"), method)(profiles, compiled)
    assert len(calls) == 1 and sorted(calls[0]) == sorted(wide)
    monkeypatch.undo()
    # … and the answers are the bulk engine's own, row for row.
    bulk = getattr(get_backend("duckdb"), method)(profiles, compiled)

    def by_key(rows: list[Any]) -> dict[tuple[str, str], Any]:
        # Evaluations compare whole (Decimal equality: 1000 == 1000.000); traces by status.
        return {(r.policy_id, r.uscc): r if method == "evaluate" else r.status for r in rows}

    assert by_key(single) == by_key(bulk)

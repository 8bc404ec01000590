"""The synthetic complaint stream: seeded, and with the rings it says it plants."""

from __future__ import annotations

import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.complaints.synth import Scenario, generate
from huiqi.profiles.uscc import is_valid


def test_the_same_seed_gives_the_same_stream() -> None:
    a, b = (
        generate(Scenario(complaints=2_000, seed=5)),
        generate(Scenario(complaints=2_000, seed=5)),
    )
    assert a.complaints.equals(b.complaints) and a.truth.equals(b.truth)
    c = generate(Scenario(complaints=2_000, seed=6))
    assert not a.complaints.equals(c.complaints)


def test_rings_complain_a_lot_in_templates_and_ordinary_people_mostly_once() -> None:
    s = generate(Scenario(complaints=10_000))
    pros = set(s.truth.filter(s.truth["professional"])["id_number"].to_pylist())
    c = s.complaints
    by_pro = c.filter(
        pc.is_in(c["id_number"], value_set=s.truth.filter(s.truth["professional"])["id_number"])
    )
    by_others = c.filter(pc.invert(pc.is_in(c["id_number"], value_set=by_pro["id_number"])))
    assert 0.1 <= by_pro.num_rows / c.num_rows <= 0.14
    assert by_pro.num_rows / len(pros) >= 5
    assert by_others.num_rows / len(set(by_others["id_number"].to_pylist())) < 1.5
    assert pc.mean(pc.match_substring_regex(by_pro["text"], "十倍|三倍|赔三")).as_py() == 1.0
    assert pc.mean(pc.less_equal(by_pro["amount_fen"], 30_000)).as_py() == 1.0
    # Ring members share phones, addresses or bank accounts; ordinary people seldom do.
    shared_banks = by_pro.group_by("bank").aggregate([("id_number", "count_distinct")])
    assert pc.max(shared_banks["id_number_count_distinct"]).as_py() >= 2
    assert all(is_valid(u) for u in c["uscc"].to_pylist()[:500])
    assert s.truth.num_rows == len(set(c["id_number"].to_pylist()))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4_000), st.integers(0, 2**16))
def test_the_stream_holds_exactly_the_complaints_asked_for(n: int, seed: int) -> None:
    """Regression (QA): `complaints generate --complaints 3000` wrote 3,027 (the last
    complainant, and the last ring member, filed their whole draw past the target)."""
    stream = generate(Scenario(complaints=n, seed=seed))
    assert stream.complaints.num_rows == n
    assert set(stream.complaints["id_number"].to_pylist()) <= set(
        stream.truth["id_number"].to_pylist()
    )

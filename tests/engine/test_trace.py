"""The explanation type: its JSON form round-trips exactly and keeps the keys delivery reads."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from engine_factories import compile_yaml, policy_yaml
from hypothesis import given
from hypothesis import strategies as st

from huiqi.engine import AmountTrace, CriterionTrace, PolicyTrace, ValueRead, get_backend
from huiqi.engine.profile import RawProfile
from huiqi.engine.trace import FORMAT, STATES

decimals = st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
    lambda d: abs(d) < Decimal(10) ** 30
)
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "money": decimals,
    "decimal": decimals,
    "integer": st.integers(-(2**62), 2**62),
    "boolean": st.booleans(),
    "date": st.dates(),
    "tags": st.lists(st.text(max_size=8), max_size=3),
    "string": st.text(max_size=12),
    "enum": st.sampled_from(["310115", "small", "F"]),
}
text = st.text(max_size=10)


@st.composite
def reads(draw: st.DrawFn) -> ValueRead:
    kind = draw(st.sampled_from(sorted(VALUES)))
    return ValueRead(
        column=draw(text),
        field=draw(text),
        label=draw(text),
        year=draw(st.none() | st.integers(1990, 2100)),
        value=draw(st.none() | VALUES[kind]),
        source=draw(text),
        label_en=draw(text),
        type=kind,
    )


many_reads = st.lists(reads(), max_size=3).map(tuple)
criteria = st.builds(
    CriterionTrace,
    id=text,
    label_zh=text,
    label_en=text,
    expression=st.none() | text,
    state=st.sampled_from(STATES),
    reads=many_reads,
    scope=st.booleans(),
)
amounts = st.builds(
    AmountTrace,
    formula=text,
    reads=many_reads,
    computed_yuan=st.none() | decimals,
    floor=st.none() | decimals,
    cap=st.none() | decimals,
    amount_fen=st.none() | st.integers(0, 10**15),
)
traces = st.builds(
    PolicyTrace,
    policy_id=text,
    version=st.integers(1, 99),
    uscc=text,
    status=st.sampled_from(["eligible", "near_miss", "needs_data", "not_eligible"]),
    criteria=st.lists(criteria, max_size=4).map(tuple),
    amount=amounts,
    missing=many_reads,
    title_zh=text,
    title_en=text,
    delivery=st.sampled_from(["auto", "confirm", "apply"]),
    content_hash=st.none() | st.text("0123456789abcdef", min_size=64, max_size=64),
    name=st.none() | text,
    snapshot_id=st.none() | st.integers(1, 10_000),
)


def _no_floats(value: Any) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(_no_floats(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_floats(v) for v in value)
    return True


@given(traces)
def test_trace_json_round_trips_exactly(trace: PolicyTrace) -> None:
    data = json.loads(json.dumps(trace.to_json(), ensure_ascii=False))
    assert PolicyTrace.from_json(data) == trace
    assert PolicyTrace.from_json(data).to_json() == data


@given(traces)
def test_trace_json_holds_no_float(trace: PolicyTrace) -> None:
    data = json.loads(json.dumps(trace.to_json()), parse_float=float)
    assert _no_floats(data)
    assert data["format"] == FORMAT


@given(traces)
def test_trace_json_keeps_the_keys_delivery_reads(trace: PolicyTrace) -> None:
    data = trace.to_json()
    for key in ("policy_id", "version", "content_hash", "snapshot_id", "status", "name"):
        assert key in data
    for c in data["criteria"]:
        assert {"id", "label", "state", "values"} <= set(c)
        assert c["values"] == {r["column"]: r["value"] for r in c["reads"]}
    assert {"formula", "values", "amount_fen"} <= set(data["amount"])
    assert (data["met"], data["total"]) == (trace.met, trace.total)


def test_money_and_dates_are_exact_strings_in_json() -> None:
    cp = compile_yaml(
        policy_yaml(
            [("young", "registration_date >= DATE '2020-01-01'")],
            formula="0.105 * revenue",
            cap="500000",
        )
    )
    prof = RawProfile(
        "91310115MA1K000011",
        static={"registration_date": dt.date(2021, 3, 4), "name": "测试企业"},
        years={2024: {"revenue": Decimal("1000000.05")}},
    )
    (t,) = get_backend("duckdb").trace([prof], [cp], snapshot_id=7)
    data = t.to_json()
    assert data["criteria"][0]["values"] == {"registration_date": "2021-03-04"}
    assert data["amount"]["values"] == {"revenue__2024": "1000000.05"}
    assert data["amount"]["computed_yuan"] == "105000.00525"
    assert (data["amount"]["cap"], data["amount"]["amount_fen"]) == ("500000", 10_500_001)
    assert (data["name"], data["snapshot_id"], data["status"]) == ("测试企业", 7, "eligible")
    assert t.explanation == data


def test_needs_data_trace_lists_what_is_missing() -> None:
    cp = compile_yaml(policy_yaml([("rich", "revenue >= 1000000")]))
    (t,) = get_backend("duckdb").trace([RawProfile("91310115MA1K000011")], [cp])
    assert t.status == "needs_data"
    assert [(r.column, r.field, r.year, r.source) for r in t.missing] == [
        ("revenue__2024", "revenue", 2024, "tax")
    ]
    assert t.to_json()["unknown"] == ["rich"]

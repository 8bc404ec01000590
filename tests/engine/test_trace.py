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
from huiqi.engine.ledger_form import complete, ledger_form
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
def traces(draw: st.DrawFn) -> PolicyTrace:
    """A trace as an engine builds one: each column has one value and one description."""
    kinds = draw(st.lists(st.sampled_from(sorted(VALUES)), max_size=6))
    pool = [
        ValueRead(
            column=f"col_{i}__{draw(st.integers(2000, 2030))}",
            field=draw(text),
            label=draw(text),
            year=draw(st.none() | st.integers(1990, 2100)),
            value=draw(st.none() | VALUES[kind]),
            source=draw(text),
            label_en=draw(text),
            type=kind,
        )
        for i, kind in enumerate(kinds)
    ]
    some = st.lists(st.sampled_from(pool), unique_by=lambda r: r.column).map(tuple)
    reads = some if pool else st.just(())
    criteria = st.builds(
        CriterionTrace,
        id=text,
        label_zh=text,
        label_en=text,
        expression=st.none() | text,
        state=st.sampled_from(STATES),
        reads=reads,
        scope=st.booleans(),
    )
    amount = st.builds(
        AmountTrace,
        formula=text,
        reads=reads,
        computed_yuan=st.none() | decimals,
        floor=st.none() | decimals,
        cap=st.none() | decimals,
        amount_fen=st.none() | st.integers(0, 10**15),
    )
    chosen = draw(st.lists(criteria, max_size=4).map(tuple))
    money = draw(amount)
    read = {r.column for c in chosen for r in c.reads} | {r.column for r in money.reads}
    missing = tuple(r for r in pool if r.value is None and r.column in read)
    return PolicyTrace.of(
        policy_id=draw(text),
        version=draw(st.integers(1, 99)),
        uscc=draw(text),
        status=draw(st.sampled_from(["eligible", "near_miss", "needs_data", "not_eligible"])),
        criteria=chosen,
        amount=money,
        missing=draw(st.sampled_from([(), missing])),
        title_zh=draw(text),
        title_en=draw(text),
        delivery=draw(st.sampled_from(["auto", "confirm", "apply"])),
        content_hash=draw(st.none() | st.text("0123456789abcdef", min_size=64, max_size=64)),
        name=draw(st.none() | text),
        snapshot_id=draw(st.none() | st.integers(1, 10_000)),
    )


def _no_floats(value: Any) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(_no_floats(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_floats(v) for v in value)
    return True


@given(traces())
def test_trace_json_round_trips_exactly(trace: PolicyTrace) -> None:
    data = json.loads(json.dumps(trace.to_json(), ensure_ascii=False))
    back = PolicyTrace.from_json(data)
    assert back == trace
    assert (back.criteria, back.amount, back.missing) == (
        trace.criteria,
        trace.amount,
        trace.missing,
    )
    rebuilt = PolicyTrace.of(
        policy_id=back.policy_id,
        version=back.version,
        uscc=back.uscc,
        status=back.status,
        criteria=back.criteria,
        amount=back.amount,
        missing=back.missing,
        title_zh=back.title_zh,
        title_en=back.title_en,
        delivery=back.delivery,
        content_hash=back.content_hash,
        name=back.name,
        snapshot_id=back.snapshot_id,
    )
    assert rebuilt.to_json() == data


@given(traces())
def test_trace_json_holds_no_float(trace: PolicyTrace) -> None:
    data = json.loads(json.dumps(trace.to_json()), parse_float=float)
    assert _no_floats(data)
    assert data["format"] == FORMAT


@given(traces())
def test_trace_json_keeps_the_keys_delivery_reads(trace: PolicyTrace) -> None:
    data = trace.to_json()
    for key in ("policy_id", "version", "content_hash", "snapshot_id", "status", "name"):
        assert key in data
    for c in data["criteria"]:
        assert {"id", "label", "state", "values"} <= set(c)
        assert set(c["values"]) <= set(data["fields"])
    assert {"formula", "values", "amount_fen"} <= set(data["amount"])
    assert set(data["missing"]) <= set(data["fields"])
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
    data = t.to_json()
    assert (data["unknown"], data["missing"]) == (["rich"], ["revenue__2024"])
    assert data["fields"]["revenue__2024"]["type"] == "money"


def test_an_explanation_stored_before_fields_existed_still_reads() -> None:
    """Ledgers hold explanations of the earlier form: criteria with values, no fields."""
    old = {
        "policy_id": "p",
        "version": 1,
        "content_hash": "ab",
        "snapshot_id": 3,
        "status": "eligible",
        "name": "x",
        "criteria": [{"id": "c", "label": "参保", "state": "met", "values": {"n__2025": 5}}],
        "amount": {"formula": "1000", "values": {}, "amount_fen": 100000},
    }
    t = PolicyTrace.from_json(old)
    assert (t.met, t.total, t.amount_fen) == (1, 1, 100000)
    (read,) = t.criteria[0].reads
    assert (read.column, read.field, read.value) == ("n__2025", "n", 5)


@given(traces())
def test_ledger_form_keeps_what_delivery_reads_and_completes_back(trace: PolicyTrace) -> None:
    """The ledger stores a trace without its version's shared parts; they come back whole."""
    full = trace.to_json()
    stored = json.loads(json.dumps(ledger_form(full), ensure_ascii=False))
    for c in stored["criteria"]:
        assert set(c) <= {"id", "state", "values"} and {"id", "state", "values"} <= set(c)
    assert "fields" not in stored and "title" not in stored
    assert stored["amount"]["amount_fen"] == full["amount"]["amount_fen"]
    assert complete(stored, full) == full
    assert trace.ledger == ledger_form(full)


def _full_order(data: dict[str, Any]) -> list[Any]:
    """Every key of a trace's JSON in order, nested ones included."""
    out: list[Any] = list(data)
    out += [list(c) for c in data["criteria"]] + [list(data["amount"])]
    return out


def test_a_built_trace_is_its_ledger_form_and_completes_to_the_same_json() -> None:
    """Backends build traces in ledger form; the full JSON, made when read, is the one
    ``ledger_form`` strips back to that ledger form, key for key and in the same order."""
    cp = compile_yaml(
        policy_yaml(
            [("rich", "revenue >= 1000000"), ("young", "registration_date >= DATE '2020-01-01'")],
            formula="0.105 * revenue",
            cap="500000",
            attested=("honest",),
            delivery="confirm",
        )
    )
    profiles = [
        RawProfile("91310115MA1K000011", years={2024: {"revenue": Decimal("2000000")}}),
        RawProfile(
            "91310115MA1K000029",
            static={"registration_date": dt.date(2021, 3, 4), "name": "测试企业"},
            years={2024: {"revenue": Decimal("5")}},
        ),
    ]
    for t in get_backend("duckdb").trace(profiles, [cp], snapshot_id=7):
        ledger = t.ledger
        assert [c["state"] for c in ledger["criteria"]][-1] == "to_confirm"
        labels = t.labelled_states()  # read from the ledger form, the full JSON not made
        full = t.to_json()
        assert labels == tuple((c["label"], c["state"]) for c in full["criteria"])
        stripped = ledger_form(full)
        assert json.dumps(stripped, ensure_ascii=False) == json.dumps(ledger, ensure_ascii=False)
        head = ["format", "policy_id", "version", "content_hash", "title", "delivery", "uscc"]
        head += ["name", "snapshot_id", "status", "met", "total", "failed", "unknown"]
        criterion = ["id", "label", "label_en", "expression", "state", "scope", "values"]
        assert _full_order(full) == [
            *head,
            *["criteria", "amount", "fields", "missing"],
            *[criterion] * 3,
            ["formula", "values", "computed_yuan", "floor", "cap", "amount_fen"],
        ]

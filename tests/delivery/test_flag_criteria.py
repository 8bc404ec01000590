"""A review flag "no longer eligible" names the conditions the enterprise now fails, with
its values against the thresholds (huiqi.delivery.flags, lost_criteria), on SQLite and
PostgreSQL: after a full delivery on a new snapshot and after an incremental re-match."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from helpers import build_store, policy_yaml, uscc
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from test_incremental import change_store

from huiqi.accounts.testing import OFFICER, SCHEDULER
from huiqi.cli.flagtext import flag_conditions
from huiqi.db.engine import transaction
from huiqi.delivery import flags
from huiqi.delivery.incremental import deliver_changes
from huiqi.delivery.models import Entitlement, Event, PolicyVersion
from huiqi.delivery.publish import compile_version, deliver, publish_text
from huiqi.delivery.review import resolve_flag
from huiqi.delivery.rows import RecordRow
from huiqi.delivery.service import list_records

REVENUE = (
    "criteria:\n"
    "  - id: revenue\n"
    "    label: {zh: 营业收入不低于1000万元, en: Revenue of at least 10 million yuan}\n"
    "    expr: revenue >= 10000000\n"
)


def revenue_policy(policy_id: str) -> str:
    """The test policy with one more criterion: revenue of at least 10,000,000 yuan."""
    return policy_yaml(policy_id).replace("criteria:\n", REVENUE, 1)


def flagged(factory: sessionmaker[Session], pv_id: int) -> dict[str, RecordRow]:
    """The version's flagged records as the listings show them (conditions completed)."""
    with factory() as s:
        pv = s.get(PolicyVersion, pv_id)
        assert pv is not None
        rows = list_records(s, actor=OFFICER, policy_id=pv.policy_id, flagged=True)
    return {r.uscc: r for r in rows if r.version == pv.version}


def stored(factory: sessionmaker[Session], pv_id: int) -> dict[str, Any]:
    """USCC → the conditions as the version's flagged records store them."""
    with factory() as s:
        rows = s.execute(
            select(Entitlement.uscc, Entitlement.review_criteria).where(
                Entitlement.policy_version_id == pv_id, Entitlement.review_flag.is_(True)
            )
        ).all()
    return {u: c for u, c in rows}


def criteria(e: RecordRow) -> dict[str, dict[str, Any]]:
    assert e.review_criteria is not None
    return {c["id"]: c for c in e.review_criteria["criteria"]}


def test_a_flag_names_the_revenue_threshold_the_enterprise_now_misses(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a, b, gone, unknown = uscc(1), uscc(2), uscc(3), uscc(4)
    big = Decimal("12000000")
    everyone = {a: 1, b: 1, gone: 1, unknown: 1}
    settings, _ = build_store(tmp_path, everyone, revenue=dict.fromkeys(everyone, big))
    pv, _ = publish_text(sessions, revenue_policy("flag-rev"), "p.yaml", actor=OFFICER)
    assert deliver(settings, sessions, pv.id, actor=OFFICER).granted == 4
    # a's revenue drops under the threshold; b keeps it; 3 leaves the registry; 4's
    # revenue is no longer known.
    _, sid = build_store(
        tmp_path,
        {a: 1, b: 1, unknown: 1},
        revenue={a: Decimal("7000000"), b: big, unknown: None},
    )
    assert deliver(settings, sessions, pv.id, actor=OFFICER).flagged == 3

    records = flagged(sessions, pv.id)
    assert set(records) == {a, gone, unknown}
    stored = records[a].review_criteria
    assert stored is not None and (stored["snapshot_id"], stored["status"]) == (
        sid,
        "not_eligible",
    )
    revenue = criteria(records[a])
    assert list(revenue) == ["revenue"]  # the criteria it still meets are not named
    lost = revenue["revenue"]
    assert (lost["state"], lost["label"], lost["label_en"]) == (
        "not_met",
        "营业收入不低于1000万元",
        "Revenue of at least 10 million yuan",
    )
    assert Decimal(lost["values"]["revenue__2025"]) == Decimal("7000000")
    assert lost["fields"]["revenue__2025"]["label"] == "营业收入"
    gap = lost["gap"]
    assert (gap["op"], Decimal(gap["actual"]), Decimal(gap["required"])) == (
        ">=",
        Decimal("7000000"),
        Decimal("10000000"),
    )
    assert Decimal(gap["shortfall"]) == Decimal("3000000")
    assert gap["text"]["zh"] == "营业收入 700 万元，要求不低于 1,000 万元，还差 300 万元"

    absent = records[gone].review_criteria
    assert absent == {"snapshot_id": sid, "status": "absent", "criteria": []}
    missing = records[unknown].review_criteria
    assert missing is not None and missing["status"] == "needs_data"
    no_data = criteria(records[unknown])["revenue"]
    assert no_data["state"] == "unknown" and no_data["values"] == {"revenue__2025": None}
    assert "gap" not in no_data

    with sessions() as s:
        events = {e.uscc: e for e in s.scalars(select(Event).where(Event.kind == "review_flag"))}
    # The audit event's reason is the record's (the audit page reads it as the ledger's
    # note, in the page's language); its data sum the conditions up.
    kept = "kept as granted or offered until an officer reviews it"
    assert {u: e.reason for u, e in events.items()} == {
        u: f"no longer eligible on snapshot {sid}; {kept}" for u in (a, gone, unknown)
    }
    assert events[gone].data is not None and events[gone].data["status"] == "absent"
    event = events[a]
    assert event.data is not None and event.data["criteria"] == [
        {
            "id": "revenue",
            "state": "not_met",
            "op": ">=",
            "actual": gap["actual"],
            "required": gap["required"],
        }
    ]


def test_a_decided_flag_keeps_no_conditions_but_its_event_does(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a = uscc(1)
    settings, _ = build_store(tmp_path, {a: 1}, revenue={a: Decimal("20000000")})
    pv, _ = publish_text(sessions, revenue_policy("flag-keep"), "p.yaml", actor=OFFICER)
    deliver(settings, sessions, pv.id, actor=OFFICER)
    build_store(tmp_path, {a: 1}, revenue={a: Decimal("100")})
    deliver(settings, sessions, pv.id, actor=OFFICER)
    record = flagged(sessions, pv.id)[a]
    assert "revenue" in criteria(record)
    resolve_flag(sessions, record.id, actor=OFFICER, outcome="keep", reason="已核实")
    with sessions() as s:
        kept = s.get(Entitlement, record.id)
        assert kept is not None and not kept.review_flag and kept.review_criteria is None
        event = s.scalars(select(Event).where(Event.kind == "review_flag")).one()
        assert event.data is not None and event.data["criteria"][0]["id"] == "revenue"


def test_an_incremental_rematch_flag_names_the_threshold(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a, b = uscc(1), uscc(2)
    text = policy_yaml("inc-flag").replace("insured_employees > 0", "insured_employees >= 3")
    settings, _ = build_store(tmp_path, {a: 4, b: 5})
    pv, _ = publish_text(sessions, text, "p.yaml", actor=OFFICER)
    deliver(settings, sessions, pv.id, actor=SCHEDULER)
    sid = change_store(tmp_path, {a: 1})
    assert deliver_changes(settings, sessions, actor=SCHEDULER).flagged == 1

    record = flagged(sessions, pv.id)[a]
    assert record.review_criteria is not None and record.review_criteria["snapshot_id"] == sid
    insured = criteria(record)["insured"]
    assert insured["values"] == {"insured_employees__2025": 1}
    gap = insured["gap"]
    assert (gap["op"], gap["actual"], gap["required"], gap["shortfall"]) == (">=", "1", "3", "2")
    assert gap["text"]["en"].endswith("short by 2 persons"), gap["text"]


def test_a_personal_value_is_not_copied_onto_the_flag(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A founder's age is personal data: the flag names the criterion, not the age."""
    a = uscc(1)
    young = (
        "criteria:\n"
        "  - id: young_founder\n"
        "    label: {zh: 创业者年龄不超过35岁, en: Founder aged 35 or under}\n"
        "    expr: founder_age <= 35\n"
    )
    text = policy_yaml("flag-personal").replace("criteria:\n", young, 1)
    settings, _ = build_store(tmp_path, {a: 1}, static={"founder_age": {a: 30}})
    pv, _ = publish_text(sessions, text, "p.yaml", actor=OFFICER)
    deliver(settings, sessions, pv.id, actor=OFFICER)
    build_store(tmp_path, {a: 1}, static={"founder_age": {a: 41}})
    assert deliver(settings, sessions, pv.id, actor=OFFICER).flagged == 1
    lost = criteria(flagged(sessions, pv.id)[a])["young_founder"]
    assert (lost["state"], lost["values"], lost["fields"]) == ("not_met", {}, {})
    assert lost["withheld"] == ["founder_age"] and "gap" not in lost
    stored = flagged(sessions, pv.id)[a].review_criteria
    assert "41" not in str(stored)
    # The CLI's listing says so.
    assert flag_conditions("not_eligible", stored) == [
        "fails young_founder · 创业者年龄不超过35岁: a personal value, not shown"
    ]


def test_lost_records_are_traced_and_flagged_a_slice_at_a_time(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (review): every lost record was traced, and its conditions held in
    memory (some 5 KB each), before the first was flagged: gigabytes for a snapshot that
    flags 10^6 records. They are traced and flagged a slice at a time, each one whole."""
    codes = [uscc(i) for i in range(1, 6)]
    big, small = Decimal("12000000"), Decimal("7000000")
    settings, _ = build_store(tmp_path, dict.fromkeys(codes, 1), revenue=dict.fromkeys(codes, big))
    pv, _ = publish_text(sessions, revenue_policy("flag-slices"), "p.yaml", actor=OFFICER)
    assert deliver(settings, sessions, pv.id, actor=OFFICER).granted == 5
    build_store(tmp_path, dict.fromkeys(codes, 1), revenue=dict.fromkeys(codes, small))
    traced: list[int] = []
    real = flags.lost_conditions

    def counted(*args: Any) -> dict[tuple[int, str], dict[str, Any]]:
        found = real(*args)
        traced.append(len(found))
        return found

    monkeypatch.setattr(flags, "SLICE", 2)
    monkeypatch.setattr(flags, "lost_conditions", counted)
    assert deliver(settings, sessions, pv.id, actor=OFFICER).flagged == 5
    assert traced == [2, 2, 1]
    records = flagged(sessions, pv.id)
    assert set(records) == set(codes)
    for e in records.values():
        assert criteria(e)["revenue"]["gap"]["actual"] == "7000000.00"


def test_a_flag_stores_only_what_its_version_cannot_give_back(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression (review): every flagged record stored its criteria's labels, rules,
    field descriptions and gap texts, about 1 KB a flag (a gigabyte at 10^6 flags). It
    stores the criterion ids and states and the enterprise's values; the listings put
    the rest back from the version, exactly as the flag's full conditions read."""
    a = uscc(1)
    settings, _ = build_store(tmp_path, {a: 1}, revenue={a: Decimal("12000000")})
    pv, _ = publish_text(sessions, revenue_policy("flag-slim"), "p.yaml", actor=OFFICER)
    deliver(settings, sessions, pv.id, actor=OFFICER)
    _, sid = build_store(tmp_path, {a: 1}, revenue={a: Decimal("7000000")})
    deliver(settings, sessions, pv.id, actor=OFFICER)

    kept = stored(sessions, pv.id)[a]
    assert kept == {
        "snapshot_id": sid,
        "status": "not_eligible",
        "criteria": [
            {"id": "revenue", "state": "not_met", "values": {"revenue__2025": "7000000.00"}}
        ],
    }
    assert len(json.dumps(kept, ensure_ascii=False).encode()) < 200
    record = flagged(sessions, pv.id)[a]
    full = flags.lost_conditions(
        settings, {pv.id: compile_version(pv)}, [(record.id, a, pv.id)], sid
    )
    assert record.review_criteria == full[pv.id, a]


def test_conditions_stored_whole_before_are_shown_as_stored(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A flag raised before the stored form kept its criteria whole: they are shown as
    they were stored, nothing compiled again over them."""
    a = uscc(1)
    settings, _ = build_store(tmp_path, {a: 1}, revenue={a: Decimal("12000000")})
    pv, _ = publish_text(sessions, revenue_policy("flag-old"), "p.yaml", actor=OFFICER)
    deliver(settings, sessions, pv.id, actor=OFFICER)
    build_store(tmp_path, {a: 1}, revenue={a: Decimal("7000000")})
    deliver(settings, sessions, pv.id, actor=OFFICER)
    record = flagged(sessions, pv.id)[a]
    whole = record.review_criteria
    assert whole is not None
    whole["criteria"][0]["label"] = "旧版本记录的标签"
    with transaction(sessions) as s:
        s.execute(
            update(Entitlement).where(Entitlement.id == record.id).values(review_criteria=whole)
        )
    shown = flagged(sessions, pv.id)[a].review_criteria
    assert shown == whole and criteria(flagged(sessions, pv.id)[a])["revenue"]["label"] == (
        "旧版本记录的标签"
    )
    assert flag_conditions("not_eligible", shown)[0].startswith("fails revenue · 旧版本记录的标签")


def test_the_command_line_names_the_newer_version_that_judged_an_earlier_record() -> None:
    """An earlier version's flag raised by the newest version (earlier_flags) says whose
    criteria its lines are, as the queue page does."""
    stored = {"snapshot_id": 3, "status": "not_eligible", "criteria": [], "version": 2}
    assert flag_conditions("not_eligible", stored) == ["under v2, the policy's newest version:"]
    assert flag_conditions("not_eligible", {**stored, "version": None}) == []

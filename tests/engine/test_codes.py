"""The criterion codes bulk matching sums: scope criteria, unknown scope data, wide policies.

Every case is checked three ways: bulk matching (``match_frame``), the explain query
(``evaluate_in``) and the pure-Python reference evaluator; they must agree.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from engine_factories import compile_yaml as compile_any
from engine_factories import policy_yaml

from huiqi.engine.compile.compiler import MAX_CRITERIA, CompiledPolicy
from huiqi.engine.duckdb.codes import Codes, scope_filter
from huiqi.engine.duckdb.evaluate import evaluate_in
from huiqi.engine.duckdb.frame import build_frame
from huiqi.engine.duckdb.matcher import PreparedPolicy, match_frame
from huiqi.engine.duckdb.profile_rows import load_profiles_into
from huiqi.engine.near_counts import keeps_near_miss_rows
from huiqi.engine.profile import profile_from_case
from huiqi.engine.python.pyeval import evaluate_policy
from huiqi.errors import RuleCompileError

WIDE = ('"revenue > 100"', '"employees > 10"', '"total_assets > 100"')


def compile_yaml(text: str, filename: str = "test.yaml") -> CompiledPolicy:
    """Compile with the thresholds of this module near misses at any distance (margin
    100 %), delivered by application (near-miss rows kept in bulk): these tests are about
    codes and statuses; test_nearness is about margins, near_counts about kept rows."""
    text = text.replace("delivery: auto\n", "delivery: apply\n")
    for expr in WIDE:
        text = text.replace(f"expr: {expr}\n", f"expr: {expr}\n    margin: 100%\n")
    return compile_any(text, filename)


SCOPED = policy_yaml(
    [
        ("here", "district_code IN ('310115', '310104')"),
        ("industry", "industry_section = 'C'"),
        ("big", "revenue > 100"),
        ("staffed", "employees > 10"),
    ]
)
BASE: dict[str, Any] = {
    "district_code": "310115",
    "industry_section": "C",
    "revenue": 1000,
    "employees": 20,
}


def three_ways(cp: CompiledPolicy, cases: dict[str, dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    """{case: (status, failed, unknown)} after checking bulk == explain == Python."""
    profs = {
        name: profile_from_case(data, data_year=cp.policy.data_year, seq=i)
        for i, (name, data) in enumerate(cases.items(), 1)
    }
    con = duckdb.connect()
    load_profiles_into(con, list(profs.values()))
    build_frame(con, cp.requirements)
    match_frame(con, [cp], snapshot_id=1)
    bulk = {
        r[0]: (r[1], tuple(filter(None, [r[2]])), tuple((r[3] or "").split(",")) if r[3] else ())
        for r in con.execute(
            "SELECT uscc, status, failed_criterion, unknown_criteria FROM matches"
        ).fetchall()
    }
    explained = {e.uscc: e for e in evaluate_in(con, [cp], rebuild_frame=False)}
    out = {}
    for name, prof in profs.items():
        ex = explained[prof.uscc]
        py = evaluate_policy(cp, prof)
        got = (ex.status, ex.failed, ex.unknown)
        assert (py.status, py.failed, py.unknown) == got, name
        if ex.status == "not_eligible" or (
            ex.status == "near_miss" and not keeps_near_miss_rows(cp)
        ):
            assert prof.uscc not in bulk, name
        else:
            want_failed = ex.failed if ex.status == "near_miss" else ()
            assert bulk[prof.uscc] == (ex.status, want_failed, ex.unknown), name
        out[name] = got
    return out


def test_a_failing_scope_criterion_is_never_a_near_miss() -> None:
    got = three_ways(
        compile_any(SCOPED),  # the default margin: 20 %
        {
            "in scope": BASE,
            "other district": {**BASE, "district_code": "310101"},
            "other district, not big": {**BASE, "district_code": "310101", "revenue": 5},
            "other industry, district unknown": {
                k: v for k, v in {**BASE, "industry_section": "F"}.items() if k != "district_code"
            },
            "in scope, almost big": {**BASE, "revenue": 90},
            "in scope, far from big": {**BASE, "revenue": 5},
        },
    )
    assert got == {
        "in scope": ("eligible", (), ()),
        "other district": ("not_eligible", ("here",), ()),
        "other district, not big": ("not_eligible", ("here", "big"), ()),
        "other industry, district unknown": ("not_eligible", ("industry",), ("here",)),
        "in scope, almost big": ("near_miss", ("big",), ()),
        "in scope, far from big": ("not_eligible", ("big",), ()),
    }


def test_unknown_scope_data_needs_data_and_is_not_filtered_out() -> None:
    no_district = {k: v for k, v in BASE.items() if k != "district_code"}
    got = three_ways(
        compile_yaml(SCOPED),
        {
            "district unknown": no_district,
            "district unknown, not big": {**no_district, "revenue": 5},
            "district and revenue unknown": {
                k: v for k, v in no_district.items() if k != "revenue"
            },
        },
    )
    assert got == {
        "district unknown": ("needs_data", (), ("here",)),
        "district unknown, not big": ("not_eligible", ("big",), ("here",)),
        "district and revenue unknown": ("needs_data", (), ("here", "big")),
    }


def test_scope_filter_is_pushed_down_only_where_null_comes_from_columns() -> None:
    cp = compile_yaml(
        policy_yaml(
            [
                ("here", "district_code IN ('310115', '310104')"),
                ("park_named", "COALESCE(park, 'none') <> 'none'"),
                ("big", "revenue > 100"),
            ]
        )
    )
    here, park, _ = cp.checked
    assert here.scope and park.scope
    # "holds or its column is missing" (zone maps can answer it) and the exact test.
    assert scope_filter(here).sql("duckdb") == (
        "((\"district_code\" IN ('310115', '310104')) OR \"district_code\" IS NULL)"
        " AND (\"district_code\" IN ('310115', '310104')) IS DISTINCT FROM FALSE"
    )
    # COALESCE can turn a missing park into a decided value: only the exact test.
    assert scope_filter(park).sql("duckdb") == (
        "(COALESCE(\"park\", 'none') <> 'none') IS DISTINCT FROM FALSE"
    )
    got = three_ways(
        cp,
        {
            "park named": {**BASE, "park": "张江"},
            "no park": BASE,
            "no park, district unknown": {k: v for k, v in BASE.items() if k != "district_code"},
        },
    )
    assert got == {
        "park named": ("eligible", (), ()),
        "no park": ("not_eligible", ("park_named",), ()),
        "no park, district unknown": ("not_eligible", ("park_named",), ("here",)),
    }


def _wide(n: int, odd_one: int) -> CompiledPolicy:
    crits = [(f"c{i:02d}", "revenue > 0") for i in range(n)]
    crits[odd_one] = (f"c{odd_one:02d}", "employees > 100")
    return compile_yaml(policy_yaml(crits))


def test_policies_with_sixteen_or_more_criteria_use_wider_codes() -> None:
    assert Codes.for_policy(_wide(15, 3)) == Codes(16)
    cp = _wide(MAX_CRITERIA, 30)
    assert Codes.for_policy(cp) == Codes(256)
    everything_unknown = tuple(f"c{i:02d}" for i in range(MAX_CRITERIA))
    got = three_ways(
        cp,
        {
            "all met": {"revenue": 5, "employees": 500},
            "one short": {"revenue": 5, "employees": 90},
            "all unknown": {},
            "31 unknown, one short": {"employees": 50},
            "many short": {"revenue": 0, "employees": 500},
        },
    )
    assert got["all met"] == ("eligible", (), ())
    assert got["one short"] == ("near_miss", ("c30",), ())
    assert got["all unknown"] == ("needs_data", (), everything_unknown)
    assert got["31 unknown, one short"][0] == "not_eligible"
    assert got["many short"][0] == "not_eligible"
    assert len(got["many short"][1]) == MAX_CRITERIA - 1


def test_more_criteria_than_a_result_row_can_hold_are_refused() -> None:
    crits = [(f"c{i:02d}", "revenue > 0") for i in range(MAX_CRITERIA + 1)]
    with pytest.raises(RuleCompileError) as err:
        compile_yaml(policy_yaml(crits), filename="wide.yaml")
    assert f"at most {MAX_CRITERIA}" in str(err.value)
    assert err.value.location is not None and err.value.location.file == "wide.yaml"
    # Attested criteria are confirmed by the enterprise and do not count.
    ok = compile_yaml(
        policy_yaml(crits[:MAX_CRITERIA], delivery="confirm", attested=("signed", "no_debt"))
    )
    assert len(ok.checked) == MAX_CRITERIA


def test_bulk_sql_is_rendered_once_by_the_backend_with_the_policy_index_as_parameter() -> None:
    from huiqi.engine.duckdb.backend import DuckDBBackend

    cp = compile_yaml(SCOPED)
    backend = DuckDBBackend()
    (first,) = backend.prepare([cp])
    (again,) = backend.prepare([cp])
    assert again is first
    assert not any(isinstance(v, str) and "SELECT" in v for v in vars(cp).values())
    assert PreparedPolicy.of(cp).sql.count("?") == 1
    assert "IS DISTINCT FROM FALSE" in PreparedPolicy.of(cp).sql


def test_workers_committing_after_every_policy_keep_every_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from huiqi.engine.duckdb import matcher

    # Delivered by application: their near-miss rows are kept too.
    applied = SCOPED.replace("delivery: auto", "delivery: apply")
    policies = [compile_yaml(applied.replace("id: p", f"id: p{i}")) for i in range(5)]
    cases = [BASE, {**BASE, "revenue": 90}, {k: v for k, v in BASE.items() if k != "revenue"}]
    profs = [profile_from_case(d, data_year=2024, seq=i) for i, d in enumerate(cases, 1)]

    def rows() -> list[tuple[Any, ...]]:
        con = duckdb.connect()
        load_profiles_into(con, profs)
        build_frame(con, policies[0].requirements)
        match_frame(con, policies, snapshot_id=1)
        return con.execute("SELECT * FROM matches ORDER BY ALL").fetchall()

    once = rows()
    monkeypatch.setattr(matcher, "COMMIT_ROWS", 1)
    assert rows() == once
    assert len(once) == 15


def test_kept_rows_as_parquet_parts_equal_the_in_memory_table(tmp_path: Path) -> None:
    policies = [compile_yaml(SCOPED.replace("id: p", f"id: p{i}")) for i in range(3)]
    cases = [
        BASE,
        {**BASE, "revenue": 5},
        {k: v for k, v in BASE.items() if k != "revenue"},
        {**BASE, "district_code": "310101"},
    ]
    profs = [profile_from_case(d, data_year=2024, seq=i) for i, d in enumerate(cases, 1)]
    con = duckdb.connect()
    load_profiles_into(con, profs)
    build_frame(con, policies[0].requirements)
    in_memory = match_frame(con, policies, snapshot_id=1)
    want = con.execute("SELECT * FROM matches ORDER BY ALL").fetchall()
    # Again over the same connection: the table of the first run gives way to a view.
    # The folder's quote and space reach DuckDB as parameters, never as SQL text.
    parts_dir = tmp_path / "运行 it's" / "parts"
    parts_dir.parent.mkdir()
    parts = match_frame(con, policies, snapshot_id=1, parts_dir=parts_dir)
    assert con.execute("SELECT * FROM matches ORDER BY ALL").fetchall() == want
    assert len(want) == 9
    assert sorted(p.name for p in parts_dir.iterdir()) == [
        "00000.parquet",
        "00001.parquet",
        "00002.parquet",
    ]
    assert [(s.eligible, s.near_miss, s.needs_data) for s in parts] == [
        (s.eligible, s.near_miss, s.needs_data) for s in in_memory
    ]
    # And back to a table.
    match_frame(con, policies, snapshot_id=1)
    assert con.execute("SELECT * FROM matches ORDER BY ALL").fetchall() == want


def test_large_runs_write_parts_and_small_ones_stay_in_memory(tmp_path: Path) -> None:
    from huiqi.engine.duckdb.matcher import PARTS_FROM, parts_dir_for

    assert parts_dir_for(tmp_path, 1_000_000, 100) is None
    assert parts_dir_for(tmp_path, 3_500_000, 709) == tmp_path / "parts"
    assert parts_dir_for(tmp_path, PARTS_FROM, 1) == tmp_path / "parts"


def amounts_three_ways(cp: CompiledPolicy, cases: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """{case: (status, amount_fen)} after checking bulk == explain == Python for both."""
    profs = {
        name: profile_from_case(data, data_year=cp.policy.data_year, seq=i)
        for i, (name, data) in enumerate(cases.items(), 1)
    }
    con = duckdb.connect()
    load_profiles_into(con, list(profs.values()))
    build_frame(con, cp.requirements)
    match_frame(con, [cp], snapshot_id=1)
    bulk = dict(
        (r[0], (r[1], r[2]))
        for r in con.execute("SELECT uscc, status, amount_fen FROM matches").fetchall()
    )
    explained = {e.uscc: e for e in evaluate_in(con, [cp], rebuild_frame=False)}
    out = {}
    for name, prof in profs.items():
        ex, py = explained[prof.uscc], evaluate_policy(cp, prof)
        assert (py.status, py.amount_fen) == (ex.status, ex.amount_fen), name
        if ex.status != "not_eligible":
            # Bulk rows carry the amount of eligible rows only.
            want = ex.amount_fen if ex.status == "eligible" else None
            assert bulk[prof.uscc] == (ex.status, want), name
        out[name] = (ex.status, ex.amount_fen)
    return out


def test_whole_yuan_formulas_skip_rounding_and_stay_exact() -> None:
    cp = compile_yaml(
        policy_yaml([("hired", "graduate_hires > 0")], formula="1000 * graduate_hires", cap="5000")
    )
    assert cp.amount_kind == "integer"
    # The product is computed in 128 bits (a count times 1000 can pass 64 bits), but the
    # whole-yuan amount is converted to fen without rounding.
    assert "ROUND" not in PreparedPolicy.of(cp).sql
    got = amounts_three_ways(
        cp, {"three": {"graduate_hires": 3}, "capped": {"graduate_hires": 9}, "none": {}}
    )
    assert got == {
        "three": ("eligible", 300_000),
        "capped": ("eligible", 500_000),
        "none": ("needs_data", None),
    }


def test_a_fractional_bound_keeps_the_rounding_path() -> None:
    cp = compile_yaml(
        policy_yaml(
            [("hired", "graduate_hires > 0")], formula="1000 * graduate_hires", cap="2500.55"
        )
    )
    assert "ROUND" in PreparedPolicy.of(cp).sql
    got = amounts_three_ways(cp, {"three": {"graduate_hires": 3}, "two": {"graduate_hires": 2}})
    assert got == {"three": ("eligible", 250_055), "two": ("eligible", 200_000)}


def test_rate_formulas_round_half_up_once_and_only_for_eligible_rows() -> None:
    cp = compile_yaml(
        policy_yaml(
            [("big", "revenue > 100"), ("staffed", "employees > 10")],
            formula="0.005 * revenue",
            floor="1",
        )
    )
    assert cp.amount_kind == "decimal"
    got = amounts_three_ways(
        cp,
        {
            "half fen up": {"revenue": 1001, "employees": 20},  # 5.005 yuan
            "floor": {"revenue": 101, "employees": 20},  # 0.505 -> 1 yuan
            "near miss": {"revenue": 1001, "employees": 5},
            "amount unknown": {"employees": 20},
        },
    )
    assert got == {
        "half fen up": ("eligible", 501),
        "floor": ("eligible", 100),
        "near miss": ("near_miss", 501),
        "amount unknown": ("needs_data", None),
    }


def test_a_formula_without_fields_is_folded_into_the_query() -> None:
    cp = compile_yaml(policy_yaml([("big", "revenue > 100")], formula="10000"))
    assert "amount_yuan" not in PreparedPolicy.of(cp).sql
    got = amounts_three_ways(cp, {"big": {"revenue": 500}, "small": {"revenue": 5}})
    assert got == {"big": ("eligible", 1_000_000), "small": ("near_miss", 1_000_000)}


def test_the_detail_column_holds_amount_failed_index_or_unknown_mask() -> None:
    cp = compile_yaml(
        policy_yaml(
            [("a", "revenue > 100"), ("b", "employees > 10"), ("c", "tax_paid > 5")],
            formula="0.5 * tax_paid",
        )
    )
    cases = {
        "eligible": {"revenue": 500, "employees": 20, "tax_paid": 7},
        "third fails": {"revenue": 500, "employees": 20, "tax_paid": 5},
        "second fails": {"revenue": 500, "employees": 2, "tax_paid": 7},
        "first and third unknown": {"employees": 20},
    }
    profs = [profile_from_case(d, data_year=2024, seq=i) for i, d in enumerate(cases.values(), 1)]
    con = duckdb.connect()
    load_profiles_into(con, profs)
    build_frame(con, cp.requirements)
    match_frame(con, [cp], snapshot_id=1)
    name_of = {p.uscc: name for name, p in zip(cases, profs, strict=True)}
    compact = con.execute(
        "SELECT f.uscc, m.status, m.detail FROM matches_compact m"
        " JOIN (SELECT rowid AS rid, uscc FROM frame) f USING (rid)"
    ).fetchall()
    assert {name_of[uscc]: (status, detail) for uscc, status, detail in compact} == {
        "eligible": (0, 350),  # 3.50 yuan in fen
        "third fails": (1, 2),  # criterion index 2
        "second fails": (1, 1),
        "first and third unknown": (2, 0b101),
    }
    decoded = con.execute(
        "SELECT status, amount_fen, failed_criterion, unknown_criteria FROM matches ORDER BY ALL"
    ).fetchall()
    assert decoded == [
        ("eligible", 350, None, None),
        ("near_miss", None, "b", None),
        ("near_miss", None, "c", None),
        ("needs_data", None, None, "a,c"),
    ]


def test_an_unknown_amount_alone_is_needs_data_without_unknown_criteria() -> None:
    cp = compile_yaml(policy_yaml([("big", "revenue > 100")], formula="0.5 * tax_paid"))
    got = amounts_three_ways(
        cp, {"known": {"revenue": 500, "tax_paid": 3}, "unknown": {"revenue": 500}}
    )
    assert got == {"known": ("eligible", 150), "unknown": ("needs_data", None)}
    con = duckdb.connect()
    load_profiles_into(con, [profile_from_case({"revenue": 500}, data_year=2024, seq=1)])
    build_frame(con, cp.requirements)
    match_frame(con, [cp], snapshot_id=1)
    assert con.execute("SELECT status, detail FROM matches_compact").fetchall() == [(2, 0)]
    assert con.execute("SELECT status, unknown_criteria FROM matches").fetchall() == [
        ("needs_data", None)
    ]


def test_amounts_past_the_narrow_decimal_range_stay_exact() -> None:
    from huiqi.engine.duckdb.amount import NARROW_YUAN

    # Total assets, whose range (up to 10^14 yuan) lets half of it pass NARROW_YUAN.
    uncapped = compile_yaml(
        policy_yaml([("big", "total_assets > 100")], formula="0.5 * total_assets")
    )
    capped = compile_yaml(
        policy_yaml([("big", "total_assets > 100")], formula="0.5 * total_assets", cap="1000000")
    )
    # Without a cap below NARROW_YUAN, each amount is tested and a huge one is converted
    # in 128-bit decimals; with such a cap, the 64-bit conversion alone.
    wide_fen = "AS DECIMAL(38, 2)) * 100"
    assert PreparedPolicy.of(uncapped).sql.count(wide_fen) == 1
    assert wide_fen not in PreparedPolicy.of(capped).sql
    huge = NARROW_YUAN * 4 + Decimal("0.01")  # half of it: 2 * NARROW_YUAN + 0.005 yuan
    got = amounts_three_ways(
        uncapped,
        {"huge": {"total_assets": huge}, "just below": {"total_assets": NARROW_YUAN * 2 - 1}},
    )
    assert got == {
        "huge": ("eligible", int((NARROW_YUAN * 2 + Decimal("0.01")) * 100)),
        "just below": ("eligible", int((NARROW_YUAN - Decimal("0.5")) * 100)),
    }

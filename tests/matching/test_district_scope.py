"""A district officer's simulation and bulk match cover its district's enterprises only,
and a bulk match only the policies its scope covers (huiqi.matching.district_scope)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from matching_helpers import code, profile, snapshot_of
from sqlalchemy.orm import Session, sessionmaker
from test_simulate import draft
from test_simulate import settings as settings  # the five enterprises' store

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.roles import Role
from huiqi.accounts.testing import OFFICER, officer
from huiqi.delivery.versions import publish_text
from huiqi.engine import compile_policy
from huiqi.matching.export import export_matches
from huiqi.matching.service import match_population
from huiqi.matching.simulate import simulate
from huiqi.policies.loader import load_policy_text

JIADING = officer("district:310114")
OUTSIDER = code(5, "310104")  # 9 % R&D: eligible but for the district


def citywide() -> str:
    """The draft without its own district criterion: nothing in the text keeps it to
    Jiading's enterprises."""
    return draft().replace(
        "  - id: in_jiading\n    label: {zh: 注册在嘉定区, en: In Jiading}\n"
        "    expr: district_code = '310114'\n",
        "",
    )


def test_a_district_officers_simulation_counts_only_its_districts_enterprises(
    settings: object, sessions: sessionmaker[Session]
) -> None:
    """Regression: a Jiading officer's draft without a district criterion was simulated
    over the whole city: Xuhui's enterprise counted as eligible, in the district
    breakdown and in the samples of USCCs."""
    text = citywide()
    assert "district_code" not in text
    with sessions() as s:
        city = simulate(settings, s, actor=OFFICER, text=text)  # type: ignore[arg-type]
        mine = simulate(settings, s, actor=JIADING, text=text)  # type: ignore[arg-type]
    assert city.eligible == 3 and {b.key for b in city.breakdowns["district_code"]} >= {"310104"}
    assert (mine.eligible, mine.near_miss, mine.needs_data) == (2, 1, 1)
    assert mine.total_fen == 4_000_000 + 3_500_000
    shown = {b.key for b in mine.breakdowns["district_code"] if b.eligible or b.needs_data}
    assert shown == {"310114"}


def test_the_district_criterion_is_no_row_of_the_near_miss_table(
    settings: object, sessions: sessionmaker[Session]
) -> None:
    """Regression: a district officer's simulation listed the built-in criterion "在您所辖的
    区内" (officer_district, which its scope adds) among the near misses by criterion, with
    0: never a near miss, so never anything to act on. Only the draft's own criteria are
    listed, as for a city-wide officer."""
    with sessions() as s:
        city = simulate(settings, s, actor=OFFICER, text=draft())  # type: ignore[arg-type]
        mine = simulate(settings, s, actor=JIADING, text=draft())  # type: ignore[arg-type]
    assert [c.id for c in mine.near_misses] == [c.id for c in city.near_misses]
    # A scope criterion is never a near miss: not listed.
    assert [c.id for c in mine.near_misses] == ["rd_intensity"]
    assert {c.id: c.near_misses for c in mine.near_misses}["rd_intensity"] == 1
    assert all(c.label_zh != "在您所辖的区内" for c in mine.near_misses)


def test_a_district_officers_comparison_samples_only_its_district(
    settings: object, sessions: sessionmaker[Session]
) -> None:
    publish_text(sessions, draft(1, "0.05"), "v1.yaml", actor=OFFICER)
    looser = citywide().replace("version: 1", "version: 2")
    with sessions() as s:
        sim = simulate(settings, s, actor=JIADING, text=looser)  # type: ignore[arg-type]
    assert sim.comparison is not None
    assert OUTSIDER not in sim.comparison.gained_sample
    assert set(sim.comparison.gained_sample) == {code(1), code(2)}


def test_a_district_officer_matches_only_its_policies_over_its_district(
    settings: object, tmp_path: Path
) -> None:
    """Regression: `huiqi match` by a district officer ran every policy of the library over
    every enterprise of the city."""
    mine = compile_policy(load_policy_text(citywide(), "mine.yaml"))
    city = compile_policy(
        load_policy_text(
            citywide().replace("level: district", "level: city").replace('"310114"', '"310000"'),
            "city.yaml",
        )
    )
    with pytest.raises(AccessDenied, match="jd-sim-rd") as refused:
        match_population(settings, actor=JIADING, policies=[mine, city])  # type: ignore[arg-type]
    # Regression: the hint read 'huiqi match POLICY.yaml', which click refuses.
    assert "(huiqi match --policies POLICY.yaml …)" in str(refused.value)
    run = match_population(settings, actor=JIADING, policies=[mine])  # type: ignore[arg-type]
    (summary,) = run.policies
    assert (summary.eligible, summary.amount_fen) == (2, 4_000_000 + 3_500_000)
    rows = duckdb.sql(
        f"SELECT uscc, status FROM '{run.output_dir / 'matches.parquet'}' WHERE uscc = ?",
        params=[OUTSIDER],
    ).fetchall()
    assert all(status != "eligible" for _, status in rows)
    steward = officer("*", Role.DATA_STEWARD)
    everyone = match_population(settings, actor=steward, policies=[mine, city])  # type: ignore[arg-type]
    assert [p.eligible for p in everyone.policies] == [3, 3]


def _no_district_store(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Jiading's eligible enterprise, Xuhui's, and one with no district code recorded."""
    rich = {"revenue": 10_000_000, "rd_expense": 900_000}
    profiles = [
        profile(code(1), district_code="310114", **rich),
        profile(OUTSIDER, district_code="310104", **rich),
        profile(NO_DISTRICT, **rich),
    ]
    settings_, _ = snapshot_of(tmp_path / "nodistrict", profiles)
    return settings_


NO_DISTRICT = code(6, "310101")


def test_a_district_officers_run_writes_nothing_about_enterprises_elsewhere(
    tmp_path: Path,
) -> None:
    """Regression: a Jiading officer's run kept the enterprise with no district code as
    'needs data' (its district criterion was unknown, not false) in matches.parquet, and
    the run's analysis.duckdb had views of every enterprise of the snapshot."""
    store = _no_district_store(tmp_path)
    mine = compile_policy(load_policy_text(citywide(), "mine.yaml"))
    run = match_population(store, actor=JIADING, policies=[mine])
    (summary,) = run.policies
    assert (summary.eligible, summary.needs_data) == (1, 0)
    rows = duckdb.sql(f"SELECT uscc FROM '{run.output_dir / 'matches.parquet'}'").fetchall()
    assert rows == [(code(1),)]
    with duckdb.connect(str(run.output_dir / "analysis.duckdb"), read_only=True) as con:
        for view in ("enterprises", "enterprise_years", "matches"):
            seen = {u for (u,) in con.execute(f"SELECT DISTINCT uscc FROM {view}").fetchall()}
            assert seen == {code(1)}, view
    steward = officer("*", Role.DATA_STEWARD)
    everyone = match_population(store, actor=steward, policies=[mine])
    with duckdb.connect(str(everyone.output_dir / "analysis.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM enterprises").fetchone() == (3,)


def test_a_district_officers_export_of_a_citywide_run_keeps_its_district(
    tmp_path: Path,
) -> None:
    """Regression: 'huiqi export-matches' by a Jiading officer of the latest run, a data
    steward's over the whole city, wrote Xuhui's enterprise's row for the officer's policy."""
    store = _no_district_store(tmp_path)
    # A policy of the library's that the Jiading officer may export, without its district
    # criterion.
    text = citywide().replace("id: jd-sim-rd", "id: jd-rd-expense-subsidy-2026")
    mine = compile_policy(load_policy_text(text, "mine.yaml"))
    steward = officer("*", Role.DATA_STEWARD)
    run = match_population(store, actor=steward, policies=[mine])
    out = export_matches(store, actor=JIADING, run_dir=run.output_dir, fmt="csv")
    text = out.path.read_text(encoding="utf-8-sig")
    assert code(1) in text and OUTSIDER not in text and NO_DISTRICT not in text
    assert out.rows == 1
    city = export_matches(store, actor=OFFICER, run_dir=run.output_dir, fmt="csv")
    assert city.rows == 3


def test_a_district_officer_exports_its_run_of_its_own_policy_file(tmp_path: Path) -> None:
    """Regression: a Jiading officer who matched its own policy file (not in the library,
    'huiqi match --policies jd-sim-rd.yaml') was refused its export ("may not export the
    run's policies: outside the policies its scope covers"): the scope was checked against
    the shipped library only. A city policy of the same run stays out of its export."""
    store = _no_district_store(tmp_path)
    mine = compile_policy(load_policy_text(citywide(), "mine.yaml"))
    city = compile_policy(
        load_policy_text(
            citywide()
            .replace("id: jd-sim-rd", "id: sh-sim-rd")
            .replace("level: district", "level: city")
            .replace('"310114"', '"310000"'),
            "city.yaml",
        )
    )
    own = match_population(store, actor=JIADING, policies=[mine])
    out = export_matches(store, actor=JIADING, run_dir=own.output_dir, fmt="csv")
    assert out.rows == 1 and code(1) in out.path.read_text(encoding="utf-8-sig")
    steward = officer("*", Role.DATA_STEWARD)
    both = match_population(store, actor=steward, policies=[mine, city])
    out = export_matches(store, actor=JIADING, run_dir=both.output_dir, fmt="csv")
    assert "sh-sim-rd" not in out.path.read_text(encoding="utf-8-sig")
    with pytest.raises(AccessDenied, match="may not export sh-sim-rd"):
        export_matches(
            store, actor=JIADING, run_dir=both.output_dir, fmt="csv", policies=["sh-sim-rd"]
        )


def test_a_city_officer_finds_the_enterprises_with_no_district(tmp_path: Path) -> None:
    """Enterprises with no district code are in no district officer's run (above): a
    city-level officer's run keeps them, and its analysis file finds them by
    ``district_code IS NULL`` (the choice documented in huiqi.profiles.no_district)."""
    store = _no_district_store(tmp_path)
    mine = compile_policy(load_policy_text(citywide(), "mine.yaml"))
    run = match_population(store, actor=OFFICER, policies=[mine])
    with duckdb.connect(str(run.output_dir / "analysis.duckdb"), read_only=True) as con:
        found = con.execute(
            "SELECT e.uscc, m.status FROM enterprises e JOIN matches m USING (uscc)"
            " WHERE e.district_code IS NULL"
        ).fetchall()
    assert found == [(NO_DISTRICT, "eligible")]


def test_a_department_officer_explains_the_enterprises_its_policies_reach(
    settings: object, sessions: sessionmaker[Session]
) -> None:
    """Regression (QA): a reviewer of Jiading's science commission (a department scope)
    read a Minhang enterprise's figures through a Jiading policy; a district officer was
    refused the same. A city policy of the department reaches every enterprise."""
    from huiqi.matching.service import explain_enterprise

    department = officer("department:嘉定区科学技术委员会", Role.POLICY_REVIEWER)
    jiading = compile_policy(load_policy_text(draft(), "jd.yaml"))
    city = compile_policy(
        load_policy_text(
            draft()
            .replace("id: jd-sim-rd", "id: city-sim-rd")
            .replace('level: district\nregion: "310114"', 'level: city\nregion: "310000"'),
            "city.yaml",
        )
    )
    with sessions() as s:
        own = explain_enterprise(settings, s, actor=department, uscc=code(1), policies=[jiading])
        assert [t.status for t in own] == ["eligible"]
        with pytest.raises(AccessDenied, match="outside the region"):
            explain_enterprise(settings, s, actor=department, uscc=OUTSIDER, policies=[jiading])
        both = explain_enterprise(
            settings, s, actor=department, uscc=OUTSIDER, policies=[jiading, city]
        )
        assert [t.policy_id for t in both] == ["city-sim-rd"]
        everyone = explain_enterprise(settings, s, actor=OFFICER, uscc=OUTSIDER, policies=[jiading])
        assert [t.policy_id for t in everyone] == ["jd-sim-rd"]


def test_another_district_cannot_publish_a_new_version_of_its_policy(
    sessions: sessionmaker[Session],
) -> None:
    """qa9's review: a policy's new version was checked against the scope its own text
    names, not the published policy's. A Xuhui officer could publish version 2 of
    Jiading's policy (region and department rewritten as its own); being the newest, it
    would have delivered in place of Jiading's, and its simulation compared with it."""
    publish_text(sessions, draft(1, "0.05"), "v1.yaml", actor=JIADING)
    xuhui = officer("district:310104")
    taken = (
        draft(2, "0.01")
        .replace('region: "310114"', 'region: "310104"')
        .replace("district_code = '310114'", "district_code = '310104'")
    )
    assert 'region: "310104"' in taken
    with pytest.raises(AccessDenied):
        publish_text(sessions, taken, "v2.yaml", actor=xuhui)
    publish_text(sessions, draft(2, "0.04"), "v2.yaml", actor=JIADING)  # its own: allowed

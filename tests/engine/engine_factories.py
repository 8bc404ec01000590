"""Factories for engine tests: policy YAML, compiled policies, random enterprise profiles."""

from __future__ import annotations

import datetime as dt
import random
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

from huiqi.engine.compile.compiler import CompiledPolicy, compile_policy
from huiqi.policies.loader import load_policy_text


def policy_yaml(
    criteria: list[tuple[str, str]] | None = None,
    *,
    policy_id: str = "p",
    formula: str = "10000",
    cap: str | None = None,
    floor: str | None = None,
    data_year: int = 2024,
    as_of: str | None = None,
    delivery: str = "auto",
    attested: tuple[str, ...] = (),
    keys: dict[str, dict[str, str]] | None = None,
) -> str:
    """YAML text of a valid policy; criteria are (id, expr) pairs, attested ids added after;
    ``keys`` adds YAML keys to criteria by id (``{"big": {"margin": "10%"}}``)."""
    crits = criteria if criteria is not None else [("c", "revenue > 0")]
    lines = [
        f"id: {policy_id}",
        "version: 1",
        "title: {zh: 测试, en: Test}",
        "department: {zh: 测试局, en: Test bureau}",
        "level: city",
        'region: "310000"',
        "source: {document: 测试文件}",
        "valid_from: 2025-01-01",
        "valid_to: 2025-12-31",
        f"delivery: {delivery}",
        f"data_year: {data_year}",
    ]
    if as_of:
        lines.append(f"as_of: {as_of}")
    lines.append("criteria:")
    for cid, expr in crits:
        lines += [
            f"  - id: {cid}",
            f"    label: {{zh: {cid}, en: {cid}}}",
            "    expr: " + _quote(expr),
        ]
        lines += [f"    {k}: {v}" for k, v in (keys or {}).get(cid, {}).items()]
    for cid in attested:
        lines += [f"  - id: {cid}", f"    label: {{zh: {cid}, en: {cid}}}", "    attested: true"]
    amount = [f"formula: {_quote(formula)}"]
    if cap is not None:
        amount.append(f"cap: {cap}")
    if floor is not None:
        amount.append(f"floor: {floor}")
    lines.append("amount: {" + ", ".join(amount) + "}")
    return "\n".join(lines) + "\n"


def _quote(expr: str) -> str:
    """A YAML double-quoted scalar holding ``expr`` verbatim."""
    return '"' + expr.replace("\\", "\\\\").replace('"', '\\"') + '"'


def compile_yaml(text: str, filename: str = "test.yaml") -> CompiledPolicy:
    return compile_policy(load_policy_text(textwrap.dedent(text), filename))


# ---------------------------------------------------------------- random profiles

YEARS = (2021, 2022, 2023, 2024)
TAGS = ("ai", "regional_hq", "biotech", "green", "x' OR 1=1")
# Dates that make interval arithmetic interesting: month ends, leap days, year ends.
SPECIAL_DATES = tuple(
    dt.date.fromisoformat(d)
    for d in (
        "2020-01-31", "2020-02-29", "2021-02-28", "2023-01-31", "2023-02-28", "2023-03-31",
        "2024-01-31", "2024-02-29", "2024-03-31", "2024-12-31", "2021-03-01", "2024-03-01",
        "2019-12-31", "2024-01-01",
    )
)  # fmt: skip
# Money values that sit on thresholds and rounding edges (x.xx5 after a 0.1 rate, zero).
SPECIAL_MONEY = tuple(
    Decimal(v)
    for v in ("0", "0.05", "0.15", "1.05", "10.05", "1000000", "1000000.00", "400000.05",
              "5000000", "10000000", "99999999.99", "999999999999.99", "0.01", "100.50")
)  # fmt: skip


def uscc(seq: int) -> str:
    from huiqi.profiles.uscc import make

    return make(f"91310115MA{seq:07d}")


def _maybe(rng: random.Random, value: Any, none_share: float = 0.15) -> Any:
    return None if rng.random() < none_share else value


def random_date(rng: random.Random) -> dt.date:
    if rng.random() < 0.3:
        return rng.choice(SPECIAL_DATES)
    return dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(0, 9500))


def random_money(rng: random.Random) -> Decimal:
    r = rng.random()
    if r < 0.25:
        return rng.choice(SPECIAL_MONEY)
    if r < 0.5:
        return Decimal(rng.randrange(0, 10**6)) / 100
    return Decimal(rng.randrange(0, 10**12)) / 100


def random_value(rng: random.Random, field: Any) -> Any:
    from huiqi.profiles.dictionary import load_codelist

    t = field.type
    if t == "money":
        return random_money(rng)
    if t == "decimal":
        return Decimal(rng.randrange(0, 10**8)) / 10**6
    if t == "integer":
        return rng.choice((0, 0, 1, 5, 10, 100, 500, rng.randrange(0, 5000)))
    if t == "boolean":
        return rng.random() < 0.3
    if t == "date":
        return random_date(rng)
    if t == "enum":
        return rng.choice(sorted(load_codelist(field.codes).codes))
    if t == "tags":
        return sorted(rng.sample(TAGS, rng.randrange(0, 3)))
    if field.name == "name":
        return rng.choice(("x' y", "测试企业", "Acme", "x' OR 1=1 --"))
    return rng.choice(("6511", "6512", "A01", "park-1", "310115"))


def random_profile(rng: random.Random, seq: int) -> Any:
    """One enterprise with every field type, a realistic share of None, periods and tags."""
    from huiqi.engine.profile import RawProfile
    from huiqi.profiles.dictionary import load_dictionary

    d = load_dictionary()
    prof = RawProfile(uscc(seq))
    for f in d.static_fields:
        if f.name != "uscc":
            prof.static[f.name] = _maybe(rng, random_value(rng, f))
    for year in YEARS:
        if rng.random() < 0.1:
            continue  # no filing that year
        prof.years[year] = {f.name: _maybe(rng, random_value(rng, f)) for f in d.yearly_fields}
    starts: set[tuple[str, dt.date]] = set()
    for _ in range(rng.choice((0, 0, 1, 2, 3, 4))):
        q = rng.choice(d.qualification_fields).name
        start = (
            random_date(rng)
            if rng.random() < 0.3
            else dt.date(rng.randrange(2018, 2026), rng.randrange(1, 13), 1)
        )
        if (q, start) in starts:
            continue
        starts.add((q, start))
        end = start + dt.timedelta(
            days=rng.choice((0, 364, 365, 730, 1095, rng.randrange(0, 1500)))
        )
        prof.qualifications.append((q, start, end))
    return prof


def random_profiles(n: int, seed: int = 20241231) -> list[Any]:
    rng = random.Random(seed)
    return [random_profile(rng, i + 1) for i in range(n)]


class BatchedInserts:
    """A DuckDB connection whose ``executemany`` of one-row INSERTs runs as multi-row INSERTs.

    ``load_profiles_into`` inserts row by row, which takes ~40 s for 2,000 profiles;
    this proxy keeps its SQL and parameter binding but sends ``rows`` rows per statement.
    """

    def __init__(self, con: Any, rows: int = 200) -> None:
        self._con = con
        self._rows = rows

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def executemany(self, sql: str, params: list[list[Any]]) -> None:
        head, sep, values = sql.partition(" VALUES ")
        assert sep, sql
        for i in range(0, len(params), self._rows):
            chunk = params[i : i + self._rows]
            stmt = f"{head} VALUES " + ", ".join([values] * len(chunk))
            self._con.execute(stmt, [v for row in chunk for v in row])


def load_fast(con: Any, profiles: list[Any]) -> None:
    """``load_profiles_into`` with batched inserts (same schema, same SQL per row)."""
    from huiqi.engine.duckdb.profile_rows import load_profiles_into

    load_profiles_into(BatchedInserts(con), profiles)


def frozen_snapshot(where: Path, profiles: list[Any], snapshot_id: int) -> Any:
    """``profiles`` frozen as a snapshot's Parquet files in ``where``, as the store writes them."""
    import duckdb

    from huiqi.engine.snapshot import SOURCES, Snapshot

    con = duckdb.connect()
    load_fast(con, profiles)
    files = {}
    for name in SOURCES:
        files[name] = where / f"{name}.parquet"
        con.table(name).write_parquet(str(files[name]))
    return Snapshot(snapshot_id, files)


# ---------------------------------------------------------------- policies for the oracle

# Every construct of the rule language, each policy with its own edge cases.
POLICIES: dict[str, dict[str, object]] = {
    "rd-subsidy": {
        "criteria": [
            ("rd_ratio", "rd_expense >= 0.03 * revenue"),
            ("high_tech", "holds(high_tech)"),
            ("credit", "NOT credit_dishonest"),
        ],
        "formula": "0.1 * rd_expense",
        "cap": "500000",
    },
    "ratio-division": {
        "criteria": [
            ("ratio", "rd_expense / revenue >= 0.03"),
            ("per_head", "revenue / employees > 100000"),
            ("staff_share", "rd_staff / employees >= 0.1"),
        ],
        "formula": "0.005 * revenue",
        "cap": "1000000",
        "floor": "100",
    },
    "unknown-handling": {
        "criteria": [
            ("few_layoffs", "COALESCE(layoffs, 0) <= 5"),
            ("revenue_or_none", "revenue IS NULL OR revenue > 1000000"),
            ("age_known", "founder_age IS NOT NULL"),
            ("graduate", "COALESCE(founder_graduation_year, 0) >= 2015"),
        ],
        "formula": "COALESCE(tax_paid, 0) * 0.5",
    },
    "kleene-logic": {
        "criteria": [
            ("either_flag", "credit_dishonest OR abnormal_operation"),
            ("not_both", "NOT (serious_violation AND has_rd_institution)"),
            ("first_business", "founder_first_business = TRUE"),
            ("clean", "NOT credit_dishonest AND NOT abnormal_operation"),
        ],
        "formula": "10000",
    },
    "date-intervals": {
        "criteria": [
            ("month_after", "registration_date + INTERVAL 1 MONTH <= DATE '2024-02-29'"),
            ("year_before", "relocated_in_date - INTERVAL 1 YEAR >= DATE '2021-02-28'"),
            ("window", "registration_date BETWEEN DATE '2020-01-31' AND as_of - INTERVAL 1 MONTH"),
            ("days", "relocated_in_date + INTERVAL 30 DAY > registration_date"),
        ],
        "formula": "20000",
        "as_of": "2024-03-31",
    },
    "years-since-leap-day": {
        "criteria": [
            ("old_enough", "years_since(registration_date) >= 3"),
            ("recent_move", "years_since(relocated_in_date) < 5"),
        ],
        "formula": "CASE WHEN years_since(registration_date) >= 10 THEN 50000 ELSE 20000 END",
        "as_of": "2024-02-29",
    },
    "enums": {
        "criteria": [
            ("district", "district_code IN ('310115', '310104', '310101')"),
            ("size", "size_class IN ('small', 'micro')"),
            ("not_finance", "industry_section <> 'K'"),
            (
                "residency",
                "legal_rep_residency = 'hukou' OR registration_type = 'foreign_invested'",
            ),
        ],
        "formula": "30000",
    },
    "qualifications": {
        "criteria": [
            ("either_cert", "holds(high_tech) OR holds(tech_sme, DATE '2024-06-30')"),
            (
                "new_srdi",
                "recognised_in(srdi_sme, data_year) OR recognised_in(srdi_sme, data_year - 1)",
            ),
            ("not_giant_last_year", "NOT holds(little_giant, as_of - INTERVAL 1 YEAR)"),
        ],
        "formula": "CASE WHEN holds(innovative_sme) THEN 300000 ELSE 100000 END",
    },
    "tags": {
        "criteria": [
            ("ai", "has_tag(tags, 'ai')"),
            ("not_hq", "NOT has_tag(tags, 'regional_hq')"),
            ("quoted_tag", "has_tag(tags, 'x'' OR 1=1') OR name = 'x'' y'"),
        ],
        "formula": "40000",
    },
    "growth-offsets": {
        "criteria": [
            ("growing", "revenue > revenue[-1]"),
            ("grew_before", "revenue[-1] > revenue[-2]"),
            ("staff", "employees[-1] BETWEEN 10 AND 500"),
        ],
        "formula": "0.05 * (revenue - revenue[-1])",
        "cap": "200000",
        "floor": "10000",
    },
    "greatest-least": {
        "criteria": [
            ("big", "GREATEST(revenue, main_business_revenue) >= 5000000"),
            ("assets", "LEAST(total_assets, total_liabilities * 2) > 1000000"),
        ],
        "formula": "LEAST(GREATEST(COALESCE(tax_paid, 0) * 0.1, 1000), 50000)",
    },
    "case-if-abs": {
        "criteria": [
            (
                "tiered",
                "CASE WHEN employees > 100 THEN revenue > 10000000"
                " WHEN employees > 10 THEN revenue > 1000000 ELSE revenue > 0 END",
            ),
            ("founder", "IF(founder_first_business, founder_age <= 40, founder_age <= 35)"),
            ("stable", "ABS(revenue - revenue[-1]) <= 1000000"),
        ],
        "formula": "ABS(revenue - revenue[-1]) * 0.01 + 0.005",
    },
    "large-money": {
        "criteria": [("capital", "registered_capital >= 0"), ("assets", "-total_assets < 0")],
        "formula": "revenue * 1.5 + registered_capital",
        "cap": "1000000000000",
    },
    "integers-strings": {
        "criteria": [
            ("ip", "ip_class1_count + ip_class2_count * 2 >= 5"),
            ("floors", "plant_floors > 0"),
            ("hires", "graduate_hires - COALESCE(layoffs, 0) > 0"),
            ("name", "name <> 'x'' OR 1=1 --' AND park IS NULL OR industry_class = '6511'"),
        ],
        "formula": "graduate_hires * 1000 + 0.125",
        "floor": "500",
    },
    "attested-confirm": {
        "criteria": [("revenue", "revenue > 0")],
        "attested": ("signed",),
        "delivery": "confirm",
        "formula": "0.001 * revenue",
        "cap": "99999.99",
    },
}


def every_policy(synth: int, seed: int) -> list[CompiledPolicy]:
    """The oracle's policies, the library's and ``synth`` generated ones (every operator)."""
    from huiqi.engine.compile.library import compile_library
    from huiqi.policies.loader import load_library
    from huiqi.policies.synth import synth_policies

    out = [compile_spec(pid, spec) for pid, spec in POLICIES.items()]
    out += compile_library(load_library()).compiled
    out += [compile_policy(p) for p in synth_policies(synth, seed=seed)]
    return out


def compile_spec(policy_id: str, spec: dict[str, object]) -> CompiledPolicy:
    kwargs = {k: v for k, v in spec.items() if k != "criteria"}
    return compile_yaml(policy_yaml(spec["criteria"], policy_id=policy_id, **kwargs))  # type: ignore[arg-type]

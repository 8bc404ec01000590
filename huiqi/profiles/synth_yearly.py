"""Draw the yearly figures (tax, statistics, social insurance, credit, park rent, AI contracts).

Each enterprise gets a growth trend; every year adds noise on top, so revenue and
headcount evolve plausibly from 2022 on. A year exists only once the enterprise is
registered, and the first year is pro-rated. All money is integer fen until the
Arrow conversion in :func:`huiqi.profiles.synth_values.money`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from huiqi.profiles import synth_values as sv
from huiqi.profiles.size_class import classify_many
from huiqi.profiles.synth_population import Population

AI_YEARS = frozenset({2024, 2025})  # the voucher programmes audit contracts from 2024 on
WAGE_BASE_YUAN = (7_310, 36_549)  # Shanghai's monthly contribution-base floor and cap (2024)


@dataclass
class YearlyChunk:
    """Yearly rows of one chunk (year-major) and which rows feed the sparse registries."""

    columns: dict[str, pa.Array]
    rent_rows: np.ndarray  # bool per row: the enterprise sits in a park
    ai_rows: np.ndarray  # bool per row: the enterprise has AI-voucher contracts that year
    size_counts: dict[str, int]  # size classes of the latest year, for the summary


def draw_years(
    rng: np.random.Generator, pop: Population, uscc: pa.Array, years: tuple[int, ...]
) -> YearlyChunk:
    """Draw every yearly dictionary field for the years each enterprise existed."""
    n = pop.n
    section = pop.section
    rpe = np.full(n, sv.DEFAULT_REVENUE_PER_EMPLOYEE)
    for letter, value in sv.REVENUE_PER_EMPLOYEE.items():
        rpe[section == letter] = value
    rpe[np.char.startswith(pop.industry_class, "52")] *= 0.4  # retail sells less per head
    staff = np.maximum(pop.employees_base, 0.3)
    revenue_base = sv.lognormal_fen(rng, staff * rpe, 0.9, n)
    revenue_base[(pop.employees_base == 0) & (rng.random(n) < 0.5)] = 0
    revenue_base = np.minimum(revenue_base, 50_000_000_000_000)  # 500 bn yuan ceiling
    asset_factor = np.where(np.isin(section, ["K", "J"]), 4.0, 0.9)
    asset_factor[pop.industry_class == "7212"] = 5.0
    assets_base = sv.scale_fen(revenue_base, asset_factor * np.exp(0.8 * rng.standard_normal(n)))
    assets_base = np.maximum(assets_base, sv.lognormal_fen(rng, 50_000.0, 1.0, n))

    qualified = pop.high_tech | pop.srdi_sme | pop.innovative_sme
    researching = qualified | (np.isin(section, ["I", "M", "C"]) & (rng.random(n) < 0.4))
    researching |= rng.random(n) < 0.05
    rd_median = np.where(pop.high_tech, 0.055, np.where(qualified, 0.045, 0.02))
    rd_ratio = np.clip(rd_median * np.exp(0.5 * rng.standard_normal(n)), 0.002, 0.4)
    rd_ratio = np.where(researching, rd_ratio, 0.0)
    rd_ratio[pop.high_tech] = np.maximum(rd_ratio[pop.high_tech], 0.025)
    ht_share = np.where(
        pop.high_tech, rng.uniform(0.55, 0.95, n), np.where(researching, rng.uniform(0, 0.4, n), 0)
    )
    rd_staff_share = np.where(
        pop.high_tech, rng.uniform(0.1, 0.45, n), np.where(researching, rng.uniform(0, 0.2, n), 0)
    )
    college_share = np.where(
        np.isin(section, ["I", "M", "J"]), rng.uniform(0.6, 0.98, n), rng.uniform(0.1, 0.6, n)
    )
    college_share[pop.advanced_service] = rng.uniform(0.55, 0.95, int(pop.advanced_service.sum()))
    insured_share = rng.uniform(0.75, 1.0, n)
    wage_premium = np.where(np.isin(section, ["I", "J", "M"]), 1.4, 1.0)
    wage_yuan = np.clip(
        11_000 * wage_premium * np.exp(0.4 * rng.standard_normal(n)), *WAGE_BASE_YUAN
    )
    wage_fen = np.rint(wage_yuan * 100).astype(np.int64)
    layoff_rate = np.where(rng.random(n) < 0.05, rng.uniform(0.05, 0.3, n), 0.015)
    grad_rate = np.where(
        pop.high_tech, 0.06, np.where(np.isin(section, ["I", "M"]), 0.05, 0.02)
    ) * (pop.employees_base >= 5)
    main_share = rng.uniform(0.85, 1.0, n)
    debt_ratio = rng.uniform(0.15, 0.85, n)
    cost_ratio = rng.uniform(0.85, 1.05, n)
    tax_ratio = rng.uniform(0.005, 0.05, n)
    offshore_share = np.where(pop.advanced_service, rng.uniform(0.35, 0.7, n), 0.0)
    offshore_share[(section == "I") & (rng.random(n) < 0.03)] = 0.1
    invests = np.where(section == "C", rng.random(n) < 0.5, rng.random(n) < 0.05)
    invest_ratio = np.where(section == "C", rng.uniform(0.02, 0.15, n), rng.uniform(0, 0.05, n))
    raise_rate = np.where(
        pop.high_tech, 0.06, np.where(np.isin(section, ["I", "M", "C"]), 0.015, 0.002)
    )
    rent_fen = np.rint(
        np.maximum(30, 20 * staff * np.exp(0.5 * rng.standard_normal(n)))
        * rng.uniform(2.5, 9.0, n) * 365 * 100
    ).astype(np.int64)  # fmt: skip
    exporter = ~pop.individual & (
        rng.random(n) < np.select([section == "C", section == "F"], [0.25, 0.12], 0.02)
    )
    export_share = np.where(exporter, rng.uniform(0.05, 0.9, n), 0.0)
    # Energy intensity in tce per 10,000 yuan of revenue (Shanghai averages ~0.02-0.3).
    intensity = np.where(section == "C", rng.lognormal(np.log(0.08), 0.7, n), 0.01)
    intensity = np.where(
        np.isin(section, ["D", "B"]), rng.lognormal(np.log(0.5), 0.5, n), intensity
    )
    disability_rate = np.where(pop.employees_base >= 20, rng.uniform(0, 0.025, n), 0.0)
    credit_draw = rng.random(n)  # a taxpayer's rating is sticky from year to year
    size_misreport = rng.random(n) < 0.03
    size_reported = ~pop.individual & (rng.random(n) < 0.6)
    ai_kinds = rng.random((4, n)) < np.array([[0.6], [0.5], [0.25], [0.3]])
    ai_medians = (500_000.0, 300_000.0, 200_000.0, 2_000_000.0)

    trend = rng.normal(0.04, 0.12, n)
    revenue_factor = np.ones(n)
    staff_factor = np.ones(n)
    reg_year = sv.year_of(pop.registration_day)
    parts: dict[str, list[np.ndarray]] = {}
    valid: dict[str, list[np.ndarray]] = {}
    rows: list[np.ndarray] = []
    row_years: list[np.ndarray] = []
    rent_rows: list[np.ndarray] = []
    ai_rows: list[np.ndarray] = []
    size_counts: dict[str, int] = {}
    reported: list[np.ndarray] = []
    for k, year in enumerate(years):
        if k:
            revenue_factor *= np.exp(trend + 0.12 * rng.standard_normal(n))
            staff_factor *= np.exp(0.5 * trend + 0.06 * rng.standard_normal(n))
        exists = reg_year <= year
        next_jan1 = sv.first_day_of_year(np.array([year + 1]))[0]
        fraction = np.clip((next_jan1 - pop.registration_day) / 365.0, 0.05, 1.0)
        idx = np.flatnonzero(exists)
        m = idx.size
        emp = np.rint(pop.employees_base[idx] * staff_factor[idx] * (0.5 + 0.5 * fraction[idx]))
        emp = emp.astype(np.int64)
        rev = sv.scale_fen(revenue_base[idx], revenue_factor[idx] * fraction[idx])
        assets = sv.scale_fen(assets_base[idx], revenue_factor[idx] ** 0.7)
        rd = sv.scale_fen(rev, rd_ratio[idx] * np.exp(0.15 * rng.standard_normal(m)))
        insured = rng.binomial(emp, insured_share[idx])
        known = {f: rng.random(m) >= p for f, p in _MISSING.items()}
        fen = {
            "revenue": rev,
            "main_business_revenue": sv.scale_fen(rev, main_share[idx]),
            "total_assets": assets,
            "total_liabilities": sv.scale_fen(assets, debt_ratio[idx]),
            "total_cost": sv.scale_fen(rev, cost_ratio[idx]),
            "rd_expense": rd,
            "rd_expense_domestic": sv.scale_fen(rd, rng.uniform(0.85, 1.0, m)),
            "high_tech_income": sv.scale_fen(rev, ht_share[idx]),
            "tax_paid": sv.scale_fen(rev, tax_ratio[idx]),
            "offshore_outsourcing_income": sv.scale_fen(rev, offshore_share[idx]),
            "equity_financing": np.where(
                rng.random(m) < raise_rate[idx], sv.lognormal_fen(rng, 10_000_000.0, 1.0, m), 0
            ),
            "fixed_asset_investment": np.where(
                invests[idx], sv.scale_fen(rev, invest_ratio[idx]), 0
            ),
            "rent_paid": sv.scale_fen(rent_fen[idx], fraction[idx]),
            # 1 % of the contribution base: 0.5 % from the employer, 0.5 % from employees.
            "ui_premiums_paid": insured * wage_fen[idx] * 12 // 100,
        }
        ai_year = pop.ai_user[idx] & (year in AI_YEARS)
        for j, field in enumerate(
            ("compute_rent", "model_contract", "corpus_contract", "ai_product_sales")
        ):
            amount = sv.lognormal_fen(rng, ai_medians[j], 0.8, m)
            fen[field] = np.where(ai_year & ai_kinds[j][idx], amount, 0)
        counts = {
            "employees": emp,
            "rd_staff": np.floor(emp * rd_staff_share[idx]).astype(np.int64),
            "college_staff": np.floor(emp * college_share[idx]).astype(np.int64),
            "insured_employees": insured,
            "layoffs": rng.binomial(insured, layoff_rate[idx]),
            "natural_attrition": rng.binomial(insured, 0.008),
            "graduate_hires": rng.binomial(emp, grad_rate[idx]),
        }
        fen["export_revenue"] = sv.scale_fen(rev, export_share[idx])
        # Hundredths of a tonne of standard coal: revenue (fen) / 10^6 = 10,000 yuan.
        fen["energy_consumption"] = np.rint(rev / 1_000_000 * intensity[idx]).astype(np.int64)
        counts["disabled_employees"] = rng.binomial(emp, disability_rate[idx])
        new_taxpayer = reg_year[idx] >= year - 1
        rating = np.searchsorted(_RATING_CUTS, np.clip(credit_draw[idx] + 0.05 *
                                 rng.standard_normal(m), 0, 0.999999))  # fmt: skip
        rating = np.where(new_taxpayer & (rating < 3), _RATINGS.index("M"), rating)
        fen["tax_credit_rating"] = rating
        size = classify_many(pop.industry_class[idx], emp, rev, assets)
        size = np.where(size_misreport[idx], np.roll(size, 1), size)
        fen["size_class_reported"] = size
        reported.append(size_reported[idx] & (size != None))  # noqa: E711 - numpy object array
        fen["serious_violation"] = rng.random(m) < 0.002
        for group in (fen, counts):
            for name, values in group.items():
                parts.setdefault(name, []).append(values)
                valid.setdefault(name, []).append(known.get(name, np.ones(m, dtype=bool)))
        rows.append(idx)
        row_years.append(np.full(m, year, dtype=np.int32))
        rent_rows.append(pop.in_park[idx])
        ai_rows.append(ai_year)
        if k == len(years) - 1:
            missing = np.stack([~known["employees"], ~known["revenue"], ~known["total_assets"]])
            sizes = classify_many(pop.industry_class[idx], emp, rev, assets, missing=missing)
            labels, tally = np.unique(sizes.astype(str), return_counts=True)
            size_counts = {str(k): int(v) for k, v in zip(labels, tally, strict=True)}
    columns: dict[str, pa.Array] = {
        "uscc": uscc.take(pa.array(np.concatenate(rows))),
        "year": pa.array(np.concatenate(row_years)),
    }
    for name, chunks in parts.items():
        values, ok = np.concatenate(chunks), np.concatenate(valid[name])
        if name == "serious_violation":
            columns[name] = sv.booleans(values, ok)
        elif name == "tax_credit_rating":
            columns[name] = sv.codes(list(_RATINGS), values, ok)
        elif name == "size_class_reported":
            ok = ok & np.concatenate(reported)
            columns[name] = pa.array(values, type=pa.string(), mask=~ok)
        elif name in _COUNTS:
            columns[name] = sv.integers(values, ok)
        else:
            columns[name] = sv.money(values, ok)
    return YearlyChunk(
        columns=columns,
        rent_rows=np.concatenate(rent_rows),
        ai_rows=np.concatenate(ai_rows),
        size_counts=size_counts,
    )


_COUNTS = frozenset(
    {"employees", "rd_staff", "college_staff", "insured_employees", "layoffs",
     "natural_attrition", "graduate_hires", "disabled_employees"}
)  # fmt: skip
# 纳税信用等级 shares (A, B, C, D) before new taxpayers become M; roughly the published
# national shares of A and B ratings.
_RATINGS = ("A", "B", "C", "D", "M")
_RATING_CUTS = np.array([0.25, 0.85, 0.95])
# Share of enterprise-years where a registry did not report a value (exercises "unknown").
_MISSING = {
    "employees": 0.015,
    "revenue": 0.01,
    "total_assets": 0.02,
    "rd_expense": 0.01,
    "insured_employees": 0.01,
    "ui_premiums_paid": 0.01,
    "serious_violation": 0.01,
    "tax_credit_rating": 0.02,
    "energy_consumption": 0.3,
    "export_revenue": 0.02,
}

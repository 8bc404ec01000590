"""Draw one chunk of the synthetic enterprise population: registration, credit, park, science.

A chunk is a set of consecutive enterprises drawn from its own random stream, so
the population is reproducible from (seed, chunk number) and memory stays bounded.
Yearly figures are drawn by :mod:`huiqi.profiles.synth_yearly`, certificates by
:mod:`huiqi.profiles.synth_qualifications`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huiqi.profiles import synth_values as sv

REGISTRATION_TYPES = ["limited_company", "joint_stock", "foreign_invested", "partnership",
                      "sole_proprietorship", "individual_business", "cooperative", "state_owned",
                      "collective", "hmt_invested", "wholly_state_owned_company", "private",
                      "joint_stock_cooperative"]  # fmt: skip
COMPANY_TYPE_WEIGHTS = {"limited_company": 0.80, "joint_stock": 0.02, "foreign_invested": 0.04,
                        "partnership": 0.05, "sole_proprietorship": 0.03, "hmt_invested": 0.02,
                        "state_owned": 0.01, "wholly_state_owned_company": 0.005,
                        "collective": 0.005, "private": 0.015,
                        "joint_stock_cooperative": 0.005}  # fmt: skip
# Listed companies: ~430 Shanghai-registered A-share companies among 3.5 m entities, plus HK.
LISTING_RATES = {"main_board": 0.00006, "star_market": 0.00003, "chinext": 0.00001,
                 "bse": 0.000005, "hkex": 0.00003}  # fmt: skip
# Management-system certificates per enterprise, before weighting by size and section.
ISO_RATES = {"iso9001": 0.04, "iso14001": 0.015, "iso45001": 0.012}
RESIDENCY_WEIGHTS = {"hukou": 0.45, "residence_permit": 0.40, "overseas_talent": 0.03,
                     "returnee": 0.04, "other": 0.08}  # fmt: skip
MIN_REGISTRATION = dt.date(1992, 1, 1)


@dataclass
class Population:
    """Per-enterprise arrays of one chunk that later steps (years, certificates) build on."""

    n: int
    section: np.ndarray  # U1
    industry_class: np.ndarray  # U4
    district: np.ndarray  # U6
    registration_day: np.ndarray  # int64 days since 1970
    employees_base: np.ndarray  # int64, a typical recent year's headcount
    innovation: np.ndarray  # float weight of holding innovation qualifications
    high_tech: np.ndarray  # bool: holds (or held) 高企
    tech_sme: np.ndarray
    innovative_sme: np.ndarray
    srdi_sme: np.ndarray
    little_giant: np.ndarray
    advanced_service: np.ndarray
    ai_user: np.ndarray  # bool: has AI-voucher contracts
    in_park: np.ndarray  # bool
    individual: np.ndarray  # bool: 个体工商户
    iso9001: np.ndarray  # bool: holds (or held) a management-system certificate
    iso14001: np.ndarray
    iso45001: np.ndarray


def draw_population(
    rng: np.random.Generator,
    n: int,
    *,
    as_of: dt.date,
    classes_by_section: dict[str, list[str]],
    rates: dict[str, float],
) -> Population:
    """Draw registration facts, size and qualification membership for ``n`` enterprises."""
    sec_idx, sec_keys = sv.weighted_choice(rng, sv.SECTION_WEIGHTS, n)
    section = np.array(sec_keys, dtype="U1")[sec_idx]
    industry_class = np.empty(n, dtype="U4")
    for k, letter in enumerate(sec_keys):
        rows = np.flatnonzero(sec_idx == k)
        pool = np.array(classes_by_section[letter], dtype="U4")
        industry_class[rows] = pool[rng.integers(0, len(pool), rows.size)]
    dist_idx, dist_keys = sv.weighted_choice(rng, sv.DISTRICT_WEIGHTS, n)
    district = np.array(dist_keys, dtype="U6")[dist_idx]

    as_of_day = sv.day_number(as_of)
    # Registrations grow over time: years since registration ~ exponential, mean 8.
    years_ago = np.minimum(rng.exponential(8.0, n), (as_of - MIN_REGISTRATION).days / 365.25)
    registration_day = as_of_day - np.floor(years_ago * 365.25).astype(np.int64)
    age_years = years_ago

    consumer = np.isin(section, ["F", "H", "O"])
    individual = np.where(consumer, rng.random(n) < 0.2, rng.random(n) < 0.01)

    shift = _lookup(section, sv.EMPLOYEE_SHIFT, 0.0)
    log_emp = 0.7 + shift + 0.05 * np.minimum(age_years, 20) + 1.2 * rng.standard_normal(n)
    log_emp = np.where(individual, 0.4 + 0.6 * rng.standard_normal(n), log_emp)
    employees = np.floor(np.exp(np.minimum(log_emp, 12.0))).astype(np.int64)
    employees[rng.random(n) < 0.12] = 0  # shells and dormant companies: nobody employed

    innovation = _lookup(section, sv.INNOVATION_WEIGHT, sv.DEFAULT_INNOVATION_WEIGHT)
    innovation = innovation * np.select(
        [employees < 3, employees < 10, employees < 50, employees < 300],
        [0.05, 0.5, 2.0, 5.0],
        6.0,
    )
    innovation[np.isin(industry_class, sv.INTEGRATED_CIRCUIT_CLASSES + sv.BIOMEDICINE_CLASSES)] *= 2
    innovation[individual | (age_years < 1.0)] = 0.0
    norm = innovation / max(float(innovation.mean()), 1e-12)

    def chance(rate: float) -> np.ndarray:
        return np.minimum(rate * norm, 0.95)

    # One shared uniform makes the SRDI ladder nested: little giant ⊂ SRDI ⊂ innovative.
    ladder = rng.random(n)
    little_giant = ladder < chance(rates["little_giant"])
    srdi_sme = ladder < chance(rates["srdi_sme"])
    innovative_sme = ladder < chance(rates["innovative_sme"])
    correlated = np.where(rng.random(n) < 0.6, ladder, rng.random(n))
    high_tech = correlated < chance(rates["high_tech"])
    tech_sme = (
        np.where(rng.random(n) < 0.5, ladder, rng.random(n)) < chance(rates["tech_sme"])
    ) & (employees <= 500)
    service = np.isin(section, ["I", "L", "M"])
    advanced_service = service & (
        rng.random(n) < rates["advanced_service"] * n / max(service.sum(), 1)
    )

    # Qualified firms are rarely tiny: lift their headcount to a plausible floor.
    employees = np.maximum(employees, np.where(high_tech, rng.integers(8, 300, n), 0))
    employees = np.maximum(employees, np.where(srdi_sme, rng.integers(15, 300, n), 0))
    employees = np.maximum(employees, np.where(little_giant, rng.integers(60, 800, n), 0))
    employees = np.maximum(employees, np.where(advanced_service, rng.integers(50, 1500, n), 0))

    ai_rate = np.select([section == "I", section == "M", np.isin(section, ["C", "L"])],
                        [0.04, 0.02, 0.003], 0.0)  # fmt: skip
    ai_user = (rng.random(n) < ai_rate) & ~individual
    in_park = rng.random(n) < np.where(np.isin(section, ["I", "M", "C"]), 0.55, 0.2)
    # Certificates follow size and industry: manufacturers and builders certify most; an
    # environmental or safety certificate nearly always comes with a quality one.
    iso_weight = np.select([employees < 5, employees < 50, employees < 300], [0.1, 1.0, 3.0], 5.0)
    iso_weight = iso_weight * np.where(np.isin(section, ["C", "E"]), 3.0, 0.7) * ~individual
    iso_draw = rng.random(n)
    iso9001 = iso_draw < np.minimum(ISO_RATES["iso9001"] * iso_weight, 0.9)
    iso14001 = iso9001 & (iso_draw < np.minimum(ISO_RATES["iso14001"] * iso_weight, 0.6))
    iso45001 = iso9001 & (rng.random(n) < ISO_RATES["iso45001"] / ISO_RATES["iso9001"] * 1.2)
    return Population(
        n=n, section=section, industry_class=industry_class, district=district,
        registration_day=registration_day, employees_base=employees, innovation=innovation,
        high_tech=high_tech, tech_sme=tech_sme, innovative_sme=innovative_sme,
        srdi_sme=srdi_sme, little_giant=little_giant, advanced_service=advanced_service,
        ai_user=ai_user, in_park=in_park, individual=individual, iso9001=iso9001,
        iso14001=iso14001, iso45001=iso45001,
    )  # fmt: skip


def _lookup(keys: np.ndarray, table: dict[str, float], default: float) -> np.ndarray:
    out = np.full(len(keys), default, dtype=np.float64)
    for key, value in table.items():
        out[keys == key] = value
    return out


def static_columns(
    rng: np.random.Generator,
    pop: Population,
    *,
    serial_start: int,
    as_of: dt.date,
    body_a: int,
    body_b: int,
) -> dict[str, pa.Array]:
    """Every static dictionary field of the chunk as Arrow arrays (codes, not labels)."""
    n = pop.n
    coop = (pop.section == "A") & ~pop.individual & (rng.random(n) < 0.3)
    company_idx, company_keys = sv.weighted_choice(rng, COMPANY_TYPE_WEIGHTS, n)
    type_index = np.array([REGISTRATION_TYPES.index(k) for k in company_keys])[company_idx]
    type_index[pop.individual] = REGISTRATION_TYPES.index("individual_business")
    type_index[coop] = REGISTRATION_TYPES.index("cooperative")
    prefix = np.where(pop.individual, "92", np.where(coop, "93", "91"))

    region = pop.district.copy()
    before_merger = pop.registration_day < sv.day_number(dt.date(2015, 11, 1))
    region[(pop.district == "310106") & before_merger & (rng.random(n) < 0.35)] = "310108"
    before_county = pop.registration_day < sv.day_number(dt.date(2016, 7, 1))
    region[(pop.district == "310151") & before_county & (rng.random(n) < 0.85)] = "310230"
    big_types = [REGISTRATION_TYPES.index(t) for t in ("foreign_invested", "joint_stock")]
    city_level = np.isin(type_index, big_types) & (rng.random(n) < 0.5)
    region[city_level] = "310000"  # registered by the municipal bureau, not the district

    serial = np.arange(serial_start, serial_start + n, dtype=np.int64)
    uscc = sv.uscc_strings(prefix, region, serial, body_a, body_b)

    as_of_day = sv.day_number(as_of)
    age_years = (as_of_day - pop.registration_day) / 365.25
    young = rng.random(n) < 0.3
    age_at_reg = np.where(young, rng.uniform(21, 35, n), rng.normal(42, 9, n))
    founder_age = np.clip(np.floor(np.clip(age_at_reg, 18, 75) + age_years), 18, 100).astype(
        np.int64
    )
    graduation = as_of.year - founder_age + rng.integers(21, 27, n)
    graduation_known = (rng.random(n) < 0.7) & (graduation <= as_of.year)
    relocated = rng.random(n) < 0.03
    relocated_day = pop.registration_day + np.floor(
        rng.random(n) * (as_of_day - pop.registration_day)
    ).astype(np.int64)
    capital_median = np.where(pop.individual, 50_000.0, 1_000_000.0)
    capital_fen = sv.lognormal_fen(rng, capital_median, 1.2, n) // 1_000_000 * 1_000_000
    capital_fen = np.maximum(capital_fen, 1_000_000)  # whole 10,000-yuan amounts, at least 1
    res_idx, res_keys = sv.weighted_choice(rng, RESIDENCY_WEIGHTS, n)
    shell = pop.employees_base == 0

    return {
        "uscc": uscc,
        "name": _names(rng, pop, type_index),
        "registration_date": sv.dates(pop.registration_day),
        "district_code": pa.array(pop.district.astype(object), type=pa.string()),
        "industry_class": pa.array(
            pop.industry_class.astype(object), type=pa.string(), mask=rng.random(n) < 0.001
        ),
        "registration_type": sv.codes(REGISTRATION_TYPES, type_index),
        "registered_capital": sv.money(capital_fen, rng.random(n) >= 0.01),
        "legal_rep_residency": sv.codes(res_keys, res_idx, rng.random(n) >= 0.03),
        "founder_age": sv.integers(founder_age, rng.random(n) >= 0.05),
        # Personal data, optional: about 38 % of Shanghai's founders are women; often unreported.
        "founder_gender": sv.codes(
            ["male", "female"], (rng.random(n) < 0.38).astype(np.int64), rng.random(n) >= 0.15
        ),
        "founder_first_business": sv.booleans(rng.random(n) < 0.55, rng.random(n) >= 0.04),
        "founder_graduation_year": sv.integers(graduation, graduation_known),
        "relocated_in_date": sv.dates(relocated_day, relocated),
        "credit_dishonest": sv.booleans(
            rng.random(n) < np.where(shell, 0.01, 0.003), rng.random(n) >= 0.01
        ),
        "abnormal_operation": sv.booleans(
            rng.random(n) < np.where(shell, 0.10, 0.02), rng.random(n) >= 0.01
        ),
        "listing_board": _listing(rng, pop, type_index),
        **_science(rng, pop),
        **_park(rng, pop),
    }


def _listing(rng: np.random.Generator, pop: Population, type_index: np.ndarray) -> pa.Array:
    """Listed companies are large, mostly joint-stock; everyone else is 'unlisted'."""
    boards = [*LISTING_RATES, "unlisted"]
    weight = np.select([pop.employees_base >= 300, pop.employees_base >= 50], [200.0, 20.0], 0.2)
    weight[type_index == REGISTRATION_TYPES.index("joint_stock")] *= 20
    weight[pop.individual] = 0.0
    choice = np.full(pop.n, len(boards) - 1, dtype=np.int64)
    draw = rng.random(pop.n)
    low = np.zeros(pop.n)
    for k, rate in enumerate(LISTING_RATES.values()):
        high = low + np.minimum(rate * weight, 0.15)
        choice[(draw >= low) & (draw < high)] = k
        low = high
    return sv.codes(boards, choice, ~pop.individual)


def _names(rng: np.random.Generator, pop: Population, type_index: np.ndarray) -> pa.Array:
    n = pop.n
    first = pa.array(list(sv.NAME_FIRST)).take(pa.array(rng.integers(0, len(sv.NAME_FIRST), n)))
    second = pa.array(list(sv.NAME_SECOND)).take(pa.array(rng.integers(0, len(sv.NAME_SECOND), n)))
    trade = np.empty(n, dtype=object)
    pick = rng.integers(0, 1 << 30, n)
    for letter in np.unique(pop.section):
        words = np.array(sv.NAME_TRADE.get(str(letter), sv.DEFAULT_TRADE), dtype=object)
        rows = pop.section == letter
        trade[rows] = words[pick[rows] % len(words)]
    suffix = np.array([sv.NAME_SUFFIX[t] for t in REGISTRATION_TYPES], dtype=object)
    suffix_col = suffix[type_index]
    city = pa.array(np.full(n, "上海", dtype=object), type=pa.string())
    parts = [city, first, second, pa.array(trade, pa.string()), pa.array(suffix_col, pa.string())]
    return pc.binary_join_element_wise(*parts, "")


def _science(rng: np.random.Generator, pop: Population) -> dict[str, pa.Array]:
    n = pop.n
    innovative = np.isin(pop.section, ["I", "M", "C"]) & (rng.random(n) < 0.10)
    class1 = np.where(pop.high_tech, rng.poisson(3, n) + 1, 0)
    class1 += np.where(pop.srdi_sme, rng.poisson(2, n), 0)
    class1 += np.where(innovative, rng.poisson(0.8, n), 0)
    class2 = np.where(pop.high_tech, rng.poisson(8, n), np.where(innovative, rng.poisson(2, n), 0))
    institution = rng.random(n) < np.select(
        [pop.little_giant, pop.high_tech, innovative], [0.9, 0.4, 0.05], 0.005
    )
    known = rng.random(n) >= 0.02
    return {
        "ip_class1_count": sv.integers(class1, known),
        "ip_class2_count": sv.integers(class2, known),
        "has_rd_institution": sv.booleans(institution, known),
    }


def _park(rng: np.random.Generator, pop: Population) -> dict[str, pa.Array]:
    n = pop.n
    park = np.full(n, None, dtype=object)
    pick = rng.integers(0, 1 << 30, n)
    for code, names in sv.PARKS.items():
        rows = pop.in_park & (pop.district == code)
        park[rows] = np.array(names, dtype=object)[pick[rows] % len(names)]
    manufacturing = pop.section == "C"
    upstairs = manufacturing & pop.in_park & (rng.random(n) < 0.04)
    floors = np.where(upstairs, rng.integers(4, 13, n), rng.integers(1, 5, n))
    tags = {
        "ai": (pop.ai_user & (rng.random(n) < 0.7))
        | (np.isin(pop.section, ["I", "M"]) & (rng.random(n) < 0.02)),
        "regional_hq": (pop.employees_base >= 100) & (rng.random(n) < 0.01),
        "industrial_upstairs": upstairs,
        "biomedicine": np.isin(pop.industry_class, sv.BIOMEDICINE_CLASSES) & (rng.random(n) < 0.6),
        "integrated_circuit": np.isin(pop.industry_class, sv.INTEGRATED_CIRCUIT_CLASSES)
        & (rng.random(n) < 0.85),
    }
    joined = np.full(n, "", dtype=object)
    for tag, rows in tags.items():
        joined[rows] = joined[rows] + ";" + tag
    has_tags = joined != ""
    text = np.full(n, None, dtype=object)
    tagged = np.flatnonzero(has_tags)
    text[tagged] = [s[1:] for s in joined[tagged]]  # drop the leading ';'
    office_m2 = np.rint(np.maximum(pop.employees_base, 1) * rng.uniform(6, 15, n) * 100)
    production = manufacturing & (rng.random(n) < 0.8)
    production_m2 = np.rint(np.maximum(pop.employees_base, 1) * rng.uniform(20, 80, n) * 100)
    designated = pop.in_park & (rng.random(n) < 0.6)
    return {
        "office_floor_area": sv.money(office_m2.astype(np.int64), pop.in_park),
        "production_floor_area": sv.money(production_m2.astype(np.int64), production & pop.in_park),
        "in_designated_park": sv.booleans(designated, pop.in_park | (rng.random(n) < 0.2)),
        "park": pa.array(park, type=pa.string()),
        "tags": pa.array(text, type=pa.string(), mask=~has_tags),
        "plant_floors": sv.integers(floors, manufacturing & pop.in_park),
    }

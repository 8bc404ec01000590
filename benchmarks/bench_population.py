"""The benchmark population: ``n`` synthetic enterprises written into a profile store,
either straight from DuckDB SQL (fast, for large ``n``) or through the real
pipeline (generate registry files, import each one)."""

from __future__ import annotations

import time
from typing import Any

from huiqi.config import Settings
from huiqi.profiles.store import ProfileStore

YEARS = (2023, 2024, 2025)
QUALIFICATION_RATES = {"high_tech": 0.06, "tech_sme": 0.10, "innovative_sme": 0.05,
                       "srdi_sme": 0.03, "little_giant": 0.005, "advanced_service": 0.005}  # fmt: skip
_DISTRICTS = "['310115','310115','310115','310112','310112','310117','310114','310104','310107','310110','310113','310118','310120','310101','310105','310106','310109','310116','310151']"
_SECTIONS = "['F','F','F','F','L','L','L','M','M','I','I','C','C','C','E','G','H','K','R','O','A','J','P','Q']"

# Pseudo-random numbers from hash(i, k): the same for a (seed, enterprise, draw) on any
# thread count, which DuckDB's random() is not.
_MACROS = [
    "CREATE OR REPLACE TEMP MACRO u(i, k) AS ((hash(i, k) % 1000000)::DOUBLE + 0.5) / 1e6",
    "CREATE OR REPLACE TEMP MACRO z(i, k) AS"
    " sqrt(-2 * ln(u(i, k))) * cos(2 * pi() * u(i, k + 1000))",
    "CREATE OR REPLACE TEMP MACRO money(x) AS CAST(round(x, 2) AS DECIMAL(18,2))",
    "CREATE OR REPLACE TEMP MACRO maybe(x, i, k, p) AS CASE WHEN u(i, k) < p THEN NULL ELSE x END",
]

_BASE = f"""
CREATE OR REPLACE TEMP TABLE base AS
SELECT i, '91' || d || lpad(CAST(i AS VARCHAR), 10, '0') AS uscc, d, s,
       greatest(1, CAST(round(exp(1.6 + 1.4 * z(i, S + 3))) AS BIGINT)) AS emp,
       (u(i, S + 4) < 0.15 OR (s IN ('I', 'M', 'C') AND u(i, S + 4) < 0.45)) AS innovative,
       u(i, S + 5) < 0.04 AS ai_user,
       exp(0.8 * z(i, S + 6)) AS productivity,
       0.05 + 0.15 * z(i, S + 7) AS growth
FROM (SELECT i,
             {_DISTRICTS}[1 + CAST(floor(u(i, S + 1) * 19) AS INT)] AS d,
             {_SECTIONS}[1 + CAST(floor(u(i, S + 2) * 24) AS INT)] AS s
      FROM range(?) t(i))
"""

_ENTERPRISES = """
INSERT INTO enterprises (uscc, name, registration_date, district_code, uscc_region,
  industry_class, industry_section, registration_type, registered_capital,
  legal_rep_residency, founder_age, tags, credit_dishonest, abnormal_operation,
  ip_class1_count, ip_class2_count, has_rd_institution, updated_snapshot)
SELECT uscc, '合成企业' || i, greatest(DATE '1992-01-01',
         DATE '2025-12-31' - CAST(-ln(u(i, S + 10)) * 3000 AS INT)),
       d, d, NULL, s, 'limited_company', money(emp * 100000 * u(i, S + 11)),
       'hukou', 25 + CAST(u(i, S + 12) * 40 AS INT),
       CASE WHEN ai_user THEN ['ai']
            WHEN u(i, S + 13) < 0.02 THEN ['biomedicine']
            WHEN u(i, S + 13) < 0.03 THEN ['integrated_circuit']
            WHEN u(i, S + 13) < 0.035 THEN ['regional_hq']
            WHEN u(i, S + 13) < 0.04 THEN ['industrial_upstairs']
            ELSE [] END,
       maybe(u(i, S + 14) < 0.01, i, S + 15, 0.02),
       maybe(u(i, S + 16) < 0.03, i, S + 17, 0.02),
       maybe(CASE WHEN innovative THEN CAST(u(i, S + 18) * 8 AS INT) ELSE 0 END, i, S + 19, 0.02),
       CASE WHEN innovative THEN CAST(u(i, S + 20) * 30 AS INT) ELSE 0 END,
       innovative AND u(i, S + 21) < 0.3, ?
FROM base
"""

_YEARS = """
INSERT INTO enterprise_years (uscc, year, serious_violation, employees, size_class, revenue,
  main_business_revenue, total_assets, total_liabilities, total_cost, rd_expense,
  tax_paid, equity_financing, fixed_asset_investment, rent_paid, rd_staff, college_staff,
  insured_employees, ui_premiums_paid, layoffs, graduate_hires, compute_rent,
  model_contract, corpus_contract, updated_snapshot)
SELECT uscc, year, maybe(u(j, S + 30) < 0.005, j, S + 31, 0.02), maybe(e, j, S + 32, 0.02),
       CASE WHEN e >= 1000 THEN 'large' WHEN e >= 300 THEN 'medium'
            WHEN e >= 20 THEN 'small' ELSE 'micro' END,
       maybe(money(rev), j, S + 33, 0.02), money(rev * 0.9), money(rev * (0.5 + 1.5 * u(j, S + 34))),
       money(rev * 0.4 * u(j, S + 35)), money(rev * (0.6 + 0.35 * u(j, S + 36))),
       maybe(money(CASE WHEN innovative THEN rev * 0.09 * u(j, S + 37) ELSE 0 END), j, S + 38, 0.03),
       money(rev * (0.02 + 0.06 * u(j, S + 39))),
       money(CASE WHEN u(j, S + 40) < 0.03 THEN 1e6 + 5e7 * u(j, S + 41) ELSE 0 END),
       money(rev * (CASE WHEN s = 'C' THEN 0.1 ELSE 0.01 END) * u(j, S + 42)),
       maybe(money(e * 20000 * u(j, S + 43)), j, S + 44, 0.05),
       maybe(CASE WHEN innovative THEN CAST(e * 0.3 * u(j, S + 45) AS BIGINT) ELSE 0 END, j, S + 46, 0.03),
       CAST(e * (0.1 + 0.7 * u(j, S + 47)) AS BIGINT),
       maybe(CAST(e * (0.85 + 0.15 * u(j, S + 48)) AS BIGINT), j, S + 49, 0.03),
       maybe(money(e * 420 * (0.8 + 0.4 * u(j, S + 50))), j, S + 51, 0.03),
       CAST(e * 0.06 * u(j, S + 52) AS BIGINT),
       CASE WHEN e >= 10 THEN CAST(e * 0.05 * u(j, S + 53) AS BIGINT) ELSE 0 END,
       money(CASE WHEN ai_user THEN 20000 + 2e6 * u(j, S + 54) ELSE 0 END),
       money(CASE WHEN ai_user THEN 10000 + 1e6 * u(j, S + 55) ELSE 0 END),
       money(CASE WHEN ai_user AND u(j, S + 56) < 0.5 THEN 5000 + 5e5 * u(j, S + 57) ELSE 0 END),
       ?
FROM (SELECT b.*, y.year, b.i * 4 + y.year - 2022 AS j,
             greatest(1, CAST(b.emp * (1 + b.growth * (y.year - 2024)) AS BIGINT)) AS e,
             b.emp * 300000 * b.productivity * (1 + b.growth * (y.year - 2024)) AS rev
      FROM base b CROSS JOIN (SELECT UNNEST(?) AS year) y)
"""

_QUALIFICATIONS = """
INSERT INTO qualifications (uscc, qualification, certificate_id, valid_from, valid_to,
  updated_snapshot)
SELECT uscc, ?, NULL, f, f + INTERVAL 3 YEAR - INTERVAL 1 DAY, ?
FROM (SELECT uscc, DATE '2021-01-01' + CAST(u(i, S + 60 + ?) * 1700 AS INT) AS f,
             u(i, S + 70 + ?) * (CASE WHEN innovative THEN 3 ELSE 0.3 END) AS r
      FROM base)
WHERE r < ?
"""


def populate_sql(settings: Settings, n: int, seed: int) -> None:
    """Synthesise ``n`` enterprises straight into a fresh store, as one frozen snapshot."""
    store = ProfileStore(settings)
    store.init()
    salt = str(seed * 1000)
    with store.connect() as con:
        for macro in _MACROS:
            con.execute(macro)
        sid = store.begin_snapshot(con, kind="benchmark", source_file="bench_matching.py")
        con.execute(_BASE.replace("S +", f"{salt} +"), [n])
        con.execute(_ENTERPRISES.replace("S +", f"{salt} +"), [sid])
        con.execute(_YEARS.replace("S +", f"{salt} +"), [sid, list(YEARS)])
        for k, (q, rate) in enumerate(QUALIFICATION_RATES.items()):
            con.execute(_QUALIFICATIONS.replace("S +", f"{salt} +"), [q, sid, k, k, rate])
        store.finish_snapshot(con, sid, rows_read=n, rows_accepted=n, rows_rejected=0)


def store_count(settings: Settings) -> int:
    store = ProfileStore(settings)
    if not store.exists():
        return 0
    try:
        store.latest_snapshot()
    except Exception:
        return 0
    with store.connect(read_only=True) as con:
        row = con.execute("SELECT COUNT(*) FROM enterprises").fetchone()
    return int(row[0]) if row else 0


def populate_generate(settings: Settings, n: int, seed: int) -> dict[str, Any]:
    """Population through the real pipeline: generate Parquet files, import each one."""
    from huiqi.profiles.generate import generate  # type: ignore[import-not-found]
    from huiqi.profiles.importer import import_file

    out = settings.data_dir / "generated"
    started = time.perf_counter()
    generate(n, seed=seed, out_dir=out, formats=("parquet",))
    generated = time.perf_counter() - started
    started = time.perf_counter()
    for path in sorted(out.glob("*.parquet")):
        import_file(settings, path)
    return {
        "population": "generate + import_file",
        "generate_s": generated,
        "import_s": time.perf_counter() - started,
    }


def populate(settings: Settings, n: int, seed: int, how: str) -> dict[str, Any]:
    if how == "generate":
        return populate_generate(settings, n, seed)
    started = time.perf_counter()
    populate_sql(settings, n, seed)
    return {
        "population": "DuckDB SQL (bench_population.populate_sql)",
        "populate_s": time.perf_counter() - started,
    }

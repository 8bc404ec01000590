"""Draw qualification certificates with validity periods and renewals.

Three-year certificates (高企, 创新型, 专精特新, 小巨人, 技术先进型) end on the day before the
third anniversary of issue; most holders' latest certificate is still valid on the
reference date, some have lapsed, and earlier certificates form a renewal chain.
科技型中小企业 is evaluated every year and valid to 31 December of that year.

Certificate numbers follow the real 高企 pattern GR + year + 31 + six digits; the other
prefixes are synthetic.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huiqi.profiles import synth_values as sv
from huiqi.profiles.synth_population import Population

# name -> (certificate prefix, first year the title existed, issue months)
THREE_YEAR = {
    "high_tech": ("GR", 2008, (10, 12)),
    "innovative_sme": ("CX", 2022, (6, 10)),
    "srdi_sme": ("ZJTX", 2019, (6, 12)),
    "little_giant": ("XJR", 2019, (7, 9)),
    "advanced_service": ("JSXJ", 2017, (5, 11)),
    # Management-system certificates are also valid three years (synthetic prefixes).
    "iso9001": ("QMS", 2000, (1, 12)),
    "iso14001": ("EMS", 2005, (1, 12)),
    "iso45001": ("OHS", 2018, (3, 12)),
}
LAPSED_SHARE = 0.15
RENEWAL_SHARE = 0.6


def draw_certificates(
    rng: np.random.Generator, pop: Population, uscc: pa.Array, *, as_of: dt.date
) -> dict[str, pa.Array]:
    """One row per certificate: uscc, qualification, certificate_id, valid_from, valid_to."""
    reg_year = sv.year_of(pop.registration_day)
    first_allowed = reg_year + 1  # a firm must be registered a year before recognition
    rows: list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray]] = []
    for name, (prefix, since, months) in THREE_YEAR.items():
        holders = np.flatnonzero(getattr(pop, name))
        h = holders.size
        # The latest certificate: recent (still valid) for most, older for lapsed holders.
        latest = np.where(
            rng.random(h) < LAPSED_SHARE,
            rng.integers(as_of.year - 7, as_of.year - 3, h),
            rng.integers(as_of.year - 3, as_of.year, h),
        )
        latest = np.maximum(latest, np.maximum(first_allowed[holders], since))
        keep = np.ones(h, dtype=bool)
        for step in range(5):
            year = latest - 3 * step
            if step:
                keep &= (rng.random(h) < RENEWAL_SHARE) & (year >= first_allowed[holders])
                keep &= year >= since
            take = keep & (year <= as_of.year)
            if not take.any():
                break
            start = _issue_day(rng, year[take], months)
            rows.append((name, prefix, holders[take], start, _plus_three_years(start)))
    # 科技型中小企业: re-evaluated yearly; a holder appears in most of the recent years.
    holders = np.flatnonzero(pop.tech_sme)
    for year in range(as_of.year - 3, as_of.year + 1):
        take = holders[(rng.random(holders.size) < 0.8) & (first_allowed[holders] <= year)]
        years = np.full(take.size, year, dtype=np.int64)
        start = _issue_day(rng, years, (3, 9))
        end = sv.first_day_of_year(years + 1) - 1
        rows.append(("tech_sme", "KJ", take, start, end))

    names = np.concatenate([np.full(r[2].size, r[0], dtype=object) for r in rows])
    prefixes = np.concatenate([np.full(r[2].size, r[1], dtype=object) for r in rows])
    index = np.concatenate([r[2] for r in rows]).astype(np.int64)
    start = np.concatenate([r[3] for r in rows])
    end = np.concatenate([r[4] for r in rows])
    serial = pc.utf8_lpad(
        pa.array(rng.integers(1, 1_000_000, index.size)).cast(pa.string()), 6, "0"
    )
    issue_year = pa.array(sv.year_of(start)).cast(pa.string())
    certificate = pc.binary_join_element_wise(
        pa.array(prefixes, pa.string()), issue_year, pa.array(np.full(index.size, "31")), serial, ""
    )
    return {
        "uscc": uscc.take(pa.array(index)),
        "qualification": pa.array(names, pa.string()),
        "certificate_id": certificate,
        "valid_from": sv.dates(start),
        "valid_to": sv.dates(end),
    }


def _issue_day(rng: np.random.Generator, years: np.ndarray, months: tuple[int, int]) -> np.ndarray:
    """A day in the issue months of each year; day of month <= 28 keeps anniversaries exact."""
    month = rng.integers(months[0], months[1] + 1, years.size)
    first = ((years - 1970) * 12 + month - 1).astype("datetime64[M]").astype("datetime64[D]")
    return first.astype(np.int64) + rng.integers(0, 28, years.size)


def _plus_three_years(start: np.ndarray) -> np.ndarray:
    """The day before the third anniversary of each day number."""
    days = start.astype("datetime64[D]")
    month = days.astype("datetime64[M]")
    day_of_month = days - month.astype("datetime64[D]")
    return ((month + 36).astype("datetime64[D]") + day_of_month).astype(np.int64) - 1

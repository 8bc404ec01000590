"""More enterprises to look for a 0.00 amount on: eligible ones with one value the amount
formula reads changed to each value where a formula typically reaches 0.

The edge frame (:mod:`huiqi.engine.edges`) holds each field's ends and zero, which is
where rules break, not where an amount formula gives 0: ``CASE WHEN size_class = 'micro'
THEN 0 …`` needs the code ``micro``, ``GREATEST(revenue - 5000000, 0)`` needs revenue at
5,000,000. Starting from enterprises the policy found eligible, each field the formula
reads takes every code of its code list (enums), both truth values (booleans), or each
number written in the formula and its neighbours and the smallest positive value the
field holds (numbers: 1 for a count, 0.01 yuan for money, the stored step 0.000001 for a
decimal), where an amount rounds down to 0.00 (``0.001 * rd_staff`` with one R&D person,
``LEAST(0.001 * rd_staff, 5000)``) whatever the criteria let the edge frame hold.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.frame_columns import FrameColumn
from huiqi.engine.profile import RawProfile
from huiqi.profiles.dictionary import Field, load_codelist, load_dictionary
from huiqi.profiles.uscc import make

MOST_CODES = 64  # a code list longer than this (industries) is left to the edge frame
# The smallest positive value of each number type: a count of 1, one fen, and the step of
# the DECIMAL(18,6) a decimal is stored as (huiqi.engine.edges.DECIMAL_MAX).
SMALLEST = {"integer": Decimal(1), "money": Decimal("0.01"), "decimal": Decimal("0.000001")}
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])")


def _candidates(field: Field, formula: str) -> list[Any]:
    """The values of ``field`` worth trying for a 0.00 amount under ``formula``."""
    if field.type == "enum":
        codes = sorted(load_codelist(field.codes).codes) if field.codes else []
        return codes if len(codes) <= MOST_CODES else []
    if field.type == "boolean":
        return [False, True]
    if field.type not in ("integer", "money", "decimal"):
        return []
    step = Decimal(1) if field.type == "integer" else Decimal("0.01")
    values: set[Decimal] = {SMALLEST[field.type]}
    for text in _NUMBER.findall(formula):
        n = Decimal(text)
        values |= {n - step, n, n + step}
    low = field.min if field.min is not None else None
    high = field.max if field.max is not None else None
    if low is not None and low > 0:
        values.add(low)  # the smallest value a field whose range starts above 0 holds
    kept = sorted(v for v in values if (low is None or v >= low) and (high is None or v <= high))
    if field.type == "integer":
        return [int(v) for v in kept if v == v.to_integral_value()]
    return [v.quantize(step) if field.type == "money" else v for v in kept]


def _with(profile: RawProfile, column: FrameColumn, value: Any, uscc: str) -> RawProfile:
    if column.kind == "static":
        return dataclasses.replace(
            profile, uscc=uscc, static={**profile.static, column.field: value}
        )
    assert column.year is not None
    years = {y: dict(v) for y, v in profile.years.items()}
    years.setdefault(column.year, {})[column.field] = value
    return dataclasses.replace(profile, uscc=uscc, years=years)


def probes(
    cp: CompiledPolicy, eligible: Iterable[RawProfile], *, start: int = 0
) -> list[RawProfile]:
    """Variants of ``eligible`` (a few of the policy's eligible enterprises), one value
    of one amount field changed each."""
    d = load_dictionary()
    formula = cp.policy.amount.formula
    out: list[RawProfile] = []
    for base in eligible:
        for column in sorted(set(cp.amount_reads)):
            if column.kind not in ("static", "yearly") or d.get(column.field) is None:
                continue
            for value in _candidates(d.field(column.field), formula):
                uscc = make(f"91310115MA2X{start + len(out):05d}")
                out.append(_with(base, column, value, uscc))
                if column.kind == "yearly" and _other_years(base, column):
                    # Every year of the field at the value: 'revenue >= 1.1 * revenue[-1]'
                    # holds at 0 and 0, where LEAST(0.01 * revenue, 200000) pays 0.00; one
                    # year changed alone fails the growth (QA, qa7).
                    uscc = make(f"91310115MA2X{start + len(out):05d}")
                    out.append(_every_year(base, column, value, uscc))
    return out


def _other_years(profile: RawProfile, column: FrameColumn) -> bool:
    return any(
        column.field in values and year != column.year for year, values in profile.years.items()
    )


def _every_year(profile: RawProfile, column: FrameColumn, value: Any, uscc: str) -> RawProfile:
    years = {
        y: {**v, column.field: value} if column.field in v or y == column.year else dict(v)
        for y, v in profile.years.items()
    }
    assert column.year is not None
    years.setdefault(column.year, {})[column.field] = value
    return dataclasses.replace(profile, uscc=uscc, years=years)

"""Raw enterprise profiles as Python values, for test cases and the reference evaluator.

A ``RawProfile`` is what the store holds for one enterprise: its static fields,
its yearly fields by year, and its qualification certificates. Backends load
profiles as their own kind of table (``engine/duckdb/profile_rows``); the
reference evaluator reads them as they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from huiqi.errors import PolicyError
from huiqi.profiles.dictionary import Dictionary, Field, load_dictionary
from huiqi.profiles.uscc import make


@dataclass
class RawProfile:
    uscc: str
    static: dict[str, Any] = field(default_factory=dict)
    years: dict[int, dict[str, Any]] = field(default_factory=dict)
    qualifications: list[tuple[str, dt.date, dt.date]] = field(default_factory=list)


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise PolicyError(f"{where}: '{value}' is not a date (YYYY-MM-DD)") from None


def _in_range(value: Any, f: Field, where: str) -> Any:
    """``value``, or a refusal when it is outside the field's dictionary range: the compiled
    rules are bounded by it, and an import would refuse the value too."""
    if value is None or f.min is None or f.max is None or f.min <= value <= f.max:
        return value
    unit = f" {f.unit}" if f.unit else ""
    raise PolicyError(
        f"{where}: {value} is outside the field's plausible range {f.min}..{f.max}{unit}"
        " (its dictionary range; an import refuses it too): use a value inside it"
    )


def _coerce(value: Any, ftype: str, where: str) -> Any:
    if value is None:
        return None
    if ftype in ("money", "decimal"):
        if isinstance(value, float):
            raise PolicyError(
                f"{where}: write money as an integer or a quoted decimal, not {value!r}"
            )
        return Decimal(str(value))
    if ftype == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise PolicyError(f"{where}: expected a whole number, got {value!r}")
        return value
    if ftype == "boolean":
        if not isinstance(value, bool):
            raise PolicyError(f"{where}: expected true or false, got {value!r}")
        return value
    if ftype == "date":
        return _date(value, where)
    if ftype == "tags":
        if not isinstance(value, list):
            raise PolicyError(f"{where}: tags are a list, as in [ai, regional_hq]")
        return [str(v) for v in value]
    return str(value)


def profile_from_case(
    data: dict[str, Any],
    *,
    data_year: int,
    seq: int = 1,
    dictionary: Dictionary | None = None,
    check_ranges: bool = True,
) -> RawProfile:
    """Build a profile from a test case's ``profile:`` mapping.

    Yearly fields take ``{year: value}`` or a single value (meaning the data year);
    qualifications take a list of ``[valid_from, valid_to]`` pairs. A number outside its
    field's dictionary range is refused (``check_ranges=False`` lets tests build the data
    an old snapshot may hold).
    """
    d = dictionary or load_dictionary()
    uscc = str(data.get("uscc") or make(f"91310115MA{seq:07d}"))
    prof = RawProfile(uscc=uscc)
    for name, value in data.items():
        if name == "uscc":
            continue
        f = d.get(name)
        where = f"profile field '{name}'"
        if f is None:
            raise PolicyError(f"{where} is not in the data dictionary")
        if f.type == "qualification":
            periods = value if isinstance(value, list) else [value]
            if periods and not isinstance(periods[0], list | tuple | dict):
                periods = [periods]
            for p in periods:
                start, end = (p["from"], p["to"]) if isinstance(p, dict) else p
                prof.qualifications.append((name, _date(start, where), _date(end, where)))
        elif f.yearly:
            per_year = value if isinstance(value, dict) else {data_year: value}
            for year, v in per_year.items():
                value_of_year = _coerce(v, f.type, f"{where} {year}")
                if check_ranges:
                    _in_range(value_of_year, f, f"{where} {year}")
                prof.years.setdefault(int(year), {})[name] = value_of_year
        else:
            prof.static[name] = _coerce(value, f.type, where)
            if check_ranges:
                _in_range(prof.static[name], f, where)
    return prof

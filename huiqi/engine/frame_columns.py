"""Names of the columns of the matching frame, and what each one means.

The frame is one wide row per enterprise. A compiled rule reads only frame
columns; their names encode their meaning so that the SQL frame builder and the
pure-Python reference evaluator can each compute them independently:

* ``district_code``                 a static field
* ``revenue__2024``                 a yearly field in one year
* ``high_tech__held__20241231``     a certificate of that type is valid on that date
* ``high_tech__new__2024``          a certificate of that type starts in that year
* ``contract_total__c__20250101__20251231__corpus.data``  a contract aggregate of the
  enterprise as buyer, signed in that period, of those types (none: any type); the
  field is the function: ``contract_total``, ``unrelated_contract_total`` or
  ``related_contract``
  (``..._ids``: the ids of the contracts it counted, read by explanations)
* ``revenue__group__20251231__2024``  a field's total over the enterprise and its
  related enterprises on that date (the year for a yearly field; none for a static one)

What the aggregates mean (related parties, unknown periods) is said once, in
``huiqi/engine/related.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

Kind = Literal["static", "yearly", "held", "new", "contracts", "group"]
CONTRACT_FUNCTIONS = ("contract_total", "unrelated_contract_total", "related_contract")
# The companion column that lists the contracts a contract column counted, for traces.
IDS = "_ids"
# Bounds of the aggregates, so that arithmetic on them is sized (compile/numeric): a
# contract total below 10^20 yuan, a group total below 10^4 times its field's largest
# value. A larger total cannot come from real data and is unknown.
CONTRACT_DIGITS = 20
GROUP_DIGITS = 4


@dataclass(frozen=True, order=True)
class FrameColumn:
    kind: Kind
    field: str
    year: int | None = None
    date: dt.date | None = None
    until: dt.date | None = None
    types: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        if self.kind == "contracts":
            assert self.date is not None and self.until is not None
            return (
                f"{self.field}__c__{self.date:%Y%m%d}__{self.until:%Y%m%d}__{'.'.join(self.types)}"
            )
        if self.kind == "group":
            assert self.date is not None
            year = "" if self.year is None else f"__{self.year}"
            return f"{self.field}__group__{self.date:%Y%m%d}{year}"
        if self.kind == "static":
            return self.field
        if self.kind == "yearly":
            return f"{self.field}__{self.year}"
        if self.kind == "held":
            assert self.date is not None
            return f"{self.field}__held__{self.date:%Y%m%d}"
        return f"{self.field}__new__{self.year}"

    @classmethod
    def parse(cls, name: str) -> FrameColumn:
        parts = name.split("__")
        if len(parts) == 1:
            return cls("static", name)
        if len(parts) == 2:
            return cls("yearly", parts[0], year=int(parts[1]))
        if parts[1] == "c":
            return cls(
                "contracts",
                parts[0],
                date=_day(parts[2]),
                until=_day(parts[3]),
                types=tuple(t for t in parts[4].split(".") if t),
            )
        if parts[1] == "group":
            year = int(parts[3]) if len(parts) > 3 else None
            return cls("group", parts[0], year=year, date=_day(parts[2]))
        if parts[1] == "held":
            return cls("held", parts[0], date=dt.datetime.strptime(parts[2], "%Y%m%d").date())
        return cls("new", parts[0], year=int(parts[2]))

    def describe(self) -> str:
        """A short human text: 'revenue (2024)', 'high_tech held on 2024-12-31'."""
        if self.kind == "contracts":
            types = ", ".join(self.types) or "any type"
            return f"{self.field} {self.date}..{self.until} ({types})"
        if self.kind == "group":
            year = f" ({self.year})" if self.year is not None else ""
            return f"{self.field}{year} over the group on {self.date}"
        if self.kind == "static":
            return self.field
        if self.kind == "yearly":
            return f"{self.field} ({self.year})"
        if self.kind == "held":
            return f"{self.field} held on {self.date}"
        return f"{self.field} first valid in {self.year}"


def _day(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%Y%m%d").date()


def counted_ids(col: FrameColumn) -> FrameColumn | None:
    """For a contracts column, the column of the contract ids it counted (sorted; for
    ``related_contract``, the related ones), which explanations show; else None."""
    if col.kind != "contracts" or col.field.endswith(IDS):
        return None
    return FrameColumn(
        "contracts", col.field + IDS, date=col.date, until=col.until, types=col.types
    )

"""Names of the columns of the matching frame, and what each one means.

The frame is one wide row per enterprise. A compiled rule reads only frame
columns; their names encode their meaning so that the SQL frame builder and the
pure-Python reference evaluator can each compute them independently:

* ``district_code``                 a static field
* ``revenue__2024``                 a yearly field in one year
* ``high_tech__held__20241231``     a certificate of that type is valid on that date
* ``high_tech__new__2024``          a certificate of that type starts in that year
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

Kind = Literal["static", "yearly", "held", "new"]


@dataclass(frozen=True, order=True)
class FrameColumn:
    kind: Kind
    field: str
    year: int | None = None
    date: dt.date | None = None

    @property
    def name(self) -> str:
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
        if parts[1] == "held":
            return cls("held", parts[0], date=dt.datetime.strptime(parts[2], "%Y%m%d").date())
        return cls("new", parts[0], year=int(parts[2]))

    def describe(self) -> str:
        """A short human text: 'revenue (2024)', 'high_tech held on 2024-12-31'."""
        if self.kind == "static":
            return self.field
        if self.kind == "yearly":
            return f"{self.field} ({self.year})"
        if self.kind == "held":
            return f"{self.field} held on {self.date}"
        return f"{self.field} first valid in {self.year}"

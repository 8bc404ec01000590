"""Times in the API's answers: the stored UTC time, said to be UTC.

The ledger keeps times in UTC without a zone (``huiqi.delivery.models.utcnow``), and the
answers gave them so: "2026-12-05T09:39:01.099156", which the OpenAPI document calls a
``date-time`` (RFC 3339 requires the offset) and which a client in China reads as its own
time, eight hours off (QA). Each is now written with its zone,
"2026-12-05T09:39:01.099156Z"; the instant is the same.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored time (UTC, no zone) with its zone; one with a zone, in UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


Utc = Annotated[dt.datetime, AfterValidator(as_utc)]

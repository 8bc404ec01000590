"""The catalogue's filters as they arrive from a form or a query string (text, often
empty), parsed into a :class:`~huiqi.catalogue.service.CatalogueFilter`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from huiqi.catalogue.service import CatalogueFilter, CatalogueQueryError


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def parse_filter(
    *,
    q: str | None = None,
    department: str | None = None,
    level: str | None = None,
    district: str | None = None,
    mode: str | None = None,
    deadline_after: str | None = None,
    amount_min: str | None = None,
    subunits: bool = False,
) -> CatalogueFilter:
    """Empty fields are no filter; a date or amount that cannot be read is refused with
    the format that is expected."""
    deadline = None
    if text := _blank(deadline_after):
        try:
            deadline = dt.date.fromisoformat(text)
        except ValueError:
            raise CatalogueQueryError(
                f"deadline_after '{text[:40]}' is not a date; write it as YYYY-MM-DD",
                field="deadline_after",
            ) from None
    amount = None
    if text := _blank(amount_min):
        try:
            amount = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise CatalogueQueryError(
                f"amount_min '{text[:40]}' is not an amount in yuan (e.g. 50000)",
                field="amount_min",
            ) from None
        # copy_abs, not abs(): abs() rounds in the context, where an exponent beyond its
        # range ("1E+999999999999999999") raised decimal.Overflow (a server error).
        if not amount.is_finite() or amount.copy_abs() > Decimal(10) ** 15:
            raise CatalogueQueryError(
                "amount_min must be an amount in yuan below 10^15", field="amount_min"
            )
    chosen = CatalogueFilter(
        q=_blank(q),
        department=_blank(department),
        level=_blank(level),
        district=_blank(district),
        mode=_blank(mode),
        deadline_after=deadline,
        amount_min_yuan=amount,
        subunits=subunits,
    )
    chosen.check()
    return chosen

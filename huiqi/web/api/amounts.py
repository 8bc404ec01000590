"""Money in the API's JSON: integer fen and, beside each ``X_fen``, ``X_yuan``: the same
amount as an exact decimal string in yuan, ``"1234.00"`` (always two decimals, no
thousands separators, ``-`` when negative), which any client can read as a decimal.
The pages group digits for people (``1,234.00``); a machine-readable field never does."""

from __future__ import annotations

from huiqi.money import format_yuan


def yuan(fen: int | None) -> str | None:
    """``fen`` as exact yuan text for an API field (None stays None)."""
    return None if fen is None else format_yuan(fen, grouping=False)


def yuan_of(fen: int) -> str:
    """As ``yuan``, for an amount that is always known."""
    return format_yuan(fen, grouping=False)

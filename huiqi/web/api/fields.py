"""Constraints shared by the API's request bodies."""

from __future__ import annotations

from pydantic import AfterValidator


def _written(value: str) -> str:
    if not value.strip():
        raise ValueError("only spaces: write the reason, which is kept in the audit trail")
    return value


# A free-text reason (a rejection, a decision, a correction) must say something: text of
# spaces only is a 422 naming the field, as an empty one is (it was a 409 from the service).
NotBlank = AfterValidator(_written)

"""A grant's explanation: the trace it was granted on.

A grant refers to its delivery record's explanation instead of holding a copy (its
``explanation`` column holds JSON null): the record's is written when the record is
made and never rewritten, so it is the trace the grant was made on. Grants made
before the explanation was stored once, and grants whose pro-rata allocation added
its note, hold their own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.delivery.models import Entitlement, Grant

# The text bulk inserts write for "the record's explanation" (JSON null).
OF_RECORD = "null"


def of_grant(session: Session, grant: Grant) -> dict[str, Any]:
    """The explanation ``grant`` was made on: its own, or else its record's."""
    if grant.explanation is not None:
        return grant.explanation
    own: dict[str, Any] | None = session.scalar(
        select(Entitlement.explanation).where(Entitlement.id == grant.entitlement_id)
    )
    return own or {}

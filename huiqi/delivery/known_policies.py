"""Whether a policy id names a published policy: a listing filtered by a mistyped id must
say so, not answer an empty list as if the policy had nothing.

Published policies are public (the catalogue lists them to anyone), so telling that an id
is unknown, and which published id is closest, tells a reader nothing they may not see.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.delivery.models import PolicyVersion
from huiqi.errors import NotFoundError
from huiqi.wording import did_you_mean

# The most of an unknown id a refusal repeats: the id is the caller's own text.
SHOWN = 120


def require_published(session: Session, policy_id: str | None, *, hint: str) -> None:
    """NotFoundError unless ``policy_id`` (None: no filter) names a policy a version was
    ever published under (retired ones included: their records and grants remain), with
    the closest published id and ``hint``, which says where the ids are listed."""
    if policy_id is None:
        return
    if session.scalar(
        select(PolicyVersion.id).where(PolicyVersion.policy_id == policy_id).limit(1)
    ):
        return
    known = session.scalars(select(PolicyVersion.policy_id).distinct()).all()
    raise NotFoundError(
        f"no policy '{policy_id[:SHOWN]}' is published"
        f"{did_you_mean(policy_id[:SHOWN], sorted(known))}; {hint}"
    )

"""Which policy an enterprise's message is about, so that the inbox can link to it.

A message's dedupe key names the fact it tells (:class:`huiqi.delivery.notify.Message`):
each fact about one policy version for one enterprise is keyed
``<fact>:<policy version id>:<uscc>:…`` (offered, granted, decision, withdrawn, …); other
facts name other things second (a grant, a request, a record), never followed by the
enterprise's USCC. Regression (qa4): an offer in the inbox said "confirm with one click by
…" with no way from there to the policy and its confirm button.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.delivery.models import Notification, PolicyVersion


def version_told(message: Notification) -> int | None:
    """The id of the policy version ``message`` is about, if its key names one.

    >>> version_told(Notification(uscc="X", dedupe_key="offer:12:X:2026:inbox"))
    12
    >>> version_told(Notification(uscc="X", dedupe_key="paid:7:3:inbox")) is None
    True
    """
    parts = message.dedupe_key.split(":")
    if len(parts) >= 3 and parts[2] == message.uscc and parts[1].isdigit():
        return int(parts[1])
    return None


def policies_told(session: Session, messages: Iterable[Notification]) -> dict[int, str]:
    """Message id → the id of the policy it is about, for those about a policy."""
    versions = {m.id: v for m in messages if (v := version_told(m)) is not None}
    if not versions:
        return {}
    rows = session.execute(
        select(PolicyVersion.id, PolicyVersion.policy_id).where(
            PolicyVersion.id.in_(set(versions.values()))
        )
    )
    policy_of = {pv_id: policy_id for pv_id, policy_id in rows}
    return {m: policy_of[v] for m, v in versions.items() if v in policy_of}

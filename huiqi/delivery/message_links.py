"""Where an enterprise's message is followed, so that the inbox can link there.

A message's dedupe key names the fact it tells (:class:`huiqi.delivery.notify.Message`):
each fact about one policy version for one enterprise is keyed
``<fact>:<policy version id>:<uscc>:…`` (offered, granted, decision, withdrawn, …); a
request's ``desk:<request id>:…``; a payment's ``paid:<grant id>:<batch>`` or
``payment_failed:…``; a data correction's ``correction:<id>``. Regression (qa4): an offer
said "confirm with one click by …", an answered request "rate the answer in the portal",
with no way from the inbox to the page where that is done.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.delivery.models import Notification, PolicyVersion

POLICY, REQUEST, GRANTS, DATA = "policy", "request", "grants", "data"
# A failed payment's message links to the request form for its grant: the enterprise
# cannot edit its bank account itself (the department corrects it), and the message told
# it to "correct the account" with no page to do it (qa12).
REPORT_PAYMENT = "report_payment"
_BY_PREFIX = {"paid": GRANTS, "correction": DATA}


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


def _other(message: Notification) -> tuple[str, str] | None:
    """(what, its id or '') of a message about no policy: a request, a payment, data."""
    fact, _, rest = message.dedupe_key.partition(":")
    first = rest.partition(":")[0]
    if fact == "desk" and first.isdigit():
        return REQUEST, first
    if fact == "payment_failed":
        return (REPORT_PAYMENT, first) if first.isdigit() else (GRANTS, "")
    if fact in _BY_PREFIX:
        return _BY_PREFIX[fact], ""
    return None


def message_links(session: Session, messages: Iterable[Notification]) -> dict[int, tuple[str, str]]:
    """Message id → (what it is about, an id): (POLICY, policy id), (REQUEST, request
    id), (REPORT_PAYMENT, grant id), (GRANTS, '') or (DATA, ''); a message about nothing
    of these has no entry."""
    listed = list(messages)
    versions = {m.id: v for m in listed if (v := version_told(m)) is not None}
    policy_of: dict[int, str] = {}
    if versions:
        rows = session.execute(
            select(PolicyVersion.id, PolicyVersion.policy_id).where(
                PolicyVersion.id.in_(set(versions.values()))
            )
        )
        policy_of = {pv_id: policy_id for pv_id, policy_id in rows}
    links: dict[int, tuple[str, str]] = {}
    for m in listed:
        if m.id in versions:
            if versions[m.id] in policy_of:
                links[m.id] = (POLICY, policy_of[versions[m.id]])
        elif (other := _other(m)) is not None:
            links[m.id] = other
    return links

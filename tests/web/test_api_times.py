"""A time in the API's answers is written with its zone (UTC), as the OpenAPI document's
``date-time`` (RFC 3339) requires.

Regression (QA): the answers gave the stored UTC time without a zone,
"2026-12-05T09:39:01.099156", which a client in China reads as its own time, eight hours
off, and which a client validating against the document refuses."""

from __future__ import annotations

import datetime as dt

from portal_data import Portal

from huiqi.web.api.times import as_utc


def test_the_records_and_inbox_times_say_utc(portal: Portal) -> None:
    client, headers = portal.client(), {"Authorization": f"Bearer {portal.token('ent3')}"}
    record = client.get("/api/v1/records", headers=headers).json()[0]
    message = client.get("/api/v1/inbox", headers=headers).json()[0]
    for said in (record["updated_at"], message["created_at"]):
        assert said.endswith("Z"), said
        when = dt.datetime.fromisoformat(said)
        assert when.utcoffset() == dt.timedelta(0)
        # The instant stored (written moments ago), not shifted by eight hours.
        assert abs(dt.datetime.now(dt.UTC) - when) < dt.timedelta(hours=1)


def test_a_stored_time_keeps_its_instant() -> None:
    stored = dt.datetime(2026, 12, 5, 9, 39, 1)
    assert as_utc(stored) == stored.replace(tzinfo=dt.UTC)
    china = dt.datetime(2026, 12, 5, 17, 39, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert as_utc(china) == stored.replace(tzinfo=dt.UTC)
    assert as_utc(china).tzinfo is dt.UTC

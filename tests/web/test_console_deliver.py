"""Delivering a published version from the console ("deliver now"), as ``huiqi deliver``
does. QA (qa12): the console could publish a draft, but a version published without
being delivered (the demo publishes versions that way) could be delivered only from the
CLI or by the scheduler. A publisher of the policy's scope now delivers it from the
policies page, as a background job whose page shows what it made; anyone else is
refused on the page, and nothing is delivered."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from portal_data import Portal, page_token, sign_in
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import policy_yaml

from huiqi.accounts.testing import OFFICER
from huiqi.delivery.models import Entitlement
from huiqi.delivery.versions import publish_text
from huiqi.jobs import runner

LATE = "web-late"


def _records(portal: Portal, pv_id: int) -> int:
    with portal.factory() as s:
        return s.scalar(select(func.count()).where(Entitlement.policy_version_id == pv_id)) or 0


def test_a_publisher_delivers_a_published_version_from_the_console(staff: Portal) -> None:
    pv, _ = publish_text(
        staff.factory, policy_yaml(LATE, delivery="auto"), f"{LATE}.yaml", actor=OFFICER
    )
    assert _records(staff, pv.id) == 0  # published, not delivered
    url = f"/console/policies/versions/{pv.id}/deliver"

    # Refused to an officer outside the policy's district and to an author: said on the
    # page, and nothing is delivered.
    for name in ("outsider", "author"):
        client = sign_in(staff.client(), name)
        listed = client.get("/console/policies").text
        assert f'action="{url}"' not in listed
        refused = client.post(url, data={"csrf_token": page_token(client, "/console/policies")})
        assert refused.status_code == 403 and 'id="deliver-error"' in refused.text
    assert _records(staff, pv.id) == 0
    # Without the form's token: refused as every form is.
    publisher = sign_in(staff.client(), "publisher")
    assert publisher.post(url, data={}).status_code in (400, 403)

    listed = publisher.get("/console/policies").text
    assert f'action="{url}"' in listed and "立即推送" in listed
    done = publisher.post(
        url, data={"csrf_token": page_token(publisher, "/console/policies")}, follow_redirects=False
    )
    assert done.status_code == 303
    job = re.match(r"/console/jobs/(\d+)$", done.headers["location"])
    assert job, done.headers["location"]
    assert runner.wait(int(job.group(1)), timeout=120)
    assert _records(staff, pv.id) > 0
    page = publisher.get(done.headers["location"]).text
    assert 'data-state="done"' in page and "推送已完成" in page
    publisher.get("/lang/en")
    english = publisher.get(done.headers["location"]).text
    assert f"Delivering {LATE}" in english and "matched" in english
    assert "Deliver now" in publisher.get("/console/policies").text

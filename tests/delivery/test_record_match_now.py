"""A record's listed match_status says what is true now: a record a later snapshot found no
longer eligible reads not_eligible while it is flagged (service and and `huiqi records --json`:
tests/cli/test_cli_records_match.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import factories as make
import pytest
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import FINANCE, OFFICER
from huiqi.db.engine import transaction
from huiqi.delivery import applications as apps
from huiqi.delivery import service as ledger
from huiqi.delivery.applications import ApplicationError
from huiqi.delivery.flags import flag_for_review
from huiqi.delivery.models import Application
from huiqi.delivery.review import resolve_flag


def flagged_records(factory: sessionmaker[Session]) -> dict[str, int]:
    """Four records of one version: kept, flagged as no longer eligible (an offer and a
    grant), and one flagged by 就高不重复 (excluded, which says nothing about eligibility)."""
    with transaction(factory) as s:
        pv = make.policy_version(s, delivery="confirm")
        kept = make.entitlement(s, pv, status="offered")
        offer = make.entitlement(s, pv, status="offered")
        granted = make.entitlement(s, pv, status="granted")
        excluded = make.entitlement(
            s, pv, status="excluded", review_flag=True, review_reason="就高不重复 … flagged"
        )
        lost = [(e.id, e.uscc, pv.id) for e in (offer, granted)]
        flag_for_review(s, lost, 2, "scheduler")
        return {"kept": kept.id, "offer": offer.id, "granted": granted.id, "excluded": excluded.id}


def test_a_flagged_record_lists_as_not_eligible(sessions: sessionmaker[Session]) -> None:
    """Regression: records flagged 'no longer eligible' still listed match_status eligible."""
    ids = flagged_records(sessions)
    with sessions() as s:
        rows = {r.id: r for r in ledger.list_records(s, actor=FINANCE)}
    assert {k: rows[i].match_status for k, i in ids.items()} == {
        "kept": "eligible",
        "offer": "not_eligible",
        "granted": "not_eligible",
        "excluded": "eligible",
    }
    assert rows[ids["offer"]].reason is not None
    assert rows[ids["offer"]].reason.startswith("no longer eligible on snapshot 2")


def test_a_flagged_application_is_not_decidable_until_its_flag_is_resolved(
    sessions: sessionmaker[Session],
) -> None:
    """Regression: an application flagged as no longer eligible listed as eligible and
    decidable, and was approved without a look at the flag."""
    with transaction(sessions) as s:
        pv = make.policy_version(s, delivery="apply")
        ent = make.entitlement(s, pv, status="submitted")
        ent.mode = "apply"
        s.add(Application(entitlement_id=ent.id, prefilled={}))
        flag_for_review(s, [(ent.id, ent.uscc, pv.id)], 2, "scheduler")
    with sessions() as s:
        (row,) = ledger.list_applications(s, actor=OFFICER)
    assert (row.match_status, row.decidable) == ("not_eligible", False)
    with pytest.raises(ApplicationError, match=f"application {ent.id} is flagged for review: no"):
        apps.approve(sessions, ent.id, actor=OFFICER)
    resolve_flag(sessions, ent.id, actor=OFFICER, outcome="keep", reason="经核实仍符合")
    with sessions() as s:
        (row,) = ledger.list_applications(s, actor=OFFICER)
    assert (row.match_status, row.decidable) == ("eligible", True)
    assert apps.approve(sessions, ent.id, actor=OFFICER).grant_id is not None

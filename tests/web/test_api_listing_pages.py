"""Three listings read to their end a page at a time by keyset, with no item twice and none
left out: the finance batches and an officer's inbox (newest first, ``before_id``), and the
complaints about an enterprise (by each group's first complaint, ``after_id``).

Regression (QA): each took a ``limit`` and no cursor, so an integrator could not reach the
items past the first page (1000 batches, 500 messages, 1000 complaint groups)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from portal_data import Portal
from sqlalchemy import select

from huiqi.accounts.models import User
from huiqi.complaints.models import Complainant, Complaint
from huiqi.db.engine import transaction
from huiqi.delivery.models import Batch
from huiqi.desk.models import OfficerMessage


def bearer(portal: Portal, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.token(user)}"}


def _pages(
    get: Callable[[dict[str, object]], list[dict[str, object]]], cursor: str, limit: int
) -> list[list[dict[str, object]]]:
    """Every page of a listing, following ``cursor`` from the last item's id."""
    pages, params = [], {"limit": limit}
    while page := get(params):
        pages.append(page)
        params = {"limit": limit, cursor: page[-1]["id"]}
    return pages


def test_the_finance_batches_are_read_to_their_end(portal: Portal) -> None:
    with transaction(portal.factory) as s:
        s.add_all(Batch(created_by="finance", grants=0, total_fen=0) for _ in range(7))
    with transaction(portal.factory) as s:
        held = sorted(s.scalars(select(Batch.id)), reverse=True)
    api, headers = portal.client(), bearer(portal, "finance")

    def get(params: dict[str, object]) -> list[dict[str, object]]:
        answer = api.get("/api/v1/finance/batches", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    for limit in (1, 2, 3):
        pages = _pages(get, "before_id", limit)
        assert [b["id"] for page in pages for b in page] == held
        assert all(len(page) <= limit for page in pages)


def test_an_officers_inbox_is_read_to_its_end(portal: Portal) -> None:
    filed = portal.client().post(
        "/api/v1/requests",
        json={"category": "policy", "text": "申报材料要交哪些？"},
        headers=bearer(portal, "ent2"),
    )
    assert filed.status_code == 200, filed.text
    with transaction(portal.factory) as s:
        officer = s.scalars(select(User.id).where(User.username == "desk-policy")).one()
        other = s.scalars(select(User.id).where(User.username == "desk-finance")).one()
        for i in range(6):
            for user in (officer, other):
                s.add(
                    OfficerMessage(
                        user_id=user,
                        kind="reminder",
                        request_id=filed.json()["id"],
                        department="市经济信息化委",
                        task="acknowledge",
                        due=dt.date(2026, 3, 1) + dt.timedelta(days=i),
                    )
                )
    with transaction(portal.factory) as s:
        mine = s.scalars(select(OfficerMessage.id).where(OfficerMessage.user_id == officer))
        held = sorted(mine, reverse=True)
    api, headers = portal.client(), bearer(portal, "desk-policy")

    def get(params: dict[str, object]) -> list[dict[str, object]]:
        answer = api.get("/api/v1/console/inbox", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    for limit in (1, 4):
        pages = _pages(get, "before_id", limit)
        assert [m["id"] for page in pages for m in page] == held


# (ref, filed on, answer group): ids in this order, which is not the order filed; groups
# whose complaints interleave with other groups', and two firsts filed on the same day.
COMPLAINTS = [
    ("Q-E1", dt.date(2026, 3, 9), None),
    ("Q-A1", dt.date(2026, 3, 2), None),
    ("Q-B1", dt.date(2026, 3, 4), None),
    ("Q-A2", dt.date(2026, 3, 5), "Q-A1"),
    ("Q-C1", dt.date(2026, 3, 4), None),
    ("Q-B2", dt.date(2026, 3, 10), "Q-B1"),
    ("Q-D1", dt.date(2026, 3, 6), None),
    ("Q-A3", dt.date(2026, 3, 11), "Q-A1"),
    ("Q-F1", dt.date(2026, 3, 1), None),
]


def test_the_complaints_about_an_enterprise_are_read_to_their_end(portal: Portal) -> None:
    ours, theirs = portal.usccs[7], portal.usccs[6]
    with transaction(portal.factory) as s:
        who = Complainant(id_hash="p" * 32, id_masked="3101**********1234")
        s.add(who)
        s.flush()
        for ref, filed_on, group in COMPLAINTS:
            s.add(
                Complaint(
                    ref=ref,
                    complainant_id=who.id,
                    uscc=ours,
                    text=f"投诉 {ref}",
                    filed_on=filed_on,
                    answer_group=group,
                    imported_by="test",
                )
            )
        s.add(
            Complaint(
                ref="Q-X1", complainant_id=who.id, uscc=theirs, text="另一家",
                filed_on=dt.date(2026, 3, 3), imported_by="test",
            )
        )  # fmt: skip
    with transaction(portal.factory) as s:
        ids = {ref: cid for ref, cid in s.execute(select(Complaint.ref, Complaint.id))}
    # Expected: the groups in the order of their first complaint (filed on, then id).
    groups: dict[str, list[str]] = {}
    for ref, _, group in sorted(COMPLAINTS, key=lambda c: (c[1], ids[c[0]])):
        groups.setdefault(group or ref, []).append(ref)
    api, headers = portal.client(), bearer(portal, "ent7")

    def get(params: dict[str, object]) -> list[dict[str, object]]:
        answer = api.get("/api/v1/complaints/about-us", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    for limit in (1, 2, 4, 100):
        pages = _pages(get, "after_id", limit)
        listed = [(g["answer_group"], g["refs"], g["id"]) for page in pages for g in page]
        assert [(key, refs) for key, refs, _ in listed] == list(groups.items())
        assert [first for _, _, first in listed] == [ids[refs[0]] for refs in groups.values()]
    # Another enterprise's complaint is no cursor of this listing.
    refused = api.get(
        "/api/v1/complaints/about-us", params={"after_id": ids["Q-X1"]}, headers=headers
    )
    assert refused.status_code == 404, refused.text
    assert refused.json()["code"] == "not_found"

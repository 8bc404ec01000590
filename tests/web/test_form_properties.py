"""Whatever the new pages' forms receive (any text in any field, valid CSRF token or not),
the server answers with a page, never a server error, and a refused form changes nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import Portal, page_token, sign_in
from sqlalchemy import func, select

from huiqi.delivery.feedback_models import CorrectionRequest, Rating

TEXT = st.text(max_size=40) | st.sampled_from(["", "0", "-1", "2025", "9" * 30, "true", "1.5"])
RUNS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _counts(portal: Portal) -> tuple[int, int]:
    with portal.factory() as s:
        return (
            s.scalar(select(func.count()).select_from(CorrectionRequest)) or 0,
            s.scalar(select(func.count()).select_from(Rating)) or 0,
        )


def test_the_enterprise_forms_never_fail_on_odd_input(portal: Portal) -> None:
    client = sign_in(portal.client(), "ent1")
    token = page_token(client, "/my-data")

    @given(field=TEXT, year=TEXT, value=TEXT, comment=TEXT, kind=TEXT, target=TEXT, stars=TEXT)
    @RUNS
    def forms(
        field: str, year: str, value: str, comment: str, kind: str, target: str, stars: str
    ) -> None:
        report = client.post(
            "/my-data/correct",
            data={"field": field, "year": year, "value": value, "comment": comment}
            | {"csrf_token": token},
            follow_redirects=False,
        )
        assert report.status_code < 500, (field, year, value, report.text[-400:])
        rating = client.post(
            "/rate",
            data={"kind": kind, "target": target, "stars": stars, "comment": comment}
            | {"csrf_token": token},
            follow_redirects=False,
        )
        assert rating.status_code < 500, (kind, target, stars, rating.text[-400:])
        shown = client.get("/my-data/correct", params={"field": field, "year": year})
        assert shown.status_code < 500, (field, year)

    forms()


def test_the_officer_forms_never_fail_on_odd_input(portal: Portal) -> None:
    steward = sign_in(portal.client(), "steward")
    author = sign_in(portal.client(), "author")
    officer = sign_in(portal.client(), "officer")
    tokens = {c: page_token(c, "/policies") for c in (steward, author, officer)}
    before = _counts(portal)

    @given(decision=TEXT, reason=TEXT, text=TEXT, number=st.integers(1, 2**62))
    @RUNS
    def forms(decision: str, reason: str, text: str, number: int) -> None:
        decided = steward.post(
            f"/console/corrections/{number}/decide",
            data={"decision": decision, "reason": reason, "csrf_token": tokens[steward]},
            follow_redirects=False,
        )
        assert decided.status_code < 500, (decision, reason, decided.text[-400:])
        rejected = officer.post(
            f"/console/applications/{number}/reject",
            data={"reason": reason, "csrf_token": tokens[officer]},
            follow_redirects=False,
        )
        assert rejected.status_code < 500, (reason, rejected.text[-400:])
        simulated = author.post(
            "/console/simulate", data={"text": text, "csrf_token": tokens[author]}
        )
        assert simulated.status_code < 500, (text, simulated.text[-400:])

    forms()
    assert _counts(portal) == before


def test_the_complaint_review_form_never_fails_on_odd_input(portal: Portal) -> None:
    from portal_data import PASSWORD

    from huiqi.accounts import service as accounts
    from huiqi.accounts.roles import Role, RoleGrant
    from huiqi.complaints.models import ComplainantReview
    from huiqi.db.engine import transaction

    with transaction(portal.factory) as s:
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        accounts.add_user(
            s,
            actor=admin,
            username="complaints-fuzz",
            roles=[RoleGrant(Role.COMPLAINT_OFFICER)],
            password=PASSWORD,
        )
    officer = sign_in(portal.client(), "complaints-fuzz")
    token = page_token(officer, "/console/complaints")

    @given(decision=TEXT, reason=TEXT, number=st.integers(1, 2**62))
    @RUNS
    def forms(decision: str, reason: str, number: int) -> None:
        decided = officer.post(
            f"/console/complaints/{number}/decide",
            data={"decision": decision, "reason": reason, "csrf_token": token},
            follow_redirects=False,
        )
        assert decided.status_code < 500, (decision, reason, decided.text[-400:])

    forms()
    with portal.factory() as s:  # no complainant exists: nothing was decided
        assert s.scalar(select(func.count()).select_from(ComplainantReview)) == 0

"""Resolving review flags (``delivery.review``): an officer keeps or withdraws a record
flagged after a data change, through the service, the API, the console page and the CLI.
Each decision is an audit event; only a policy reviewer whose scope covers the policy
may decide."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import APPLY, AUTO, OFFER, Portal, page_token, sign_in
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import build_store

from huiqi.accounts import service as accounts
from huiqi.accounts.access import AccessDenied
from huiqi.accounts.testing import OFFICER
from huiqi.db.engine import reading
from huiqi.delivery import service as ledger
from huiqi.delivery.models import Application, Entitlement, Event, Grant, Notification
from huiqi.delivery.publish import deliver
from huiqi.delivery.review import ReviewError, resolve_flag
from huiqi.web.portal import build_home

LOST = (1, 2)  # enterprises that insure no one on the next snapshot: all their records flagged


@pytest.fixture(scope="module")
def flags(portal: Portal) -> dict[tuple[int, str], int]:
    """(enterprise number, policy) → the id of its flagged record."""
    employees = {code: 2 + i for i, code in enumerate(portal.usccs)}
    employees |= {portal.usccs[i]: 0 for i in LOST}
    build_store(portal.settings.data_dir, employees)
    for pid in (AUTO, OFFER, APPLY):
        with reading(portal.factory) as s:
            pv = ledger.latest_version(s, pid)
        assert deliver(portal.settings, portal.factory, pv.id, actor=OFFICER).flagged == len(LOST)
    found: dict[tuple[int, str], int] = {}
    with reading(portal.factory) as s:
        actor = _actor(portal, "officer")
        for r in ledger.list_records(s, actor=actor, flagged=True):
            found[(portal.usccs.index(r.uscc), r.policy_id)] = r.id
    assert len(found) == 3 * len(LOST)
    return found


def _actor(portal: Portal, username: str) -> accounts.Actor:
    with portal.factory() as s:
        return accounts.actor_of(accounts.find_user(s, username))


def _record(portal: Portal, record_id: int) -> Entitlement:
    with portal.factory() as s:
        ent = s.get(Entitlement, record_id)
        assert ent is not None
        s.expunge(ent)
        return ent


def _events(portal: Portal, record_id: int) -> list[tuple[str, str, str | None]]:
    with portal.factory() as s:
        rows = s.execute(
            select(Event.kind, Event.actor, Event.reason).where(
                Event.entity == f"entitlement:{record_id}",
                Event.kind.in_(["review_keep", "review_withdraw"]),
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_the_wrong_role_or_scope_cannot_decide_a_flag(
    portal: Portal, flags: dict[tuple[int, str], int]
) -> None:
    record = flags[(1, OFFER)]
    for user in ("reviewer-elsewhere", "author", "steward", "finance", "ent1", "ent0"):
        with pytest.raises(AccessDenied):
            resolve_flag(
                portal.factory, record, actor=_actor(portal, user), outcome="keep", reason="x"
            )
        headers = {"Authorization": f"Bearer {portal.token(user)}"}
        api = portal.client().post(
            f"/api/v1/records/{record}/review",
            json={"decision": "withdraw", "reason": "不再符合"},
            headers=headers,
        )
        assert api.status_code == 403, (user, api.text)
        client = sign_in(portal.client(), user)
        token = page_token(client, "/policies")
        form = {"decision": "withdraw", "reason": "不再符合", "csrf_token": token}
        response = client.post(f"/console/flagged/{record}/review", data=form)
        assert response.status_code == 403, (user, response.status_code)
    after = _record(portal, record)
    assert after.review_flag and after.status == "offered"
    assert _events(portal, record) == []


@pytest.mark.parametrize(
    "body", [{"decision": "revoke", "reason": "x"}, {"decision": "keep"}, {}, []]
)
def test_a_role_that_may_not_decide_is_refused_before_its_body_is_read(
    portal: Portal, flags: dict[tuple[int, str], int], body: object
) -> None:
    """Regression (QA): a finance officer posting an invalid decision to
    POST /api/v1/records/{id}/review was told to fix the body (422) where a valid one got 403: a
    role that may not review at all is refused first, on the API and the console form,
    as are the other decisions whose body it should never send (an application's
    rejection, a correction's decision). A reviewer's bad body still reads 422."""
    record = flags[(1, OFFER)]
    api = portal.client()
    for user in ("finance", "author", "steward", "ent1"):
        headers = {"Authorization": f"Bearer {portal.token(user)}"}
        refused = api.post(f"/api/v1/records/{record}/review", json=body, headers=headers)
        assert refused.status_code == 403, (user, refused.text)
        assert "may not resolve review flags" in refused.json()["detail"], refused.text
        client = sign_in(portal.client(), user)
        form = {"decision": "revoke", "reason": "", "csrf_token": page_token(client, "/policies")}
        page = client.post(f"/console/flagged/{record}/review", data=form)
        assert page.status_code == 403, (user, page.status_code)
    finance = {"Authorization": f"Bearer {portal.token('finance')}"}
    reject = api.post(f"/api/v1/applications/{record}/reject", json=body, headers=finance)
    assert reject.status_code == 403, reject.text
    decide = api.post("/api/v1/corrections/1/decide", json=body, headers=finance)
    assert decide.status_code == 403, decide.text
    client = sign_in(portal.client(), "finance")
    form = {"reason": "", "csrf_token": page_token(client, "/policies")}
    assert client.post(f"/console/applications/{record}/reject", data=form).status_code == 403
    officer = {"Authorization": f"Bearer {portal.token('officer')}"}
    bad = api.post(f"/api/v1/records/{record}/review", json=body, headers=officer)
    assert bad.status_code == 422, bad.text
    assert _record(portal, record).review_flag and _events(portal, record) == []


def test_keeping_a_grant_clears_its_flag_with_an_audit_event(
    portal: Portal, flags: dict[tuple[int, str], int]
) -> None:
    record = flags[(1, AUTO)]
    officer = _actor(portal, "officer")
    with pytest.raises(ReviewError, match="reason"):
        resolve_flag(portal.factory, record, actor=officer, outcome="keep", reason="  ")
    with pytest.raises(ReviewError, match="keep, withdraw, top-up or correct"):
        resolve_flag(portal.factory, record, actor=officer, outcome="revoke", reason="x")
    d = resolve_flag(portal.factory, record, actor=officer, outcome="keep", reason="年度内已发放")
    assert (d.outcome, d.status) == ("keep", "granted") and d.grant_id is not None
    after = _record(portal, record)
    assert not after.review_flag and after.status == "granted"
    assert "年度内已发放" in (after.review_reason or "")
    assert _events(portal, record) == [("review_keep", "officer", "年度内已发放")]
    with pytest.raises(ReviewError, match="not flagged"):
        resolve_flag(portal.factory, record, actor=officer, outcome="withdraw", reason="again")
    assert len(_events(portal, record)) == 1


def test_withdrawing_an_offer_and_an_application_tells_the_enterprise(
    portal: Portal, flags: dict[tuple[int, str], int]
) -> None:
    officer = _actor(portal, "officer")
    for pid in (OFFER, APPLY):
        record = flags[(2, pid)]
        d = resolve_flag(
            portal.factory, record, actor=officer, outcome="withdraw", reason="数据变化"
        )
        assert (d.outcome, d.status, d.grant_id) == ("withdraw", "withdrawn", None)
        after = _record(portal, record)
        assert (after.status, after.review_flag, after.status_reason) == (
            "withdrawn",
            False,
            "数据变化",
        )
        assert _events(portal, record) == [("review_withdraw", "officer", "数据变化")]
    with portal.factory() as s:
        app = s.scalar(select(Application).where(Application.entitlement_id == flags[(2, APPLY)]))
        assert app is not None and (app.decision, app.reason) == ("withdrawn", "数据变化")
        told = s.scalars(
            select(Notification.subject).where(
                Notification.uscc == portal.usccs[2], Notification.kind == "withdrawn"
            )
        ).all()
    assert len(set(told)) == 2 and all("已撤回" in t for t in told)
    # A withdrawn offer cannot be claimed any more.
    owner = {"Authorization": f"Bearer {portal.token('ent2')}"}
    claim = portal.client().post(f"/api/v1/records/{flags[(2, OFFER)]}/claim", headers=owner)
    assert claim.status_code == 409, claim.text
    # A withdrawal is a decision the enterprise can rate, as a rejection is.
    rated = portal.client().post(
        "/api/v1/ratings",
        json={"entitlement_id": flags[(2, OFFER)], "stars": 2, "comment": "希望提前告知"},
        headers=owner,
    )
    assert rated.status_code == 200, rated.text


def test_withdrawing_a_grant_never_sent_for_payment_holds_it_back(
    portal: Portal, flags: dict[tuple[int, str], int]
) -> None:
    """A grant never exported is withdrawn with its record (never paid; its budget given
    back: tests/delivery/test_review_release.py), and the decision is on record."""
    record = flags[(2, AUTO)]
    headers = {"Authorization": f"Bearer {portal.token('officer')}"}
    body = {"decision": "withdraw", "reason": "已不在本区经营"}
    response = portal.client().post(f"/api/v1/records/{record}/review", json=body, headers=headers)
    assert response.status_code == 200, response.text
    got = response.json()
    assert (got["record_id"], got["outcome"], got["status"]) == (record, "withdraw", "withdrawn")
    assert "never sent for payment" in got["message"]
    with portal.factory() as s:
        grant = s.scalar(select(Grant).where(Grant.entitlement_id == record))
        assert grant is not None and grant.status == "withdrawn"
    assert _events(portal, record) == [("review_withdraw", "officer", "已不在本区经营")]
    again = portal.client().post(f"/api/v1/records/{record}/review", json=body, headers=headers)
    assert again.status_code == 409 and "not flagged" in again.json()["detail"]
    bad = portal.client().post(
        f"/api/v1/records/{record}/review",
        json={"decision": "revoke", "reason": "x"},
        headers=headers,
    )
    assert bad.status_code == 422


def test_a_grant_withdrawn_before_export_is_not_shown_as_awaiting_payment(
    portal: Portal, flags: dict[tuple[int, str], int]
) -> None:
    """Regression (qa1, 2026-12-05): after a reviewer withdrew a claimed grant that was
    never exported, the enterprise's grants page still listed it as 已批准，待拨付 with a
    notice to download, its home counted it in the year's grants, and the reason read in
    English on the Chinese pages; it is never paid."""
    record = flags[(2, AUTO)]
    if _record(portal, record).status != "withdrawn":
        resolve_flag(
            portal.factory,
            record,
            actor=_actor(portal, "officer"),
            outcome="withdraw",
            reason="已不在本区经营",
        )
    with portal.factory() as s:
        grant = s.scalar(select(Grant).where(Grant.entitlement_id == record))
        assert grant is not None and grant.status == "withdrawn"
    owner = sign_in(portal.client(), "ent2")
    grants_page = owner.get("/grants").text
    assert f'data-grant="{grant.id}"' not in grants_page
    assert f'data-record="{record}"' in grants_page
    assert f"经复核已撤回：已不在本区经营；补贴 {grant.id} 不再拨付" in grants_page
    actor = _actor(portal, "ent2")
    with reading(portal.factory) as s:
        home = build_home(s, actor=actor, uscc=portal.usccs[2])
        live = ledger.list_grants(s, actor=actor, uscc=portal.usccs[2], limit=1000)
    cards = [c for _, _, group in home.groups for c in group]
    withdrawn = [c for c in cards if c.record.id == record]
    assert len(withdrawn) == 1 and withdrawn[0].grant is None
    assert home.granted_this_year_fen == sum(
        g.amount_fen for g in live if g.id != grant.id and g.status != "superseded"
    )


def test_the_console_page_has_a_form_per_flag_with_errors_next_to_the_field(
    portal: Portal, flags: dict[tuple[int, str], int]
) -> None:
    record = flags[(1, APPLY)]
    client = sign_in(portal.client(), "officer")
    page = client.get("/console/flagged").text
    assert f'action="/console/flagged/{record}/review"' in page
    assert f'<label for="reason-{record}">' in page
    token = page_token(client, "/console/flagged")
    empty = client.post(
        f"/console/flagged/{record}/review",
        data={"decision": "keep", "reason": " ", "csrf_token": token},
    )
    assert empty.status_code == 400
    assert (
        f'aria-describedby="error-{record}"' in empty.text and 'aria-invalid="true"' in empty.text
    )
    assert f'id="error-{record}"' in empty.text
    kept = client.post(
        f"/console/flagged/{record}/review",
        data={"decision": "keep", "reason": "申报材料已核实", "csrf_token": token},
        follow_redirects=False,
    )
    assert kept.status_code == 303 and kept.headers["location"].endswith(f"done=kept&id={record}")
    after = client.get(kept.headers["location"]).text
    assert f'action="/console/flagged/{record}/review"' not in after
    assert 'role="status"' in after
    assert _events(portal, record) == [("review_keep", "officer", "申报材料已核实")]
    # Without the form's CSRF token nothing is decided.
    other = flags[(1, OFFER)]
    refused = client.post(
        f"/console/flagged/{other}/review", data={"decision": "keep", "reason": "x"}
    )
    assert refused.status_code == 403 and _record(portal, other).review_flag


def test_the_cli_resolves_a_flag_as_the_signed_in_reviewer(
    portal: Portal, flags: dict[tuple[int, str], int]
) -> None:
    from click.testing import CliRunner

    from huiqi.cli.main import cli

    with reading(portal.factory) as s:
        officer = _actor(portal, "officer")
        never = ledger.list_records(s, actor=officer, uscc=portal.usccs[0], policy_id=OFFER)
    record = never[0].id  # an enterprise that still qualifies: never flagged
    kept = flags[(1, OFFER)]
    env = {
        "HUIQI_DATABASE_URL": portal.engine.url.render_as_string(hide_password=False),
        "HUIQI_CONFIG_DIR": str(portal.settings.data_dir / ".config"),
    }

    def run(user: str, *args: str) -> tuple[int, str]:
        result = CliRunner().invoke(
            cli,
            ["--data-dir", str(portal.settings.data_dir), "review", *args],
            env=env | {"HUIQI_TOKEN": portal.token(user)},
        )
        return result.exit_code, result.output

    code, out = run("reviewer-elsewhere", "keep", str(kept), "--reason", "核实")
    assert code == 5 and "may not resolve review flags" in out, out
    code, out = run("officer", "keep", str(record), "--reason", "核实")
    assert code != 0 and "not flagged" in out, out
    code, out = run("officer", "keep", str(kept), "--reason", "核实")
    assert code == 0 and f"record {kept}: keep, offered" in out, out
    assert not _record(portal, kept).review_flag


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(outcome=st.text(max_size=20), reason=st.text(max_size=2100))
def test_any_decision_text_on_a_record_not_flagged_is_refused_cleanly(
    portal: Portal, outcome: str, reason: str
) -> None:
    """Whatever an officer sends, a record that is not flagged stays as it is, and the
    refusal is a ReviewError (HTTP 409/400), never anything else."""
    with reading(portal.factory) as s:
        officer = _actor(portal, "officer")
        [record] = ledger.list_records(s, actor=officer, uscc=portal.usccs[3], policy_id=OFFER)
    before = _record(portal, record.id)
    with pytest.raises(ReviewError):
        resolve_flag(portal.factory, record.id, actor=officer, outcome=outcome, reason=reason)
    after = _record(portal, record.id)
    assert (after.status, after.review_flag, after.review_reason) == (
        before.status,
        before.review_flag,
        before.review_reason,
    )
    assert _events(portal, record.id) == []

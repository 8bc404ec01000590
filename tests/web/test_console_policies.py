"""The console's policies: the list (cut to the officer's scope), the draft editor (lint and
test cases on every save, errors with line and column), publishing and retiring; every new
page and API call refused to an enterprise and to an officer outside the policy's scope,
every form CSRF-protected, and no text saved as a draft ever a server error."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import APPLY, AUTO, OFFER, Portal, page_token, sign_in
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import policy_yaml

from huiqi.delivery.models import Entitlement, Event, PolicyDraft, PolicyVersion
from huiqi.jobs import runner

CASES = """tests:
  - name: two insured
    profile: {insured_employees: 2}
    expect: {status: eligible, amount: "%s"}
  - name: nobody insured
    profile: {insured_employees: 0}
    expect: {status: not_eligible, failing: [insured]}
"""


def draft_text(pid: str, mode: str, version: int, per_person: int) -> str:
    amount = f"{2 * per_person}.00"
    return policy_yaml(pid, delivery=mode, version=version, per_person=per_person) + (
        CASES % amount
    )


def counts(portal: Portal) -> tuple[int, int, int]:
    with portal.factory() as s:
        versions = s.scalar(select(func.count()).select_from(PolicyVersion)) or 0
        retired = s.scalar(select(func.count()).where(PolicyVersion.status == "retired")) or 0
        drafts = s.scalar(select(func.count()).select_from(PolicyDraft)) or 0
    return versions, retired, drafts


def test_the_list_shows_the_policies_in_scope_only(staff: Portal) -> None:
    publisher = sign_in(staff.client(), "publisher")
    page = publisher.get("/console/policies")
    assert page.status_code == 200
    for pid in (AUTO, OFFER, APPLY):
        assert f'id="policy-{pid}"' in page.text
    assert "测试局" in page.text and "已发布" in page.text
    outsider = sign_in(staff.client(), "outsider").get("/console/policies")
    assert outsider.status_code == 200 and 'id="policy-' not in outsider.text
    english = staff.client()
    english.cookies.set("huiqi_lang", "en")
    sign_in(english, "publisher")
    assert "Budget used (yuan)" in english.get("/console/policies").text


def test_an_id_that_cannot_be_a_policys_is_said_next_to_the_field(staff: Portal) -> None:
    """Regression (QA): 'Bad ID!' sent the officer back to the list without a word."""
    publisher = sign_in(staff.client(), "publisher")
    refused = publisher.get("/console/policies/new", params={"id": "Bad ID!"})
    assert refused.status_code == 400
    assert 'id="new-id-error"' in refused.text and "政策编号以小写字母开头" in refused.text
    assert 'value="Bad ID!"' in refused.text
    fine = publisher.get(
        "/console/policies/new", params={"id": "pd-new-2027"}, follow_redirects=False
    )
    assert fine.status_code == 303 and fine.headers["location"].endswith("/pd-new-2027/draft")


def test_the_english_list_names_policies_and_departments_in_english(staff: Portal) -> None:
    """Regression: the English policies page showed every policy's Chinese title and
    department (a line keeps the Chinese ones), as the dashboard once did."""
    english = staff.client()
    english.cookies.set("huiqi_lang", "en")
    sign_in(english, "publisher")
    page = english.get("/console/policies").text
    for pid in (AUTO, OFFER, APPLY):
        row = re.search(rf'<tr id="policy-{pid}".*?</tr>', page, re.S)
        assert row, page
        assert f"Test policy {pid}" in row.group(0) and "Test bureau" in row.group(0)
        assert "测试" not in row.group(0), row.group(0)
    chinese = sign_in(staff.client(), "publisher").get("/console/policies").text
    assert f"测试政策{AUTO}" in chinese and "测试局" in chinese


def test_an_officer_edits_saves_and_publishes_a_draft(staff: Portal) -> None:
    officer = sign_in(staff.client(), "publisher")
    editor = officer.get(f"/console/policies/{OFFER}/draft")
    assert editor.status_code == 200 and f"id: {OFFER}" in editor.text
    token = page_token(officer, f"/console/policies/{OFFER}/draft")
    url = f"/console/policies/{OFFER}/draft"
    # A text that does not load: saved, with the line and column next to the field.
    saved = officer.post(url, data={"text": "id: [\n", "csrf_token": token})
    assert saved.status_code == 200 and saved.url.path == url
    assert 'aria-invalid="true"' in saved.text and 'id="text-errors"' in saved.text
    assert re.search(r"第 2 行，第 1 列", saved.text), saved.text
    # A new version whose test case expects the old amount: one failing case, shown.
    wrong = draft_text(OFFER, "confirm", 2, 1500).replace('"3000.00"', '"2000.00"')
    saved = officer.post(url, data={"text": wrong, "csrf_token": token})
    assert "测试用例：1 个通过，1 个未通过" in saved.text, saved.text
    refused = officer.post(f"{url}/publish", data={"csrf_token": token})
    assert refused.status_code == 409 and "有 1 个测试用例未通过" in refused.text
    good = draft_text(OFFER, "confirm", 2, 1500)
    saved = officer.post(url, data={"text": good, "csrf_token": token})
    assert 'id="check-summary" class="ok"' in saved.text and "aria-invalid" not in saved.text
    simulate = officer.get(f"/console/simulate?draft={OFFER}")
    assert simulate.status_code == 200 and "per_person" not in simulate.text
    assert "insured_employees * 1500" in simulate.text
    done = officer.post(f"{url}/publish", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303, done.text
    job = re.fullmatch(r"/console/jobs/(\d+)", done.headers["location"])
    assert job, done.headers["location"]
    assert runner.wait(int(job.group(1)), timeout=120)  # published in the background
    with staff.factory() as s:
        pv = s.scalar(
            select(PolicyVersion).where(
                PolicyVersion.policy_id == OFFER, PolicyVersion.version == 2
            )
        )
        assert pv is not None and pv.published_by == "publisher"
        offers = s.scalar(select(func.count()).where(Entitlement.policy_version_id == pv.id))
        assert offers and s.scalar(select(func.count()).select_from(PolicyDraft)) in (0, 1)
        kinds = set(s.scalars(select(Event.kind).where(Event.actor == "publisher")))
    assert {"draft_save", "draft_publish", "publish"} <= kinds
    # v1 stays published, and says v2 delivers instead (huiqi.delivery.publish).
    listed = officer.get("/console/policies").text
    row = listed.split(f'id="policy-{OFFER}"', 1)[1].split("</tr>", 1)[0]
    assert "已由第 2 版取代，由新版本推送" in row


def test_retiring_needs_a_reason_and_a_publisher(staff: Portal) -> None:
    with staff.factory() as s:
        pv_id = s.scalar(select(PolicyVersion.id).where(PolicyVersion.policy_id == AUTO))
    officer = sign_in(staff.client(), "publisher")
    token = page_token(officer, "/console/policies")
    url = f"/console/policies/versions/{pv_id}/retire"
    blank = officer.post(url, data={"reason": " ", "csrf_token": token})
    assert blank.status_code == 400 and f'aria-describedby="error-{pv_id}"' in blank.text
    author = sign_in(staff.client(), "author")  # an author may draft, not retire
    refused = author.post(url, data={"reason": "x", "csrf_token": page_token(author, "/")})
    assert refused.status_code == 403
    done = officer.post(url, data={"reason": "superseded", "csrf_token": token})
    assert done.status_code == 200 and f"{AUTO} v1" in done.text
    assert AUTO not in staff.client().get("/api/v1/policies").text  # out of the catalogue


def routes(pv_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", "/console/policies"),
        ("GET", f"/console/policies/{APPLY}/draft"),
        ("POST", f"/console/policies/{APPLY}/draft"),
        ("POST", f"/console/policies/{APPLY}/draft/delete"),
        ("POST", f"/console/policies/{APPLY}/draft/publish"),
        ("POST", f"/console/policies/versions/{pv_id}/retire"),
        ("GET", f"/console/simulate?draft={APPLY}"),
    ]


def api_routes(pv_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", "/api/v1/console/policies"),
        ("GET", f"/api/v1/console/policies/{APPLY}/draft"),
        ("PUT", f"/api/v1/console/policies/{APPLY}/draft"),
        ("DELETE", f"/api/v1/console/policies/{APPLY}/draft"),
        ("POST", f"/api/v1/console/policies/{APPLY}/draft/publish"),
        ("POST", f"/api/v1/console/versions/{pv_id}/retire"),
    ]


@pytest.mark.parametrize("intruder", ["ent0", "outsider"])
def test_enterprises_and_officers_outside_the_scope_are_refused_everywhere(
    staff: Portal, intruder: str
) -> None:
    with staff.factory() as s:
        pv_id = s.scalar(select(PolicyVersion.id).where(PolicyVersion.policy_id == APPLY))
        assert pv_id is not None
    owner = sign_in(staff.client(), "publisher")
    token = page_token(owner, f"/console/policies/{APPLY}/draft")
    text = draft_text(APPLY, "apply", 2, 1000)
    assert owner.post(f"/console/policies/{APPLY}/draft", data={"text": text, "csrf_token": token})
    before = counts(staff)
    client = sign_in(staff.client(), intruder)
    token = page_token(client, "/")
    form = {"csrf_token": token, "text": text, "reason": "x"}
    for method, path in routes(pv_id):
        got = client.request(method, path, data=form if method == "POST" else None)
        if intruder == "outsider" and path == "/console/policies":
            assert got.status_code == 200 and APPLY not in got.text
            continue
        assert got.status_code in (403, 404), (intruder, method, path, got.status_code)
        assert "insured_employees * 1000" not in got.text
    bearer = {"Authorization": f"Bearer {staff.token(intruder)}"}
    for method, path in api_routes(pv_id):
        # Each call with the body its endpoint takes (an unknown field is a 422 of its own).
        body = {"PUT": {"text": text}, "POST": {"reason": "x"}}.get(method)
        if path.endswith("/publish"):
            body = None
        got = client.request(method, path, json=body, headers=bearer)
        if intruder == "outsider" and path == "/api/v1/console/policies":
            assert got.status_code == 200 and got.json() == []
            continue
        assert got.status_code in (403, 404), (intruder, method, path, got.text)
    assert counts(staff) == before, "a refused call changed the ledger"
    anonymous = staff.client()
    for method, path in routes(pv_id):
        got = anonymous.request(method, path, data=form, follow_redirects=False)
        assert got.status_code in (303, 401, 403), (method, path)


def test_every_form_needs_its_csrf_token(staff: Portal) -> None:
    with staff.factory() as s:
        pv_id = s.scalar(select(PolicyVersion.id).where(PolicyVersion.policy_id == APPLY))
        assert pv_id is not None
    officer = sign_in(staff.client(), "publisher")
    before = counts(staff)
    for method, path in routes(pv_id):
        if method == "POST":
            got = officer.post(path, data={"text": "id: x\n", "reason": "x"})
            assert got.status_code == 403, path
            got = officer.post(path, data={"text": "id: x\n", "reason": "x", "csrf_token": "no"})
            assert got.status_code == 403, path
    # The API with the session cookie needs the token in its header.
    got = officer.put(f"/api/v1/console/policies/{APPLY}/draft", json={"text": "id: x\n"})
    assert got.status_code == 403
    assert counts(staff) == before


YAMLISH = st.lists(
    st.sampled_from(
        [
            f"id: {APPLY}",
            "version: 2",
            "version: -1",
            "version: [",
            "level: district",
            'region: "310115"',
            "region: 99",
            "criteria:",
            "  - id: insured",
            "    expr: insured_employees >",
            "    expr: 1/0",
            "amount: {formula: 'x * '}",
            "tests: {}",
            "\t",
            "&a [*a]",
            "!!python/object:os.system",
            "… 政策 …",
        ]
    )
    | st.text(max_size=40),
    max_size=12,
).map("\n".join)


@pytest.fixture(scope="module")
def publisher(staff: Portal) -> tuple[TestClient, str]:
    officer = sign_in(staff.client(), "publisher")
    return officer, page_token(officer, "/")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(st.text(max_size=300), YAMLISH))
def test_any_text_saved_as_a_draft_is_a_clear_answer_never_a_server_error(
    publisher: tuple[TestClient, str], text: str
) -> None:
    officer, token = publisher
    got = officer.post(f"/console/policies/{APPLY}/draft", data={"text": text, "csrf_token": token})
    assert got.status_code in (200, 400, 403), got.text
    if got.status_code == 200 and text.strip():
        assert 'id="check-summary"' in got.text
    api = officer.put(
        f"/api/v1/console/policies/{APPLY}/draft",
        json={"text": text},
        headers={"X-CSRF-Token": token},
    )
    assert api.status_code in (200, 400, 403, 422), api.text
    if api.status_code == 200:
        body = api.json()
        assert isinstance(body["lint"]["ok"], bool)


def test_the_api_lists_saves_publishes_and_retires(staff: Portal) -> None:
    client = staff.client()
    bearer = {"Authorization": f"Bearer {staff.token('publisher')}"}
    pid = "web-api-new"
    url = f"/api/v1/console/policies/{pid}/draft"
    first = client.put(url, json={"text": "id: web-api-new\n"}, headers=bearer)
    assert first.status_code == 400 and "must load" in first.json()["detail"]
    saved = client.put(url, json={"text": draft_text(pid, "auto", 1, 100)}, headers=bearer)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["saved"] and body["published_version"] is None
    assert body["lint"]["ok"] and body["lint"]["passed"] == 2
    broken = draft_text(pid, "auto", 1, 100).replace("level: district", "level: [")
    bad = client.put(url, json={"text": broken}, headers=bearer).json()
    assert not bad["lint"]["ok"] and isinstance(bad["lint"]["problems"][0]["line"], int)
    refused = client.post(f"{url}/publish", headers=bearer)
    assert refused.status_code == 409 and "lint error" in refused.json()["detail"]
    client.put(url, json={"text": draft_text(pid, "auto", 1, 100)}, headers=bearer)
    published = client.post(f"{url}/publish", headers=bearer)
    assert published.status_code == 202, published.text  # a job, followed to its end
    assert runner.wait(published.json()["id"], timeout=120)
    report = client.get(published.headers["location"], headers=bearer).json()
    assert report["state"] == "done" and report["version"] == 1
    assert report["granted"] == report["matched"] == 8
    assert client.get(url, headers=bearer).json()["saved"] is False
    lines = {
        p["policy_id"]: p for p in client.get("/api/v1/console/policies", headers=bearer).json()
    }
    assert lines[pid]["status"] == "published" and lines[pid]["delivery"] == "auto"
    version_id = lines[pid]["versions"][0]["id"]
    retired = client.post(
        f"/api/v1/console/versions/{version_id}/retire", json={"reason": "test"}, headers=bearer
    )
    assert retired.status_code == 200 and retired.json()["status"] == "retired"


def test_a_refusal_quoting_the_users_text_is_shown_as_it_is(
    staff: Portal, publisher: tuple[TestClient, str]
) -> None:
    """Regression: a service's message was passed through gettext's %-formatting on the
    page, so a '%' from the user's own text in it was a server error."""
    officer, token = publisher
    url = f"/console/policies/{APPLY}/draft"
    text = policy_yaml(APPLY, delivery="apply", version=2) + '"100%": 1\n'
    officer.post(url, data={"text": text, "csrf_token": token})
    refused = officer.post(f"{url}/publish", data={"csrf_token": token})
    assert refused.status_code == 409 and "“100%”不是政策文件的字段" in refused.text


def test_the_simulate_page_shows_a_draft_error_quoting_a_percent_sign(
    publisher: tuple[TestClient, str],
) -> None:
    """Regression: the simulate page %-formatted the draft's error, so a '%' in the
    officer's own YAML quoted back in it was a server error."""
    officer, token = publisher
    text = policy_yaml("web-sim", version=1) + '"100%": 1\n'
    shown = officer.post("/console/simulate", data={"text": text, "csrf_token": token})
    # Shown as the draft editor shows it: in the page's language, the '%' as written.
    assert shown.status_code == 400 and "“100%”不是政策文件的字段" in shown.text


def test_a_draft_without_test_cases_is_not_said_to_pass_every_test_case(staff: Portal) -> None:
    """Regression (qa8): a draft with no test case at all read "every test case passes"
    (0 passed, 0 failed) above the warnings that it has none."""
    officer = sign_in(staff.client(), "publisher")
    url = "/console/policies/pd-untested-2026/draft"
    token = page_token(officer, url)
    untested = policy_yaml("pd-untested-2026")
    saved = officer.post(url, data={"text": untested, "csrf_token": token})
    summary = re.search(r'<p id="check-summary"[^>]*>(.*?)</p>', saved.text, re.S)
    assert summary, saved.text
    assert "全部测试用例通过" not in summary.group(1), summary.group(1)
    assert "没有测试用例" in summary.group(1), summary.group(1)
    tested = officer.post(
        url, data={"text": draft_text("pd-untested-2026", "auto", 1, 1000), "csrf_token": token}
    )
    assert "全部测试用例通过" in tested.text


def test_a_new_draft_of_another_district_is_refused_next_to_the_text(staff: Portal) -> None:
    """Regression (qa8): a district author whose new policy named another district's
    region got a bare 403 page, and the text typed in the editor was lost."""
    officer = sign_in(staff.client(), "outsider")  # author and publisher of 310104
    url = "/console/policies/xh-mistyped-2026/draft"
    token = page_token(officer, url)
    text = draft_text("xh-mistyped-2026", "auto", 1, 1000)  # region 310115, not 310104
    refused = officer.post(url, data={"text": text, "csrf_token": token})
    assert refused.status_code == 403
    assert 'id="text-errors"' in refused.text and "无权执行此操作" in refused.text
    assert "id: xh-mistyped-2026" in refused.text and "insured_employees" in refused.text
    with staff.factory() as s:
        assert (
            s.scalar(select(PolicyDraft).where(PolicyDraft.policy_id == "xh-mistyped-2026")) is None
        )
    fixed = officer.post(
        url,
        data={"text": text.replace('region: "310115"', 'region: "310104"'), "csrf_token": token},
    )
    assert fixed.status_code == 200 and 'id="check-summary"' in fixed.text
    # A policy itself out of scope is still a plain 403 page, with no editor.
    other = officer.post(
        f"/console/policies/{AUTO}/draft", data={"text": text, "csrf_token": token}
    )
    assert other.status_code == 403 and 'id="text"' not in other.text


def test_the_pages_offer_each_role_only_what_it_may_do(staff: Portal) -> None:
    """Regression (qa8): a reviewer's policies page offered "start a new policy", "start a
    draft" and a retire form on every version, and an author's editor a publish button:
    each refused with a bare 403 page once used."""
    reviewer = sign_in(staff.client(), "officer").get("/console/policies").text
    assert f'id="policy-{OFFER}"' in reviewer  # it still sees the policies of its scope
    assert 'id="new-policy"' not in reviewer and 'class="retire"' not in reviewer
    assert 'class="edit-draft"' not in reviewer
    author = sign_in(staff.client(), "author")
    listing = author.get("/console/policies").text
    assert 'id="new-policy"' in listing and 'class="edit-draft"' in listing
    assert 'class="retire"' not in listing
    url = f"/console/policies/{OFFER}/draft"
    token = page_token(author, url)
    saved = author.post(
        url, data={"text": draft_text(OFFER, "confirm", 7, 1500), "csrf_token": token}
    )
    assert 'id="check-summary"' in saved.text and 'id="publish-button"' not in saved.text
    publisher = sign_in(staff.client(), "publisher")
    assert 'class="retire"' in publisher.get("/console/policies").text
    assert 'id="publish-button"' in publisher.get(url).text
    author.post(f"{url}/delete", data={"csrf_token": token})

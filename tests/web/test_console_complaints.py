"""The console's queue of flagged complainants and its JSON twin under /api/v1/complaints."""

from __future__ import annotations

import re

from portal_data import PASSWORD, Portal, page_token, sign_in

from huiqi.accounts import service as accounts
from huiqi.accounts.access import Actor
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.complaints.export import write_stream
from huiqi.complaints.intake import import_complaints
from huiqi.complaints.service import complaint_stats, detect_complaints
from huiqi.complaints.synth import Scenario, generate
from huiqi.db.engine import transaction


def test_an_officer_decides_on_a_flagged_complainant_in_the_console_and_the_api(
    portal: Portal,
) -> None:
    stream = generate(Scenario(complaints=800, seed=9))
    export, _ = write_stream(stream, portal.settings.data_dir / "complaints-console")
    reviewer = Actor.of("seed-reviewer", "complaint_officer")
    with transaction(portal.factory) as s:
        import_complaints(portal.settings, s, actor=reviewer, path=export)
        flagged = detect_complaints(s, actor=reviewer).flagged
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        accounts.add_user(
            s,
            actor=admin,
            username="complaints",
            roles=[RoleGrant(Role.COMPLAINT_OFFICER)],
            password=PASSWORD,
        )
    officer = sign_in(portal.client(), "complaints")
    page = officer.get("/console/complaints").text
    ids = re.findall(r'data-complainant="(\d+)"', page)
    assert len(ids) == flagged > 1 and "****" in page
    # The score's reasons read in Chinese (regression: "complained about 27 different …").
    reasons = "".join(re.findall(r'<ul class="reasons">(.*?)</ul>', page, re.S))
    assert "家不同的企业" in reasons and "complained about" not in reasons
    shared = re.findall(r"共用： ([^<]*)</p>", page)
    assert shared and all(not re.search(r"\b(phone|bank|address)\b", s) for s in shared)
    # The statistics above the queue: the figures the service counts.
    with portal.factory() as s:
        stats = complaint_stats(s, actor=reviewer)
    assert stats.complaints > 0 and f"<dd>{stats.complaints}</dd>" in page
    assert f"<dd>{stats.complainants}</dd>" in page
    # A decision without a reason is refused next to its form; with one, it is recorded.
    form = {"csrf_token": page_token(officer, "/console/complaints"), "decision": "professional"}
    refused = officer.post(f"/console/complaints/{ids[0]}/decide", data={**form, "reason": " "})
    assert refused.status_code == 400 and 'id="error-' in refused.text
    done = officer.post(
        f"/console/complaints/{ids[0]}/decide",
        data={**form, "reason": "模板化索赔"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    headers = {"Authorization": f"Bearer {portal.token('complaints')}"}
    api = portal.client()
    queue = api.get("/api/v1/complaints/queue", headers=headers).json()
    assert [str(q["complainant_id"]) for q in queue] == ids[1:]
    decided = api.post(
        f"/api/v1/complaints/complainants/{ids[1]}/decide",
        json={"professional": False, "reason": "确有质量问题"},
        headers=headers,
    )
    assert decided.status_code == 200 and decided.json()["decision"] == "not_professional"
    stats = api.get("/api/v1/complaints/stats", headers=headers).json()
    assert (stats["professional"], stats["not_professional"]) == (1, 1)
    # Someone else (an enterprise) gets neither the queue nor the statistics.
    ent = {"Authorization": f"Bearer {portal.token('ent1')}"}
    assert api.get("/api/v1/complaints/queue", headers=ent).status_code == 403
    assert api.get("/api/v1/complaints/about-us", headers=ent).status_code == 200


def test_every_score_reason_has_its_chinese_reading() -> None:
    from huiqi.complaints.score import RULES
    from huiqi.complaints.signals import Thresholds
    from huiqi.web.i18n import translations
    from huiqi.web.refusals import localise

    zh, en = translations("zh-CN"), translations("en")
    values = {
        k: 3 for k in ("n", "enterprises", "small", "punitive", "templated", "burst", "identities")
    }
    for rule in RULES:
        why = rule.explain(values, Thresholds())
        assert localise(en, why) == why and localise(zh, why) != why, rule.name


def test_an_officer_runs_the_detection_from_the_console_after_an_import(portal: Portal) -> None:
    """QA (qa4): a complaint officer who imported an export on the page had no way there to
    score it: the queue stayed empty ("no flagged complainant"), the detection ran only from
    the command line. The queue's page now runs it and says what it found."""
    stream = generate(Scenario(complaints=600, seed=11))
    export, _ = write_stream(stream, portal.settings.data_dir / "complaints-detect")
    importer = Actor.of("seed-importer", "complaint_officer")
    with transaction(portal.factory) as s:
        import_complaints(portal.settings, s, actor=importer, path=export)
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        accounts.add_user(
            s,
            actor=admin,
            username="complaints-detect",
            roles=[RoleGrant(Role.COMPLAINT_OFFICER)],
            password=PASSWORD,
        )
    officer = sign_in(portal.client(), "complaints-detect")
    page = officer.get("/console/complaints").text
    assert 'action="/console/complaints/detect"' in page
    token = page_token(officer, "/console/complaints")
    done = officer.post(
        "/console/complaints/detect", data={"csrf_token": token}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"].startswith(
        "/console/complaints?done=detected"
    )
    after = officer.get(done.headers["location"]).text
    with portal.factory() as s:
        stats = complaint_stats(s, actor=importer)
    assert stats.flagged > 0 and len(re.findall(r'data-complainant="\d+"', after)) > 0
    assert 'id="detected"' in after and f"{stats.flagged:,}" in after
    # Nobody else runs it: an enterprise is refused, whatever it posts.
    ent = sign_in(portal.client(), "ent1")
    refused = ent.post(
        "/console/complaints/detect",
        data={"csrf_token": page_token(ent, "/home")},
        follow_redirects=False,
    )
    assert refused.status_code == 403

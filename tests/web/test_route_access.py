"""Every route of the app's routing table, asked by a user of every role, in the scope of
the owner enterprise's data and in another scope, and by a visitor not signed in, each
time naming the owner's objects and USCC: nobody gets a server error or a traceback;
whoever the route is not for is refused (401 or the sign-in page when signed out, 403 or
404 when signed in); and nobody of another scope (enterprise, park, district,
department) reads the owner's data on any route it may use.

The table below holds an entry for every route the app answers: a route added without
one fails :func:`test_every_route_has_an_access_rule`, so it cannot ship without saying
who it is for."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from portal_data import Portal, portal_world
from route_cast import (
    CAST,
    INTRUDER,
    OWNER,
    Browser,
    Objects,
    browsers_of,
    build_cast,
    call_of,
    route_table,
    send,
    walk,
)

from huiqi.jobs import runner
from huiqi.web.console_pages import PAGES

EVERYONE = frozenset(CAST)
SIGNED_IN = EVERYONE - {None}
PORTAL = frozenset({"park-op", OWNER})  # the owner enterprise and the operator of its park
POLICY_OFFICERS = frozenset({"officer", "author", "publisher", "outsider", "reviewer-elsewhere"})
LEDGER_READERS = POLICY_OFFICERS | {"admin", "finance"}
# Asked about the owner enterprise by its USCC (?uscc=), an officer scoped to another
# district is refused (huiqi.accounts.districts), not shown an empty page.
ITS_DISTRICT = POLICY_OFFICERS - {"outsider", "reviewer-elsewhere"}
DESKS = frozenset({"desk-policy", "desk-finance", "desk-head"})
REQUEST_DESK = frozenset({"desk-policy", "desk-head"})  # the desk of the owner's request
OFF = "off"  # a route that exists only when configured (single sign-on): 404 for everyone

# Who gets through each route when it names the owner's objects (ent0's records, grant,
# message, attachment, correction, request; the complaint about it; the policies of its
# district 310115; the finance batch holding its grant). Everyone else is refused.
ACCESS: dict[tuple[str, str], frozenset[str | None] | str] = {
    ("GET", "/"): EVERYONE,
    ("GET", "/almost"): PORTAL | ITS_DISTRICT,
    ("GET", "/api/v1/applications"): PORTAL | {"admin", "officer", "finance"},
    ("GET", "/api/v1/attachments/{attachment_id}"): PORTAL | {"admin", "officer"},
    ("GET", "/api/v1/audit"): frozenset({"admin"}),
    ("GET", "/api/v1/audit/verify"): frozenset({"admin"}),
    ("GET", "/api/v1/calculator/questions"): EVERYONE,
    ("GET", "/api/v1/complaints/about-us"): PORTAL | {"complaints"},
    ("GET", "/api/v1/complaints/queue"): frozenset({"complaints"}),
    ("GET", "/api/v1/complaints/stats"): frozenset({"complaints"}),
    ("GET", "/api/v1/console/inbox"): DESKS,
    ("GET", "/api/v1/console/jobs/{job_id}"): frozenset(),  # no job has run
    ("GET", "/api/v1/console/policies"): POLICY_OFFICERS,
    ("GET", "/api/v1/console/policies/{policy_id}/draft"): frozenset({"author", "publisher"}),
    ("GET", "/api/v1/corrections"): PORTAL | {"steward"},
    ("GET", "/api/v1/dashboard/indicators"): LEDGER_READERS,
    ("GET", "/api/v1/dashboard/totals"): LEDGER_READERS,
    ("GET", "/api/v1/finance/batches"): frozenset({"admin", "finance"}),
    ("GET", "/api/v1/finance/batches/{batch_id}/files/{kind}"): frozenset({"finance"}),
    ("GET", "/api/v1/grants"): PORTAL | ITS_DISTRICT | {"admin", "finance"},
    ("GET", "/api/v1/grants/{grant_id}/notice.pdf"): PORTAL
    | {"admin", "officer", "author", "publisher", "finance"},
    ("GET", "/api/v1/imports"): frozenset({"steward"}),
    # Snapshot 1 is the test store's, not an import's: no report (the steward gets 404).
    ("GET", "/api/v1/imports/{ref}"): frozenset(),
    ("GET", "/api/v1/imports/{ref}/files/{name}"): frozenset(),
    ("GET", "/api/v1/inbox"): PORTAL,
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("GET", "/api/v1/my-data"): PORTAL,
    ("GET", "/api/v1/near-misses"): PORTAL | ITS_DISTRICT,
    ("GET", "/api/v1/openapi.json"): EVERYONE,
    ("GET", "/api/v1/policies"): EVERYONE,
    ("GET", "/api/v1/policies/{policy_id}"): EVERYONE,
    ("GET", "/api/v1/policies/{policy_id}/explain"): PORTAL | {"officer", "author", "publisher"},
    ("GET", "/api/v1/records"): PORTAL | ITS_DISTRICT | {"admin", "finance"},
    ("GET", "/api/v1/records/{record_id}/attachments"): PORTAL | {"admin", "officer"},
    ("GET", "/api/v1/request-categories"): EVERYONE,
    ("GET", "/api/v1/snapshots"): POLICY_OFFICERS | {"admin", "steward"},
    ("GET", "/api/v1/users"): frozenset({"admin"}),
    # Each lists its own: the other enterprise and park get their own (empty) lists.
    ("GET", "/api/v1/requests"): PORTAL | DESKS,  # another enterprise named: 403
    ("GET", "/api/v1/requests/stats"): DESKS,
    ("GET", "/api/v1/requests/{request_id}"): PORTAL | REQUEST_DESK,
    ("GET", "/api/v1/request-files/{attachment_id}"): PORTAL | REQUEST_DESK,
    ("GET", "/attachments/{attachment_id}"): PORTAL | {"admin", "officer"},
    ("GET", "/calculator"): EVERYONE,
    ("GET", "/console"): SIGNED_IN,
    ("GET", "/console/applications"): frozenset(
        {"admin", "officer", "reviewer-elsewhere", "finance"}
    ),
    ("GET", "/console/complaints"): frozenset({"complaints"}),
    ("GET", "/console/complaints/about"): frozenset({"complaints"}),
    ("GET", "/console/complaints/import"): frozenset({"complaints", "steward"}),
    ("GET", "/console/corrections"): frozenset({"steward"}),
    ("GET", "/console/dashboard"): LEDGER_READERS,
    ("GET", "/console/audit"): frozenset({"admin"}),
    ("GET", "/console/finance"): frozenset({"admin", "finance"}),
    ("GET", "/console/finance/batches/{batch_id}.{kind}"): frozenset({"finance"}),
    ("GET", "/console/flagged"): LEDGER_READERS,
    ("GET", "/console/imports"): frozenset({"steward"}),
    # Snapshot 1 is the test store's, not an import's: no report (the steward gets 404).
    ("GET", "/console/imports/{ref}"): frozenset(),
    ("GET", "/console/imports/{ref}/normalised.csv"): frozenset(),
    ("GET", "/console/imports/{ref}/rejects.csv"): frozenset(),
    ("GET", "/console/inbox"): DESKS,
    ("GET", "/console/jobs/{job_id}"): frozenset(),
    ("GET", "/console/policies"): POLICY_OFFICERS,
    ("GET", "/console/policies/new"): SIGNED_IN,  # sends each to where it may go
    ("GET", "/console/policies/{policy_id}/draft"): frozenset({"author", "publisher"}),
    ("GET", "/console/requests"): DESKS,
    ("GET", "/console/requests/stats"): DESKS,
    ("GET", "/console/requests/{request_id}"): REQUEST_DESK,
    ("GET", "/console/simulate"): frozenset({"author", "publisher", "outsider"}),
    ("GET", "/console/tokens"): frozenset({"admin"}),
    ("GET", "/console/users"): frozenset({"admin"}),
    # As GET /api/v1/grants: the ledger's readers (an admin and a finance officer see no stars).
    ("GET", "/grants"): PORTAL | ITS_DISTRICT | {"admin", "finance"},
    ("GET", "/grants/{grant_id}/notice.pdf"): PORTAL
    | {"admin", "officer", "author", "publisher", "finance"},
    ("GET", "/grants/{grant_id}/rate"): PORTAL,
    ("GET", "/home"): SIGNED_IN - {"park-other", INTRUDER},  # officers: on to the console
    ("GET", "/inbox"): PORTAL,
    ("GET", "/lang/{code}"): EVERYONE,
    ("GET", "/login"): EVERYONE,
    ("GET", "/login/oidc"): OFF,
    ("GET", "/login/oidc/callback"): OFF,
    ("GET", "/my-data"): PORTAL,
    ("GET", "/my-data/correct"): PORTAL,
    ("GET", "/policies"): EVERYONE,
    # Public, but not as the owner: a visitor sees the policy, another enterprise is refused.
    ("GET", "/policies/{policy_id}"): EVERYONE - {"park-other", INTRUDER},
    ("GET", "/records/{record_id}/rate"): PORTAL,
    ("GET", "/request-files/{attachment_id}"): PORTAL | REQUEST_DESK,
    ("GET", "/requests"): PORTAL | DESKS,  # another enterprise named: 403
    ("GET", "/requests/{request_id}"): PORTAL | REQUEST_DESK,
    ("POST", "/api/v1/applications/{record_id}/approve"): frozenset({"officer"}),
    ("POST", "/api/v1/applications/{record_id}/reject"): frozenset({"officer"}),
    ("DELETE", "/api/v1/attachments/{attachment_id}"): PORTAL,
    ("POST", "/api/v1/calculator"): EVERYONE,
    ("POST", "/api/v1/complaints"): frozenset({"steward", "complaints"}),
    ("POST", "/api/v1/complaints/complainants/{complainant_id}/decide"): frozenset({"complaints"}),
    ("POST", "/api/v1/complaints/import"): frozenset({"steward", "complaints"}),
    ("POST", "/api/v1/console/inbox/{message_id}/read"): frozenset({"desk-policy"}),
    ("POST", "/api/v1/console/jobs/{job_id}/resume"): frozenset(),
    # Authors and publishers whose scope covers the policy (web-auto, of district 310115).
    ("POST", "/api/v1/console/policies/simulate"): frozenset({"author", "publisher"}),
    ("PUT", "/api/v1/console/policies/{policy_id}/draft"): frozenset({"author", "publisher"}),
    ("DELETE", "/api/v1/console/policies/{policy_id}/draft"): frozenset({"author", "publisher"}),
    ("POST", "/api/v1/console/policies/{policy_id}/draft/publish"): frozenset({"publisher"}),
    ("POST", "/api/v1/console/versions/{version_id}/retire"): frozenset({"publisher"}),
    ("POST", "/api/v1/corrections"): PORTAL,
    ("POST", "/api/v1/corrections/{request_id}/decide"): frozenset({"steward"}),
    ("POST", "/api/v1/finance/batches"): frozenset({"finance"}),
    ("POST", "/api/v1/finance/grants/{grant_id}/repay"): frozenset({"finance"}),
    ("POST", "/api/v1/finance/payments"): frozenset({"finance"}),
    ("POST", "/api/v1/imports"): frozenset({"steward"}),  # refused by the importer: 400
    ("POST", "/api/v1/inbox/{message_id}/read"): PORTAL,
    ("POST", "/api/v1/ratings"): PORTAL,
    ("POST", "/api/v1/records/{record_id}/attachments"): PORTAL,
    ("POST", "/api/v1/records/{record_id}/claim"): PORTAL,
    ("POST", "/api/v1/records/{record_id}/review"): frozenset({"officer"}),
    ("POST", "/api/v1/records/{record_id}/submit"): PORTAL,
    ("POST", "/api/v1/records/{record_id}/withdraw"): PORTAL,
    ("POST", "/api/v1/requests"): PORTAL,
    ("POST", "/api/v1/requests/{request_id}/acknowledge"): REQUEST_DESK,
    ("POST", "/api/v1/requests/{request_id}/close"): REQUEST_DESK,
    ("POST", "/api/v1/requests/{request_id}/rate"): PORTAL,
    ("POST", "/api/v1/requests/{request_id}/reply"): REQUEST_DESK,
    ("POST", "/api/v1/requests/{request_id}/transfer"): REQUEST_DESK,
    ("POST", "/api/v1/requests/{request_id}/withdraw"): PORTAL,
    ("POST", "/api/v1/users"): frozenset({"admin"}),
    ("PATCH", "/api/v1/users/{username}"): frozenset({"admin"}),
    ("POST", "/api/v1/users/{username}/disable"): frozenset({"admin"}),
    ("POST", "/api/v1/users/{username}/enable"): frozenset({"admin"}),
    ("POST", "/attachments/{attachment_id}/remove"): PORTAL,
    ("POST", "/console/applications/{record_id}/approve"): frozenset({"officer"}),
    ("POST", "/console/applications/{record_id}/reject"): frozenset({"officer"}),
    ("POST", "/console/complaints/detect"): frozenset({"complaints"}),
    ("POST", "/console/complaints/{complainant_id}/decide"): frozenset({"complaints"}),
    ("POST", "/console/complaints/import"): frozenset({"complaints", "steward"}),
    ("POST", "/console/corrections/{request_id}/decide"): frozenset({"steward"}),
    ("POST", "/console/finance/batches"): frozenset({"finance"}),
    # The form names no user: an admin is told to choose one (400), not refused.
    ("POST", "/console/tokens"): frozenset({"admin"}),
    ("POST", "/console/tokens/{token_id}/revoke"): frozenset({"admin"}),
    ("POST", "/console/users"): frozenset({"admin"}),
    ("POST", "/console/users/disabled"): frozenset({"admin"}),
    ("POST", "/console/users/roles"): frozenset({"admin"}),
    ("POST", "/console/finance/grants/{grant_id}/repay"): frozenset({"finance"}),
    ("POST", "/console/finance/payments"): frozenset({"finance"}),
    ("POST", "/console/flagged/{record_id}/review"): frozenset({"officer"}),
    ("POST", "/console/imports"): frozenset({"steward"}),
    ("POST", "/console/inbox/{message_id}/read"): frozenset({"desk-policy"}),
    ("POST", "/console/jobs/{job_id}/resume"): frozenset(),
    ("POST", "/console/policies/versions/{version_id}/deliver"): frozenset({"publisher"}),
    ("POST", "/console/policies/versions/{version_id}/retire"): frozenset({"publisher"}),
    ("POST", "/console/policies/{policy_id}/draft"): frozenset({"author", "publisher"}),
    ("POST", "/console/policies/{policy_id}/draft/delete"): frozenset({"author", "publisher"}),
    ("POST", "/console/policies/{policy_id}/draft/publish"): frozenset({"publisher"}),
    ("POST", "/console/requests/{request_id}/acknowledge"): REQUEST_DESK,
    ("POST", "/console/requests/{request_id}/close"): REQUEST_DESK,
    ("POST", "/console/requests/{request_id}/reply"): REQUEST_DESK,
    ("POST", "/console/requests/{request_id}/transfer"): REQUEST_DESK,
    ("POST", "/console/simulate"): frozenset({"author", "publisher", "outsider"}),
    ("POST", "/inbox/{message_id}/read"): PORTAL,
    ("POST", "/login"): SIGNED_IN,  # the form is checked; signing in: test_signin.py
    ("POST", "/logout"): SIGNED_IN,
    ("POST", "/my-data/correct"): PORTAL,
    ("POST", "/policies/{policy_id}/attachments"): PORTAL,
    ("POST", "/policies/{policy_id}/claim"): PORTAL,
    ("POST", "/policies/{policy_id}/submit"): PORTAL,
    ("POST", "/policies/{policy_id}/withdraw"): PORTAL,
    ("POST", "/rate"): PORTAL,
    ("POST", "/requests"): PORTAL,
    ("POST", "/requests/{request_id}/rate"): PORTAL,
    ("POST", "/requests/{request_id}/withdraw"): PORTAL,
}

# Forms a visitor posts without a session: refused for the missing CSRF token (403).
SIGN_IN_FORMS = {("POST", "/login"), ("POST", "/logout")}
# Routes that use up what they act on: once one user it is for got through, the next may
# find nothing left (404).
DRAFT = "/api/v1/console/policies/{policy_id}/draft"
DRAFT_DELETES = {
    ("DELETE", DRAFT),
    ("POST", "/console/policies/{policy_id}/draft/delete"),
}
# Routes that delete what they name: the first user they are for deletes it, the next
# finds nothing (404). The owner's application attachment is removable while the
# application is open, which it stays (only a submitted application is decided).
USED_UP = DRAFT_DELETES | {
    ("DELETE", "/api/v1/attachments/{attachment_id}"),
    ("POST", "/attachments/{attachment_id}/remove"),
}
# Users of another scope than the owner's: whatever they may open, the owner's data is
# not in it.
OTHER_SCOPES = ("outsider", "reviewer-elsewhere", "desk-finance", "park-other", INTRUDER)
# Run last, in this order: they end what the routes before them act on (an application
# withdrawn, a request closed, a draft deleted after it is saved, a version retired, the
# session signed out).
LAST = [
    # Withdrawing and closing end what the routes before them answer, rate or decide.
    ("POST", "/api/v1/records/{record_id}/withdraw"),
    ("POST", "/policies/{policy_id}/withdraw"),
    ("POST", "/api/v1/requests/{request_id}/close"),
    ("POST", "/console/requests/{request_id}/close"),
    ("POST", "/api/v1/requests/{request_id}/withdraw"),
    ("POST", "/requests/{request_id}/withdraw"),
    ("POST", "/api/v1/console/policies/{policy_id}/draft/publish"),
    ("POST", "/console/policies/{policy_id}/draft/publish"),
    ("DELETE", "/api/v1/console/policies/{policy_id}/draft"),
    ("POST", "/console/policies/{policy_id}/draft/delete"),
    ("POST", "/api/v1/console/versions/{version_id}/retire"),
    ("POST", "/console/policies/versions/{version_id}/retire"),
    ("POST", "/login"),
    ("POST", "/logout"),
]


def ordered(routes: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Reads first, then writes, then :data:`LAST`."""
    rest = sorted(routes - set(LAST), key=lambda r: (r[0] != "GET", r[1], r[0]))
    return rest + [r for r in LAST if r in routes]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Portal, Objects]]:
    """A portal of its own (the routes change what they act on) with the whole cast."""
    with portal_world(tmp_path_factory.mktemp("routes")) as portal:
        yield portal, build_cast(portal)
        for job_id in runner.running():
            runner.wait(job_id, timeout=120)


@pytest.fixture(scope="module")
def browsers(world: tuple[Portal, Objects]) -> Iterator[dict[str | None, Browser]]:
    """A browser of every user of the cast, signed in once for the module."""
    with browsers_of(world[0], CAST) as browsers:
        yield browsers


def refused(response: httpx.Response) -> bool:
    """Whether a response turns the caller away: 401, 403, 404, or the sign-in page."""
    location = response.headers.get("location", "")
    return response.status_code in (401, 403, 404) or (
        response.status_code == 303 and location.startswith("/login")
    )


def leaks(response: httpx.Response, objects: Objects) -> bool:
    """Whether a response shows the owner's name, or its USCC in JSON that is not a refusal
    (a refusal, and a page's heading or form, may repeat the USCC asked for)."""
    json = response.headers.get("content-type", "").startswith("application/json")
    shows_code = json and objects.uscc in response.text and not refused(response)
    return f"测试企业{objects.uscc[-6:]}" in response.text or shows_code


def query_names(app: Any) -> dict[tuple[str, str], frozenset[str]]:
    """Each API route's query parameters (an API endpoint refuses any other)."""
    from huiqi.web.api.queryparams import query_names as names_of

    return {
        (method, route.path_format): frozenset(names_of(route.dependant))
        for route in walk(list(app.routes))
        if str(route.path).startswith("/api/") and hasattr(route, "dependant")
        for method in route.methods
    }


def test_every_route_has_an_access_rule(world: tuple[Portal, Objects]) -> None:
    portal, _ = world
    table = route_table(portal.app())
    assert len(table) > 100
    missing = sorted(table - set(ACCESS))
    assert not missing, f"routes without an access rule in ACCESS: {missing}"
    gone = sorted(set(ACCESS) - table)
    assert not gone, f"ACCESS names routes the app no longer has: {gone}"


def test_every_route_as_every_role(
    world: tuple[Portal, Objects], browsers: dict[str | None, Browser]
) -> None:
    """Each route, with each user: refused users first, then those it is for (whose
    writes may change what the next route sees)."""
    portal, objects = world
    problems: list[str] = []
    takes = query_names(portal.app())
    for method, path in ordered(route_table(portal.app())):
        rule = ACCESS[(method, path)]
        through = 0
        if (method, path) in DRAFT_DELETES:  # a draft to discard, whatever discarded the last
            client, api_headers, csrf = browsers["author"]
            saved = send(
                client,
                call_of("PUT", DRAFT, objects, csrf, takes.get(("PUT", DRAFT))),
                api_headers,
            )
            assert saved.status_code == 200, saved.text
        allowed = frozenset() if rule == OFF else rule
        users = [u for u in CAST if u not in allowed] + [u for u in CAST if u in allowed]
        for user in users:
            client, api_headers, csrf = browsers[user]
            call = call_of(method, path, objects, csrf, takes.get((method, path)))
            response = send(client, call, api_headers if path.startswith("/api/") else {})
            status = response.status_code
            where = f"{method} {path} as {user or 'a visitor'}: {status}"
            if status >= 500 or "Traceback" in response.text:
                problems.append(f"{where} (server error)")
            elif rule == OFF:
                if status != 404:
                    problems.append(f"{where}, expected 404 (not configured)")
            elif user in allowed:
                if not refused(response):
                    through += 1
                elif not (status == 404 and through and (method, path) in USED_UP):
                    problems.append(f"{where}, expected to get through")
            elif user is None and (method, path) in SIGN_IN_FORMS:
                if status != 403:
                    problems.append(f"{where}, expected 403 (no CSRF token)")
            elif user is None:
                if not refused(response) or status in (403, 404):
                    problems.append(f"{where}, expected 401 or the sign-in page")
            elif not refused(response):
                problems.append(f"{where}, expected 403 or 404")
            if user in OTHER_SCOPES and leaks(response, objects):
                problems.append(f"{where}: shows the owner's data to another scope")
    assert not problems, "\n".join(problems)


GARBAGE = "z" * 1100  # no integer, date, boolean, or string of at most 1,000 characters
# The cast by role: a user refused only for its scope (another department's officer, another
# enterprise) holds a role the endpoint is for, and may read what it takes.
KIND = {
    "admin": "admin",
    "officer": "reviewer",
    "reviewer-elsewhere": "reviewer",
    "author": "author",
    "publisher": "publisher",
    "outsider": "publisher",
    "steward": "steward",
    "finance": "finance",
    "desk-policy": "desk",
    "desk-finance": "desk",
    "desk-head": "desk",  # desk officers and heads: the same endpoints
    "complaints": "complaints",
    "park-op": "park",
    "park-other": "park",
    OWNER: "enterprise",
    INTRUDER: "enterprise",
}


def test_a_caller_refused_is_refused_before_the_query_is_read(
    world: tuple[Portal, Objects],
) -> None:
    """Regression: a user without the role of an API endpoint who sent a malformed query
        (``GET /api/v1/users?limit=abc`` as an enterprise, ``GET /api/v1/complaints/about-us?limit=x``
    as a desk officer, ``POST /api/v1/finance/batches?x=1``
    as a desk officer) got 422, naming the endpoint's
        parameters, instead of 403; a visitor got 422 instead of 401. Access is checked
        before the query is read."""
    portal, objects = world
    problems: list[str] = []
    takes = query_names(portal.app())
    client = portal.client()  # with API tokens: the browsers above have signed out
    tokens = {u: {"Authorization": f"Bearer {portal.token(u)}"} for u in CAST if u}
    for method, path in ordered(route_table(portal.app())):
        rule = ACCESS[(method, path)]
        if not path.startswith("/api/") or rule == OFF or not rule:
            continue  # (no rule: what it names does not exist, 404 for everyone)
        kinds = {KIND[u] for u in rule if u is not None}
        names = takes.get((method, path), frozenset()) | {"limit", "after", "nonsense"}
        for user in [u for u in CAST if u not in rule]:
            if user is not None and KIND[user] in kinds:
                continue
            call = call_of(method, path, objects, "", takes.get((method, path)))
            garbled = replace(call, params={name: GARBAGE for name in names})
            status = send(client, garbled, tokens.get(user or "", {})).status_code
            if status not in ((401,) if user is None else (403, 404)):
                problems.append(f"{method} {path}?… as {user or 'a visitor'}: {status}")
    assert not problems, "\n".join(problems)


def test_a_console_page_refuses_a_role_it_is_not_for_before_its_address_is_read(
    world: tuple[Portal, Objects],
) -> None:
    """Regression: a finance officer opening ``/console/requests?after=abc``, or an
    enterprise ``/console/inbox?unread=2``, read 400 saying what the page takes instead
    of 403: a console page checks its roles before it reads its address."""
    portal, _ = world
    client = portal.client()
    tokens = {u: {"Authorization": f"Bearer {portal.token(u)}"} for u in CAST if u}
    problems = []
    for page in PAGES:
        rule = ACCESS[("GET", page.path)]
        assert rule != OFF and rule
        kinds = {KIND[u] for u in rule if u is not None}
        for user in [u for u in CAST if u is not None and u not in rule]:
            if KIND[user] in kinds:
                continue
            params = {"after": GARBAGE, "unread": "2", "status": GARBAGE, "since": "x"}
            got = client.get(page.path, params=params, headers=tokens[user])
            if got.status_code != 403:
                problems.append(f"{page.path} as {user}: {got.status_code}")
    assert not problems, "\n".join(problems)

"""The cast of the route tests: one user of every role (in the scope of the owner
enterprise's data, and in another scope), the owner's objects of every kind, and the
app's routing table read from the app itself."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from portal_data import APPLY, AUTO, DISTRICT, OFFER, Portal, add_user, page_token, sign_in
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from huiqi.accounts import service as accounts
from huiqi.accounts import tokens
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.complaints.models import Complainant
from huiqi.db.engine import transaction
from huiqi.delivery.models import DirectoryEntry, PolicyVersion
from huiqi.desk.models import DeskAttachment, OfficerMessage
from huiqi.jobs import runner

OWNER, INTRUDER = "ent0", "ent7"
PARK, OTHER_PARK = "张江路由园", "临港路由园"
# Every kind of user: each role in the owner's scope (its park, the policies' district
# 310115, the request's department) and in another (another park, district 310104,
# another department); None is a visitor who has not signed in.
CAST: tuple[str | None, ...] = (
    None,
    "admin",
    "officer",  # policy reviewer, city-wide
    "author",  # policy author, city-wide
    "publisher",  # author and publisher of district 310115 (the policies' district)
    "outsider",  # author and publisher of district 310104
    "reviewer-elsewhere",  # reviewer of district 310104
    "steward",
    "finance",
    "desk-policy",  # desk officer of the department the owner's request is routed to
    "desk-finance",  # desk officer of another department
    "desk-head",  # head of the department the owner's request is routed to
    "complaints",
    "park-op",  # operator of the owner's park
    "park-other",  # operator of another park
    OWNER,
    INTRUDER,
)


@dataclass
class Objects:
    """The owner's objects, by kind, that the routes' path parameters name."""

    uscc: str
    ids: dict[str, int | str] = field(default_factory=dict)


def walk(routes: list[Any]) -> Iterator[Any]:
    """Every route of a routing table, those of included routers too."""
    for route in routes:
        if hasattr(route, "effective_route_contexts"):  # an included router
            yield from route.effective_route_contexts()
        elif getattr(route, "methods", None):
            yield route


def route_table(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) of every route the app answers (HEAD aside), read from its
    routing table, included routers too."""
    return {
        (method, str(route.path_format))
        for route in walk(list(app.routes))
        for method in route.methods
        if method != "HEAD"
    }


def build_cast(portal: Portal) -> Objects:
    """Add the cast's users to ``portal`` and make the owner's objects."""
    with transaction(portal.factory) as s:
        for codes, park in ((portal.usccs[:3], PARK), (portal.usccs[3:5], OTHER_PARK)):
            s.execute(
                update(DirectoryEntry).where(DirectoryEntry.uscc.in_(codes)).values(park=park)
            )
        # Registered in the policies' district, where the district officers' scopes are
        # told apart: "publisher" acts for it, "outsider" and "reviewer-elsewhere" do not.
        s.execute(update(DirectoryEntry).values(district_code=DISTRICT))
    for name, grants in {
        "publisher": [
            RoleGrant(r, "district:310115") for r in (Role.POLICY_AUTHOR, Role.POLICY_PUBLISHER)
        ],
        "outsider": [
            RoleGrant(r, "district:310104") for r in (Role.POLICY_AUTHOR, Role.POLICY_PUBLISHER)
        ],
        "complaints": [RoleGrant(Role.COMPLAINT_OFFICER)],
        "desk-head": [RoleGrant(Role.DESK_HEAD, "department:市经济信息化委")],
        "park-op": [RoleGrant(Role.PARK_OPERATOR, PARK)],
        "park-other": [RoleGrant(Role.PARK_OPERATOR, OTHER_PARK)],
    }.items():
        add_user(portal, name, grants)
    client = portal.client()

    def as_(user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {portal.token(user)}"}

    owner = as_(OWNER)
    ids: dict[str, int | str] = {}
    ids["offer"] = client.get("/api/v1/records", params={"policy_id": OFFER}, headers=owner).json()[
        0
    ]["id"]
    ids["application"] = client.get(
        "/api/v1/records", params={"policy_id": APPLY}, headers=owner
    ).json()[0]["id"]
    ids["grant"] = client.get("/api/v1/grants", headers=owner).json()[0]["id"]
    ids["message"] = client.get("/api/v1/inbox", headers=owner).json()[0]["id"]
    made = client.post(
        f"/api/v1/records/{ids['application']}/attachments",
        files={"file": ("营业执照.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        headers=owner,
    )
    assert made.status_code == 200, made.text
    ids["attachment"] = made.json()["id"]
    made = client.post(
        "/api/v1/corrections",
        json={"field": "insured_employees", "year": 2025, "value": 9},
        headers=owner,
    )
    assert made.status_code == 200, made.text
    ids["correction"] = made.json()["id"]
    made = client.post(
        "/api/v1/requests",
        json={"category": "policy", "text": "为什么还没有收到？", "policy_id": OFFER},
        headers=owner,
    )
    assert made.status_code == 200, made.text
    ids["request"] = made.json()["id"]
    made = client.post(
        "/api/v1/complaints",
        json={
            "complaints": [
                {
                    "ref": "R-1",
                    "id_number": "310101199001011234",
                    "uscc": portal.usccs[0],
                    "text": "投诉",
                    "filed_on": "2026-01-05",
                }
            ]
        },
        headers=as_("complaints"),
    )
    assert made.status_code == 200 and made.json()["stored"] == 1, made.text
    made = client.post("/api/v1/finance/batches", headers=as_("finance"))
    assert made.status_code == 200, made.text
    ids["batch"] = made.json()["id"]
    browser = sign_in(portal.client(), OWNER)  # a request with a file: the portal's form
    form = {"category": "policy", "text": "附材料", "csrf_token": page_token(browser, "/requests")}
    made = browser.post("/requests", data=form, files={"files": PDF}, follow_redirects=False)
    assert made.status_code == 303, made.text
    with transaction(portal.factory) as s:
        ids["request_file"] = s.scalars(select(DeskAttachment.id)).one()
        ids["officer_message"] = _officer_message(s, "desk-policy", int(ids["request"]))
        # A token of a user of its own, for the console's tokens page to revoke (qa4).
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        ids["token"] = tokens.create_token(s, actor=admin, name="路由测试", username="ent3")[0].id
    with portal.factory() as s:
        ids["complainant"] = s.scalars(select(Complainant.id)).one()
        ids["version"] = s.scalars(
            select(PolicyVersion.id).where(PolicyVersion.policy_id == AUTO)
        ).one()
    return Objects(portal.usccs[0], ids)


def _officer_message(s: Session, username: str, request_id: int) -> int:
    """A reminder in an officer's console inbox, as the deadline sweep leaves one."""
    user = accounts.find_user(s, username)
    message = OfficerMessage(
        user_id=user.id,
        kind="reminder",
        request_id=request_id,
        department="市经济信息化委",
        task="acknowledge",
        due=dt.date(2026, 1, 9),
    )
    s.add(message)
    s.flush()
    return message.id


Browser = tuple[TestClient, dict[str, str], str]


def _browser(client: TestClient, user: str | None) -> Browser:
    if user is None:
        return client, {}, ""
    sign_in(client, user)
    token = page_token(client, "/policies")
    return client, {"X-CSRF-Token": token}, token


def signed_in(portal: Portal, user: str | None, app: FastAPI | None = None) -> Browser:
    """A browser of ``user`` (signed in with the session cookie), the header its API
    writes carry, and its pages' CSRF token; ``app``: an app already made (see
    :func:`browsers_of`), else a new one."""
    return _browser(TestClient(app or portal.app(), raise_server_exceptions=False), user)


@contextmanager
def browsers_of(
    portal: Portal, users: Iterable[str | None], app: FastAPI | None = None
) -> Iterator[dict[str | None, Browser]]:
    """A browser of each of ``users`` (as :func:`signed_in`), signed in once for a whole
    test module, all on one app; on leaving, the jobs their requests started are waited
    for. ``app``: the app to browse, else a new one.

    One app: each new app loads and compiles every template again on first use, and a
    browser per user on an app of its own compiled each page once per user. Each browser
    is open (``with``) while it is used: a TestClient that is not starts an event loop
    in a new thread for every request, and a worker thread for a route's blocking part.
    Leaving a browser shuts the app down, which marks the jobs still running
    interrupted: they are waited for first.
    """
    app = app or portal.app()
    with ExitStack() as stack:
        browsers = {
            user: _browser(
                stack.enter_context(TestClient(app, raise_server_exceptions=False)), user
            )
            for user in users
        }
        yield browsers
        for job_id in runner.running():
            runner.wait(job_id, timeout=120)


PARAMETERS = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Call:
    """One request of a route, naming the owner's objects and enterprise."""

    method: str
    url: str
    params: dict[str, str]
    json: object = None
    form: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None


PDF = ("营业执照.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
CSV = ("results.csv", "批次号,拨付单号,结果\n".encode(), "text/csv")
# The body of each API write, well formed: whoever is refused is refused for who it is.
API_BODIES: dict[str, object] = {
    "/api/v1/applications/{record_id}/reject": {"reason": "材料不全"},
    "/api/v1/calculator": {"answers": {}},
    "/api/v1/complaints/complainants/{complainant_id}/decide": {
        "professional": False,
        "reason": "普通消费者",
    },
    "/api/v1/console/policies/{policy_id}/draft": {"text": "id: x\n"},
    "/api/v1/console/policies/simulate": {"policy_id": AUTO},  # of the owner's district
    "/api/v1/console/versions/{version_id}/retire": {"reason": "停止执行"},
    "/api/v1/corrections/{request_id}/decide": {"accept": False, "reason": "以社保数据为准"},
    "/api/v1/finance/grants/{grant_id}/repay": {"reason": "账户已更正"},
    "/api/v1/records/{record_id}/review": {"decision": "keep", "reason": "核实无误"},
    "/api/v1/requests/{request_id}/reply": {"text": "已转办"},
    "/api/v1/requests/{request_id}/transfer": {"department": "市财政局", "reason": "职责"},
    "/api/v1/requests/{request_id}/close": {"reason": "重复诉求"},
    "/api/v1/requests/{request_id}/rate": {"stars": 3},
    "/api/v1/users": {"username": "route-added", "roles": ["data_steward"]},
    "/api/v1/users/{username}": {"display_name": "路由测试"},
}
UPLOADS = {
    "/api/v1/records/{record_id}/attachments": PDF,
    "/api/v1/complaints/import": CSV,
    "/api/v1/finance/payments": CSV,
    "/api/v1/imports": CSV,  # no registry's header: the importer refuses it (400)
    "/policies/{policy_id}/attachments": PDF,
    "/console/finance/payments": CSV,
    "/requests": PDF,
}


def path_value(path: str, name: str, objects: Objects) -> str:
    """The owner's object a path parameter of ``path`` names."""
    ids = objects.ids
    match name:
        case "record_id":
            kind = "offer" if path.endswith(("/claim", "/review")) else "application"
            return str(ids[kind])
        case "request_id":
            return str(ids["correction" if "corrections" in path else "request"])
        case "message_id":
            return str(ids["officer_message" if "console" in path else "message"])
        case "attachment_id" if path.startswith(("/request-files/", "/api/v1/request-files/")):
            return str(ids["request_file"])
        case "policy_id":
            if path.endswith(("/submit", "/attachments")):
                return APPLY
            return AUTO if "console" in path else OFFER
        case "kind":
            return "csv"
        case "code":
            return "zh_CN"
        case "job_id":
            return "1"
        case "ref":  # snapshot 1: the test store's, written without an import (no report)
            return "1"
        case "name" if "/imports/" in path:
            return "rejects.csv"
        case "username":  # a user of its own: disabling it signs no one of the cast out
            return "ent3"
    return str(ids[name.removesuffix("_id")])


def call_of(
    method: str, path: str, objects: Objects, csrf: str, takes: frozenset[str] | None = None
) -> Call:
    """The request a route is tried with: its path naming the owner's objects, the owner's
    USCC as a query parameter (where an API endpoint takes one: ``takes``, its query
    parameters; it refuses others), and a well-formed body."""
    url = PARAMETERS.sub(lambda m: quote(path_value(path, m.group(1), objects), safe=""), path)
    params = {"uscc": objects.uscc} if takes is None or "uscc" in takes else {}
    if path == "/policies/{policy_id}/attachments":  # the application, as its page names it
        params["record_id"] = str(objects.ids["application"])
    files = {"file": UPLOADS[path]} if path in UPLOADS and method == "POST" else None
    if method == "GET":
        return Call(method, url, params)
    if path.startswith("/api/"):
        body = API_BODIES.get(path)
        if body is None and path == "/api/v1/corrections":
            body = {"uscc": objects.uscc, "field": "insured_employees", "year": 2025, "value": 10}
        elif body is None and path == "/api/v1/ratings":
            body = {"grant_id": objects.ids["grant"], "stars": 3}
        elif body is None and path == "/api/v1/requests":
            body = {"uscc": objects.uscc, "category": "policy", "text": "咨询"}
        elif body is None and path == "/api/v1/complaints":
            body = {"complaints": [COMPLAINT]}
        return Call(method, url, params, json=body, files=files)
    form = {
        "csrf_token": csrf,
        "uscc": objects.uscc,
        "record_id": str(objects.ids["offer" if path.endswith("/claim") else "application"]),
        "kind": "grant",
        "target": str(objects.ids["grant"]),
        "stars": "3",
        "field": "insured_employees",
        "year": "2025",
        "value": "11",
        "reason": "核实",
        "close_reason": "重复诉求",
        "decision": "keep",
        "text": "咨询",
        "category": "policy",
        "department": "市财政局",
        "professional": "no",
    }
    return Call(method, url, params, form=form, files=files)


COMPLAINT = {
    "ref": "R-2",
    "id_number": "310101199001011234",
    "uscc": "91310115MA0000001X",
    "text": "投诉",
    "filed_on": "2026-01-05",
}


def send(client: TestClient, call: Call, headers: dict[str, str]) -> httpx.Response:
    return client.request(
        call.method,
        call.url,
        params=call.params,
        json=call.json,
        data=call.form,
        files=call.files,
        headers=headers,
        follow_redirects=False,
    )

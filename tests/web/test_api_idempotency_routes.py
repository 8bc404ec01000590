"""Every write of the API (POST, PUT, PATCH, DELETE under /api/v1) honours the
Idempotency-Key header the same way: sent again with the same request, the first answer
comes back marked as a replay, and nothing is done again; sent with another body, a 422
naming the header.

QA (qa2): only filing a request and attaching a file honoured the header; the other
writes ignored it, so a retried call was carried out again (a second payment file, a
draft deleted and then "not found", a user created and then "already exists")."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from portal_data import Portal, portal_world
from route_cast import CAST, Objects, build_cast, call_of, route_table, send
from test_route_access import ACCESS, DRAFT, DRAFT_DELETES, OFF, ordered, query_names

from huiqi.jobs import runner

WRITES = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Portal, Objects]]:
    with portal_world(tmp_path_factory.mktemp("keys")) as portal:
        yield portal, build_cast(portal)
        for job_id in runner.running():
            runner.wait(job_id, timeout=120)


def test_every_api_write_answers_a_repeat_from_its_key(world: tuple[Portal, Objects]) -> None:
    portal, objects = world
    app = portal.app()
    takes = query_names(app)
    client = portal.client()
    tokens: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    answered = 0
    routes = [
        (m, p) for m, p in ordered(route_table(app)) if m in WRITES and p.startswith("/api/v1/")
    ]
    for n, (method, path) in enumerate(routes):
        rule = ACCESS[(method, path)]
        users = [u for u in CAST if rule != OFF and u in rule and u is not None]
        if not users or None in rule:  # nothing it names exists (404 for everyone); or
            continue  # for anyone (the calculator: it changes nothing, keeps nothing)
        user = users[0]
        if user not in tokens:
            tokens[user] = {"Authorization": f"Bearer {portal.token(user)}"}
        if (method, path) in DRAFT_DELETES:  # a draft to discard
            author = {"Authorization": f"Bearer {portal.token('author')}"}
            saved = send(
                client, call_of("PUT", DRAFT, objects, "", takes.get(("PUT", DRAFT))), author
            )
            assert saved.status_code == 200, saved.text
        call = call_of(method, path, objects, "", takes.get((method, path)))
        headers = {**tokens[user], "Idempotency-Key": f"route-{n}"}
        first, again = send(client, call, headers), send(client, call, headers)
        where = f"{method} {path} as {user}: {first.status_code}"
        if not 200 <= first.status_code < 300:  # refused: nothing kept, nothing to replay
            if "Idempotent-Replayed" in again.headers:
                problems.append(f"{where}: a refusal was replayed")
            continue
        answered += 1
        if (again.status_code, again.content) != (first.status_code, first.content):
            problems.append(f"{where}, then {again.status_code}: {again.text[:200]}")
        elif again.headers.get("Idempotent-Replayed") != "true":
            problems.append(f"{where}: the repeat is not marked as a replay")
        elif again.headers.get("location") != first.headers.get("location"):
            problems.append(f"{where}: the repeat lost the Location header")
        if call.files:
            name, content, kind = next(iter(call.files.values()))
            changed = replace(call, files={"file": (name, content + b"\n", kind)})
        else:
            changed = replace(call, json={"changed": call.json})
        other = send(client, changed, headers)
        said = other.json().get("detail") if other.status_code == 422 else None
        if not (isinstance(said, list) and said[0]["loc"] == ["header", "Idempotency-Key"]):
            problems.append(f"{where}: another body with the key got {other.status_code}")
    assert not problems, "\n".join(problems)
    # Twenty writes get through for the user they are for (the others are refused for the
    # state of the cast's objects: an application not submitted, a batch with nothing to
    # pay): the check above is not empty.
    assert answered >= 18, answered

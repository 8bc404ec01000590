"""Simultaneous copies of one API call with one Idempotency-Key, through the whole app on
SQLite and on PostgreSQL (HUIQI_TEST_DATABASE_URL): one is carried out, the others get
its answer or a 409 to retry; the key with another body is a 422 and files nothing."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from huiqi.accounts import service as accounts
from huiqi.accounts import tokens
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.config import Settings
from huiqi.db.engine import session_factory, transaction
from huiqi.desk.models import DeskRequest
from huiqi.profiles.uscc import make
from huiqi.web.app import create_app
from huiqi.web.settings import WebSettings

CODE = make("91310115MA1000001")
PASSWORD = "idempotency-test-pass-2026"
COPIES = 4


def test_simultaneous_copies_of_a_call_file_one_request(engine: Engine, tmp_path: Path) -> None:
    factory = session_factory(engine)
    with transaction(factory) as s:
        accounts.init_admin(s, username="admin", password=PASSWORD)
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        roles = [RoleGrant(Role.ENTERPRISE, CODE)]
        accounts.add_user(s, actor=admin, username="ent", roles=roles, password=PASSWORD)
    with transaction(factory) as s:
        actor, _ = tokens.sign_in(s, username="ent", password=PASSWORD, client="test")
        _, secret = tokens.create_token(s, actor=actor, name="api test")
    app = create_app(Settings(data_dir=tmp_path / "data"), factory, WebSettings())
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "same-call"}
    body = {"category": "funding", "text": "补贴何时到账？"}
    barrier, answers, lock = threading.Barrier(COPIES), [], threading.Lock()

    def send() -> None:
        barrier.wait()
        got = client.post("/api/v1/requests", json=body, headers=headers)
        with lock:
            answers.append(got)

    threads = [threading.Thread(target=send) for _ in range(COPIES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [r for r in answers if r.status_code == 200]
    first = [r for r in done if "Idempotent-Replayed" not in r.headers]
    assert len(first) == 1, [(r.status_code, r.headers, r.text) for r in answers]
    assert {r.content for r in done} == {first[0].content}
    busy: list[httpx.Response] = [r for r in answers if r.status_code != 200]
    assert all(r.status_code == 409 and r.headers.get("Retry-After") for r in busy)
    again = client.post("/api/v1/requests", json=body, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.content == first[0].content
    changed = client.post("/api/v1/requests", json={**body, "text": "另一件事"}, headers=headers)
    assert changed.status_code == 422
    assert changed.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(DeskRequest)) == 1

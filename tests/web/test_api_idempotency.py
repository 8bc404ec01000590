"""The Idempotency-Key header on the API's writes (huiqi.web.idempotent): a retry is
answered as the first call and does nothing again; a key reused for another request is a
422, one still being answered a 409; any header value is a key or a 4xx naming the header.

Before (qa2): only filing a request and attaching a file honoured the header; every other
write ignored it (a retried correction, rating or payment file was done again), and a key
sent again with another body answered the first request as if it were the answer."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import PASSWORD, Portal, page_token, sign_in
from sqlalchemy import func, select

from huiqi.accounts import idempotent_calls as store
from huiqi.accounts.idempotent_calls import Call, stored_key
from huiqi.accounts.tables import api_idempotency
from huiqi.db.engine import transaction
from huiqi.delivery.feedback_models import CorrectionRequest
from huiqi.web.idempotent import body_digest
from huiqi.web.settings import WebSettings

CORRECTIONS = "/api/v1/corrections"
JSON = {"Content-Type": "application/json"}


def bearer(portal: Portal, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.token(user)}"}


def correction(portal: Portal, n: int, value: int) -> bytes:
    body = {"uscc": portal.usccs[n], "field": "insured_employees", "year": 2025, "value": value}
    return json.dumps(body).encode()


def corrections_of(portal: Portal, n: int) -> int:
    with portal.factory() as s:
        query = select(func.count()).where(CorrectionRequest.uscc == portal.usccs[n])
        return int(s.scalar(query.select_from(CorrectionRequest)) or 0)


def test_a_retried_write_is_answered_again_and_done_once(portal: Portal) -> None:
    client, owner = portal.client(), bearer(portal, "ent1")

    def send(body: bytes, key: str = "fix-1") -> httpx.Response:
        return client.post(
            CORRECTIONS, content=body, headers={**owner, **JSON, "Idempotency-Key": key}
        )

    first, again = send(correction(portal, 1, 41)), send(correction(portal, 1, 41))
    assert first.status_code == 200, first.text
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["content-type"] == first.headers["content-type"]
    assert "Idempotent-Replayed" not in first.headers
    assert corrections_of(portal, 1) == 1
    # The same key with another value: refused as a key misuse, not answered with the
    # first correction (nor refused as a second correction of the value).
    changed = send(correction(portal, 1, 42))
    assert changed.status_code == 422
    [said] = changed.json()["detail"]
    assert said["loc"] == ["header", "Idempotency-Key"]
    assert "'fix-1' was used before for a different request (with another body)" in said["msg"]
    assert "send a new key with each new request" in said["msg"]
    # ... and with another endpoint.
    elsewhere = client.post(
        "/api/v1/ratings",
        json={"grant_id": 1, "stars": 3},
        headers={**owner, "Idempotency-Key": "fix-1"},
    )
    assert elsewhere.status_code == 422
    assert f"for POST {CORRECTIONS}" in elsewhere.json()["detail"][0]["msg"]
    assert corrections_of(portal, 1) == 1
    # Keys are each account's own: another enterprise's same key is its own call.
    theirs = client.post(
        CORRECTIONS,
        content=correction(portal, 2, 41),
        headers={**bearer(portal, "ent2"), **JSON, "Idempotency-Key": "fix-1"},
    )
    assert theirs.status_code == 200 and "Idempotent-Replayed" not in theirs.headers


def test_a_portal_page_s_call_is_checked_for_its_csrf_token_first(portal: Portal) -> None:
    """With the session cookie, a write's CSRF token is checked before its key: a call
    without it is a 403 and keeps nothing; with it, a repeat is answered again."""
    client = sign_in(portal.client(), "ent0")
    headers = {**JSON, "Idempotency-Key": "page-0"}
    body = correction(portal, 0, 3)
    forged = client.post(CORRECTIONS, content=body, headers=headers)
    assert forged.status_code == 403, forged.text
    token = {"X-CSRF-Token": page_token(client, "/policies")}
    sent = [client.post(CORRECTIONS, content=body, headers={**headers, **token}) for _ in "ab"]
    assert [r.status_code for r in sent] == [200, 200], sent[0].text
    assert sent[1].headers.get("Idempotent-Replayed") == "true"
    assert corrections_of(portal, 0) == 1


def test_a_refused_call_keeps_nothing_and_its_key_may_be_sent_again(portal: Portal) -> None:
    client, owner = portal.client(), bearer(portal, "ent3")
    headers = {**owner, **JSON, "Idempotency-Key": "fix-3"}
    wrong = json.dumps({"uscc": portal.usccs[3], "field": "no_such_field", "value": 1})
    refused = client.post(CORRECTIONS, content=wrong.encode(), headers=headers)
    assert refused.status_code == 400, refused.text
    fixed = client.post(CORRECTIONS, content=correction(portal, 3, 7), headers=headers)
    assert fixed.status_code == 200, fixed.text
    assert "Idempotent-Replayed" not in fixed.headers
    assert corrections_of(portal, 3) == 1


def test_a_key_still_in_flight_is_a_409_to_retry(portal: Portal) -> None:
    """The first call with the key is still being answered (claimed here as a worker
    would, with the same request): the repeat is told to come back, and does nothing."""
    body = correction(portal, 4, 5)
    call = Call("ent4", "busy-4", "POST", CORRECTIONS, body_digest("busy-4", body))
    with transaction(portal.factory) as s:
        assert isinstance(store.claim(s, call), int)
    busy = portal.client().post(
        CORRECTIONS,
        content=body,
        headers={**bearer(portal, "ent4"), **JSON, "Idempotency-Key": "busy-4"},
    )
    assert busy.status_code == 409
    assert busy.headers["Retry-After"] == "1"
    assert "still being answered; send it again in a moment" in busy.json()["detail"]
    assert corrections_of(portal, 4) == 0


def test_simultaneous_repeats_do_it_once(portal: Portal) -> None:
    """Four copies of one call at once: one is carried out; the others are answered with
    its answer or told it is in flight, never carried out again."""
    client, owner = portal.client(), bearer(portal, "ent5")
    body, barrier = correction(portal, 5, 9), threading.Barrier(4)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def send() -> None:
        barrier.wait()
        got = client.post(
            CORRECTIONS, content=body, headers={**owner, **JSON, "Idempotency-Key": "race-5"}
        )
        with lock:
            answers.append(got)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [r for r in answers if r.status_code == 200]
    first = [r for r in done if "Idempotent-Replayed" not in r.headers]
    assert len(first) == 1, [(r.status_code, r.text) for r in answers]
    assert {r.content for r in done} == {first[0].content}
    busy = [r for r in answers if r.status_code != 200]
    assert all(r.status_code == 409 and r.headers.get("Retry-After") for r in busy)
    assert corrections_of(portal, 5) == 1


def test_an_upload_repeated_with_a_new_multipart_boundary_is_the_same_request(
    portal: Portal,
) -> None:
    """An HTTP client draws a new multipart boundary for each request it encodes, a
    retry's too: the boundary is not part of what the key compares."""
    client, owner = portal.client(), bearer(portal, "ent6")
    record = client.get("/api/v1/records", headers=owner).json()
    [application] = [r["id"] for r in record if r["mode"] == "apply"]

    def send(boundary: str) -> httpx.Response:
        return client.post(
            f"/api/v1/records/{application}/attachments",
            files={"file": ("a.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
            headers={
                **owner,
                "Idempotency-Key": "upload-6",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )

    first, again = send("first-boundary-0001"), send("other-boundary-99")
    assert first.status_code == 200, first.text
    assert again.headers.get("Idempotent-Replayed") == "true" and again.content == first.content


def test_a_body_read_ahead_stays_within_the_body_limit(portal: Portal) -> None:
    """The body of an upload with a key is read ahead (to compare it) before the route
    reads it: above the limit it is refused (413) as it is read, and nothing is kept."""
    client, owner = portal.client(WebSettings(max_upload_bytes=1024)), bearer(portal, "ent2")
    [application] = [
        r["id"] for r in client.get("/api/v1/records", headers=owner).json() if r["mode"] == "apply"
    ]
    refused = client.post(
        f"/api/v1/records/{application}/attachments",
        files={"file": ("big.pdf", b"%PDF-1.4\n" + b"0" * 300_000, "application/pdf")},
        headers={**owner, "Idempotency-Key": "big-2"},
    )
    assert refused.status_code == 413, refused.text
    with portal.factory() as s:
        query = select(func.count()).where(api_idempotency.c.idempotency_key == stored_key("big-2"))
        assert not s.scalar(query.select_from(api_idempotency))


def test_an_anonymous_call_keeps_nothing(portal: Portal) -> None:
    client = portal.client()
    sent = [
        client.post("/api/v1/calculator", json={"answers": {}}, headers={"Idempotency-Key": "c"})
        for _ in range(2)
    ]
    assert [r.status_code for r in sent] == [200, 200]
    assert not any("Idempotent-Replayed" in r.headers for r in sent)
    with portal.factory() as s:
        assert not s.scalar(
            select(func.count())
            .select_from(api_idempotency)
            .where(api_idempotency.c.idempotency_key == stored_key("c"))
        )


def test_the_openapi_document_declares_the_header_on_every_write(portal: Portal) -> None:
    doc = portal.client().get("/api/v1/openapi.json").json()
    writes = [
        (method, path, op)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if path.startswith("/api/v1/") and method in ("post", "put", "patch", "delete")
    ]
    assert len(writes) > 30
    for method, path, op in writes:
        [header] = [p for p in op.get("parameters", []) if p["name"] == "Idempotency-Key"]
        assert header["in"] == "header" and not header["required"], (method, path)
        assert header["schema"]["maxLength"] == 64
        ok = [r for status, r in op["responses"].items() if status.startswith("2")]
        assert all("Idempotent-Replayed" in r.get("headers", {}) for r in ok), (method, path)
    reads = [op for ops in doc["paths"].values() for m, op in ops.items() if m == "get"]
    assert not any(p["name"] == "Idempotency-Key" for op in reads for p in op.get("parameters", []))


# Header values as a client may send them: any bytes but those that end a header line.
HEADER_VALUES = (
    st.one_of(
        st.binary(max_size=80),
        st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=70),
    )
    .map(lambda v: v if isinstance(v, bytes) else v.encode())
    .filter(lambda v: not any(c in v for c in b"\r\n\x00"))
)


def _reads_message(portal: Portal) -> Callable[[bytes], httpx.Response]:
    client, owner = portal.client(), bearer(portal, "ent7")
    [message] = client.get("/api/v1/inbox", headers=owner).json()[:1]

    def send(value: bytes) -> httpx.Response:
        return client.post(
            f"/api/v1/inbox/{message['id']}/read",
            headers=[*owner.items(), ("Idempotency-Key", value)],  # type: ignore[list-item]
        )

    return send


def test_any_header_value_is_a_key_or_a_4xx_naming_the_header(portal: Portal) -> None:
    send = _reads_message(portal)

    @given(value=HEADER_VALUES)
    @settings(max_examples=150, suppress_health_check=list(HealthCheck), database=None)
    def check(value: bytes) -> None:
        response = send(value)
        text = value.decode("latin-1")
        valid = 1 <= len(text) <= 64 and all("!" <= c <= "~" for c in text)
        if valid or not value:  # an empty header is no key (as the forms' rule has it)
            assert response.status_code == 200, (value, response.text)
            return
        assert 400 <= response.status_code < 500, (value, response.status_code, response.text)
        [said] = response.json()["detail"]
        assert said["loc"] == ["header", "Idempotency-Key"], said
        assert "Idempotency-Key header" in said["msg"]

    check()


def test_a_password_sent_with_a_key_cannot_be_guessed_from_the_store(portal: Portal) -> None:
    """Regression (review): the store kept the key as sent beside a plain SHA-256 of the
    body for 24 hours, so whoever read the table could test guessed passwords of a
    ``PATCH /api/v1/users/{name}`` against a fast unsalted hash. The body's fingerprint is
    keyed by the idempotency key, and the key is kept only as its hash."""
    client, admin = portal.client(), bearer(portal, "admin")
    added = client.post(
        "/api/v1/users", json={"username": "pw-7", "roles": ["data_steward"]}, headers=admin
    )
    assert added.status_code in (200, 201), added.text
    key, body = "reset-7f3a", json.dumps({"password": "Correct-Horse-42"}).encode()
    sent = [
        client.patch(
            "/api/v1/users/pw-7", content=body, headers={**admin, **JSON, "Idempotency-Key": key}
        )
        for _ in "ab"
    ]
    assert [r.status_code for r in sent] == [200, 200], sent[0].text
    assert sent[1].headers.get("Idempotent-Replayed") == "true"
    with portal.factory() as s:
        [(kept_key, kept_body)] = s.execute(
            select(api_idempotency.c.idempotency_key, api_idempotency.c.body_sha256).where(
                api_idempotency.c.principal == "admin",
                api_idempotency.c.method == "PATCH",
            )
        ).all()
    assert kept_key != key and kept_key == stored_key(key)
    assert kept_body != hashlib.sha256(body).hexdigest()
    assert kept_body != body_digest(kept_key, body)  # the table alone does not give it


def test_a_repeat_is_refused_once_the_account_may_no_longer_call(portal: Portal) -> None:
    """A repeat is answered only after the endpoint's role check, made again: an account
    whose role was taken since the first call gets a 403, not the first answer."""
    client, admin = portal.client(), bearer(portal, "admin")
    made = client.post(
        "/api/v1/users",
        json={"username": "adm-9", "roles": ["admin"], "password": PASSWORD},
        headers=admin,
    )
    assert made.status_code in (200, 201), made.text
    second = bearer(portal, "adm-9")
    headers = {**second, "Idempotency-Key": "add-10"}
    body = {"username": "st-10", "roles": ["data_steward"]}
    first = client.post("/api/v1/users", json=body, headers=headers)
    assert first.status_code in (200, 201), first.text
    assert client.post("/api/v1/users", json=body, headers=headers).status_code == first.status_code
    taken = client.patch(
        "/api/v1/users/adm-9",
        json={"add_roles": ["data_steward"], "remove_roles": ["admin"]},
        headers=admin,
    )
    assert taken.status_code == 200, taken.text
    again = client.post("/api/v1/users", json=body, headers=headers)
    assert again.status_code == 403, again.text
    assert "Idempotent-Replayed" not in again.headers

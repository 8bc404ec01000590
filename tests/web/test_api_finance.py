"""``/api/v1/finance``: the console's finance page as JSON (list batches, export one,
download its files, upload payment results), for finance officers only; no uploaded file
is ever a server error, and one above the limit is a clear 413."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import Portal, page_token, sign_in
from sqlalchemy import func, select

from huiqi.delivery.models import Batch, Event, Grant
from huiqi.web.settings import WebSettings

ROUTES = [
    ("GET", "/api/v1/finance/batches"),
    ("POST", "/api/v1/finance/batches"),
    ("GET", "/api/v1/finance/batches/1/files/csv"),
    ("POST", "/api/v1/finance/payments"),
]
RESULTS = {"file": ("r.csv", b"grant_id,result,reason\n1,paid,\n", "text/csv")}


@pytest.fixture(scope="module")
def finance(portal: Portal) -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.token('finance')}"}


def counts(portal: Portal) -> tuple[int, int, int]:
    with portal.factory() as s:
        batches = s.scalar(select(func.count()).select_from(Batch)) or 0
        paid = s.scalar(select(func.count()).where(Grant.status == "paid")) or 0
        downloads = s.scalar(select(func.count()).where(Event.kind == "batch_download")) or 0
    return batches, paid, downloads


def test_a_finance_officer_exports_downloads_and_records_payments(
    portal: Portal, finance: dict[str, str]
) -> None:
    api = portal.client()
    exported = api.post("/api/v1/finance/batches", headers=finance)
    assert exported.status_code == 200, exported.text
    batch = exported.json()
    assert batch["grants"] > 0 and batch["total_fen"] > 0 and batch["status"] == "exported"
    assert batch["files"] == ["csv", "xlsx"] and batch["created_by"] == "finance"
    assert "csv_path" not in batch  # no server path leaves the API
    again = api.post("/api/v1/finance/batches", headers=finance)
    assert again.status_code == 409 and "nothing to pay" in again.json()["detail"]
    listed = api.get("/api/v1/finance/batches", headers=finance).json()
    assert listed[0] == batch

    file = api.get(f"/api/v1/finance/batches/{batch['id']}/files/csv", headers=finance)
    assert file.status_code == 200 and file.headers["content-type"].startswith("text/csv")
    assert "attachment" in file.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(file.content.decode("utf-8-sig"))))
    assert len(rows) == batch["grants"]
    xlsx = api.get(f"/api/v1/finance/batches/{batch['id']}/files/xlsx", headers=finance)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert api.get("/api/v1/finance/batches/999/files/csv", headers=finance).status_code == 404
    wrong_kind = api.get(f"/api/v1/finance/batches/{batch['id']}/files/exe", headers=finance)
    assert wrong_kind.status_code == 422

    results = io.StringIO()
    writer = csv.writer(results)
    writer.writerow(["grant_id", "result", "reason"])
    writer.writerow([rows[0]["grant_id"], "paid", ""])
    writer.writerow([rows[1]["grant_id"], "failed", ""])  # no reason: refused, line 3
    before = counts(portal)[1]
    report = api.post(
        "/api/v1/finance/payments",
        headers=finance,
        files={"file": ("回单.csv", results.getvalue().encode("gbk"), "text/csv")},
    )
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["rows"], body["paid"], body["failed"]) == (2, 1, 0)
    assert [e["line"] for e in body["errors"]] == [3] and body["errors"][0]["message"]
    assert counts(portal)[1] == before + 1
    unreadable = api.post(
        "/api/v1/finance/payments",
        headers=finance,
        files={"file": ("results.txt", b"grant_id,result\n", "text/plain")},
    )
    assert unreadable.status_code == 400 and "upload a .csv or .xlsx" in unreadable.json()["detail"]


def test_an_upload_above_the_limit_is_413_and_says_the_limit(
    portal: Portal, finance: dict[str, str]
) -> None:
    api = portal.client(WebSettings(max_upload_bytes=1024))
    big = b"grant_id,result,reason\n" + b"1,paid,\n" * 200
    got = api.post(
        "/api/v1/finance/payments", headers=finance, files={"file": ("r.csv", big, "text/csv")}
    )
    assert got.status_code == 413, got.text
    assert got.json()["error"] == "File too large"
    assert "at most 1,024 bytes" in got.json()["detail"]
    missing = api.post("/api/v1/finance/payments", headers=finance)
    assert missing.status_code == 422


@pytest.mark.parametrize("intruder", ["ent0", "officer", "steward", "desk-finance"])
def test_only_finance_officers_reach_the_finance_api(portal: Portal, intruder: str) -> None:
    api, headers = portal.client(), {"Authorization": f"Bearer {portal.token(intruder)}"}
    before = counts(portal)
    for method, path in ROUTES:
        files = RESULTS if path.endswith("payments") else None
        got = api.request(method, path, headers=headers, files=files)
        assert got.status_code == 403, (intruder, path, got.status_code)
    assert counts(portal) == before
    for method, path in ROUTES:
        files = RESULTS if path.endswith("payments") else None
        assert api.request(method, path, files=files).status_code == 401, path


def test_the_session_cookie_needs_the_csrf_header_to_write(portal: Portal) -> None:
    client = sign_in(portal.client(), "finance")
    before = counts(portal)
    assert client.get("/api/v1/finance/batches").status_code == 200
    assert client.post("/api/v1/finance/batches").status_code == 403
    assert client.post("/api/v1/finance/payments", files=RESULTS).status_code == 403
    assert counts(portal) == before
    token = page_token(client, "/console/finance")
    sent = client.post("/api/v1/finance/payments", files=RESULTS, headers={"X-CSRF-Token": token})
    assert sent.status_code == 200, sent.text


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(["r.csv", "r.xlsx", "r.CSV", "r.txt", "", "../../r.csv"]),
    content=st.one_of(
        st.binary(max_size=400),
        st.text(max_size=200).map(lambda t: ("grant_id,result,reason\n" + t).encode("utf-8")),
    ),
)
def test_any_uploaded_file_is_a_clear_answer_never_a_server_error(
    portal: Portal, finance: dict[str, str], name: str, content: bytes
) -> None:
    got = portal.client().post(
        "/api/v1/finance/payments",
        headers=finance,
        files={"file": (name, content, "application/octet-stream")},
    )
    assert got.status_code in (200, 400, 422), got.text[:500]
    if got.status_code == 200:
        assert set(got.json()) == {"file", "rows", "paid", "failed", "unchanged", "errors"}


def test_a_grant_id_no_database_holds_is_a_refused_row_and_no_path_is_shown(
    portal: Portal, finance: dict[str, str]
) -> None:
    """Regression: a grant id over 64 bits reached the query (OverflowError: a 500), a
    superscript digit passed str.isdigit and failed int() (the whole file refused), and a
    file refused at its header was named by the server's temporary copy (/tmp/huiqi-...)."""
    client = portal.client()
    rows = "grant_id,result\n99999999999999999999,paid\n²,paid\n9223372036854775808,paid\n"
    before = counts(portal)
    got = client.post(
        "/api/v1/finance/payments",
        headers=finance,
        files={"file": ("r.csv", rows.encode(), "text/csv")},
    )
    assert got.status_code == 200, got.text[:500]
    report = got.json()
    assert report["paid"] == 0 and [e["line"] for e in report["errors"]] == [2, 3, 4]
    assert all(e["field"] == "grant_id" for e in report["errors"])
    assert counts(portal)[1] == before[1]
    header = client.post(
        "/api/v1/finance/payments",
        headers=finance,
        files={"file": ("results.csv", b"id,outcome\n1,paid\n", "text/csv")},
    )
    assert header.status_code == 400
    assert header.json()["detail"].startswith("results.csv, line 1:")
    assert "/tmp" not in header.text and "huiqi-results" not in header.text


def test_a_failed_payment_is_released_through_the_api_and_paid_in_the_next_batch(
    portal: Portal, finance: dict[str, str]
) -> None:
    api = portal.client()

    def first_in_batch() -> int | None:
        with portal.factory() as s:  # closed before the export writes (SQLite: one writer)
            return s.scalar(select(func.min(Grant.id)).where(Grant.status == "in_batch"))

    grant_id = first_in_batch()
    if grant_id is None:  # this test alone: export first
        assert api.post("/api/v1/finance/batches", headers=finance).status_code == 200
        grant_id = first_in_batch()
    assert grant_id is not None
    failed = f"grant_id,result,reason\n{grant_id},failed,账号错误\n".encode()
    sent = api.post(
        "/api/v1/finance/payments", headers=finance, files={"file": ("r.csv", failed, "text/csv")}
    )
    assert sent.status_code == 200 and sent.json()["failed"] == 1, sent.text
    body = {"reason": "企业已更正账号"}
    for intruder in ("ent0", "officer"):
        who = {"Authorization": f"Bearer {portal.token(intruder)}"}
        got = api.post(f"/api/v1/finance/grants/{grant_id}/repay", headers=who, json=body)
        assert got.status_code == 403, (intruder, got.text)
    released = api.post(f"/api/v1/finance/grants/{grant_id}/repay", headers=finance, json=body)
    assert released.status_code == 200, released.text
    assert released.json()["grant_id"] == grant_id and released.json()["status"] == "granted"
    again = api.post(f"/api/v1/finance/grants/{grant_id}/repay", headers=finance, json=body)
    assert again.status_code == 409 and "released for re-payment already" in again.text
    missing = api.post("/api/v1/finance/grants/999999/repay", headers=finance, json=body)
    assert missing.status_code == 404
    batch = api.post("/api/v1/finance/batches", headers=finance)
    assert batch.status_code == 200, batch.text
    file = api.get(f"/api/v1/finance/batches/{batch.json()['id']}/files/csv", headers=finance)
    rows = list(csv.DictReader(io.StringIO(file.content.decode("utf-8-sig"))))
    assert str(grant_id) in {r["grant_id"] for r in rows}


def test_the_openapi_document_names_the_result_files_columns(portal: Portal) -> None:
    """Regression (QA): the upload's only description was "the finance system's results:
    .csv or .xlsx"; an integrator had to find the columns in ``huiqi disburse results
    --help`` on the server."""
    schema = portal.client().get("/api/v1/openapi.json").json()
    body = schema["paths"]["/api/v1/finance/payments"]["post"]["requestBody"]
    described = body["content"]["multipart/form-data"]["schema"]["properties"]["file"]
    for column in ("grant_id", "result", "paid or failed", "reason", "batch_id", "paid_date"):
        assert column in described["description"], described

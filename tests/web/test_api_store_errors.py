"""An API client is never told the profile store's path on the server, nor to run a
command there: the store's refusals are said as the pages say them."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from huiqi.errors import StoreError
from huiqi.web.errors import install


@pytest.mark.parametrize(
    "said",
    [
        "no profile store at /srv/huiqi/data/profiles.duckdb; run 'huiqi init' and import or"
        " generate data first",
        "the store at /srv/huiqi/data/profiles.duckdb holds no data yet; run 'huiqi generate' or"
        " 'huiqi import'",
    ],
)
def test_a_store_with_no_data_is_a_503_without_the_path(said: str) -> None:
    """Regression (QA of the steward's API): GET /api/v1/snapshots before any import
    answered 503 with the store's server path and "run 'huiqi init'"."""
    app = FastAPI()
    install(app)

    @app.get("/api/v1/snapshots")
    def snapshots() -> None:
        raise StoreError(said)

    answer = TestClient(app).get("/api/v1/snapshots")
    assert answer.status_code == 503
    assert answer.json() == {
        "error": "No enterprise data yet",
        "code": "no_data",
        "field": None,
        "detail": "there is no enterprise data yet; a data steward imports it first",
    }

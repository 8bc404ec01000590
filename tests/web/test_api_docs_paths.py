"""Every path of /api/v1's OpenAPI document is named in docs/api.md, so an integrator
reading the page finds every endpoint. It broke: POST /api/v1/records/{id}/submit (an
enterprise submits its pre-filled application) was served but not in the page."""

from __future__ import annotations

import re
from pathlib import Path

from portal_data import Portal

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _norm(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{id}", path)


def test_every_api_path_is_in_the_docs(portal: Portal) -> None:
    doc = _norm(DOC.read_text(encoding="utf-8"))
    paths = portal.client().get("/api/v1/openapi.json").json()["paths"]
    missing = []
    for path in paths:
        full = _norm(path)
        parent, last = full.rsplit("/", 1)
        # the page abbreviates siblings: `POST /api/v1/requests/{id}/acknowledge`, `/reply`
        if full not in doc and not (parent in doc and f"`/{last}`" in doc):
            missing.append(path)
    assert missing == []

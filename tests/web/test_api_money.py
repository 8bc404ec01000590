"""Money in the API's JSON: every integer-fen field has its exact yuan text beside it, and
that text is machine-readable ("3000.00", never the pages' grouped "3,000.00")."""

from __future__ import annotations

import re
from decimal import Decimal

from portal_data import AUTO, Portal

EXACT = re.compile(r"^-?\d+\.\d{2}$")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_every_fen_field_of_every_response_has_exact_yuan_text_beside_it(
    portal: Portal,
) -> None:
    """Regression: only some responses had ``X_yuan`` (the application decision, the
    batches, the dashboard, near misses and budgets had fen alone)."""
    schemas = portal.client().get("/api/v1/openapi.json").json()["components"]["schemas"]
    missing = []
    for name, schema in schemas.items():
        properties = schema.get("properties", {})
        for field in properties:
            if field.endswith("_fen") and field[:-4] + "_yuan" not in properties:
                missing.append(f"{name}.{field}")
    assert missing == []


def test_amounts_in_yuan_are_exact_decimals_without_thousands_separators(
    portal: Portal,
) -> None:
    """Regression: ``amount_yuan`` was "3,000.00", which no JSON client reads as a number."""
    client, token = portal.client(), portal.token("ent1")
    grants = client.get("/api/v1/grants", headers=bearer(token)).json()
    records = client.get("/api/v1/records", headers=bearer(token)).json()
    amounts = [(g["amount_fen"], g["amount_yuan"]) for g in grants] + [
        (r["amount_fen"], r["amount_yuan"]) for r in records if r["amount_fen"] is not None
    ]
    assert (300_000, "3000.00") in amounts
    for fen, text in amounts:
        assert EXACT.match(text), text
        assert Decimal(text) * 100 == fen
    policy = client.get(f"/api/v1/policies/{AUTO}").json()
    if policy["max_fen"] is not None:
        assert Decimal(policy["max_yuan"]) * 100 == policy["max_fen"]

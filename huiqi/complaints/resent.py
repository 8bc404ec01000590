"""Complaints sent again under a number already held, with other content.

A complaint is stored once per number (``ref``); sending it again stores nothing. An
exact repeat is harmless, but a complaint system that re-sends a number with another
text, amount or complainant has changed its record, and the import keeps the complaint
held: :func:`changed_duplicates` names each such row (its line, its number and which
fields differ, never their values), so the import report says so instead of counting
it "already held" in silence.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.complaints.models import Complainant, Complaint

CHUNK = 1_000
# A stored column, and the field of the complaint system it comes from (what the report
# names: the fields as the sender knows them, not the hashes and masks).
COMPARED = {
    "id_hash": "id_number",
    "uscc": "uscc",
    "product": "product",
    "amount_fen": "amount",
    "claim_fen": "claim",
    "text": "text",
    "filed_on": "filed_on",
    "phone_hash": "phone",
    "address_hash": "address",
    "bank_hash": "bank",
}


def _value(v: Any) -> Any:
    """A value as both sides hold it: a date as its ISO text, an empty text as none."""
    if isinstance(v, dt.date):
        return v.isoformat()
    return None if v == "" else v


def changed_duplicates(session: Session, incoming: pa.Table) -> list[dict[str, Any]]:
    """The rows of ``incoming`` (an import's good rows as stored: ``ledger.as_stored``)
    whose number is held with other content: ``{"line", "ref", "fields"}`` each, in line
    order. Rows this import stored compare equal to themselves and are not listed."""
    columns = ["line", "ref", *COMPARED]
    rows = incoming.select(columns).to_pylist()
    changed: list[dict[str, Any]] = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        held = {
            r.ref: r
            for r in session.execute(
                select(
                    Complaint.ref,
                    Complainant.id_hash,
                    *(Complaint.__table__.c[c] for c in COMPARED if c != "id_hash"),
                )
                .join(Complainant, Complainant.id == Complaint.complainant_id)
                .where(Complaint.ref.in_([r["ref"] for r in chunk]))
            ).all()
        }
        for row in chunk:
            was = held.get(row["ref"])
            if was is None:
                continue
            fields = sorted(
                name
                for column, name in COMPARED.items()
                if _value(getattr(was, column)) != _value(row[column])
            )
            if fields:
                changed.append({"line": row["line"], "ref": row["ref"], "fields": fields})
    return sorted(changed, key=lambda c: c["line"])

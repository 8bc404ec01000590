"""Complaints, detection runs and scores in the operational database (no access checks:
:mod:`huiqi.complaints.service` calls these after its own).

Complaints are stored once per complaint number (``ref``): importing the same export
again adds nothing. Complainants are created from the first complaint that names them.
A detection run reads every stored complaint, scores them, and stores the run, the
scores above 0 (evidence for the flagged), the clusters and each complaint's answer group.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import Any

import pyarrow as pa
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from huiqi.complaints.detect import Detection, detect
from huiqi.complaints.models import (
    Complainant,
    ComplainantCluster,
    ComplainantScore,
    Complaint,
    DetectionRun,
)
from huiqi.complaints.signals import Thresholds
from huiqi.db.bulk import bulk_insert
from huiqi.db.clock import utcnow
from huiqi.delivery.models import table_of

CHUNK = 5_000


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def complainant_ids(session: Session, hashes: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in _chunks(hashes):
        rows = session.execute(
            select(Complainant.id_hash, Complainant.id).where(Complainant.id_hash.in_(part))
        )
        found.update({h: i for h, i in rows})
    return found


def store_complaints(session: Session, table: pa.Table, *, imported_by: str) -> tuple[int, int]:
    """Store the complaints of a read export; (stored, already held)."""
    now = utcnow()  # bulk inserts (COPY) apply no Python defaults
    rows = table.to_pylist()
    refs = [r["ref"] for r in rows]
    held: set[str] = set()
    for part in _chunks(refs):
        held.update(session.scalars(select(Complaint.ref).where(Complaint.ref.in_(part))))
    rows = [r for r in rows if r["ref"] not in held]
    first: dict[str, dict[str, Any]] = {}
    for r in rows:
        first.setdefault(r["id_number_hash"], r)
    ids = complainant_ids(session, list(first))
    new = [
        {
            "id_hash": h,
            "id_masked": r["id_number_masked"],
            "name_masked": r["name_masked"],
            "status": "unreviewed",
            "first_seen": now,
        }
        for h, r in first.items()
        if h not in ids
    ]
    bulk_insert(session, table_of(Complainant), new)
    ids.update(complainant_ids(session, [n["id_hash"] for n in new]))
    bulk_insert(
        session,
        table_of(Complaint),
        [
            {
                "ref": r["ref"],
                "complainant_id": ids[r["id_number_hash"]],
                "uscc": r["uscc"],
                "product": (r["product"] or None) and r["product"][:200],
                "amount_fen": r["amount_fen"],
                "claim_fen": r["claim_fen"],
                "text": r["text"],
                "filed_on": r["filed_on"],
                "phone_hash": r["phone_hash"],
                "phone_masked": r["phone_masked"],
                "address_hash": r["address_hash"],
                "address_masked": r["address_masked"],
                "bank_hash": r["bank_hash"],
                "bank_masked": r["bank_masked"],
                "answer_group": None,
                "imported_by": imported_by,
                "imported_at": now,
            }
            for r in rows
        ],
    )
    return len(rows), len(held)


def held_complaints(session: Session) -> pa.Table:
    """Every stored complaint in the detector's input form (id order)."""
    query = (
        select(
            Complaint.ref,
            Complaint.uscc,
            Complaint.amount_fen,
            Complaint.claim_fen,
            Complaint.text,
            Complaint.filed_on,
            Complainant.id_hash,
            Complaint.phone_hash,
            Complaint.address_hash,
            Complaint.bank_hash,
            Complaint.phone_masked,
            Complaint.address_masked,
            Complaint.bank_masked,
        )
        .join(Complainant, Complainant.id == Complaint.complainant_id)
        .order_by(Complaint.id)
    )
    names = [
        "ref", "uscc", "amount_fen", "claim_fen", "text", "filed_on", "id_number_hash",
        "phone_hash", "address_hash", "bank_hash", "phone_masked", "address_masked", "bank_masked",
    ]  # fmt: skip
    columns: list[list[Any]] = [[] for _ in names]
    for row in session.execute(query):
        for values, v in zip(columns, row, strict=True):
            values.append(v)
    types = {"amount_fen": pa.int64(), "claim_fen": pa.int64(), "filed_on": pa.date32()}
    return pa.table(
        {n: pa.array(v, types.get(n, pa.string())) for n, v in zip(names, columns, strict=True)}
    )


def run_detection(
    session: Session, *, run_by: str, thresholds: Thresholds | None = None
) -> tuple[DetectionRun, Detection]:
    """Detect over every held complaint and store the run (see the module docstring)."""
    t = thresholds or Thresholds()
    complaints = held_complaints(session)
    detection = detect(complaints, t)
    result = detection.complainants
    run = DetectionRun(
        run_by=run_by,
        complaints=complaints.num_rows,
        complainants=result.num_rows,
        flagged=len(detection.flagged()),
        thresholds=json.dumps(asdict(t)),
    )
    session.add(run)
    session.flush()
    ids = complainant_ids(session, result.column("complainant").to_pylist())
    bulk_insert(
        session,
        table_of(ComplainantScore),
        [
            {
                "run_id": run.id,
                "complainant_id": ids[r["complainant"]],
                "cluster": r["cluster"],
                "score": r["score"],
                "own_score": r["own_score"],
                "cluster_score": r["cluster_score"],
                "flagged": bool(r["flagged"]),
                "evidence": json.dumps(detection.evidence[r["complainant"]], ensure_ascii=False)
                if r["complainant"] in detection.evidence
                else None,
            }
            for r in result.to_pylist()
            if r["score"] > 0
        ],
    )
    bulk_insert(
        session,
        table_of(ComplainantCluster),
        [
            {
                "run_id": run.id,
                "number": c["cluster"],
                "members": len(c["members"]),
                "score": c["score"],
                "evidence": json.dumps(
                    {**c, "members": [ids[m] for m in c["members"]]}, ensure_ascii=False
                ),
            }
            for c in detection.clusters
        ],
    )
    groups = detection.complaints
    changes = [
        {"r": ref, "g": group}
        for ref, group in zip(
            groups.column("ref").to_pylist(), groups.column("answer_group").to_pylist(), strict=True
        )
    ]
    if changes:
        table = table_of(Complaint)
        session.connection().execute(
            update(table).where(table.c.ref == bindparam("r")).values(answer_group=bindparam("g")),
            changes,
        )
    return run, detection

"""Complaints, detection runs and scores in the operational database (no access checks:
:mod:`huiqi.complaints.service` calls these after its own).

Complaints are stored once per complaint number (``ref``): importing the same export
again adds nothing (the unique constraint skips what is held, and the count of rows it
inserted tells stored from already held). Complainants are created from the first
complaint that names them. A detection run reads every stored complaint, scores them,
and stores the run, the scores above 0 (evidence for the flagged), the clusters and the
answer groups that changed.

Rows move in bulk, set-based, never as ORM objects (:mod:`huiqi.complaints.transfer`).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    String,
    bindparam,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from huiqi.complaints import transfer
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

# What an import stores of each complaint besides the complainant (read from the file).
COMPLAINT_FIELDS = (
    "ref", "uscc", "product", "amount_fen", "claim_fen", "text", "filed_on",
    "phone_hash", "phone_masked", "address_hash", "address_masked", "bank_hash", "bank_masked",
)  # fmt: skip
# The detector's input as held (id order), with what storing its results needs.
HELD = {
    "id": pa.int64(),
    "complainant_id": pa.int64(),
    "ref": pa.string(),
    "uscc": pa.string(),
    "amount_fen": pa.int64(),
    "claim_fen": pa.int64(),
    "text": pa.string(),
    "filed_on": pa.date32(),
    "phone_hash": pa.string(),
    "address_hash": pa.string(),
    "bank_hash": pa.string(),
    "phone_masked": pa.string(),
    "address_masked": pa.string(),
    "bank_masked": pa.string(),
    "answer_group": pa.string(),
}


def as_stored(table: pa.Table) -> pa.Table:
    """A read export's good rows as stored: products cut to their column, dates as text."""
    product = table.column("product")
    product = pc.if_else(pc.equal(product, ""), pa.scalar(None, pa.string()), product)
    columns = {
        "line": table.column("line").cast(pa.int64()),
        "id_hash": table.column("id_number_hash"),
        "id_masked": table.column("id_number_masked"),
        "name_masked": table.column("name_masked"),
        **{name: table.column(name) for name in COMPLAINT_FIELDS},
        "product": pc.utf8_slice_codeunits(product, 0, 200),
        "filed_on": table.column("filed_on").cast(pa.string()),
    }
    return pa.table(columns)


def store_complaints(session: Session, table: pa.Table, *, imported_by: str) -> tuple[int, int]:
    """Store the complaints of a read export; (stored, already held). A complaint number
    already held is skipped by the unique constraint on ``ref``, never stored twice."""
    conn = session.connection()
    rows = as_stored(table)
    constants = {"imported_by": imported_by, "now": utcnow()}
    if transfer.is_postgres(conn):
        stored = _store_postgres(conn, rows, constants)
    else:
        stored = _store_sqlite(conn, rows, constants)
    return stored, table.num_rows - stored


def _first_of_each_complainant(rows: pa.Table) -> pa.Table:
    """One row per complainant, from the first complaint naming it, in hash order (the
    unique index on the hash then grows at its end: a third cheaper than in file order)."""
    first = rows.group_by("id_hash", use_threads=False).aggregate(
        [("id_masked", "first"), ("name_masked", "first")]
    )
    return first.rename_columns(["id_hash", "id_masked", "name_masked"]).sort_by("id_hash")


def _store_sqlite(conn: Any, rows: pa.Table, constants: dict[str, Any]) -> int:
    from sqlalchemy.dialects.sqlite import insert

    people = table_of(Complainant)
    new_people = insert(people).on_conflict_do_nothing(index_elements=["id_hash"])
    first = _first_of_each_complainant(rows)
    transfer.execute_rows(
        conn,
        new_people.values(
            id_hash=bindparam("id_hash"),
            id_masked=bindparam("id_masked"),
            name_masked=bindparam("name_masked"),
            status=bindparam("status"),
            first_seen=bindparam("now", type_=DateTime()),
        ),
        first,
        {"now": constants["now"], "status": "unreviewed"},
    )
    complaints = table_of(Complaint)
    who: Any = select(people.c.id).where(people.c.id_hash == bindparam("id_hash"))
    who = who.scalar_subquery()
    held = conn.scalar(select(func.max(people.c.id))) or 0
    if first.num_rows * 4 >= held:
        # Most complainants are this import's: reading them all and matching in Arrow
        # costs less than a lookup per complaint (a tenth of storing a million).
        known = transfer.read_rows(
            conn,
            select(people.c.id_hash, people.c.id),
            {"id_hash": pa.string(), "id": pa.int64()},
        )
        at = pc.index_in(rows.column("id_hash"), value_set=known.column("id_hash"))
        rows = rows.append_column("complainant_id", known.column("id").take(at))
        who = bindparam("complainant_id")
    stmt = (
        insert(complaints)
        .values(
            complainant_id=who,
            imported_by=bindparam("imported_by"),
            imported_at=bindparam("now", type_=DateTime()),
            **{name: bindparam(name) for name in COMPLAINT_FIELDS},
        )
        .on_conflict_do_nothing(index_elements=["ref"])
    )
    return transfer.execute_rows(conn, stmt, rows.drop_columns(["line"]), constants)


def _store_postgres(conn: Any, rows: pa.Table, constants: dict[str, Any]) -> int:
    from sqlalchemy.dialects.postgresql import insert

    complaints, people = table_of(Complaint), table_of(Complainant)
    staged = transfer.temporary(
        "_complaints_in",
        Column("line", Integer),
        Column("id_hash", String),
        *(Column(n, complaints.c[n].type) for n in COMPLAINT_FIELDS),
    )
    staged.create(conn)
    transfer.copy_in(conn, staged, rows.drop_columns(["id_masked", "name_masked"]))
    first = transfer.temporary(
        "_complainants_in", *(Column(n, String) for n in ("id_hash", "id_masked", "name_masked"))
    )
    first.create(conn)
    transfer.copy_in(conn, first, _first_of_each_complainant(rows))
    conn.execute(
        insert(people)
        .from_select(
            ["id_hash", "id_masked", "name_masked", "status", "first_seen"],
            select(*first.c, literal("unreviewed"), bindparam("now", type_=DateTime())),
        )
        .on_conflict_do_nothing(index_elements=["id_hash"]),
        {"now": constants["now"]},
    )
    first.drop(conn)
    s = staged.c
    fields = list(COMPLAINT_FIELDS)
    result = conn.execute(
        insert(complaints)
        .from_select(
            [*fields, "complainant_id", "imported_by", "imported_at"],
            select(
                *(s[n] for n in fields),
                people.c.id,
                bindparam("imported_by", type_=String()),
                bindparam("now", type_=DateTime()),
            )
            .join(people, people.c.id_hash == s.id_hash)
            .order_by(s.line),
        )
        .on_conflict_do_nothing(index_elements=["ref"])
        .execution_options(preserve_rowcount=True),
        constants,
    )
    staged.drop(conn)
    return max(result.rowcount, 0)


def held_complaints(session: Session) -> pa.Table:
    """Every stored complaint (id order) with its id, its complainant's id and its stored
    answer group: :func:`detector_input` makes it the detector's input."""
    c = table_of(Complaint)
    query = select(*(c.c[name] for name in HELD)).order_by(c.c.id)
    return transfer.read_rows(session.connection(), query, HELD)


def detector_input(held: pa.Table) -> pa.Table:
    """The held complaints as :func:`~huiqi.complaints.detect.detect` takes them. The
    complainant's id (as text) stands for the ID number's hash: one per complainant as
    well, shorter, and read without a join; results map back by :func:`_ids`."""
    who = pc.cast(held.column("complainant_id"), pa.string())
    return held.drop_columns(["id", "complainant_id", "answer_group"]).append_column(
        "id_number_hash", who
    )


def _ids(complainants: pa.Array) -> pa.Array:
    """The complainant ids of the detector's complainants (see :func:`detector_input`)."""
    return pc.cast(complainants, pa.int64())


def run_detection(
    session: Session, *, run_by: str, thresholds: Thresholds | None = None
) -> tuple[DetectionRun, Detection]:
    """Detect over every held complaint and store the run (see the module docstring)."""
    t = thresholds or Thresholds()
    held = held_complaints(session)
    detection = detect(detector_input(held), t)
    result = detection.complainants
    run = DetectionRun(
        run_by=run_by,
        complaints=held.num_rows,
        complainants=result.num_rows,
        flagged=len(detection.flagged()),
        thresholds=json.dumps(asdict(t)),
    )
    session.add(run)
    session.flush()
    scored = result.filter(pc.greater(result.column("score"), 0))
    who = scored.column("complainant").to_pylist()
    bulk_insert(
        session,
        table_of(ComplainantScore),
        [
            {
                "run_id": run.id,
                "complainant_id": complainant_id,
                "cluster": cluster,
                "score": score,
                "own_score": own,
                "cluster_score": pooled,
                "flagged": bool(flagged),
                "evidence": json.dumps(detection.evidence[h], ensure_ascii=False)
                if h in detection.evidence
                else None,
            }
            for h, complainant_id, cluster, score, own, pooled, flagged in zip(
                who,
                _ids(scored.column("complainant")).to_pylist(),
                *(
                    scored.column(n).to_pylist()
                    for n in ("cluster", "score", "own_score", "cluster_score", "flagged")
                ),
                strict=True,
            )
        ],
    )
    members = [m for c in detection.clusters for m in c["members"]]
    ids = dict(zip(members, _ids(pa.array(members, pa.string())).to_pylist(), strict=True))
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
    _store_answer_groups(session, held, detection.complaints)
    return run, detection


def _store_answer_groups(session: Session, held: pa.Table, groups: pa.Table) -> None:
    """Store each complaint's answer group where it changed. A complaint that answers for
    itself (alone, or the first of its group) holds NULL: most do, and are not written."""
    ref, group = groups.column("ref"), groups.column("answer_group")
    new = pc.if_else(pc.equal(ref, group), pa.scalar(None, pa.string()), group)
    old = held.column("answer_group")
    same = pc.equal(pc.fill_null(new, ""), pc.fill_null(old, ""))  # refs are never empty
    changes = pa.table({"target_id": held.column("id"), "new_group": new}).filter(pc.invert(same))
    if changes.num_rows == 0:
        return
    complaints = table_of(Complaint)
    conn = session.connection()
    if not transfer.is_postgres(conn):
        transfer.execute_rows(
            conn,
            update(complaints)
            .where(complaints.c.id == bindparam("target_id"))
            .values(answer_group=bindparam("new_group")),
            changes,
        )
        return
    staged = transfer.temporary(
        "_answer_groups_in", Column("target_id", Integer), Column("new_group", String)
    )
    staged.create(conn)
    transfer.copy_in(conn, staged, changes)
    conn.execute(
        update(complaints)
        .where(complaints.c.id == staged.c.target_id)
        .values(answer_group=staged.c.new_group)
    )
    staged.drop(conn)

"""Detection of professional complainants: scores with their evidence, and answer-once groups.

Input: complaints as an Arrow table (``ref``, ``uscc``, ``amount_fen``, ``claim_fen``,
``text``, ``filed_on`` and the keyed hashes ``id_number_hash``, ``phone_hash``,
``address_hash``, ``bank_hash``; masks ``*_masked`` are used for evidence when present).
Steps, each vectorised: near-duplicate text groups (:mod:`~huiqi.complaints.minhash`),
clusters of identities sharing attributes (:mod:`~huiqi.complaints.graph`), signal
counts per complainant and per cluster (:mod:`~huiqi.complaints.signals`, DuckDB),
points (:mod:`~huiqi.complaints.score`). A complainant's score is the higher of its own
and its cluster's; evidence (which complaints, which shared attributes, which similar
texts) is assembled for every complainant at or above ``evidence_from``.

Complaints to one enterprise with near-identical texts form one *answer group*: the
enterprise answers the group once. Nothing here rejects a complaint.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huiqi.complaints import duck, graph, minhash, score
from huiqi.complaints.signals import Thresholds, features, mark_complaints

EVIDENCE_COMPLAINTS = 50
STRONG_LINKS = frozenset({"phone", "bank"})
EXCERPT = 80


@dataclass
class Detection:
    complainants: pa.Table  # complainant, cluster, n, own_score, cluster_score, score, flagged
    complaints: pa.Table  # ref, text_group (first ref of its group), answer_group (first ref)
    clusters: list[dict[str, Any]]
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)  # by complainant
    thresholds: Thresholds = field(default_factory=Thresholds)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step

    def flagged(self) -> list[str]:
        t = self.complainants.filter(self.complainants.column("flagged"))
        return t.column("complainant").to_pylist()


def _counts(table: pa.Table) -> dict[str, np.ndarray]:
    return {
        name: table.column(name).to_numpy(zero_copy_only=False)
        for name in ("n", "enterprises", "identities", "small", "punitive", "templated", "burst")
    }


def detect(
    complaints: pa.Table, thresholds: Thresholds | None = None, *, evidence_from: int | None = None
) -> Detection:
    """Score every complainant and cluster of ``complaints`` (see the module docstring)."""
    t = thresholds or Thresholds()
    evidence_from = t.flag_score if evidence_from is None else evidence_from
    clock = _Clock()
    texts = complaints.column("text").to_pylist()
    groups, sig = minhash.grouped(texts)
    clock.lap("texts")
    clusters = graph.clusters_of(complaints)
    clock.lap("clusters")
    cluster_of = {m: c.number for c in clusters for m in c.members}
    who = complaints.column("id_number_hash").to_pylist()
    c = complaints.select(
        ["ref", "uscc", "amount_fen", "claim_fen", "text", "filed_on"]
    ).append_column("complainant", pa.array(who, pa.string()))
    c = c.append_column("cluster", pa.array([cluster_of.get(w) for w in who], pa.int64()))
    c = c.append_column("idx", pa.array(np.arange(len(texts), dtype=np.int64)))
    c = c.append_column("text_group", pa.array(groups, pa.int64()))
    con = duck.connect()
    try:
        con.register("c", c)
        mark_complaints(con, t)
        own = features(con, "complainant", t)
        pooled = _linked_only(features(con, "cluster", t), clusters)
        clock.lap("signals")
        own_points, pooled_points = score.points(_counts(own), t), score.points(_counts(pooled), t)
        con.register("own", own.append_column("score", pa.array(own_points["total"])))
        con.register("pooled", pooled.append_column("score", pa.array(pooled_points["total"])))
        result = con.sql(
            f"""SELECT own.subject AS complainant, m.cluster, own.n, own.score AS own_score,
                    coalesce(pooled.score, 0) AS cluster_score,
                    greatest(own.score, coalesce(pooled.score, 0)) AS score,
                    greatest(own.score, coalesce(pooled.score, 0)) >= {int(t.flag_score)} AS flagged
                FROM own
                JOIN (SELECT DISTINCT complainant, cluster FROM c) m ON m.complainant = own.subject
                LEFT JOIN pooled ON pooled.subject = m.cluster
                ORDER BY score DESC, complainant"""
        ).to_arrow_table()
        answer = con.sql(
            """SELECT c.ref, first_value(c.ref) OVER (PARTITION BY c.text_group ORDER BY c.idx)
                    AS text_group,
                first_value(c.ref) OVER (PARTITION BY c.uscc, c.text_group ORDER BY c.idx)
                    AS answer_group
               FROM c ORDER BY c.idx"""
        ).to_arrow_table()
        clock.lap("scores")
        chosen = result.filter(pc.greater_equal(result.column("score"), evidence_from))
        cluster_rows = _cluster_reports(clusters, pooled, t, con, complaints, evidence_from)
        evidence = _evidence(con, chosen, own, cluster_rows, t, texts, sig)
        clock.lap("evidence")
    finally:
        con.close()
    return Detection(result, answer, list(cluster_rows.values()), evidence, t, clock.laps)


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


def _linked_only(pooled: pa.Table, clusters: list[graph.Cluster]) -> pa.Table:
    """A cluster's identities count as linked only through a shared phone or bank account:
    relatives share an address, so a cluster held together by addresses alone scores its
    pooled complaints but not the sharing itself (its evidence still names the addresses)."""
    strong = {c.number for c in clusters if c.kinds & STRONG_LINKS}
    subjects = pooled.column("subject").to_pylist()
    identities = pooled.column("identities").to_pylist()
    linked = [n if s in strong else 1 for s, n in zip(subjects, identities, strict=True)]
    i = pooled.schema.get_field_index("identities")
    return pooled.set_column(i, "identities", pa.array(linked, pa.int64()))


def _values(table: pa.Table, subjects: list[Any]) -> dict[Any, dict[str, int]]:
    """The counts of these subjects only (a table of a million rows is never listed)."""
    wanted = table.filter(
        pc.is_in(table.column("subject"), pa.array(subjects, table.schema.field("subject").type))
    )
    rows = wanted.to_pylist()
    return {r["subject"]: {k: int(v) for k, v in r.items() if k != "subject"} for r in rows}


def _masks(con: duckdb.DuckDBPyConnection, complaints: pa.Table) -> dict[tuple[str, str], str]:
    names = set(complaints.column_names)
    found: dict[tuple[str, str], str] = {}
    for kind in graph.LINKS:
        if f"{kind}_masked" not in names:
            continue
        rows = con.execute(
            f"SELECT DISTINCT {kind}_hash, {kind}_masked FROM complaints_masks"
            f" WHERE {kind}_hash IN (SELECT value FROM shared_values WHERE kind = ?)",
            [kind],
        ).fetchall()
        found.update({(kind, h): m for h, m in rows})
    return found


def _cluster_reports(
    clusters: list[graph.Cluster],
    pooled: pa.Table,
    t: Thresholds,
    con: duckdb.DuckDBPyConnection,
    complaints: pa.Table,
    evidence_from: int,
) -> dict[int, dict[str, Any]]:
    """Every cluster with its shared attributes; reasons where its score calls for them."""
    pooled = pooled.append_column("score", pa.array(score.points(_counts(pooled), t)["total"]))
    strong = pooled.filter(pc.greater_equal(pooled.column("score"), evidence_from))
    values = _values(strong, strong.column("subject").to_pylist())
    totals = dict(
        zip(pooled.column("subject").to_pylist(), pooled.column("score").to_pylist(), strict=True)
    )
    shared = [(kind, h) for cl in clusters for kind, h, _ in cl.shared]
    con.register("complaints_masks", complaints)
    con.register(
        "shared_values",
        pa.table({"kind": [k for k, _ in shared], "value": [h for _, h in shared]}),
    )
    masks = _masks(con, complaints)
    reports: dict[int, dict[str, Any]] = {}
    for cl in clusters:
        v = values.get(cl.number, {})
        reasons = score.reasons(v, t) if v else []
        reports[cl.number] = {
            "cluster": cl.number,
            "members": cl.members,
            "score": int(totals.get(cl.number, 0)),
            "reasons": reasons,
            "counts": v,
            "shared": [
                {"kind": kind, "hash": h, "masked": masks.get((kind, h)), "identities": users}
                for kind, h, users in cl.shared
            ],
        }
    return reports


def _evidence(
    con: duckdb.DuckDBPyConnection,
    chosen: pa.Table,
    own: pa.Table,
    clusters: dict[int, dict[str, Any]],
    t: Thresholds,
    texts: list[str],
    sig: np.ndarray,
) -> dict[str, dict[str, Any]]:
    if chosen.num_rows == 0:
        return {}
    con.register("chosen", chosen.select(["complainant"]))
    rows = con.execute(
        """SELECT cm.complainant, cm.ref, cm.uscc, cm.amount_fen, cm.claim_fen, cm.filed_on,
               cm.is_small, cm.is_punitive, cm.is_templated, cm.text_group, cm.copies, cm.idx
           FROM cm JOIN chosen USING (complainant) ORDER BY cm.complainant, cm.filed_on, cm.idx"""
    ).fetchall()
    by_who: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for r in rows:
        by_who[r[0]].append(r)
    values = _values(own, chosen.column("complainant").to_pylist())
    out: dict[str, dict[str, Any]] = {}
    for rec in chosen.to_pylist():
        who = rec["complainant"]
        mine = by_who.get(who, [])
        similar: dict[int, dict[str, Any]] = {}
        for r in mine:
            if r[8] and r[9] not in similar:
                first = texts[r[9]]
                similar[r[9]] = {
                    "copies": int(r[10]),
                    "example": first[:EXCERPT],
                    "similarity": round(minhash.similarity(sig, r[11], r[9]), 2),
                    "refs": [],
                }
            if r[8]:
                similar[r[9]]["refs"].append(r[1])
        cluster = clusters.get(rec["cluster"]) if rec["cluster"] is not None else None
        out[who] = {
            "score": int(rec["score"]),
            "own": {"score": int(rec["own_score"]), "reasons": score.reasons(values[who], t)},
            "cluster": None
            if cluster is None
            else {
                "cluster": cluster["cluster"],
                "score": int(rec["cluster_score"]),
                "reasons": cluster["reasons"],
                "members": len(cluster["members"]),
                "shared": cluster["shared"],
            },
            "complaints": [
                {
                    "ref": r[1],
                    "uscc": r[2],
                    "amount_fen": r[3],
                    "claim_fen": r[4],
                    "filed_on": r[5].isoformat() if r[5] else None,
                    "small": bool(r[6]),
                    "punitive": bool(r[7]),
                    "templated": bool(r[8]),
                }
                for r in mine[:EVIDENCE_COMPLAINTS]
            ],
            "complaints_total": len(mine),
            "similar_texts": [
                {**g, "refs": g["refs"][:EVIDENCE_COMPLAINTS]} for g in similar.values()
            ],
        }
    return out

"""The signals regulators use, counted per subject (a complainant, or a cluster) in DuckDB.

Over the complaint table ``c`` (one row per complaint, with its complainant, cluster
and near-duplicate text group), each subject gets:

* ``n``: complaints; ``enterprises``: distinct enterprises complained about;
  ``identities``: distinct complainants (more than one only for a cluster);
* ``small``: complaints about a purchase of at most ``small_fen`` (purchase-then-complain);
* ``punitive``: complaints demanding punitive compensation: the text asks for 十倍/三倍
  (退一赔十, 退一赔三, 惩罚性赔偿), or the claim is at least three times the amount;
* ``templated``: complaints whose text is in a near-duplicate group sent to at least
  ``template_enterprises`` enterprises (the same text to many unrelated enterprises);
* ``burst``: the most complaints in any ``burst_days``-day window (counted only for
  subjects with at least ``burst`` complaints; 0 for the others).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

PUNITIVE_WORDS = "十倍|三倍|退一赔十|退一赔三|惩罚性赔偿|价款十倍|增加赔偿"


@dataclass(frozen=True)
class Thresholds:
    """Where a signal starts to count; data, not code (the CLI can change them)."""

    small_fen: int = 20_000  # 200 yuan
    template_enterprises: int = 3
    burst_days: int = 7
    many_enterprises: int = 5
    very_many_enterprises: int = 8
    min_complaints: int = 3  # shares (small, punitive) count from this many complaints
    share: float = 0.5
    templated: int = 3
    burst: int = 5
    flag_score: int = 60


def mark_complaints(con: duckdb.DuckDBPyConnection, t: Thresholds) -> None:
    """Add ``small``, ``punitive`` and ``templated`` to each complaint of ``c``."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE tg AS SELECT text_group, count(*) AS copies,"
        " count(DISTINCT uscc) AS group_enterprises FROM c GROUP BY 1"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cm AS SELECT c.*,"
        " coalesce(c.amount_fen <= ?, false) AS is_small,"
        " (regexp_matches(c.text, ?) OR coalesce(c.amount_fen > 0"
        "   AND c.claim_fen >= 3 * c.amount_fen, false)) AS is_punitive,"
        " tg.group_enterprises >= ? AS is_templated, tg.copies AS copies"
        " FROM c JOIN tg USING (text_group)",
        [t.small_fen, PUNITIVE_WORDS, t.template_enterprises],
    )


def features(con: duckdb.DuckDBPyConnection, subject: str, t: Thresholds) -> pa.Table:
    """One row per value of ``subject`` (a column of ``cm``: complainant or cluster)."""
    if subject not in ("complainant", "cluster"):
        raise ValueError(subject)
    where = "WHERE cluster IS NOT NULL" if subject == "cluster" else ""
    return con.sql(
        f"""
        WITH base AS (SELECT * FROM cm {where}),
        counts AS (
            SELECT {subject} AS subject, count(*) AS n, count(DISTINCT uscc) AS enterprises,
                count(DISTINCT complainant) AS identities,
                sum(is_small::INT) AS small, sum(is_punitive::INT) AS punitive,
                sum(is_templated::INT) AS templated
            FROM base GROUP BY 1),
        windows AS (
            SELECT {subject} AS subject, count(*) OVER (
                PARTITION BY {subject} ORDER BY filed_on
                RANGE BETWEEN INTERVAL ({t.burst_days - 1}) DAY PRECEDING AND CURRENT ROW) AS w
            FROM base WHERE {subject} IN (SELECT subject FROM counts WHERE n >= {t.burst}))
        SELECT counts.*, coalesce(b.burst, 0)::BIGINT AS burst
        FROM counts LEFT JOIN (SELECT subject, max(w) AS burst FROM windows GROUP BY 1) b
            USING (subject)
        ORDER BY subject
        """
    ).to_arrow_table()

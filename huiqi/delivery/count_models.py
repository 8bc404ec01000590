"""The dashboards' maintained counters: per policy version, status, district and month, kept
by database triggers in the transaction that writes the records and grants they count
(:mod:`huiqi.delivery.counts` reads and compacts them)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.db.base import Base


class LedgerCount(Base):
    """Maintained counters for the dashboards: how many delivery records (``kind``
    ``record``) or grants (``grant``) of a policy version are in a status, per district
    (the district the ledger's directory records for the enterprise, '' when none: never
    the USCC's characters 3–8, the registering authority) and month of creation, and
    their amount in fen (a record's computed amount, a grant's granted amount).

    Database triggers keep them: on SQLite each row written updates its counter in the
    same statement (except a bulk chunk's inserts, which the chunk counts set-based in
    its own savepoint: migration 0018); on PostgreSQL each statement appends its changes, summed per counter,
    to ``ledger_count_deltas`` (appending takes no lock another writer waits for), which
    :func:`huiqi.delivery.counts.compact` folds in here. A reader sums both. Before it
    reads districts, a PostgreSQL counting trigger takes the district lock in shared
    mode, which only a directory write that moves counts takes exclusive (migration 0019).
    """

    __tablename__ = "ledger_counts"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    policy_version_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(24), primary_key=True)
    district: Mapped[str] = mapped_column(String(6), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerCountDelta(Base):
    """Changes to :class:`LedgerCount` not yet folded in (PostgreSQL's statement triggers
    append here; SQLite's row triggers update the counters directly)."""

    __tablename__ = "ledger_count_deltas"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    policy_version_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24))
    district: Mapped[str] = mapped_column(String(6))
    month: Mapped[str] = mapped_column(String(7))
    n: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class LedgerCountPause(Base):
    """A one-row flag: while it is set, SQLite's insert triggers leave the new records and
    grants uncounted, because a bulk chunk counts them itself, set-based, before it clears
    the flag in the same savepoint (migration 0018, :func:`huiqi.delivery.counts.counted_per_chunk`).
    Never set at a commit; unused on PostgreSQL."""

    __tablename__ = "ledger_count_pause"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)

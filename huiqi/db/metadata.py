"""The operational database's MetaData, with stable constraint names (so migrations can
refer to them).

The ORM models (:mod:`huiqi.db.base`) and the Core tables that the read-only listings
query without the ORM (``huiqi.delivery.tables``, ``huiqi.accounts.tables``) share it:
a model maps onto its Core table, so each table is declared once.
"""

from __future__ import annotations

from sqlalchemy import MetaData

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

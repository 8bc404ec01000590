"""Declarative base with stable constraint names (so migrations can refer to them)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from huiqi.db import metadata as shared
from huiqi.db.metadata import NAMING

__all__ = ["NAMING", "Base"]


class Base(DeclarativeBase):
    metadata = shared.metadata

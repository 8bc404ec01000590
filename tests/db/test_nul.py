"""A NUL character in a statement's text parameter is refused before PostgreSQL sees it,
as bad input (NulInText, a HuiqiError: a 400 on the web), never psycopg's DataError that
users got as a server error from ``?uscc=%00`` or a form field; other values pass."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, bindparam, select, text
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.models import User
from huiqi.db.nul import NulInText, refuse_nul
from huiqi.errors import HuiqiError


def test_a_nul_in_a_query_parameter_is_a_clear_refusal(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite holds NUL; only PostgreSQL refuses it")
    factory = sessionmaker(engine)
    with factory() as s:
        assert s.scalars(select(User).where(User.username == "a")).all() == []
        with pytest.raises(NulInText) as refused:
            s.scalars(select(User).where(User.username == "a\x00b")).all()
        assert isinstance(refused.value, HuiqiError) and "NUL" in str(refused.value)
    with engine.connect() as conn:
        with pytest.raises(NulInText):
            conn.execute(text("SELECT :v"), [{"v": "ok"}, {"v": "x\x00"}])
        conn.rollback()
        statement = text("SELECT :v").bindparams(bindparam("v"))
        assert conn.execute(statement, {"v": "中文\t\n"}).scalar() == "中文\t\n"


def test_the_guard_reads_every_shape_of_parameters() -> None:
    for parameters, many in (
        ({"a": 1, "b": "x\x00"}, False),
        (("ok", "x\x00"), False),
        ([{"a": "ok"}, {"a": "\x00"}], True),
        ([("ok",), ("\x00",)], True),
    ):
        with pytest.raises(NulInText):
            refuse_nul(None, None, "", parameters, None, many)
    for parameters, many in (
        (None, False),
        ({"a": b"\x00binary", "b": 5}, False),
        ([{"a": "ok"}], True),
        (("ok", None), False),
    ):
        refuse_nul(None, None, "", parameters, None, many)


def test_sessions_still_work_on_either_backend(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        assert s.scalar(text("SELECT 1")) == 1

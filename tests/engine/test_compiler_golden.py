"""Golden files for the compiler: rule expression in, DuckDB SQL out.

Each ``golden/*.txt`` holds header lines (``data_year:``, optional ``as_of:``,
``kind: criterion|amount|evaluation``), an ``expr:`` line, a line ``----`` and
the expected SQL. Run with ``HUIQI_UPDATE_GOLDEN=1`` to rewrite the expected
SQL from the current compiler (then review the diff).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from engine_factories import compile_yaml, policy_yaml

from huiqi.engine.duckdb.codes import DIALECT
from huiqi.engine.duckdb.frame import build_frame
from huiqi.engine.duckdb.policy_sql import evaluation_sql
from huiqi.engine.duckdb.profile_rows import load_profiles_into
from huiqi.engine.profile import RawProfile

GOLDEN = Path(__file__).parent / "golden"
SEPARATOR = "----"
UPDATE = os.environ.get("HUIQI_UPDATE_GOLDEN") == "1"


def _parse(path: Path) -> tuple[dict[str, str], str]:
    text = path.read_text(encoding="utf-8")
    head, _, expected = text.partition(f"\n{SEPARATOR}\n")
    headers: dict[str, str] = {}
    for line in head.splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition(":")
            headers[key.strip()] = value.strip()
    return headers, expected.strip()


def _compile(headers: dict[str, str]) -> str:
    kind = headers.get("kind", "criterion")
    expr = headers["expr"]
    common = {"data_year": int(headers.get("data_year", "2024")), "as_of": headers.get("as_of")}
    if kind == "amount":
        cp = compile_yaml(policy_yaml([("c", "revenue > 0")], formula=expr, **common))
        return cp.amount.sql(dialect=DIALECT)
    cp = compile_yaml(policy_yaml([("c", expr)], **common))
    if kind == "evaluation":
        return evaluation_sql(cp, keep_all=True)
    return cp.criteria[0].sql(DIALECT)


def _write(path: Path, sql: str) -> None:
    text = path.read_text(encoding="utf-8")
    head = text.partition(f"\n{SEPARATOR}\n")[0].rstrip("\n")
    path.write_text(f"{head}\n{SEPARATOR}\n{sql}\n", encoding="utf-8")


GOLDEN_FILES = sorted(GOLDEN.glob("*.txt"))


def _cases() -> list[object]:
    """One param per golden file; an ``xfail:`` header marks a known compiler bug."""
    out: list[object] = []
    for path in GOLDEN_FILES:
        reason = _parse(path)[0].get("xfail")
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(path, id=path.stem, marks=marks))
    return out


def test_golden_folder_is_populated() -> None:
    assert len(GOLDEN_FILES) >= 20


@pytest.mark.parametrize("path", _cases())
def test_compiled_sql_matches_golden_file(path: Path) -> None:
    headers, expected = _parse(path)
    got = _compile(headers)
    if UPDATE and "xfail" not in headers:
        _write(path, got)
        return
    assert got == expected, f"{path.name}: expected\n{expected}\ngot\n{got}"


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda p: p.stem)
def test_golden_sql_runs_in_duckdb_over_a_real_frame(path: Path) -> None:
    """The expected SQL is not only stable text: DuckDB binds it against a real frame."""
    headers, _ = _parse(path)
    kind = headers.get("kind", "criterion")
    common = {"data_year": int(headers.get("data_year", "2024")), "as_of": headers.get("as_of")}
    if kind == "amount":
        cp = compile_yaml(policy_yaml([("c", "revenue > 0")], formula=headers["expr"], **common))
    else:
        cp = compile_yaml(policy_yaml([("c", headers["expr"])], **common))
    con = duckdb.connect()
    load_profiles_into(con, [RawProfile("91310115MA1K000001")])
    build_frame(con, cp.requirements)
    rows = con.execute(evaluation_sql(cp, keep_all=True)).fetchall()
    assert [r[0] for r in rows] == ["91310115MA1K000001"]

"""Exports of a bulk run's results, written on demand (``huiqi match --export`` and
``huiqi match-export``), not on every run.

A run keeps its rows as ``matches.parquet`` (and its analysis file of views); people in
offices want a sheet. The export adds the enterprise's name from the snapshot the run
matched and the amount in yuan as exact text (from integer fen, never through a float),
and can keep only some policies or statuses.

* ``csv``: UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly; any
  number of rows (DuckDB writes it).
* ``xlsx``: one sheet of text cells (``huiqi.xlsxwrite``); at most 1,048,575 rows, the
  sheet's limit: a larger export is refused before anything is written, with the count.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from huiqi.accounts.access import AccessDenied, Actor, PolicyRef, in_policy_scope, require_role
from huiqi.accounts.roles import POLICY_ROLES, Role
from huiqi.config import Settings
from huiqi.errors import ConfigError, NotFoundError
from huiqi.fsmode import private_file
from huiqi.matching.analysis import MATCHES_FILE
from huiqi.matching.district_scope import run_districts
from huiqi.profiles.frozen import overlay
from huiqi.profiles.store import ProfileStore
from huiqi.sheetcells import FORMULA_START_SQL, PLAIN_NUMBER_SQL
from huiqi.xlsxwrite import write_text_workbook

FORMATS = ("csv", "xlsx")
XLSX_MAX_ROWS = 1_048_575  # a sheet's 1,048,576 rows less the header
BOM = "\ufeff".encode()
SUMMARY_FILE = "summary.json"  # written beside matches.parquet by huiqi.engine.api

COLUMNS = (
    "uscc",
    "name",
    "policy_id",
    "policy_version",
    "snapshot_id",
    "status",
    "amount_yuan",
    "failed_criterion",
    "unknown_criteria",
    "error",
)

# Amounts are whole fen (>= 0, BIGINT): yuan as text, exactly. A name from the registry
# that a spreadsheet would run as a formula gets an apostrophe in front (huiqi.sheetcells,
# as every other file huiqi writes for people). The file and the filters are parameters;
# the query text is fixed.
QUERY = """
SELECT m.uscc,
       CASE WHEN regexp_matches(e.name, $formula_start)
                 AND NOT regexp_full_match(e.name, $plain_number)
            THEN chr(39) || e.name ELSE e.name END AS name,
       m.policy_id, m.policy_version, m.snapshot_id, m.status,
       CASE WHEN m.amount_fen IS NOT NULL
            THEN printf('%d.%02d', m.amount_fen // 100, m.amount_fen % 100) END AS amount_yuan,
       m.failed_criterion, m.unknown_criteria, m.error
FROM read_parquet($matches) m
LEFT JOIN names e USING (uscc)
WHERE (NOT $scoped OR list_contains($districts, e.district_code))
  AND (len($policies) = 0 OR list_contains($policies, m.policy_id))
  AND (len($statuses) = 0 OR list_contains($statuses, m.status))
ORDER BY m.policy_id, m.uscc
"""


@dataclass(frozen=True)
class Export:
    path: Path
    format: str
    rows: int


def default_target(run_dir: Path, fmt: str) -> Path:
    return run_dir / f"matches.{fmt}"


def export_matches(
    settings: Settings,
    *,
    actor: Actor,
    run_dir: Path,
    fmt: str,
    target: Path | None = None,
    policies: Sequence[str] = (),
    statuses: Sequence[str] = (),
) -> Export:
    """Write the run's rows (those of ``policies`` and ``statuses``, or all) as ``fmt``
    to ``target`` (default ``run_dir/matches.<fmt>``); policy officers (the policies their
    scope covers; a district officer: of its districts' enterprises, whoever ran it) and
    data stewards."""
    require_role(actor, "export a bulk run's results", *POLICY_ROLES, Role.DATA_STEWARD)
    _matched_in(run_dir, policies)
    policies = _in_scope(actor, policies, run_dir)
    # The run may be another's over the whole city (the latest run by default).
    districts = run_districts(actor, (), POLICY_ROLES)
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format '{fmt}'; use one of: {', '.join(FORMATS)}")
    matches = run_dir / MATCHES_FILE
    if not matches.exists():
        raise NotFoundError(f"no {MATCHES_FILE} in {run_dir}; run 'huiqi match' first")
    out = target or default_target(run_dir, fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    params: dict[str, object] = {
        "matches": str(matches),
        "policies": list(policies),
        "statuses": list(statuses),
        "scoped": districts is not None,
        "districts": list(districts or ()),
        "formula_start": FORMULA_START_SQL,
        "plain_number": PLAIN_NUMBER_SQL,
    }
    with duckdb.connect() as con:
        snapshot_id = _snapshot_of(con, matches)
        _names(con, settings, snapshot_id)
        rows = _write_csv(con, params, out) if fmt == "csv" else _write_xlsx(con, params, out)
    private_file(out)
    return Export(out, fmt, rows)


def _matched_in(run_dir: Path, policies: Sequence[str]) -> None:
    """Refuses a policy the run did not match: its export would hold no row, which reads as
    "no enterprise qualifies" (a policy published but not in the library, a mistyped id)."""
    summary = run_dir / SUMMARY_FILE
    if not policies or not summary.exists():
        return
    matched = [p["policy_id"] for p in json.loads(summary.read_text("utf-8"))["policies"]]
    missing = [p for p in policies if p not in matched]
    if missing:
        shown = ", ".join(matched[:10]) + (
            f" … ({len(matched)} in all)" if len(matched) > 10 else ""
        )
        raise NotFoundError(
            f"run {run_dir.name} did not match {', '.join(missing)} (it matched: {shown});"
            " match it first with 'huiqi match --policies FILE', or name another run with --run"
        )


def _in_scope(actor: Actor, policies: Sequence[str], run_dir: Path) -> Sequence[str]:
    """The policies whose rows ``actor`` may export: all for a data steward or a policy
    officer of every policy (``*``); else those its scope covers, as 'huiqi explain' shows
    them: the run's policies as their files said (summary.json's scopes), else the
    library's (refused when none of the ones asked for is)."""
    if actor.has(Role.DATA_STEWARD) or any(
        g.role in POLICY_ROLES and g.scope == "*" for g in actor.grants
    ):
        return policies
    from huiqi.policies.loader import load_library

    refs = {
        lp.policy.id: PolicyRef(lp.policy.level, lp.policy.region, lp.policy.department.zh)
        for lp in load_library(None).policies
    }
    summary = run_dir / SUMMARY_FILE
    if summary.exists():
        scopes = json.loads(summary.read_text("utf-8")).get("scopes") or {}
        refs.update(
            {
                pid: PolicyRef(str(s["level"]), str(s["region"]), str(s["department"]))
                for pid, s in scopes.items()
            }
        )
    covered = [pid for pid, ref in refs.items() if in_policy_scope(actor, ref, *POLICY_ROLES)]
    chosen = [p for p in policies if p in covered] if policies else covered
    if not chosen:
        asked = ", ".join(policies[:3]) if policies else "the run's policies"
        raise AccessDenied(
            f"{actor.describe()} may not export {asked}: outside the policies its scope covers"
        )
    return chosen


def _snapshot_of(con: duckdb.DuckDBPyConnection, matches: Path) -> int | None:
    ((first,),) = con.execute(
        "SELECT min(snapshot_id) FROM read_parquet(?)", [str(matches)]
    ).fetchall()
    return None if first is None else int(first)


def _names(con: duckdb.DuckDBPyConnection, settings: Settings, snapshot_id: int | None) -> None:
    """``names`` (uscc, name, district_code) of the run's snapshot; empty when it is not
    available (a district officer's export then keeps no row)."""
    tables = {}
    if snapshot_id is not None:
        try:
            tables = ProfileStore(settings).snapshot_tables(snapshot_id)
        except NotFoundError:
            tables = {}
    if "enterprises" in tables:
        overlay(con, tables["enterprises"]).project("uscc, name, district_code").create_view(
            "names"
        )
    else:
        con.execute(
            "CREATE VIEW names AS SELECT NULL::VARCHAR AS uscc, NULL::VARCHAR AS name,"
            " NULL::VARCHAR AS district_code"
        )


def _write_csv(con: duckdb.DuckDBPyConnection, params: dict[str, object], out: Path) -> int:
    body = out.with_name(out.name + ".part")
    try:
        con.execute(
            f"COPY ({QUERY}) TO $target (FORMAT csv, HEADER)", {**params, "target": str(body)}
        )
        with out.open("wb") as fh, body.open("rb") as src:
            fh.write(BOM)
            shutil.copyfileobj(src, fh, 1 << 20)
    finally:
        body.unlink(missing_ok=True)
    return _count(con, params)


def _count(con: duckdb.DuckDBPyConnection, params: dict[str, object]) -> int:
    ((count,),) = con.execute(f"SELECT count(*) FROM ({QUERY})", params).fetchall()
    return int(count)


def _write_xlsx(con: duckdb.DuckDBPyConnection, params: dict[str, object], out: Path) -> int:
    count = _count(con, params)
    if count > XLSX_MAX_ROWS:
        raise ConfigError(
            f"{count:,} rows do not fit one Excel sheet ({XLSX_MAX_ROWS:,} at most);"
            " export as csv, or keep fewer policies or statuses (--policy, --status)"
        )
    result = con.execute(QUERY, params)
    return write_text_workbook(out, COLUMNS, _text_rows(result), sheet_name="matches")


def _text_rows(result: duckdb.DuckDBPyConnection) -> Iterator[list[str]]:
    while batch := result.fetchmany(10_000):
        for r in batch:
            yield ["" if v is None else str(v) for v in r]

"""`huiqi match --export` and `huiqi export-matches`: sheets on demand, and the run's
analysis file of DuckDB views."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from cliutil import accounts, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.matching import export as export_module
from huiqi.sheetcells import FORMULA_START_SQL, PLAIN_NUMBER_SQL, cell_text

TOKENS: dict[str, str] = {}


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small generated population, matched once with a csv export."""
    data = tmp_path_factory.mktemp("data")
    TOKENS.update(accounts(data))
    code, out = run(data, "generate", "-n", "2000", "--seed", "11", token=TOKENS["steward"])
    assert code == 0, out
    code, out = run(data, "match", "--export", "csv", "--json", token=TOKENS["officer"])
    assert code == 0, out
    summary = json.loads(out)
    assert summary["export"]["path"].endswith("matches.csv")
    return data, Path(summary["output_dir"])


def parquet_rows(run_dir: Path, where: str = "TRUE") -> list[tuple[object, ...]]:
    with duckdb.connect() as con:
        return con.execute(
            "SELECT uscc, policy_id, status, amount_fen FROM read_parquet(?)"
            f" WHERE {where} ORDER BY policy_id, uscc",
            [str(run_dir / "matches.parquet")],
        ).fetchall()


def csv_rows(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads Chinese text right only with it
    return list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"))))


def test_the_csv_export_holds_every_row_with_names_and_exact_yuan(
    matched: tuple[Path, Path],
) -> None:
    _, run_dir = matched
    rows = csv_rows(run_dir / "matches.csv")
    want = parquet_rows(run_dir)
    assert len(rows) == len(want) > 0
    got = [
        (
            r["uscc"],
            r["policy_id"],
            r["status"],
            None if r["amount_yuan"] == "" else int(Decimal(r["amount_yuan"]) * 100),
        )
        for r in rows
    ]
    assert got == want
    assert all(r["name"] for r in rows)  # every enterprise of a generated population has one
    for r in rows:
        if r["amount_yuan"]:
            assert (
                r["amount_yuan"].split(".")[1].isdigit()
                and len(r["amount_yuan"].split(".")[1]) == 2
            )


def test_export_matches_filters_by_policy_and_status_into_xlsx(
    matched: tuple[Path, Path], tmp_path: Path
) -> None:
    data, run_dir = matched
    (policy,) = parquet_rows(run_dir, "status = 'eligible'")[0][1:2]
    target = tmp_path / "out" / "eligible.xlsx"
    code, out = run(
        data,
        "export-matches",
        "--format",
        "xlsx",
        "--policy",
        str(policy),
        "--status",
        "eligible",
        "--to",
        str(target),
        token=TOKENS["officer"],
    )
    assert code == 0, out
    want = parquet_rows(run_dir, f"status = 'eligible' AND policy_id = '{policy}'")
    assert f"{len(want):,} rows written" in out
    with zipfile.ZipFile(target) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<row ") == len(want) + 1
    for uscc, *_ in want:
        assert uscc in sheet


def test_an_export_too_large_for_a_sheet_is_refused_before_writing(
    matched: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ = matched
    monkeypatch.setattr(export_module, "XLSX_MAX_ROWS", 3)
    target = tmp_path / "big.xlsx"
    code, out = run(
        data, "export-matches", "--format", "xlsx", "--to", str(target), token=TOKENS["officer"]
    )
    assert code == 1, out
    assert "do not fit one Excel sheet" in out and "export as csv" in out
    assert not target.exists()


def test_exports_need_an_officer_or_a_steward(matched: tuple[Path, Path]) -> None:
    data, _ = matched
    code, out = run(data, "export-matches", token=TOKENS["finance"])
    assert code != 0
    assert "export a bulk run's results" in out


def test_a_district_officer_exports_only_the_policies_of_its_district(
    matched: tuple[Path, Path],
) -> None:
    """Regression: an officer of Jiading (district:310114), refused 'huiqi explain' of a
    city policy, exported every enterprise's row of every policy with names and amounts."""
    data, run_dir = matched
    TOKENS.update(accounts(data, jiading=["policy_reviewer=district:310114"]))
    target = data / "jd.csv"
    code, out = run(data, "export-matches", "--to", str(target), token=TOKENS["jiading"])
    assert code == 0, out
    policies = {r["policy_id"] for r in csv_rows(target)}
    assert policies and all(p.startswith("jd-") for p in policies), policies
    assert len(csv_rows(target)) == len(parquet_rows(run_dir, "policy_id LIKE 'jd-%'"))
    city = ["--policy", "sh-stable-jobs-refund-2026", "--to", str(target)]
    code, out = run(data, "export-matches", *city, token=TOKENS["jiading"])
    assert code == 5 and "outside the policies its scope covers" in out, out


def test_an_unknown_run_is_a_clear_error(matched: tuple[Path, Path]) -> None:
    data, _ = matched
    for bad in ("nope", "../x"):
        code, out = run(data, "export-matches", "--run", bad, token=TOKENS["officer"])
        assert code == 3, out
        assert "no run" in out and "Traceback" not in out


def test_a_policy_the_run_did_not_match_is_refused_not_exported_empty(
    matched: tuple[Path, Path], tmp_path: Path
) -> None:
    """Regression: '--policy' naming a policy the run did not match (published from a file
    outside the library, or mistyped) wrote "0 rows written" and exit 0, as if no enterprise
    qualified."""
    data, run_dir = matched
    target = tmp_path / "none.csv"
    args = ["export-matches", "--policy", "pd-stable-jobs-topup-2026", "--to", str(target)]
    code, out = run(data, *args, token=TOKENS["officer"])
    assert code == 3, out
    assert f"run {run_dir.name} did not match pd-stable-jobs-topup-2026" in out
    assert "huiqi match --policies" in out
    assert not target.exists()


def test_the_analysis_file_serves_the_run_and_its_snapshot_as_views(
    matched: tuple[Path, Path],
) -> None:
    _, run_dir = matched
    with duckdb.connect(str(run_dir / "analysis.duckdb"), read_only=True) as con:
        tables = {
            r[0]: r[1]
            for r in con.execute(
                "SELECT table_name, table_type FROM information_schema.tables"
            ).fetchall()
        }
        assert {"matches", "near_misses", "enterprises", "enterprise_years"} <= set(tables)
        assert set(tables.values()) == {"VIEW"}  # no data copied
        (count,) = con.execute("SELECT count(*) FROM matches").fetchone() or (0,)
        assert count == len(parquet_rows(run_dir))
        (enterprises,) = con.execute("SELECT count(*) FROM enterprises").fetchone() or (0,)
        assert enterprises == 2000
        # An analyst's join: eligible rows by district, names from the snapshot.
        joined = con.execute(
            "SELECT count(*) FROM matches m JOIN enterprises e USING (uscc)"
            " WHERE m.status = 'eligible'"
        ).fetchone()
        assert joined == (len(parquet_rows(run_dir, "status = 'eligible'")),)


def test_the_to_files_extension_picks_the_format_and_a_contradiction_is_refused(
    matched: tuple[Path, Path], tmp_path: Path
) -> None:
    """Regression: `--to out.xlsx` without --format wrote CSV text into out.xlsx, which
    Excel could not open."""
    data, _ = matched
    target = tmp_path / "by-extension.xlsx"
    code, out = run(data, "export-matches", "--to", str(target), token=TOKENS["officer"])
    assert code == 0, out
    assert zipfile.is_zipfile(target)
    wrong = tmp_path / "wrong.xlsx"
    code, out = run(
        data, "export-matches", "--format", "csv", "--to", str(wrong), token=TOKENS["officer"]
    )
    assert code == 2 and "names a .xlsx file but --format is csv" in out, out
    assert not wrong.exists()
    # Regression (QA): `--to out.xls` wrote CSV text into out.xls.
    old = tmp_path / "old.xls"
    code, out = run(data, "export-matches", "--to", str(old), token=TOKENS["officer"])
    assert code == 2 and "names an Excel 97-2003 (.xls) file" in out and ".xlsx" in out, out
    assert not old.exists()


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.one_of(
        st.text(max_size=12),
        st.sampled_from(["=1+2", "+1", "-50", "-1+1", "@SUM(1)", "\t=1", "-2.5", "+1,234.5"]),
    )
)
def test_an_exported_name_is_written_as_every_other_sheet_cell(name: str, tmp_path: Path) -> None:
    """Regression (QA): names imported as '=HYPERLINK(...)' or '@SUM(1+1)' were written raw
    into the csv export (DuckDB writes it), where every other file huiqi writes puts an
    apostrophe before a cell a spreadsheet would run (huiqi.sheetcells.cell_text)."""
    matches = tmp_path / "m.parquet"
    with duckdb.connect() as con:
        con.execute(
            "COPY (SELECT '91310115MA1H8R7C41' AS uscc, 'p' AS policy_id, 1 AS policy_version,"
            " 1 AS snapshot_id, 'eligible' AS status, 100::BIGINT AS amount_fen,"
            " NULL AS failed_criterion, NULL AS unknown_criteria, NULL AS error)"
            " TO $path (FORMAT parquet)",
            {"path": str(matches)},
        )
        con.execute(
            "CREATE TABLE names AS SELECT '91310115MA1H8R7C41' AS uscc, $name::VARCHAR AS name,"
            " '310115' AS district_code",
            {"name": name},
        )
        params = {
            "matches": str(matches),
            "policies": [],
            "statuses": [],
            "scoped": False,
            "districts": [],
            "formula_start": FORMULA_START_SQL,
            "plain_number": PLAIN_NUMBER_SQL,
        }
        ((written,),) = con.execute(f"SELECT name FROM ({export_module.QUERY})", params).fetchall()
    assert written == cell_text(name)

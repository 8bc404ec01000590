"""Keys stay unique without a primary-key index, and old stores lose theirs intact."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file
from huiqi.profiles.store import DATA_TABLES, ProfileStore

CODES = [uscc.make(f"91310115MA{i:07d}") for i in range(1, 9)]
MARKET = ["统一社会信用代码", "企业名称", "行业代码", "注册资本(元)"]
TAX = ["统一社会信用代码", "年度", "营业收入(元)", "资产总额(元)"]
KEYS = {
    "enterprises": ("uscc",),
    "enterprise_years": ("uscc", "year"),
    "qualifications": ("uscc", "qualification", "valid_from"),
}


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def rows_of(data: Settings, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(data.profiles_db), read_only=True) as con:
        return con.execute(sql).fetchall()


# A file is a list of (enterprise, value) pairs; an enterprise listed twice in one file
# has a repeated key there: all its lines are rejected, unless they are the same row.
FILE = st.tuples(
    st.sampled_from(["market", "tax"]),
    st.lists(st.tuples(st.integers(0, len(CODES) - 1), st.integers(1, 5)), max_size=6),
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=st.lists(FILE, min_size=1, max_size=5))
def test_keys_stay_unique_and_the_last_accepted_value_wins(
    tmp_path_factory: pytest.TempPathFactory, files: list[tuple[str, list[tuple[int, int]]]]
) -> None:
    folder = tmp_path_factory.mktemp("keys")
    data = Settings(folder / "data")
    names: dict[str, str] = {}
    revenue: dict[tuple[str, int], int] = {}
    for n, (kind, pairs) in enumerate(files):
        # An enterprise listed with different values is rejected; the same row repeated is
        # kept once.
        values: dict[int, set[int]] = {}
        for i, v in pairs:
            values.setdefault(i, set()).add(v)
        if kind == "market":
            lines = [[CODES[i], f"名{v}", "6513", "1000"] for i, v in pairs]
            import_file(data, write_csv(folder / f"m{n}.csv", MARKET, lines))
            names.update({CODES[i]: f"名{v}" for i, v in pairs if len(values[i]) == 1})
        else:
            lines = [[CODES[i], "2024", str(v * 1000), "5"] for i, v in pairs]
            import_file(data, write_csv(folder / f"t{n}.csv", TAX, lines))
            revenue.update({(CODES[i], 2024): v * 1000 for i, v in pairs if len(values[i]) == 1})
    if not data.profiles_db.exists():
        return
    for table, keys in KEYS.items():
        key = ", ".join(keys)
        repeated = rows_of(data, f"SELECT {key} FROM {table} GROUP BY {key} HAVING count(*) > 1")
        assert repeated == [], table
    stored_names = dict(
        rows_of(data, "SELECT uscc, name FROM enterprises WHERE name IS NOT NULL")  # type: ignore[arg-type]
    )
    assert stored_names == names
    stored_revenue = {
        (r[0], r[1]): int(r[2])  # type: ignore[call-overload]
        for r in rows_of(data, "SELECT uscc, year, revenue FROM enterprise_years")
    }
    assert stored_revenue == revenue
    # Every enterprise with a year has its (stub) enterprise row, once.
    orphans = rows_of(
        data,
        "SELECT DISTINCT y.uscc FROM enterprise_years y ANTI JOIN enterprises e USING (uscc)",
    )
    assert orphans == []


def test_a_store_made_with_primary_keys_is_rebuilt_without_them_and_keeps_its_data(
    tmp_path: Path,
) -> None:
    data = Settings(tmp_path / "data")
    market = [[c, f"企业{i}", "6513", str(1000 * i)] for i, c in enumerate(CODES)]
    import_file(data, write_csv(tmp_path / "market.csv", MARKET, market))
    tax = [[c, "2024", str(10_000 * i), "1000000"] for i, c in enumerate(CODES)]
    import_file(data, write_csv(tmp_path / "tax.csv", TAX, tax))
    # Make the store look as one made before 2026-12-01 did: every data table keyed.
    with ProfileStore(data).connect() as con:
        before = {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in KEYS}
        types = con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns()"
            " WHERE table_name IN ('enterprises', 'enterprise_years') ORDER BY ALL"
        ).fetchall()
        for table, keys in KEYS.items():
            con.execute(f"CREATE TABLE {table}_k AS SELECT * FROM {table} LIMIT 0")
            con.execute(f"DROP TABLE {table}")
            con.execute(f"ALTER TABLE {table}_k RENAME TO {table}")
            con.execute(f"ALTER TABLE {table} ADD PRIMARY KEY ({', '.join(keys)})")
        for table in KEYS:
            rows = before[table]
            if rows:
                marks = ", ".join("?" for _ in rows[0])
                con.executemany(f"INSERT INTO {table} VALUES ({marks})", [list(r) for r in rows])
        keyed = con.execute(
            "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
            " AND table_name IN ('enterprises', 'enterprise_years', 'qualifications')"
        ).fetchone()
        assert keyed == (3,)

    # The next import rebuilds the tables, then writes as usual.
    change = write_csv(tmp_path / "one.csv", MARKET, [[CODES[2], "新名称", "6513", "5"]])
    assert import_file(data, change).rows_changed == 1
    with ProfileStore(data).connect(read_only=True) as con:
        keyed = con.execute(
            "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
            " AND table_name IN ?",
            [list(DATA_TABLES)],
        ).fetchall()
        assert keyed == []
        after_types = con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns()"
            " WHERE table_name IN ('enterprises', 'enterprise_years') ORDER BY ALL"
        ).fetchall()
        assert after_types == types
        years = sorted(con.execute("SELECT * FROM enterprise_years").fetchall(), key=repr)
        assert years == before["enterprise_years"]
        names = dict(con.execute("SELECT uscc, name FROM enterprises").fetchall())
    assert names[CODES[2]] == "新名称"
    assert names[CODES[3]] == "企业3"
    with ProfileStore(data).connect() as con, pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO enterprise_years (uscc, year) VALUES (NULL, 2024)")

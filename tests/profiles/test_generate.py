"""The synthetic population: deterministic, valid, plausible, readable in every format."""

import hashlib
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from huiqi.profiles.generate import (
    README_USCC,
    GenerateError,
    ReadmeEnterprise,
    generate,
    load_mappings,
)
from huiqi.profiles.size_class import classify
from huiqi.profiles.uscc import is_valid

N = 50_000


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("population")
    generate(N, seed=11, out_dir=out)
    return out


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_gives_byte_identical_parquet(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder, seed in ((first, 3), (second, 3), (other, 4)):
        generate(3_000, seed=seed, out_dir=folder)
    assert _digest(first) == _digest(second)
    assert _digest(first)["market.parquet"] != _digest(other)["market.parquet"]


def test_one_file_per_mapping_with_its_chinese_headers(population: Path) -> None:
    for mapping in load_mappings():
        table = pq.read_table(population / f"{mapping.name}.parquet")
        assert table.column_names == list(mapping.headers), mapping.name


def test_every_uscc_is_valid_unique_and_mostly_91(population: Path) -> None:
    codes = pq.read_table(population / "market.parquet").column("统一社会信用代码").to_pylist()
    assert len(codes) == N == len(set(codes))
    assert all(is_valid(c) for c in codes)
    prefixes = {p: sum(c.startswith(p) for c in codes) / N for p in ("91", "92", "93")}
    assert prefixes["91"] > 0.85 and prefixes["92"] > 0.01 and sum(prefixes.values()) == 1
    regions = {c[2:8] for c in codes}
    assert {"310108", "310230", "310115"} <= regions


def test_the_readme_enterprise_is_in_every_population(population: Path, tmp_path: Path) -> None:
    """README: 'huiqi explain 91310115MA1H8R7C41' after 'make demo' said "no enterprise
    with USCC 91310115MA1H8R7C41 in this snapshot" (exit 3)."""
    for folder in (population, tmp_path):
        if folder == tmp_path:
            generate(200, seed=2026, out_dir=tmp_path)  # the demo's seed, a small population
        market = pq.read_table(folder / "market.parquet")
        codes = market.column("统一社会信用代码").to_pylist()
        assert codes.count(README_USCC) == 1 and len(set(codes)) == len(codes)
        tax = pq.read_table(folder / "tax.parquet").column("统一社会信用代码").to_pylist()
        assert README_USCC in tax  # the yearly files and the others follow


def test_the_enterprise_that_would_draw_the_readme_code_gets_the_chosen_ones_old_code() -> None:
    """Exactly one serial draws the README's body; when the population reaches it, that
    enterprise takes the body the chosen one gave up, so no two share a code."""
    body = 0
    for ch in README_USCC[10:16]:
        body = body * 31 + "0123456789ABCDEFGHJKLMNPQRTUWXY".index(ch)
    a = 32  # coprime with 31
    b = (body - 3 * a) % 31**6  # serial 3 draws the README's body
    plant = ReadmeEnterprise(a, b)
    assert plant.serial == 3
    other = "91310104MA1H8R7C4"
    first = ["92310101MA0000011", "91310115MA0000022", "93310101MA0000033", other]
    codes = pa.array([c + "0" for c in first])  # check characters do not matter here
    out = plant.apply(codes, 0, np.ones(4, dtype=bool)).to_pylist()
    assert out[1] == README_USCC
    assert out[3][:8] == "91310104" and out[3][8:17] == "MA0000022" and is_valid(out[3])
    assert out[0] == codes[0].as_py() and out[2] == codes[2].as_py()


def test_proportions_are_plausible(population: Path) -> None:
    con = duckdb.connect()
    market = str(population / "market.parquet")
    districts = dict(
        con.execute(f"SELECT 注册区划代码, count(*) FROM '{market}' GROUP BY 1").fetchall()
    )
    assert max(districts, key=districts.__getitem__) == "310115"  # Pudong is largest
    sections = dict(
        con.execute(
            f"SELECT substr(行业代码, 1, 2), count(*) FROM '{market}' GROUP BY 1"
        ).fetchall()
    )
    trade = sum(v for k, v in sections.items() if k in ("51", "52"))
    assert 0.2 < trade / N < 0.4
    quals = dict(
        con.execute(
            f"SELECT 资质类型, count(DISTINCT 统一社会信用代码)"
            f" FROM '{population / 'qualifications.parquet'}' GROUP BY 1"
        ).fetchall()
    )
    assert 200 < quals["high_tech"] < 600  # ~24,000 per 3.5 m
    assert 3 <= quals["little_giant"] <= 40  # ~1,000 per 3.5 m
    assert quals["little_giant"] < quals["srdi_sme"] < quals["innovative_sme"]
    renewed = con.execute(
        f"SELECT count(*) FROM (SELECT 统一社会信用代码 FROM '{population / 'qualifications.parquet'}'"
        " WHERE 资质类型 = 'high_tech' GROUP BY 1 HAVING count(*) > 1)"
    ).fetchone()[0]
    assert renewed > 0
    spans = con.execute(
        f"SELECT DISTINCT date_diff('year', 有效期起, 有效期止 + 1)"
        f" FROM '{population / 'qualifications.parquet'}' WHERE 资质类型 = 'high_tech'"
    ).fetchall()
    assert spans == [(3,)]


def test_size_classes_follow_the_rule_and_skew_small(population: Path) -> None:
    con = duckdb.connect()
    rows = con.execute(
        f'SELECT m.行业代码, s.从业人员, t."营业收入(元)", t."资产总额(元)"'
        f" FROM '{population / 'market.parquet'}' m"
        f" JOIN '{population / 'statistics.parquet'}' s USING (统一社会信用代码)"
        f" JOIN '{population / 'tax.parquet'}' t USING (统一社会信用代码, 年度)"
        " WHERE s.年度 = 2025"
    ).fetchall()
    sizes = [classify(*r) for r in rows]
    share = {k: sizes.count(k) / len(sizes) for k in ("micro", "small", "medium", "large")}
    assert share["micro"] > 0.6 and share["micro"] + share["small"] > 0.9
    assert 0 < share["large"] < share["medium"] < share["small"]
    assert 0 < sizes.count(None) / len(sizes) < 0.1  # some unknowns, on purpose
    assert isinstance(rows[0][2], Decimal)


def test_yearly_figures_are_consistent(population: Path) -> None:
    con = duckdb.connect()
    social = str(population / "social_insurance.parquet")
    stats = str(population / "statistics.parquet")
    bad = con.execute(
        f"SELECT count(*) FROM '{social}' JOIN '{stats}' USING (统一社会信用代码, 年度)"
        " WHERE 年末参保人数 > 从业人员 OR 研发人员 > 从业人员 OR 大专以上学历人员 > 从业人员"
    ).fetchone()[0]
    assert bad == 0
    years = [
        r[0] for r in con.execute(f"SELECT DISTINCT 年度 FROM '{stats}' ORDER BY 1").fetchall()
    ]
    assert years == [2022, 2023, 2024, 2025]
    types = pq.read_schema(population / "tax.parquet")
    assert str(types.field("营业收入(元)").type) == "decimal128(18, 2)"


def test_gbk_csv_is_gbk_with_labels_and_xlsx_is_readable(tmp_path: Path) -> None:
    result = generate(800, seed=5, out_dir=tmp_path, formats=("csv-gbk", "csv-utf8", "xlsx"))
    raw = result.files["market"]["csv-gbk"].read_bytes()
    text = raw.decode("gbk")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert text.splitlines()[0].startswith('"统一社会信用代码","企业名称"')
    assert "有限责任公司" in text and "limited_company" not in text
    assert text == result.files["market"]["csv-utf8"].read_text("utf-8")
    credit = result.files["credit"]["csv-gbk"].read_bytes().decode("gbk")
    assert "是" in credit or "否" in credit
    sheet = load_workbook(result.files["market"]["xlsx"], read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "统一社会信用代码" and len(rows) == 801


def test_refuses_xlsx_beyond_the_sheet_limit_and_unknown_formats(tmp_path: Path) -> None:
    with pytest.raises(GenerateError, match="xlsx holds at most 1,048,575 rows"):
        generate(400_000, seed=1, out_dir=tmp_path, formats=("xlsx",))
    with pytest.raises(GenerateError, match=r"unknown format\(s\) \['json'\]"):
        generate(10, seed=1, out_dir=tmp_path, formats=("json",))


def test_progress_is_reported_per_chunk(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    generate(1_000, seed=1, out_dir=tmp_path, progress=lambda *a: seen.append(a))
    assert seen == [("enterprises", 1_000, 1_000)]


def test_new_standard_fields_are_filled_plausibly(population: Path) -> None:
    con = duckdb.connect()

    def share(file: str, condition: str) -> float:
        path = str(population / f"{file}.parquet")
        row = con.execute(f"SELECT avg(CASE WHEN {condition} THEN 1.0 ELSE 0 END) FROM '{path}'")
        value = row.fetchone()
        assert value is not None
        return float(value[0])

    ratings = dict(
        con.execute(
            f"SELECT 纳税信用等级, count(*) FROM '{population / 'tax.parquet'}' GROUP BY 1"
        ).fetchall()
    )
    assert set(ratings) == {"A", "B", "M", "C", "D", None}
    assert ratings["B"] > ratings["A"] > ratings["C"] > ratings["D"]
    assert 0.02 < share("tax", '"出口额(元)" > 0') < 0.3
    assert 0.001 < share("social_insurance", "残疾职工数 > 0") < 0.3
    assert share("statistics", '"综合能耗(吨标准煤)" IS NOT NULL') > 0.5
    assert 0.3 < share("market", "创业者性别 = 'female'") < 0.45
    assert share("market", "创业者性别 IS NULL") > 0.05  # optional personal data
    listed = share("listing", "上市板块 <> 'unlisted'")
    assert 0.00005 < listed < 0.002 and share("listing", "上市板块 = 'unlisted'") > 0.85
    assert share("park", "是否位于认定园区") > 0.1
    assert share("park", '"办公用房面积(平方米)" > 0') > 0.2
    types = {
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT 登记注册类型 FROM '{population / 'market.parquet'}'"
        ).fetchall()
    }
    assert {"state_owned", "collective", "hmt_invested"} <= types
    quals = dict(
        con.execute(
            f"SELECT 资质类型, count(*) FROM '{population / 'qualifications.parquet'}' GROUP BY 1"
        ).fetchall()
    )
    assert quals["iso9001"] > quals["iso14001"] > 0 and quals["iso45001"] > 0


def test_reported_size_class_mostly_agrees_with_the_rule(population: Path) -> None:
    stats = pq.read_table(population / "statistics.parquet").to_pydict()
    tax = pq.read_table(population / "tax.parquet").to_pydict()
    market = pq.read_table(population / "market.parquet").to_pydict()
    industry = dict(zip(market["统一社会信用代码"], market["行业代码"], strict=True))
    money = {
        (u, y): (r, a)
        for u, y, r, a in zip(
            tax["统一社会信用代码"],
            tax["年度"],
            tax["营业收入(元)"],
            tax["资产总额(元)"],
            strict=True,
        )
    }
    agree = disagree = 0
    for u, y, emp, reported in zip(
        stats["统一社会信用代码"], stats["年度"], stats["从业人员"], stats["企业规模"], strict=True
    ):
        revenue, assets = money[(u, y)]
        derived = classify(industry[u], emp, revenue, assets)
        if reported is None or derived is None:
            continue
        agree += reported == derived
        disagree += reported != derived
    assert agree > 10_000 and 0.005 < disagree / (agree + disagree) < 0.06

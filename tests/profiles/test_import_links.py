"""Importing relations and contracts: good rows kept, bad rows rejected with their place,
persons stored only as a keyed hash and shown only masked."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi import clock
from huiqi.config import Settings
from huiqi.engine.backend import get_backend
from huiqi.engine.compile.compiler import compile_policy
from huiqi.engine.snapshot import open_snapshot
from huiqi.policies.loader import load_policy_text
from huiqi.profiles import persons, uscc
from huiqi.profiles.importer import import_file
from huiqi.profiles.store import ProfileStore

BUYER = uscc.make("91310115MA1H8R7C4")
PARENT = uscc.make("91310104MA1FL8XQ0")
VENDOR = uscc.make("91440300MA5G7K2P1")
ID_NUMBER = "31010119900101104X"  # a valid check character (GB 11643-1999)
REL_HEADER = [
    "统一社会信用代码",
    "关联方类型",
    "关联方标识",
    "关系类型",
    "持股比例(%)",
    "起始日期",
    "终止日期",
]
CON_HEADER = [
    "买方统一社会信用代码",
    "合同编号",
    "卖方统一社会信用代码",
    "合同类型",
    "合同金额(元)",
    "签订日期",
]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def rows_of(settings: Settings, table: str) -> list[tuple]:
    files = open_snapshot(settings).files
    return duckdb.sql(f"SELECT * FROM read_parquet('{files[table]}') ORDER BY ALL").fetchall()


def test_relations_are_imported_and_bad_rows_rejected_with_their_place(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "relations.csv",
        REL_HEADER,
        [
            [BUYER, "企业", PARENT, "股东", "30", "2020-01-01", ""],
            [BUYER, "自然人", ID_NUMBER.lower(), "法定代表人", "", "2020-01-01", ""],
            [BUYER, "自然人", ID_NUMBER, "股东", "", "2021-01-01", ""],
            [BUYER, "企业", "91310115MA1H8R7C40", "董事", "", "2020-01-01", ""],
            [BUYER, "合伙人", PARENT, "监事", "", "2020-01-01", ""],
            [BUYER, "企业", PARENT, "高级管理人员", "", "2020-05-01", "2020-04-30"],
        ],
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert report.mapping == "relations"
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (6, 2, 4)
    assert report.messages == [
        "relations.csv, line 4, column '持股比例(%)' (field 'share_pct'): a shareholder needs its"
        " share in per cent (持股比例)",
        # Regression: the other party's code was only "not a valid unified social credit
        # code", where the enterprise's own says which character is wrong.
        "relations.csv, line 5, column '关联方标识' (field 'party'): '91310115MA1H8R7C40': check"
        " character is '0' but should be '1'; the code was probably mistyped",
        "relations.csv, line 6, column '关联方类型' (field 'party_kind'): '合伙人' is not a kind of"
        " party; use enterprise (企业) or person (自然人)",
        "relations.csv, line 7, column '终止日期' (field 'valid_to'): valid_to 2020-04-30 is before"
        " valid_from 2020-05-01",
    ]
    key = persons.person_key(settings)
    stored = rows_of(settings, "relations")
    assert [r[:6] for r in stored] == [
        (BUYER, PARENT, "enterprise", "shareholder", Decimal("30.000000"), dt.date(2020, 1, 1)),
        (
            BUYER,
            persons.pseudonym(key, ID_NUMBER),
            "person",
            "legal_representative",
            None,
            dt.date(2020, 1, 1),
        ),
    ]


def test_an_id_number_a_spreadsheet_stored_as_a_number_says_so(tmp_path: Path) -> None:
    """'1.10105E+17' (Excel kept 15 digits of an ID number) was refused as "4 to 40
    letters, digits or hyphens", which did not say what had happened nor what to do; and
    the number is not echoed."""
    path = write_csv(
        tmp_path / "relations.csv",
        REL_HEADER,
        [
            [BUYER, "自然人", ID_NUMBER, "法定代表人", "", "2020-01-01", ""],
            [BUYER, "自然人", "3.10101E+17", "股东", "30", "2020-01-01", ""],
            [PARENT, "自然人", "3.1010119900101E17", "法定代表人", "", "2020-01-01", ""],
        ],
    )
    report = import_file(Settings(tmp_path / "data"), path)
    assert (report.rows_accepted, report.rows_rejected) == (1, 2)
    for line, message in zip((3, 4), report.messages, strict=True):
        assert message.startswith(
            f"relations.csv, line {line}, column '关联方标识' (field 'party'): a person's ID"
            " number in scientific notation: the spreadsheet stored it as a number"
        ), message
        assert "E+17" not in message and "E17" not in message


def test_a_share_a_workbook_shows_as_a_percentage_is_read_as_shown(tmp_path: Path) -> None:
    """Excel keeps 30% as 0.3: read as its value, a 30 % shareholder was stored with 0.3 %,
    under the 25 % that makes two enterprises related parties."""
    import openpyxl

    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(REL_HEADER)
    sheet.append([BUYER, "企业", PARENT, "股东", 0.3, "2020-01-01", None])
    sheet.append([PARENT, "企业", VENDOR, "股东", 0.255, "2020-01-01", None])
    sheet.append([VENDOR, "企业", BUYER, "股东", 12.5, "2020-01-01", None])  # a plain number
    sheet["E2"].number_format, sheet["E3"].number_format = "0%", "0.00%"
    path = tmp_path / "relations.xlsx"
    wb.save(path)
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert (report.rows_accepted, report.rows_rejected) == (3, 0)
    assert sorted(r[4] for r in rows_of(settings, "relations")) == [
        Decimal("12.500000"),
        Decimal("25.500000"),
        Decimal("30.000000"),
    ]


def test_a_persons_identifier_is_written_nowhere_in_clear(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "relations.csv",
        REL_HEADER,
        [
            [BUYER, "自然人", ID_NUMBER, "法定代表人", "", "2020-01-01", ""],
            [BUYER, "自然人", ID_NUMBER, "股东", "", "2020-01-01", ""],  # rejected: no share
        ],
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert report.rows_rejected == 1
    rejects = report.rejects_path.read_text("utf-8-sig")
    assert "3101**********104X" in rejects
    for file in settings.data_dir.rglob("*"):
        if file.is_file():
            assert ID_NUMBER.encode() not in file.read_bytes(), file
            assert ID_NUMBER.lower().encode() not in file.read_bytes(), file


def test_a_relations_parquet_file_has_its_persons_masked(tmp_path: Path) -> None:
    """The relations layout rewrites its staged persons (masked before any file quotes
    them): its stage stays a table, and no file of the data directory holds the number."""
    path = tmp_path / "relations.parquet"
    rows = [
        [BUYER, "自然人", ID_NUMBER, "法定代表人", None, "2020-01-01", None],
        [BUYER, "自然人", ID_NUMBER, "股东", None, "2020-01-01", None],  # rejected: no share
    ]
    pq.write_table(
        pa.table(
            {h: pa.array([r[i] for r in rows], pa.string()) for i, h in enumerate(REL_HEADER)}
        ),
        path,
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert (report.reader, report.rows_accepted, report.rows_rejected) == ("duckdb", 1, 1)
    assert "3101**********104X" in report.rejects_path.read_text("utf-8-sig")
    for file in settings.data_dir.rglob("*"):
        if file.is_file():
            assert ID_NUMBER.encode() not in file.read_bytes(), file


def test_a_persons_identifier_is_not_in_clear_where_no_row_is_imported(tmp_path: Path) -> None:
    """Regression: a relations file whose every row was refused (nothing imported) wrote
    the persons' ID numbers in clear in its rejects.csv, since they were masked only
    when rows were stored."""
    path = write_csv(
        tmp_path / "relations.csv",
        REL_HEADER,
        [[BUYER, "自然人", ID_NUMBER, "股东", "", "2020-01-01", ""]],  # rejected: no share
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert (report.snapshot_id, report.rows_rejected) == (None, 1)
    assert "3101**********104X" in report.rejects_path.read_text("utf-8-sig")
    for file in settings.data_dir.rglob("*"):
        if file.is_file():
            assert ID_NUMBER.encode() not in file.read_bytes(), file


def test_an_identifier_written_as_a_text_formula_is_masked_in_normalised_csv(
    tmp_path: Path,
) -> None:
    """Regression: an ID number written as Excel's text formula (="3101...") was listed in
    normalised.csv with the value read, the ID number, in clear."""
    path = write_csv(
        tmp_path / "relations.csv",
        REL_HEADER,
        [[BUYER, "自然人", f'="{ID_NUMBER}"', "法定代表人", "", "2020-01-01", ""]],
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert (report.rows_accepted, report.formula_texts_unwrapped) == (1, 1)
    normalised = (report.rejects_path.parent / "normalised.csv").read_text("utf-8-sig")
    assert "3101**********104X,formula text unwrapped" in normalised
    for file in settings.data_dir.rglob("*"):
        if file.is_file():
            assert ID_NUMBER.encode() not in file.read_bytes(), file
    [row] = rows_of(settings, "relations")
    assert row[1] == persons.pseudonym(persons.person_key(settings), ID_NUMBER)


def test_the_same_person_gets_the_same_pseudonym_in_two_imports(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "data")
    for i, company in enumerate((BUYER, PARENT)):
        path = write_csv(
            tmp_path / f"r{i}.csv",
            REL_HEADER,
            [[company, "自然人", f" {ID_NUMBER.lower()} ", "法定代表人", "", "2020-01-01", ""]],
        )
        import_file(settings, path)
    parties = {r[1] for r in rows_of(settings, "relations")}
    assert len(parties) == 1 and next(iter(parties)).startswith("P")


def test_a_persons_key_comes_from_the_environment_when_set(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "data")
    assert persons.person_key(settings, {"HUIQI_PERSON_KEY": "k1"}) == b"k1"
    made = persons.person_key(settings, {})
    assert made == persons.person_key(settings, {}) and len(made) == 64
    assert (settings.data_dir / "person.key").stat().st_mode & 0o077 == 0


def test_contracts_are_imported_exactly_and_bad_rows_rejected(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "contracts.csv",
        CON_HEADER,
        [
            [BUYER, "HT-1", VENDOR, "语料采购", "1000000.05", "2025-04-01"],
            [BUYER, "HT-2", VENDOR.lower(), "model", "9999999999999.99", "20250501"],
            [BUYER, "HT-3", "91440300MA5G7K2P10", "model", "10", "2025-05-01"],
            [BUYER, "HT-4", VENDOR, "模型训练", "10", "2025-05-01"],
            [BUYER, "HT-5", VENDOR, "model", "1e6", "2025-05-01"],
            [BUYER, "HT-6", VENDOR, "model", "0", "2025-05-01"],
            [BUYER, "HT-7", VENDOR, "model", "10", ""],
            [BUYER, "HT-1", VENDOR, "model", "10", "2025-05-01"],
        ],
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert report.mapping == "contracts"
    assert (report.rows_accepted, report.rows_rejected) == (1, 7)
    by_line = {m.split(",")[1].strip(): m.split(": ", 1)[1] for m in report.messages}
    # Regression: the seller's code was only "not a valid unified social credit code", where
    # the buyer's says which character is wrong.
    assert by_line["line 4"] == (
        "'91440300MA5G7K2P10': check character is '0' but should be 'F'; the code was probably"
        " mistyped"
    )
    assert by_line["line 5"].startswith(
        "'模型训练' is not a contract type; use a code or its Chinese"
    )
    assert by_line["line 6"].startswith("'1e6' is in scientific notation")
    assert by_line["line 7"].startswith("'0' is below the minimum 0.01")
    assert by_line["line 8"] == "a value is required"
    assert by_line["line 2"].startswith(
        "duplicate key: lines 2, 9 have the same uscc and contract_id"
    )
    assert rows_of(settings, "contracts") == [
        (BUYER, "HT-2", VENDOR, "model", Decimal("9999999999999.99"), dt.date(2025, 5, 1), 1)
    ]


def test_a_contract_signed_after_today_is_refused_and_the_others_kept(tmp_path: Path) -> None:
    """Regression (QA): a contract "signed" in 2030 was imported (and counted as bought),
    while a registration dated in the future is refused."""
    today = clock.today()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    path = write_csv(
        tmp_path / "contracts.csv",
        CON_HEADER,
        [
            [BUYER, "HT-1", VENDOR, "model", "10", "2030-06-01"],
            [BUYER, "HT-2", VENDOR, "model", "10", tomorrow],
            [BUYER, "HT-3", VENDOR, "model", "10", today.isoformat()],
        ],
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert (report.rows_accepted, report.rows_rejected) == (1, 2)
    reason = (
        f"is after today ({today.isoformat()}): a contract's signing cannot be dated in the"
        " future; correct the date in the source and import again"
    )
    assert report.messages == [
        f"contracts.csv, line 2, column '签订日期' (field 'signed_on'): '2030-06-01' {reason}",
        f"contracts.csv, line 3, column '签订日期' (field 'signed_on'): '{tomorrow}' {reason}",
    ]
    rejects = list(csv.reader(report.rejects_path.open(encoding="utf-8-sig")))[1:]
    assert [r[1:5] for r in rejects] == [
        ["2", "签订日期", "signed_on", "2030-06-01"],
        ["3", "签订日期", "signed_on", tomorrow],
    ]
    assert [r[1] for r in rows_of(settings, "contracts")] == ["HT-3"]


def test_contract_amounts_in_wan_yuan_are_converted_exactly(tmp_path: Path) -> None:
    mapping = tmp_path / "wan.yaml"
    mapping.write_text(
        "name: contracts-wan\nregistry: ai_platform\nlayout: contracts\ncolumns:\n"
        + "".join(
            f"  {h}: {f}\n"
            for h, f in zip(
                [*CON_HEADER[:4], "合同金额(万元)", "签订日期"],
                ["uscc", "contract_id", "seller_uscc", "contract_type", "amount", "signed_on"],
                strict=True,
            )
        )
        + "units: {amount: wan_yuan}\n",
        "utf-8",
    )
    header = [*CON_HEADER[:4], "合同金额(万元)", "签订日期"]
    path = write_csv(
        tmp_path / "c.csv", header, [[BUYER, "HT-1", VENDOR, "data", "12.3456", "2025-01-02"]]
    )
    settings = Settings(tmp_path / "data")
    import_file(settings, path, mapping=str(mapping))
    assert rows_of(settings, "contracts")[0][4] == Decimal("123456.00")


def test_contract_types_as_the_readme_writes_them_are_read(tmp_path: Path) -> None:
    """README: 合同类型 (模型, 算力, 语料, 数据, 技术服务…). A file written so had every
    模型/算力/语料/数据 row refused: only the code and the list's long name were read."""
    written = ["模型", "算力", "语料", "数据", "技术服务", "模型券", "corpus", "大模型调用或部署"]
    rows = [[BUYER, f"HT-{i}", VENDOR, kind, "100", "2025-03-01"] for i, kind in enumerate(written)]
    settings = Settings(tmp_path / "data")
    report = import_file(settings, write_csv(tmp_path / "c.csv", CON_HEADER, rows))
    assert (report.rows_accepted, report.messages) == (len(written), [])
    stored = {r[1]: r[3] for r in rows_of(settings, "contracts")}
    assert [stored[f"HT-{i}"] for i in range(len(written))] == [
        "model",
        "compute",
        "corpus",
        "data",
        "tech_service",
        "model",
        "corpus",
        "model",
    ]


def test_a_share_written_with_a_per_cent_sign_is_read(tmp_path: Path) -> None:
    """持股比例(%) is in per cent; a registry that writes "30%" had the row refused as
    "not a number"."""
    rows = [
        [BUYER, "企业", PARENT, "股东", "30%", "2020-01-01", ""],
        [PARENT, "企业", VENDOR, "股东", "25.5 ％", "2020-01-01", ""],
        [VENDOR, "企业", BUYER, "股东", "%", "2020-01-01", ""],
    ]
    settings = Settings(tmp_path / "data")
    report = import_file(settings, write_csv(tmp_path / "r.csv", REL_HEADER, rows))
    assert report.rows_accepted == 2 and len(report.messages) == 1, report.messages
    assert "line 4" in report.messages[0]
    shares = {r[0]: r[4] for r in rows_of(settings, "relations")}
    assert shares == {BUYER: Decimal("30"), PARENT: Decimal("25.5")}


def test_a_drafted_mapping_of_a_contracts_file_is_a_contracts_layout(tmp_path: Path) -> None:
    """'huiqi mapping new' drafted a contracts file as 'static' and marked every contract
    column null ("not in a static file"): a contracts export in 万元 could not be mapped."""
    from huiqi.profiles.mappingdraft import draft_mapping

    draft = draft_mapping([*CON_HEADER[:4], "合同金额（万元）", "签订日期"], name="c")
    assert (draft.layout, draft.registry, draft.unmatched) == ("contracts", "ai_platform", [])
    assert draft.units == {"amount": "wan_yuan"}
    relations = draft_mapping(REL_HEADER, name="r")
    assert (relations.layout, relations.unmatched) == ("relations", [])


def test_a_link_mapping_refuses_dictionary_fields(tmp_path: Path) -> None:
    from huiqi.errors import MappingError
    from huiqi.profiles.mapping_file import parse_mapping

    text = (
        "name: x\nregistry: ai_platform\nlayout: contracts\ncolumns:\n  买方: uscc\n  编号: contract_id\n"
        "  卖方: seller_uscc\n  类型: contract_type\n  金额: amount\n  日期: signed_on\n  营业收入: revenue\n"
    )
    with pytest.raises(MappingError) as err:
        parse_mapping(text, "x.yaml")
    assert "'revenue' is not a column of a contracts file" in err.value.message
    assert err.value.location is not None and err.value.location.line == 11


def test_a_snapshot_frozen_before_relations_existed_reads_them_as_empty(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "contracts.csv", CON_HEADER, [[BUYER, "HT-1", VENDOR, "data", "5", "2025-01-02"]]
    )
    settings = Settings(tmp_path / "data")
    import_file(settings, path)
    folder = ProfileStore(settings).snapshot_dir(1)
    (folder / "relations.parquet").unlink()
    (folder / "contracts.parquet").unlink()
    snapshot = open_snapshot(settings)
    assert sorted(snapshot.files) == ["enterprise_years", "enterprises", "qualifications"]
    library = Path(__file__).resolve().parents[2] / "huiqi" / "policies" / "library"
    loaded = load_policy_text(
        (library / "sh-corpus-voucher-contracts-2026.yaml").read_text("utf-8"), "voucher.yaml"
    )
    (ev,) = get_backend("duckdb").evaluate(snapshot, [compile_policy(loaded)])
    assert (ev.uscc, ev.status) == (BUYER, "needs_data")
    assert "corpus_bought_unrelated" in ev.unknown


TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20
)
CELLS = st.lists(
    st.tuples(
        st.sampled_from([BUYER, PARENT, "bad", ""]),
        TEXT,
        st.sampled_from([VENDOR, VENDOR.lower(), "x", ""]) | TEXT,
        st.sampled_from(["model", "语料采购", "?"]) | TEXT,
        st.sampled_from(["1", "0.01", "12.345", "-3", "1,000", "99999999999999999"]) | TEXT,
        st.sampled_from(["2025-01-01", "20250230", "2025/12/31"]) | TEXT,
    ),
    max_size=12,
)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=CELLS)
def test_any_contracts_file_keeps_every_good_row_and_explains_every_bad_one(
    tmp_path: Path, rows: list[tuple[str, ...]]
) -> None:
    import uuid

    here = tmp_path / uuid.uuid4().hex
    here.mkdir()
    path = write_csv(here / "contracts.csv", CON_HEADER, [list(r) for r in rows])
    settings = Settings(here / "data")
    report = import_file(settings, path, mapping="contracts")
    assert report.rows_accepted + report.rows_rejected == report.rows_read
    # A file whose every row is refused makes no snapshot (nothing was imported).
    stored = rows_of(settings, "contracts") if report.rows_accepted else []
    assert len(stored) == report.rows_accepted
    for row in stored:
        assert uscc.is_valid(row[0]) and uscc.is_valid(row[2])
        assert Decimal("0.01") <= row[4] <= Decimal(10**13)
    rejects = list(csv.reader(report.rejects_path.open(encoding="utf-8-sig")))[1:]
    assert all(r[5] for r in rejects)  # every reject has a reason
    assert len({int(r[1]) for r in rejects}) == report.rows_rejected


def test_the_persons_module_examples_run() -> None:
    import doctest

    result = doctest.testmod(persons)
    assert result.attempted and not result.failed


@pytest.mark.parametrize("typed", ["310101199001011041", "31010119900101204X"])
def test_a_resident_id_number_with_a_wrong_check_character_is_refused(
    tmp_path: Path, typed: str
) -> None:
    """Regression: an ID number with a mistyped digit (its GB 11643-1999 check character no
    longer matches) was stored as another person, so two enterprises with the same legal
    representative were not seen as related parties, and nothing was reported."""
    path = write_csv(
        tmp_path / "relations.csv",
        REL_HEADER,
        [
            [BUYER, "自然人", ID_NUMBER, "法定代表人", "", "2020-01-01", ""],
            [PARENT, "自然人", typed, "法定代表人", "", "2020-01-01", ""],
            [VENDOR, "自然人", "P-000123", "董事", "", "2020-01-01", ""],  # a registry's own key
        ],
    )
    report = import_file(Settings(tmp_path / "data"), path)
    assert (report.rows_accepted, report.rows_rejected) == (2, 1)
    assert report.messages == [
        "relations.csv, line 3, column '关联方标识' (field 'party'): a resident ID number's last"
        " character does not match its first 17 digits (GB 11643-1999 check): a digit was"
        " mistyped; correct the ID number from the registry and import the file again"
    ]
    assert typed[:10] not in " ".join(report.messages)


def _check_character(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first17=st.text(alphabet="0123456789", min_size=17, max_size=17),
    last=st.sampled_from("0123456789X"),
)
def test_only_an_id_number_whose_check_character_fits_is_kept(
    tmp_path_factory: pytest.TempPathFactory, first17: str, last: str
) -> None:
    tmp = tmp_path_factory.mktemp("ids")
    path = write_csv(
        tmp / "relations.csv",
        REL_HEADER,
        [[BUYER, "自然人", first17 + last, "法定代表人", "", "2020-01-01", ""]],
    )
    report = import_file(Settings(tmp / "data"), path)
    assert report.rows_accepted == (1 if last == _check_character(first17) else 0)


def test_two_legal_representatives_at_once_are_reported_and_every_row_kept(
    tmp_path: Path,
) -> None:
    """An enterprise holds one legal representative at a time; a file naming a second one
    from 2024 without ending the first imported without a word."""
    other_id = "110101198001010010"  # also a valid check character
    settings = Settings(tmp_path / "data")
    first = write_csv(
        tmp_path / "relations.csv",
        REL_HEADER,
        [
            [BUYER, "自然人", ID_NUMBER, "法定代表人", "", "2020-01-01", ""],
            [PARENT, "自然人", ID_NUMBER, "法定代表人", "", "2019-01-01", "2023-12-31"],
            [PARENT, "自然人", other_id, "法定代表人", "", "2024-01-01", ""],
            [BUYER, "自然人", other_id, "董事", "", "2020-01-01", ""],
        ],
    )
    report = import_file(settings, first)
    assert (report.rows_accepted, report.legal_rep_overlaps) == (4, 0)  # one after the other
    assert "Legal representatives" not in report.summary()

    second = write_csv(
        tmp_path / "relations-2024.csv",
        REL_HEADER,
        [[BUYER, "自然人", other_id, "法定代表人", "", "2024-03-01", ""]],
    )
    report = import_file(settings, second)
    assert (report.rows_accepted, report.rows_rejected) == (1, 0)  # kept
    assert report.legal_rep_overlaps == 1
    assert report.legal_rep_messages == [f"{BUYER}: from 2024-03-01, relations-2024.csv line(s) 2"]
    assert "hold two or more over the same days" in report.summary()
    held = [
        r
        for r in rows_of(settings, "relations")
        if r[0] == BUYER and r[3] == "legal_representative"
    ]
    assert len(held) == 2

    # Ending the first one the day before clears it.
    ended = write_csv(
        tmp_path / "relations-ended.csv",
        REL_HEADER,
        [[BUYER, "自然人", ID_NUMBER, "法定代表人", "", "2020-01-01", "2024-02-29"]],
    )
    assert import_file(settings, ended).legal_rep_overlaps == 0


def test_an_enterprise_named_as_its_own_party_or_seller_is_refused(tmp_path: Path) -> None:
    """Regression: a relation whose party is the enterprise itself (its own shareholder),
    and a contract whose seller is its buyer, were stored: a registry's slip that relates
    nothing. Each is refused on its row, saying so; the other rows are kept."""
    relations = write_csv(
        tmp_path / "relations.csv",
        REL_HEADER,
        [
            [BUYER, "企业", BUYER.lower(), "股东", "30", "2020-01-01", ""],
            [BUYER, "企业", PARENT, "股东", "30", "2020-01-01", ""],
        ],
    )
    contracts = write_csv(
        tmp_path / "contracts.csv",
        CON_HEADER,
        [
            [BUYER, "HT-1", f" {BUYER} ", "model", "10", "2025-05-01"],
            [BUYER, "HT-2", VENDOR, "model", "10", "2025-05-01"],
        ],
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, relations)
    assert (report.rows_accepted, report.rows_rejected) == (1, 1)
    assert report.messages == [
        "relations.csv, line 2, column '关联方标识' (field 'party'): an enterprise is not its own"
        " related party: the row names the enterprise itself as the other party; correct the"
        " party's code from the registry, or leave the row out"
    ]
    report = import_file(settings, contracts)
    assert (report.rows_accepted, report.rows_rejected) == (1, 1)
    assert report.messages[0].startswith(
        "contracts.csv, line 2, column '卖方统一社会信用代码' (field 'seller_uscc'): a contract's"
        " seller is its buyer: the row names the enterprise itself"
    )

"""Mapping files from outside: validated with file, line and column; a data directory's own
mappings are detected from the header; drafts match the dictionary and never import unconfirmed."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.errors import MappingError, NotFoundError
from huiqi.profiles.mapping_file import parse_mapping
from huiqi.profiles.mapping_finder import detect_mapping, get_mapping
from huiqi.profiles.mappingdraft import draft_mapping, draft_name

GOOD = """name: district-tax
registry: tax
layout: yearly
columns:
  纳税人识别号: uscc
  所属年度: year
  营业收入（万元）: revenue
units:
  revenue: wan_yuan
ignore: [序号]
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD.replace("revenue\nunits", "revenu\nunits"),
            "m.yaml, line 7, column 13: 'revenu' is not an importable dictionary field",
        ),
        (
            GOOD.replace("layout: yearly", "layout: yearl"),
            "m.yaml, line 3, column 9: layout 'yearl'",
        ),
        (GOOD.replace("registry: tax", "registry: taxes"), "m.yaml, line 2, column 11: registry"),
        (GOOD.replace("ignore:", "ignores:"), "m.yaml, line 10, column 10: unknown key 'ignores'"),
        (
            GOOD.replace("所属年度: year", "所属年度: null"),
            "m.yaml, line 6, column 9: header '所属年度' has no field yet",
        ),
        (
            GOOD.replace("  所属年度: year\n", ""),
            "m.yaml, line 5, column 3: a yearly mapping needs",
        ),
        (
            GOOD.replace("revenue: wan_yuan", "revenue: thousands"),
            "m.yaml, line 9, column 12: units: 'thousands' is not a unit name",
        ),
        ("name: a\nlayout: [x\n", "m.yaml, line 3, column 1: not valid YAML: expected ','"),
        # A list as a key ended in "TypeError: unhashable type: 'list'" (found by the
        # property below).
        ("[]:", "m.yaml, line 1, column 1: a key must be a name, not a list or a mapping"),
        (
            GOOD.replace("营业收入（万元）: revenue", "登记日期: registration_date"),
            "m.yaml, line 7, column 9: static field 'registration_date' cannot be in a yearly"
            " file; import the file's static columns with a second mapping of 'layout: static'",
        ),
        # A header in 万元 read as yuan stored amounts 10,000 times too small.
        (
            GOOD.replace("units:\n  revenue: wan_yuan\n", ""),
            "m.yaml, line 7, column 13: header '营业收入（万元）' gives its amounts in wan_yuan, but"
            " the mapping reads 'revenue' in yuan; write 'units: {revenue: wan_yuan}'",
        ),
        # A file mixing static and per-year columns (an office's list with a year): the
        # refusals said what was wrong but not what to write instead.
        (
            GOOD.replace("layout: yearly", "layout: static").replace("  所属年度: year\n", ""),
            "m.yaml, line 6, column 13: yearly field 'revenue' cannot be in a static file; write"
            " 'layout: yearly' and map the file's year column to 'year'",
        ),
        (
            GOOD.replace("layout: yearly", "layout: static").replace(
                "营业收入（万元）: revenue", "企业名称: name"
            ),
            "m.yaml, line 6, column 9: 'year' is the year column of a yearly file: write"
            " 'layout: yearly'",
        ),
        # Regression: a header both mapped and under 'ignore:' was imported while the
        # report said "Columns not imported: 营业收入（万元）".
        (
            GOOD.replace("ignore: [序号]", "ignore: [序号, 营业收入(万元)]"),
            "m.yaml, line 10, column 14: '营业收入(万元)' is under 'ignore:' and also feeds field"
            " 'revenue': a column is either imported or skipped",
        ),
        (
            GOOD.replace("ignore: [序号]", "aliases:\n  营收: revenue\nignore:\n  - 营收"),
            "m.yaml, line 13, column 5: '营收' is under 'ignore:' and also feeds field 'revenue': a"
            " column is either imported or skipped; remove it from 'ignore:' to import it, or"
            " from 'aliases:' to skip it",
        ),
    ],
)
def test_mapping_errors_say_file_line_and_column(text: str, expected: str) -> None:
    with pytest.raises(MappingError) as err:
        parse_mapping(text, "m.yaml")
    assert str(err.value).startswith(expected), str(err.value)


MARKET = """name: samr
registry: market
layout: static
columns:
  统一社会信用代码: uscc
  企业类型: registration_type
values:
  registration_type:
    有限责任公司（国有独资）: wholly_state_owned_company
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            MARKET.replace(": wholly_state_owned_company", ": state_company"),
            "m.yaml, line 9, column 19: values: '有限责任公司（国有独资）' of 'registration_type' "
            "maps to 'state_company', which is not one of",
        ),
        (
            MARKET.replace("有限责任公司（国有独资）", "国有企业"),
            "m.yaml, line 9, column 11: values: '国有企业' of 'registration_type' already means "
            "'state_owned'",
        ),
        (
            MARKET.replace("  registration_type:\n", "  uscc:\n"),
            "m.yaml, line 9, column 5: values: 'uscc' is not a coded field",
        ),
    ],
)
def test_value_translations_are_checked_against_the_code_list(text: str, expected: str) -> None:
    with pytest.raises(MappingError) as err:
        parse_mapping(text, "m.yaml")
    assert str(err.value).startswith(expected), str(err.value)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc: -[]{}\n\"'#?年度uscc")), max_size=80))
def test_any_text_is_a_mapping_or_a_located_mapping_error(text: str) -> None:
    try:
        parse_mapping(text, "m.yaml")
    except MappingError as exc:
        assert exc.location is not None and exc.location.file == "m.yaml"


def test_data_dir_mappings_are_detected_and_named(tmp_path: Path) -> None:
    folder = tmp_path / "mappings"
    folder.mkdir()
    (folder / "district-tax.yaml").write_text(GOOD, encoding="utf-8")
    headers = ["序号", "纳税人识别号", "所属年度", "营业收入(万元)"]

    assert detect_mapping("f.csv", headers, folder).name == "district-tax"
    assert get_mapping("district-tax", folder).units == {"revenue": "wan_yuan"}
    assert get_mapping("district-tax", folder).resolve("f.csv", headers) == {
        1: "uscc",
        2: "year",
        3: "revenue",
    }


def test_a_mapping_path_that_does_not_exist_is_not_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (qa1, 2026-12-05): '--mapping district-tax.yaml' run from another folder
    said "no mapping named 'district-tax.yaml'" (exit 1), as if a file's path were taken
    for a mapping's name; it is a file not found (exit 3) and says where it was looked for."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NotFoundError) as refused:
        get_mapping("district-tax.yaml", tmp_path / "mappings")
    assert refused.value.exit_code == 3
    assert str(refused.value).startswith(
        f"mapping file 'district-tax.yaml' does not exist (paths are read from {tmp_path});"
    )
    assert "'tax'" in str(refused.value)


def test_data_dir_mapping_may_not_take_a_built_in_name(tmp_path: Path) -> None:
    folder = tmp_path / "mappings"
    folder.mkdir()
    (folder / "mine.yaml").write_text(GOOD.replace("district-tax", "tax"), encoding="utf-8")
    with pytest.raises(MappingError, match=r"name 'tax' is already the name of mapping huiqi/"):
        get_mapping("tax", folder)


def test_draft_matches_names_labels_and_built_in_headers_and_marks_the_rest() -> None:
    headers = ["序号", "统一社会信用代码", "年度", "营业收入（万元）", "R&D expense", "tax_paid"]
    headers += ["经办人", "备注"]

    draft = draft_mapping(headers, name="x")

    assert (draft.layout, draft.registry, draft.unmatched) == ("yearly", "tax", ["经办人"])
    assert draft.skipped == ["序号", "备注"]  # every mapping skips them
    assert draft.columns == {
        "统一社会信用代码": "uscc",
        "年度": "year",
        "营业收入（万元）": "revenue",
        "R&D expense": "rd_expense",
        "tax_paid": "tax_paid",
        "经办人": None,
    }
    assert draft.units == {"revenue": "wan_yuan"}
    with pytest.raises(
        MappingError, match=r"line \d+, column \d+: header '经办人' has no field yet"
    ):
        parse_mapping(draft.to_yaml("f.csv"), "draft.yaml")
    confirmed = draft.to_yaml("f.csv").replace('"经办人": null', '"经办人": rd_expense_domestic')
    parsed = parse_mapping(confirmed, "draft.yaml")
    assert parsed.columns["经办人"] == "rd_expense_domestic"
    assert parsed.resolve("f.csv", headers) == {
        1: "uscc",
        2: "year",
        3: "revenue",
        4: "rd_expense",
        5: "tax_paid",
        6: "rd_expense_domestic",
    }


def test_draft_name_is_ascii_and_never_a_built_in_name() -> None:
    assert draft_name("区税务 Export 2025") == "export-2025"
    assert draft_name("tax") == "tax-office"
    assert draft_name("税务") == "office-layout"


@given(line=st.sampled_from([2, 3, 5, 6, 7, 9]), quoted=st.booleans())
def test_a_key_ended_by_a_full_width_colon_is_named_at_its_line(line: int, quoted: bool) -> None:
    """'"统一社会信用代码"： uscc' (a Chinese input method's colon) read "not valid YAML:
    expected <block end>, but found '<scalar>'", which names neither the line nor the cause."""
    lines = GOOD.split("\n")
    key, value = lines[line - 1].split(": ", 1)
    if quoted and key.strip() not in ("name", "registry", "layout", "revenue"):
        key = key.replace(key.strip(), f'"{key.strip()}"')
    lines[line - 1] = f"{key}：{value}"

    with pytest.raises(MappingError) as err:
        parse_mapping("\n".join(lines), "m.yaml")

    assert f"(line {line}: '：' is a full-width colon; write ':' and a space after the key)" in str(
        err.value
    ) or str(err.value).startswith(f"m.yaml, line {line}, column {len(key) + 1}: '：'")


@given(
    field=st.sampled_from(["revenue", "rd_expense", "insured_employees", "tax_paid"]),
    cut=st.integers(1, 3),
)
def test_a_misspelt_field_suggests_the_one_meant(field: str, cut: int) -> None:
    """'revenu' read only "is not an importable dictionary field; use a field of
    huiqi/profiles/dictionary.yaml", leaving the writer to search the dictionary."""
    wrong = field[:-cut]
    with pytest.raises(MappingError) as err:
        parse_mapping(GOOD.replace(": revenue\nunits", f": {wrong}\nunits"), "m.yaml")
    assert f"'{wrong}' is not an importable dictionary field (did you mean '" in str(err.value)
    assert f"did you mean '{field}'?" in str(err.value) or cut > 1


def test_draft_matches_english_headers_written_with_underscores():
    """'credit_code' and 'data_year' (a database export's column names) were drafted as
    'not matched', while 'Credit Code' and 'data year' matched: headers lose their spaces
    before comparison, but underscores became spaces."""
    draft = draft_mapping(
        ["credit_code", "data_year", "unified_social_credit_code", "R&D_expense"], name="x"
    )
    assert draft.columns == {
        "credit_code": "uscc",
        "data_year": "year",
        "unified_social_credit_code": None,  # a second USCC column
        "R&D_expense": "rd_expense",
    }


def test_draft_suggests_the_fields_an_unmatched_header_resembles():
    """A header worded a little differently from the dictionary ('研发人员数', '年末从业人员')
    was drafted as 'write the field it feeds' without a hint of the field names, which a
    new user has nowhere in the draft to find. The comment now names the closest fields;
    the column stays null until a person confirms."""
    draft = draft_mapping(
        ["统一社会信用代码", "年度", "研发人员数", "年末从业人员", "xyz"], name="x"
    )
    assert draft.columns["研发人员数"] is None and draft.columns["年末从业人员"] is None
    assert draft.how["研发人员数"].endswith("perhaps rd_staff (研发人员)")
    assert draft.how["年末从业人员"].endswith("perhaps employees (从业人员)")
    assert draft.how["xyz"].endswith("(docs/policies.md §12 lists them)")


@pytest.mark.parametrize(
    ("header", "sheet_unit", "unit"),
    [
        ("销售收入", "wan_yuan", "wan_yuan"),  # 单位：万元 above the header
        ("销售收入（亿元）", None, "yi_yuan"),  # the header's own unit
        ("销售收入（万元）", "yuan", "wan_yuan"),  # the header's own unit first
        ("销售收入", None, None),
        ("销售收入", "yuan", None),
    ],
)
def test_an_unmatched_column_in_another_unit_says_to_list_its_unit(
    header: str, sheet_unit: str | None, unit: str | None
) -> None:
    """A sheet declaring 单位：万元 above headers the draft could not match was drafted with
    no word of the unit: a steward who filled in 'revenue' as the README says had the
    import refused ("the sheet declares its amounts in wan_yuan, but mapping ... reads
    '销售收入' in yuan"). The comment on such a column now says what to add."""
    draft = draft_mapping(["统一社会信用代码", "年度", header], name="x", sheet_unit=sheet_unit)

    assert draft.columns[header] is None
    hint = f"; if it is an amount, it is in {unit}: list its field under units: as <field>: {unit}"
    assert draft.how[header].endswith(hint) if unit else "units:" not in draft.how[header]


def test_draft_leaves_the_name_column_of_another_registrys_list_to_a_person():
    """An office's list (绿色工厂名单: 企业名称, 统一社会信用代码, a qualification-like field)
    was drafted with 企业名称 → name, and importing it replaced the registered names that
    notices and disbursement files carry with the list's own short names."""
    draft = draft_mapping(["企业名称", "统一社会信用代码", "生产厂房层数"], name="x")
    assert (draft.registry, draft.columns["企业名称"]) == ("park", None)
    assert "registered name comes from the business registry" in draft.how["企业名称"]
    market = draft_mapping(["企业名称", "统一社会信用代码", "成立日期"], name="y")
    assert (market.registry, market.columns["企业名称"]) == ("market", "name")


def test_a_very_wide_sheet_that_fits_no_mapping_gets_a_short_error(tmp_path: Path) -> None:
    """Regression: a sheet 303 columns wide with the tax columns in the middle was refused
    with its 300 unknown headers listed twice in full (about 8,000 characters), which
    buried what to do; the lists now show their first 20 headers and how many more."""
    import csv

    from huiqi.config import Settings
    from huiqi.errors import ImportFileError
    from huiqi.profiles.importer import import_file

    extra = [f"附加列{i}" for i in range(300)]
    path = tmp_path / "wide.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [[*extra[:150], "统一社会信用代码", "年度", "营业收入(元)", *extra[150:]]]
        )
    with pytest.raises(ImportFileError) as refused:
        import_file(Settings(tmp_path / "data"), path)
    message = refused.value.message
    assert len(message) < 1500, message
    assert message.startswith(f"{path}: no mapping matches the headers ['附加列0', ")
    assert "'附加列19', … and 283 more]; the closest is 'tax' (3 of 303 headers)" in message
    assert f"'huiqi mapping new {path}'" in message
    with pytest.raises(ImportFileError) as named:
        import_file(Settings(tmp_path / "data"), path, mapping="tax")
    assert len(named.value.message) < 2500
    assert "'附加列19', … and 280 more] are not in mapping 'tax'" in named.value.message


@given(st.lists(st.text(max_size=5), max_size=60))
def test_a_header_list_is_shown_in_full_or_cut_with_a_count(headers: list[str]) -> None:
    from huiqi.profiles.mapping import SHOWN_HEADERS, headers_shown

    shown = headers_shown(headers)
    if len(headers) <= SHOWN_HEADERS:
        assert shown == str(headers)
    else:
        assert shown.startswith(str(headers[:SHOWN_HEADERS])[:-1])
        assert shown.endswith(f", … and {len(headers) - SHOWN_HEADERS} more]")


def test_a_contracts_draft_suggests_the_columns_of_a_contracts_file() -> None:
    """Regression: in a contracts file whose amount matched, the draft suggested
    "perhaps relocated_in_date (迁入日期) or registration_date (成立日期)" for 签约日期 and
    pointed at docs/policies.md §12, fields a contracts file cannot feed (mapping check
    refuses them); it now names the contracts layout's own columns."""
    headers = ["采购方信用代码", "合同号", "合同类别", "合同金额（万元）", "签约日期", "经办人"]
    draft = draft_mapping(headers, name="vendor-contracts")
    assert draft.layout == "contracts"
    assert draft.columns["合同金额（万元）"] == "amount"
    text = draft.to_yaml()
    assert "perhaps signed_on (签订日期)" in text
    assert "perhaps contract_id (合同编号)" in text
    assert "perhaps contract_type (合同类型)" in text
    assert "registration_date" not in text and "relocated_in_date" not in text
    assert (
        "write the column it feeds in a contracts file: one of uscc, contract_id,"
        " seller_uscc, contract_type, amount, signed_on"
    ) in text


def test_a_relations_draft_suggests_the_columns_of_a_relations_file() -> None:
    draft = draft_mapping(
        ["统一社会信用代码", "关联方类型", "股东名称或证件号", "持股比率", "开始日期"], name="r"
    )
    assert draft.layout == "relations"
    text = draft.to_yaml()
    assert "perhaps share_pct (持股比例" in text
    assert "perhaps valid_from (起始日期)" in text


def test_a_draft_knows_the_headers_registries_often_write_and_ignores_a_yearly_files_names():
    """Regression: 所属行业, 从业人数 and 注册区划 were drafted as unmatched, a yearly file's
    纳税人名称 as a null column to confirm, and a static column of a mixed file only as
    'not in a yearly file'."""
    static = draft_mapping(["统一社会信用代码", "单位名称", "所属行业", "所属区县"], name="s")
    assert [static.columns[h] for h in ("单位名称", "所属行业", "所属区县")] == [
        "name",
        "industry_class",
        "district_code",
    ]
    yearly = draft_mapping(
        ["统一社会信用代码", "纳税人名称", "年度", "从业人数", "成立日期"], name="y"
    )
    assert yearly.columns["从业人数"] == "employees" and "纳税人名称" in yearly.skipped
    assert "纳税人名称" not in yearly.columns
    assert "second, static mapping of the same file" in yearly.how["成立日期"]


def test_a_draft_no_field_of_which_names_a_registry_leaves_it_to_a_person() -> None:
    """Regression: a file of a USCC and headers nothing matched was drafted 'registry:
    market', claiming to be the business registry's; the draft now writes null with a
    comment, and the mapping refuses to load until a registry is written."""
    draft = draft_mapping(["统一社会信用代码", "奇怪列A"], name="odd")
    assert draft.registry is None
    text = draft.to_yaml("odd.csv")
    assert "registry: null  # ? no column says which registry this file is from: write one of" in (
        text
    )
    filled = text.replace('"奇怪列A": null', '"奇怪列A": plant_floors')
    with pytest.raises(MappingError) as err:
        parse_mapping(filled, "odd.yaml")
    assert str(err.value).startswith(
        "odd.yaml, line 8, column 11: 'registry' has no value yet: write the registry this"
        " file comes from, one of ['ai_platform',"
    )
    assert "park" in str(err.value) and "more problem" not in str(err.value)
    assert parse_mapping(filled.replace("registry: null", "registry: park"), "o.yaml").registry


@pytest.mark.parametrize(
    ("headers", "layout", "registry"),
    [
        (["统一社会信用代码", "生产厂房层数"], "static", "park"),  # the field's source
        (["统一社会信用代码", "年度", "出口额"], "yearly", "tax"),
        (["统一社会信用代码", "资质类型", "证书编号", "有效期起"], "qualifications", "science"),
        (["统一社会信用代码", "合同编号", "签订日期", "合同金额"], "contracts", "ai_platform"),
        (["统一社会信用代码", "年度"], "yearly", None),
    ],
)
def test_a_draft_names_the_registry_its_fields_come_from(
    headers: list[str], layout: str, registry: str | None
) -> None:
    draft = draft_mapping(headers, name="x")
    assert (draft.layout, draft.registry) == (layout, registry)


def test_a_draft_of_fields_from_several_registries_says_so_and_ties_go_to_the_first() -> None:
    """The registry was the most common source among a set of fields: a tie (one tax and
    one statistics field) went either way from run to run (string hashing), and nothing
    said the other registry's fields were there."""
    mixed = draft_mapping(
        ["统一社会信用代码", "年度", "营业收入", "从业人员", "研发费用"], name="m"
    )
    assert mixed.registry == "tax"
    assert "registry: tax  # the source of 2 of the 3 fields matched (statistics: 1); check it" in (
        mixed.to_yaml()
    )
    assert draft_mapping(
        ["统一社会信用代码", "年度", "从业人员", "营业收入"], name="t"
    ).registry == ("statistics")
    assert (
        draft_mapping(["统一社会信用代码", "年度", "营业收入", "从业人员"], name="t").registry
        == "tax"
    )
    one = draft_mapping(["统一社会信用代码", "年度", "营业收入"], name="o").to_yaml()
    assert "registry: tax\n" in one


@pytest.mark.parametrize(
    ("written", "meant"),
    [("科委", "science"), ("税务局", "tax"), ("统计局", "statistics"), ("Tax", "tax")],
)
def test_a_registry_written_by_its_chinese_name_says_which_to_write(
    written: str, meant: str
) -> None:
    """'registry: 科委' (the office's own name for the science commission) was refused with
    the list of registry codes alone, though the dictionary labels 'science' 科委."""
    with pytest.raises(MappingError) as err:
        parse_mapping(GOOD.replace("registry: tax", f"registry: {written}"), "m.yaml")
    assert f"registry '{written}' is not one of" in str(err.value)
    assert f"did you mean '{meant}'" in str(err.value), str(err.value)

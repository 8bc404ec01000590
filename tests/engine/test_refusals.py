"""The compiler's refusals: exact messages (they are interface) and exact locations.

Expressions are placed in the template of ``conftest.policy_yaml``; its criterion
``expr`` value sits at line 15, column 11 and the amount formula at line 16, column 19.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from engine_factories import compile_yaml, policy_yaml
from hypothesis import given
from hypothesis import strategies as st

from huiqi.engine.duckdb.evaluate import evaluate_in
from huiqi.engine.duckdb.profile_rows import load_profiles_into
from huiqi.engine.profile import RawProfile
from huiqi.errors import PolicyError, RuleCompileError
from huiqi.policies.loader import load_policy_text

DISTRICTS = (
    "310101, 310104, 310105, 310106, 310107, 310109, 310110, 310112, 310113, 310114,"
    " 310115, 310116, 310117, 310118, 310120, 310151"
)
NOT_ALLOWED = (
    "is not allowed in a rule: a rule is one expression over enterprise fields"
    " (no statements, subqueries, tables or other SQL)"
)
FUNCTIONS = (
    "COALESCE, ABS, GREATEST, LEAST, IF, holds, recognised_in, years_since, has_tag,"
    " contract_total, unrelated_contract_total, related_contract, group_total"
)
NOT_PART = "is not part of the rule language (see docs/policies.md §4 for what a rule may contain)"
DOT = (
    "'.' is not part of the rule language: refer to fields by their name only (no table,"
    " no '.'); write numbers as 0.5, not .5"
)
QUOTED = 'write field names without quotes (revenue, not "{}"); text values take single quotes'
SEMICOLON = "';' is not part of the rule language: a rule is exactly one expression; remove the ';'"


def refusal(expr: str) -> RuleCompileError:
    with pytest.raises(RuleCompileError) as info:
        compile_yaml(policy_yaml([("c", expr)]))
    return info.value


NEVER_CLOSED = "is never closed; add '{}' where its part of the expression ends"
CLOSES_NOTHING = "closes no '{}' before it; remove it, or open its group where it starts"
CRITERION_REFUSALS = [
    # brackets and quotes, at the one that is open or stray (regression, QA 2026-12-02:
    # "expected )" with no position)
    ("(revenue > 0", f"this '(' {NEVER_CLOSED.format(')')} (at character 1 of the expression)"),
    (
        "revenue > 0 AND (employees > (1 + 2)",
        f"this '(' {NEVER_CLOSED.format(')')} (at character 17 of the expression)",
    ),
    ("revenue[-1 > 0", f"this '[' {NEVER_CLOSED.format(']')} (at character 8 of the expression)"),
    (
        "revenue > 0 AND (employees > 1))",
        f"this ')' {CLOSES_NOTHING.format('(')} (at character 32 of the expression)",
    ),
    (
        "district_code = 'a''b' OR district_code = 'c",
        "cannot read the expression: this quote opens a text that is never closed; add the"
        " closing ' (a quote inside the text is written twice: '') (at character 43 of the"
        " expression)",
    ),
    # unknown fields
    (
        "revnue > 0",
        "unknown field 'revnue'; did you mean 'revenue'? (at character 1 of the expression)",
    ),
    (
        "zzzz > 0",
        "unknown field 'zzzz'; see the data dictionary (at character 1 of the expression)",
    ),
    (
        "uscc = 'x'",
        "'uscc' identifies the enterprise and cannot be tested by a rule (at character 1 of the expression)",
    ),
    # types
    (
        "revenue > 'a'",
        "cannot compare decimal with string in 'revenue > 'a'' (at character 11 of the expression)",
    ),
    (
        "revenue AND TRUE",
        "AND needs a boolean value but 'revenue' is decimal (at character 1 of the expression)",
    ),
    (
        "TRUE OR employees",
        "OR needs a boolean value but 'employees' is integer (at character 9 of the expression)",
    ),
    ("revenue", "a criterion must be true or false, but this expression is decimal"),
    # Regression: a bare qualification inside AND/OR/NOT, and a tag compared with '=', were
    # refused without saying what to write, as a bare qualification criterion is told.
    (
        "holds(high_tech) AND high_tech",
        "AND needs a boolean value but 'high_tech' is qualification (use holds(...) to test a"
        " qualification) (at character 22 of the expression)",
    ),
    (
        "tags = 'ai'",
        "cannot compare tags with string in 'tags = 'ai''; test a tag with has_tag(tags, 'ai')"
        " (at character 8 of the expression)",
    ),
    (
        "high_tech",
        "a criterion must be true or false, but this expression is qualification (use holds(...) to test a qualification)",
    ),
    (
        "district_code = '999'",
        f"'999' is not a code of districts; allowed: {DISTRICTS} (at character 17 of the expression)",
    ),
    (
        "size_class IN ('small', 'tiny')",
        "'tiny' is not a code of size_classes; allowed: large, medium, micro, small (at character 25 of the expression)",
    ),
    (
        "revenue[1] > 0",
        "offset [1] looks past the policy's data year; use 0 or a negative number (at character 9 of the expression)",
    ),
    (
        "revenue[-11] > 0",
        "offset [-11] goes back more than 10 years (at character 1 of the expression)",
    ),
    (
        "founder_age[-1] > 0",
        "'founder_age' is not a yearly field; write it without [..] (at character 1 of the expression)",
    ),
    (
        "registration_date + 1 > as_of",
        "cannot compute date + integer in 'registration_date + 1'; add numbers to numbers, or an INTERVAL to a date (registration_date + INTERVAL 3 YEAR) (at character 21 of the expression)",
    ),
    (
        "holds(employees)",
        "'employees' is not a qualification; qualifications: high_tech, tech_sme, innovative_sme, srdi_sme, little_giant, advanced_service, iso9001, iso14001, iso45001 (at character 7 of the expression)",
    ),
    (
        "holds(high_tech, registration_date)",
        "this date must be a constant: DATE 'YYYY-MM-DD' or as_of (at character 18 of the expression)",
    ),
    (
        "years_since(revenue) > 1",
        "usage: years_since(date): whole years from the date to the policy's as_of date (at character 1 of the expression)",
    ),
    # forbidden constructs
    ("revenue > (SELECT 1)", f"'SELECT' {NOT_PART} (at character 12 of the expression)"),
    ("SELECT 1", f"'SELECT' {NOT_PART} (at character 1 of the expression)"),
    ("DROP TABLE enterprises", f"'DROP' {NOT_PART} (at character 1 of the expression)"),
    ("revenue IN (SELECT 1)", f"'SELECT' {NOT_PART} (at character 13 of the expression)"),
    ("EXISTS (SELECT 1)", f"'EXISTS' {NOT_PART} (at character 1 of the expression)"),
    ("e.revenue > 0", f"{DOT} (at character 2 of the expression)"),
    (
        '"enterprises"."revenue" > 0',
        f"{QUOTED.format('enterprises')} (at character 1 of the expression)",
    ),
    ('"enterprises" = 1', f"{QUOTED.format('enterprises')} (at character 1 of the expression)"),
    ('"revenue" > 0', f"{QUOTED.format('revenue')} (at character 1 of the expression)"),
    (
        "pg_sleep(1)",
        f"function 'pg_sleep' is not allowed; allowed functions: {FUNCTIONS} (at character 1 of the expression)",
    ),
    (
        "read_csv('x') = 1",
        f"function 'read_csv' is not allowed; allowed functions: {FUNCTIONS} (at character 1 of the expression)",
    ),
    (
        "* > 0",
        "'*' without a number on each side is not allowed in a rule: a rule is one expression"
        " over enterprise fields (no statements, subqueries, tables or other SQL)"
        " (at character 1 of the expression)",
    ),
    (
        "count(*) > 0",
        f"function 'count' is not allowed; allowed functions: {FUNCTIONS} (at character 1 of the expression)",
    ),
    (
        "CAST(revenue AS VARCHAR) = '1'",
        f"function 'CAST' is not allowed; allowed functions: {FUNCTIONS} (at character 1 of the expression)",
    ),
    # several statements
    ("revenue > 0; DROP TABLE enterprises", f"{SEMICOLON} (at character 12 of the expression)"),
    ("revenue > 0; SELECT 1", f"{SEMICOLON} (at character 12 of the expression)"),
]


@pytest.mark.parametrize(
    ("expr", "message"), CRITERION_REFUSALS, ids=[c[0] for c in CRITERION_REFUSALS]
)
def test_criterion_refusal_message_is_exact(expr: str, message: str) -> None:
    err = refusal(expr)
    assert err.message == f"criterion 'c': {message}"


@pytest.mark.parametrize("expr", [c[0] for c in CRITERION_REFUSALS])
def test_criterion_refusal_points_at_the_expression(expr: str) -> None:
    loc = refusal(expr).location
    assert loc is not None
    assert (loc.file, loc.line, loc.column, loc.field) == ("test.yaml", 15, 11, "criteria[0].expr")


AMOUNT_REFUSALS = [
    (
        "revenue / 2",
        "amount formula: an amount formula cannot divide: division gives a binary fraction and"
        " money must be exact; write rates as multipliers (0.3 * model_contract) or test ratios"
        " in criteria",
    ),
    (
        "COALESCE(revenue / employees, 0)",
        "amount formula: an amount formula cannot divide: division gives a binary fraction and"
        " money must be exact; write rates as multipliers (0.3 * model_contract) or test ratios"
        " in criteria",
    ),
    ("name", "amount formula: an amount formula must be a number of yuan, but this is string"),
    (
        "revenue > 0",
        "amount formula: an amount formula must be a number of yuan, but this is boolean",
    ),
]


@pytest.mark.parametrize(
    ("formula", "message"), AMOUNT_REFUSALS, ids=[a[0] for a in AMOUNT_REFUSALS]
)
def test_amount_refusal_message_and_location(formula: str, message: str) -> None:
    with pytest.raises(RuleCompileError) as info:
        compile_yaml(policy_yaml(formula=formula))
    loc = info.value.location
    assert info.value.message == message
    assert loc is not None
    assert (loc.line, loc.column, loc.field) == (16, 19, "amount.formula")


INJECTION_LITERALS = [
    "x' OR 1=1 --",
    "x'; DROP TABLE enterprises; --",
    "a */ OR TRUE /* b",
    "back\\slash",
    "双'引号\"混合",
]


@pytest.mark.parametrize("value", INJECTION_LITERALS)
def test_string_literal_with_quotes_stays_one_escaped_literal(value: str) -> None:
    literal = "'" + value.replace("'", "''") + "'"
    cp = compile_yaml(policy_yaml([("c", f"name = {literal}")]))
    con = duckdb.connect()
    assert con.execute(f"SELECT {literal}").fetchone() == (value,)
    assert cp.criteria[0].sql("duckdb") == f'"name" = {literal}'
    usccs = ("91310115MA1K000001", "91310115MA1K000002")
    load_profiles_into(
        con,
        [RawProfile(usccs[0], {"name": value}), RawProfile(usccs[1], {"name": "other"})],
    )
    results = {e.uscc: e.values for e in evaluate_in(con, [cp])}
    assert results == {usccs[0]: (True,), usccs[1]: (False,)}
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {"enterprises", "enterprise_years", "qualifications"} <= tables
    assert con.execute("SELECT count(*) FROM enterprises").fetchone() == (2,)


# ---------------------------------------------------------------- policy-level refusals

BASE = policy_yaml()


def policy_refusal(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        load_policy_text(text, "p.yaml")
    return info.value


POLICY_REFUSALS = [
    (
        "wrong delivery value",
        BASE.replace("delivery: auto", "delivery: sometimes"),
        "Input should be 'auto', 'confirm' or 'apply'",
        (10, 11, "delivery"),
    ),
    (
        "missing field",
        BASE.replace("department: {zh: 测试局, en: Test bureau}\n", ""),
        "'department' is required here",
        (1, 1, "department"),
    ),
    (
        "unknown top-level key",
        BASE + "colour: blue\n",
        "'colour' is not a policy field; see docs/policies.md for the fields",
        (17, 9, "colour"),
    ),
    (
        "duplicate key",
        BASE + "version: 2\n",
        "key 'version' appears twice; keep one",
        (17, 1, None),
    ),
    (
        "bad yaml: unclosed list",
        BASE + "tags: [a,\n",
        "not valid YAML: expected the node content, but found '<stream end>'",
        (18, 1, None),
    ),
    (
        "bad yaml: mapping in a scalar",
        BASE.replace("level: city", "level: city: x"),
        "not valid YAML: mapping values are not allowed here (indent this key as the keys"
        " beside it are, or put a value that holds ': ' in quotes)",
        (5, 12, None),
    ),
    (
        "region outside shanghai",
        BASE.replace('region: "310000"', 'region: "110000"'),
        "region '110000' must be a 6-digit Shanghai division code (310000 city)",
        (6, 9, "region"),
    ),
    (
        # Regression: the field was named 'criteria.0.label' here but 'criteria[0].expr' by
        # the compiler and in docs/policies.md.
        "criterion without a label",
        BASE.replace("    label: {zh: c, en: c}\n", ""),
        "'label' is required here",
        (13, 5, "criteria[0].label"),
    ),
    ("empty file", "", "the file is empty", (1, 1, None)),
    (
        "not a mapping",
        "- a\n",
        "a policy file is a mapping of fields (id:, version:, ...)",
        (1, 1, None),
    ),
    (
        # Regression: a mapping beside the policies ('huiqi policy test FOLDER') got 18 lines
        # of "'id' is required here", "'columns' is not a policy field" ...
        "an import mapping in a policy folder",
        "name: green\nregistry: economy\nlayout: static\ncolumns:\n  统一社会信用代码: uscc\n",
        "this is an import mapping file (columns:, layout:), not a policy: check it with"
        " 'huiqi mapping check FILE', and keep it out of the folders of policy files",
        (1, 1, None),
    ),
    (
        "a data dictionary in a policy folder",
        "fields:\n  - name: green_factory_level\n    type: boolean\n",
        "this is a data dictionary (fields:), not a policy: check it with"
        " 'huiqi dictionary check', and keep it out of the folders of policy files",
        (1, 1, None),
    ),
]


@pytest.mark.parametrize(
    ("case", "text", "message", "where"), POLICY_REFUSALS, ids=[p[0] for p in POLICY_REFUSALS]
)
def test_policy_refusal_gives_message_file_line_and_column(
    case: str, text: str, message: str, where: tuple[int, int, str | None]
) -> None:
    err = policy_refusal(text)
    assert err.message == message
    assert err.location is not None
    assert (err.location.file, err.location.line, err.location.column, err.location.field) == (
        "p.yaml",
        *where,
    )


def test_attested_criterion_in_auto_policy_is_refused_with_its_message() -> None:
    err = policy_refusal(policy_yaml(attested=("signed",)))
    assert err.message == (
        "delivery 'auto' (免申即享) is impossible with an attested criterion: the enterprise"
        " must confirm it; use delivery 'confirm' or 'apply'"
    )


def test_attested_criterion_in_auto_policy_points_at_delivery() -> None:
    """Regression: whole-policy checks reported line 1, column 1, field '(top level)'."""
    err = policy_refusal(policy_yaml(attested=("signed",)))
    assert err.location is not None
    assert (err.location.line, err.location.column, err.location.field) == (10, 11, "delivery")


# Characters a Chinese input method types in place of the rule language's ASCII ones.
_FULL_WIDTH = {
    ">": "＞",
    "<": "＜",
    "=": "＝",
    "(": "（",
    ")": "）",
    ",": "，",
    "'": "‘",
    "0": "０",
    "5": "５",
    "*": "＊",
    "-": "－",
}


@given(
    data=st.data(),
    expr=st.sampled_from(
        [
            "employees >= 10",
            "size_class IN ('small', 'micro')",
            "LEAST(employees, 8) * 12 <= 500",
            "employees - 5 > 0",
            "district_code = '310115' AND employees >= 10",
        ]
    ),
)
def test_a_full_width_character_is_named_with_the_ascii_one_to_type(
    data: st.DataObject, expr: str
) -> None:
    """'＞' is not part of the rule language" did not tell the author that the input method
    was in Chinese mode; '（' was even reported as "IN takes a list in parentheses"."""
    inside = [expr[:i].count("'") % 2 == 1 and ch != "'" for i, ch in enumerate(expr)]
    places = [i for i, ch in enumerate(expr) if ch in _FULL_WIDTH and not inside[i]]
    i = data.draw(st.sampled_from(places))
    wrong = expr[:i] + _FULL_WIDTH[expr[i]] + expr[i + 1 :]
    shown = "quote '" if expr[i] == "'" else f"'{expr[i]}'"

    message = str(refusal(wrong))

    assert (
        f"'{_FULL_WIDTH[expr[i]]}' is a full-width (Chinese) character; write the ASCII {shown}"
        f" instead (switch the input method to English for rules) (at character {i + 1} of"
        " the expression)"
    ) in message


def test_full_width_text_inside_a_quoted_value_stays_allowed() -> None:
    compile_yaml(policy_yaml([("c", "name <> '上海（集团）有限公司，１号'")]))


@given(line=st.integers(1, BASE.count("\n")))
def test_a_key_ended_by_a_full_width_colon_is_named_on_its_line(line: int) -> None:
    """'delivery：confirm' (a Chinese input method's colon) read "not valid YAML: could not
    find expected ':'" at the start of the next line, which says nothing of the cause."""
    lines = BASE.split("\n")
    key = lines[line - 1]
    if ": " not in key or key.startswith(" "):
        return
    lines[line - 1] = key.replace(": ", "：", 1)

    err = policy_refusal("\n".join(lines))

    assert "'：' is a full-width colon" in err.message
    assert "write ':' and a space after the key" in err.message
    assert err.location is not None
    if err.location.line != line:  # YAML failed further down: the hint names the line
        assert f"(line {line}: " in err.message


@given(
    wan=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10**6), places=2),
    key=st.sampled_from(["budget", "per_enterprise_cap"]),
    unit=st.sampled_from(["万", "万元", "亿"]),
)
def test_an_amount_in_wan_yuan_is_refused_with_the_figure_in_yuan(
    wan: Decimal, key: str, unit: str
) -> None:
    """'budget: 100万' read "Input should be a valid decimal", which does not say that
    amounts are written in yuan, nor what to write."""
    err = policy_refusal(BASE + f"{key}: {wan}{unit}\n")

    yuan = wan * (100_000_000 if unit == "亿" else 10_000)
    assert err.message == (
        "Input should be a valid decimal; amounts in a policy file are plain numbers of yuan:"
        f" write {yuan.normalize():f} for {wan}{unit}"
    )
    assert err.location is not None
    assert (err.location.line, err.location.field) == (BASE.count("\n") + 1, key)


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("48,000", "write the number without thousands separators: 48000"),
        ("50%", "amounts in a policy file are yuan, not percentages; a rate belongs in the"),
        ("lots", "write an amount of yuan as plain digits, e.g. 5000000 for 500万元"),
    ],
)
def test_an_amount_that_is_not_a_number_says_what_to_write(value: str, hint: str) -> None:
    assert hint in policy_refusal(BASE + f"budget: {value}\n").message


@pytest.mark.parametrize(
    ("old", "new", "shape"),
    [
        # (A text written as a plain string is its Chinese: test_chinese_only_texts.py.)
        ("title: {zh: 测试, en: Test}", "title: 123", "{zh: 中文, en: English}"),
        (
            "department: {zh: 测试局, en: Test bureau}",
            "department: [测试局]",
            "{zh: 中文, en: English}",
        ),
        ("source: {document: 测试文件}", "source: 测试文件", "{document: 《文件名》（文号）"),
    ],
)
def test_a_plain_text_where_a_mapping_belongs_shows_the_mapping(
    old: str, new: str, shape: str
) -> None:
    """'title: 测试' read "Input should be a valid dictionary or instance of Text": the
    writer of a policy knows no class Text."""
    assert old in BASE
    message = policy_refusal(BASE.replace(old, new)).message
    assert f"; write {'a text in both languages: ' if 'zh' in shape else ''}" in message
    assert shape in message


@given(
    case=st.sampled_from(
        [
            ("delivery: auto", "delivery", "免申即享", "auto"),
            ("delivery: auto", "delivery", "直达快享", "confirm"),
            ("delivery: auto", "delivery", "申报", "apply"),
            ("delivery: auto", "delivery", "Confirm", "confirm"),
            ("level: city", "level", "市级", "city"),
            ("level: city", "level", "CITY", "city"),
        ]
    )
)
def test_a_coded_value_in_chinese_or_another_case_names_the_code(
    case: tuple[str, str, str, str],
) -> None:
    """'delivery: 直达快享' read only "Input should be 'auto', 'confirm' or 'apply'": the
    writer knows the policy's mode by its Chinese name (BRIEF glossary)."""
    old, key, given_value, meant = case
    err = policy_refusal(BASE.replace(old, f"{key}: {given_value}"))
    assert err.message.endswith(f": write '{meant}'")
    assert err.location is not None and err.location.field == key

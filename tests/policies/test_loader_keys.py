"""A misspelt key in a policy file is named with the field it was meant to be."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.errors import PolicyError
from huiqi.policies.loader import library_dir, load_policy_text

SHIPPED = library_dir() / "yp-tech-sme-award-2026.yaml"
TEXT = SHIPPED.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("\ndelivery:", "\ndelivry:", "'delivry' is not a policy field; did you mean 'delivery'?"),
        ("    expr:", "    exprr:", "'exprr' is not a policy field; did you mean 'expr'?"),
        ("  cap: 50000", "  cpa: 50000", "'cpa' is not a policy field; did you mean 'cap'?"),
    ],
)
def test_a_misspelt_key_is_named_with_the_field_it_resembles(old: str, new: str, says: str) -> None:
    """Regression: 'delivry: auto' was refused as "'delivery' is required here" at line 1,
    column 1, then "'delivry' is not a policy field" with no hint, although rule fields and
    test profiles already suggest the close name."""
    text = TEXT.replace(old, new, 1)
    assert text != TEXT
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text, SHIPPED.name)
    found = [refused.value, *refused.value.more]
    assert any(says in e.message for e in found), [e.message for e in found]
    missing = [e for e in found if "is required here" in e.message]
    assert all("a misspelling of it?" in e.message for e in missing)


def test_a_key_like_no_field_gets_no_suggestion() -> None:
    text = TEXT.replace("\ndelivery:", "\nfrobnicate: 1\ndelivery:", 1)
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text, SHIPPED.name)
    assert refused.value.message == (
        "'frobnicate' is not a policy field; see docs/policies.md for the fields"
    )


def test_a_pro_rata_pool_without_a_budget_is_refused_at_its_line() -> None:
    """Regression: 'budget_mode: pro_rata' with no budget loaded, linted and published,
    and then granted every claim in full as first come: the setting did nothing."""
    text = TEXT + "budget_mode: pro_rata\n"
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text, SHIPPED.name)
    assert "has no budget: set 'budget'" in refused.value.message
    assert refused.value.location is not None
    assert refused.value.location.line == text.count("\n")
    load_policy_text(text + "budget: 1000000\n", SHIPPED.name)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Tech SME award (2026, example)", "example)"),
        ("Tech SME award, Yangpu", "Yangpu"),
        ("Award for SMEs, R&D", "R&D"),
    ],
)
def test_a_comma_in_flow_text_is_named_whatever_follows_it(text: str, key: str) -> None:
    """Regression: 'en: Example (2026, example)' inside { … } was refused as "'example)' is
    not a policy field" without the hint about commas, which only a part holding a space
    ("Technology and Economy") got: the author was left looking for a field 'example)'."""
    lines = TEXT.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    lines[at] = f"title: {{zh: 示例, en: {text}}}\n"
    with pytest.raises(PolicyError) as refused:
        load_policy_text("".join(lines), SHIPPED.name)
    assert refused.value.message == (
        f"'{key}' is not a policy field; see docs/policies.md for the fields; inside {{ … }} a"
        ' comma ends the value: put a text that contains a comma in quotes ("…, …")'
    )
    assert refused.value.location is not None
    assert refused.value.location.line == at + 1


def test_a_misspelt_key_without_a_value_gets_no_comma_hint() -> None:
    text = TEXT.replace("    expr:", "    margn:\n    expr:", 1)
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text, SHIPPED.name)
    found = [refused.value, *refused.value.more]
    assert any(e.message == "'margn' is not a policy field; did you mean 'margin'?" for e in found)
    assert not any("a comma ends the value" in e.message for e in found)


def test_a_missing_key_is_never_said_to_be_a_misspelling_of_another_field() -> None:
    """Regression: 'valid_until:' for 'valid_to:' gave first "'valid_to' is required here; is
    'valid_from' a misspelling of it?", valid_from being right where it was."""
    text = TEXT.replace("\nvalid_to:", "\nvalid_until:", 1)
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text, SHIPPED.name)
    said = [e.message for e in (refused.value, *refused.value.more)]
    required = next(m for m in said if "'valid_to' is required here" in m)
    assert "valid_from" not in required and "is 'valid_until' a misspelling of it?" in required


def test_an_operator_missing_its_value_is_placed_in_the_expression() -> None:
    """Regression: 'rd_expense >= >= 1000000' said an operator lacked a value, but not where,
    unlike every other expression error."""
    from huiqi.engine.compile.parse import parse_rule
    from huiqi.engine.compile.scan import CheckError

    with pytest.raises(CheckError) as refused:
        parse_rule("rd_expense >= >= 1000000")
    assert refused.value.offset == 11


def test_a_district_policy_names_one_of_the_sixteen_districts() -> None:
    """Regression (helper, session 30): region 310199 was accepted; the policy then matched
    no enterprise and reached no district officer's scope, without a word."""
    region = next(line for line in TEXT.splitlines() if line.startswith("region:"))
    for code in ("310199", "310102", "310100"):  # no district, a retired one, the city's
        text = TEXT.replace(region, f'region: "{code}"', 1)
        with pytest.raises(PolicyError) as refused:
            load_policy_text(text, SHIPPED.name)
        found = [refused.value, *refused.value.more]
        assert any(
            f"region '{code}' is not one of Shanghai's 16 districts" in e.message
            and "310115" in e.message
            and e.location.line == TEXT.splitlines().index(region) + 1
            for e in found
        ), [(e.message, e.location) for e in found]
    load_policy_text(TEXT.replace(region, 'region: "310151"', 1), SHIPPED.name)  # 崇明


@pytest.mark.parametrize(
    ("written", "number"),
    [("1,234", "1234"), ("1,234,000.50, employees: 3", "1234000.50"), ("12,345,678", "12345678")],
)
def test_a_grouped_number_in_a_flow_profile_says_to_drop_the_separators(
    written: str, number: str
) -> None:
    """Regression: 'profile: {revenue: 1,234}' was refused as "YAML read 234 as a number;
    put a code in quotes": the comma had split the number into keys, and quoting "234"
    only led to "'234' is not in the data dictionary"."""
    lines = TEXT.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("profile:"))
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    lines[at] = f"{indent}profile: {{revenue: {written}}}\n"
    with pytest.raises(PolicyError) as refused:
        load_policy_text("".join(lines), SHIPPED.name)
    assert refused.value.message.startswith(
        f"Input should be a valid string; write the number without thousands separators: {number}"
    )
    assert refused.value.location is not None
    assert refused.value.location.line == at + 1


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("failing: [first_entry]", "failing: first_entry", "[first_entry]"),
        ("\namount:", "\ntags: 科技\namount:", "[科技]"),
    ],
)
def test_one_item_where_a_list_belongs_says_to_write_the_list(
    old: str, new: str, says: str
) -> None:
    """Regression: 'failing: first_entry' was refused as "Input should be a valid list" alone."""
    assert old in TEXT
    with pytest.raises(PolicyError) as refused:
        load_policy_text(TEXT.replace(old, new, 1), SHIPPED.name)
    assert refused.value.message == (
        f"Input should be a valid list; write a list in brackets: {says}"
    )


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (
            "\ndelivery: auto",
            "\ndelivery: auto\nbudget: 1000000\nbudget_mode: prorata",
            "Input should be 'first_come' or 'pro_rata': write 'pro_rata'",
        ),
        (
            "\ndelivery: auto",
            "\ndelivery: auto\nbudget_mode: first-come",
            "Input should be 'first_come' or 'pro_rata': write 'first_come'",
        ),
        (
            "status: not_eligible",
            "status: not-eligible",
            "Input should be 'eligible', 'near_miss', 'needs_data' or 'not_eligible':"
            " write 'not_eligible'",
        ),
        (
            "status: not_eligible",
            "status: Near Miss",
            "Input should be 'eligible', 'near_miss', 'needs_data' or 'not_eligible':"
            " write 'near_miss'",
        ),
    ],
)
def test_a_choice_spelt_another_way_says_the_spelling_to_write(
    old: str, new: str, says: str
) -> None:
    """Regression: 'budget_mode: prorata' and 'status: near-miss' were refused with the
    list of allowed values only, while 'delivery: Confirm' or '直达快享' already said
    which to write."""
    text = TEXT.replace(old, new, 1)
    assert text != TEXT
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text, SHIPPED.name)
    assert any(says in e.message for e in [refused.value, *refused.value.more])


@given(
    mode=st.sampled_from(["first_come", "pro_rata"]),
    joins=st.lists(st.sampled_from(["-", " ", "_", "  "]), min_size=1, max_size=1),
    upper=st.booleans(),
)
def test_any_case_and_separator_of_a_budget_mode_names_it(
    mode: str, joins: list[str], upper: bool
) -> None:
    written = mode.replace("_", joins[0])
    written = written.upper() if upper else written
    text = TEXT.replace(
        "\ndelivery: auto", f"\ndelivery: auto\nbudget: 1000000\nbudget_mode: '{written}'", 1
    )
    try:
        load_policy_text(text, SHIPPED.name)
    except PolicyError as refused:
        messages = [e.message for e in [refused, *refused.more]]
        assert any(f"write '{mode}'" in m for m in messages), messages
    else:
        assert written == mode


@pytest.mark.parametrize(
    ("failing", "says"),
    [
        (
            "[first_entry，does_rd]",
            "names unknown criterion 'first_entry，does_rd'; '，' is a full-width comma:"
            " separate the ids with ', '",
        ),
        ("[first_entry、does_rd]", "'、' is a full-width comma: separate the ids with ', '"),
        ("[first_entri]", "names unknown criterion 'first_entri'; did you mean 'first_entry'?"),
    ],
)
def test_an_unknown_criterion_in_a_test_case_says_what_it_likely_is(
    failing: str, says: str
) -> None:
    """Regression: 'failing: [a，b]' (a Chinese comma, which YAML does not split on) was
    refused as naming the unknown criterion 'a，b', and a misspelt id with no hint."""
    text = TEXT.replace("failing: [first_entry]", f"failing: {failing}", 1)
    assert text != TEXT
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text, SHIPPED.name)
    assert says in refused.value.message, refused.value.message


@given(
    ids=st.lists(st.sampled_from(["in_yangpu", "first_entry", "does_rd"]), min_size=2, max_size=3),
    comma=st.sampled_from(["，", "、"]),
)
def test_ids_joined_by_any_chinese_comma_are_named_as_such(ids: list[str], comma: str) -> None:
    text = TEXT.replace("failing: [first_entry]", f"failing: [{comma.join(ids)}]", 1)
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text, SHIPPED.name)
    assert f"'{comma}' is a full-width comma" in refused.value.message

"""What the draft editor lists about a policy's text, as catalogue templates: the loader's
and the model's refusals (YAML, fields, types, dates), the rule compiler's, the linter's
warnings and the failures of the policy's own test cases. Read with the services'
refusals (:mod:`huiqi.web.refusals`), after the ledger's texts.

Many of these texts are a frame around another text ("criterion 'x': …", "not valid
YAML: …", "… (2 more problems after this one)"): the frame's value ``%(detail)s`` is
translated in its turn, and ``%(details)s`` part by part ("…; …"), so a frame and each
text it can hold are listed once."""

from __future__ import annotations

import re

from huiqi.web.i18n import N_
from huiqi.web.patterns import refusal

_WORD = {"value": r"[^']*", "name": r"[^']+"}  # a value or a name inside '…'
_FIGURE = r"-?[\d.]+"

# Frames: a text in a text (listed first, so that a frame is read before its content).
POLICY_TEXTS: list[tuple[re.Pattern[str], str]] = [
    refusal(N_("%(detail)s (%(n)s more problem after this one)")),
    refusal(N_("%(detail)s (%(n)s more problems after this one)")),
    refusal(N_("not valid YAML: %(detail)s")),
    refusal(N_("line %(line)s: %(detail)s")),
    refusal(N_("criterion '%(name)s': %(detail)s (at character %(n)s of the expression)"), **_WORD),
    refusal(N_("amount formula: %(detail)s (at character %(n)s of the expression)")),
    refusal(N_("criterion '%(name)s': %(detail)s"), **_WORD),
    refusal(N_("amount formula: %(detail)s")),
    # What a rule's text is about, as the ledger's texts name it ("%(what)s: unknown field").
    refusal(N_("criterion '%(name)s'"), **_WORD),
    refusal(N_("test case '%(name)s': %(detail)s"), name=r".+?"),
    # A test case that fails: "<file>: case '<name>': <what differs>; <what differs>".
    refusal(N_("%(file)s: case '%(name)s': %(details)s"), name=r".+?"),
    # Hints the loader adds to what YAML or validation says.
    refusal(N_("%(detail)s (indent with spaces: YAML does not allow tabs)")),
    refusal(
        N_(
            "%(detail)s (this line is indented differently from the lines of its block: line"
            " it up, with spaces, with the keys or list items beside it)"
        )
    ),
    refusal(
        N_(
            "%(detail)s (indent this key as the keys beside it are, or put a value that holds"
            " ': ' in quotes)"
        )
    ),
    refusal(N_("%(detail)s; write dates as YYYY-MM-DD, e.g. 2026-01-01")),
    refusal(N_("%(detail)s; write an amount of yuan as plain digits, e.g. 5000000 for 500万元")),
    refusal(
        N_(
            "%(detail)s; amounts in a policy file are plain numbers of yuan: write %(yuan)s"
            " for %(value)s"
        ),
        yuan=_FIGURE,
        value=r".+",
    ),
    refusal(
        N_("%(detail)s; write the number without thousands separators: %(value)s"),
        value=r"[\d.]+",
    ),
    refusal(
        N_(
            "%(detail)s; inside { … } a comma ends the value: put a text that contains a"
            ' comma in quotes ("…, …")'
        )
    ),
    refusal(
        N_('%(detail)s: YAML read %(value)s as a number; put a code in quotes, e.g. "%(code)s"'),
        value=r"\S+",
        code=r"[^\"]*",
    ),
    refusal(
        N_(
            "%(detail)s: YAML reads %(value)s as %(boolean)s (a yes/no value); put the text in"
            ' quotes, e.g. "%(name)s"'
        ),
        value=r"\S+",
        name=r"[^\"]*",
    ),
    refusal(N_("%(detail)s: write %(quoted)s")),
    refusal(
        N_(
            "%(detail)s (line %(line)s: '：' is a full-width colon; write ':' and a space after"
            " the key)"
        )
    ),
    refusal(N_("'%(value)s' is not part of the rule language: %(detail)s"), **_WORD),
    refusal(N_("cannot read the expression: %(detail)s")),
    refusal(
        N_(
            "%(detail)s; the field holds text (codes too): write the value in single quotes,"
            " %(quoted)s"
        )
    ),
    refusal(N_("%(detail)s; write a date as DATE %(quoted)s")),
    refusal(N_("%(detail)s (use holds(...) to test a qualification)")),
    refusal(N_("usage: %(detail)s")),
]

# The loader's and the model's refusals.
POLICY_TEXTS += [
    refusal(N_("'%(field)s' is not a policy field; did you mean '%(name)s'?"), **_WORD),
    refusal(N_("'%(field)s' is not a policy field; see docs/policies.md for the fields")),
    refusal(N_("'%(field)s' is required here")),
    refusal(N_("'%(field)s' is required here; is '%(name)s' a misspelling of it?"), **_WORD),
    refusal(N_("key '%(field)s' appears twice; keep one")),
    refusal(N_("Input should be %(choices)s or %(quoted)s")),
    refusal(N_("version must be a whole number written in digits, e.g. version: 2, not %(code)s")),
    refusal(
        N_("data_year must be a whole number written in digits, e.g. data_year: 2025, not %(code)s")
    ),
    refusal(N_("'%(value)s' is not a date: %(detail)s"), **_WORD),
    refusal(N_("valid_to %(high)s is before valid_from %(low)s")),
    refusal(
        N_("region '%(value)s' must be a 6-digit Shanghai division code (310000 city)"), **_WORD
    ),
    refusal(N_("criterion ids must be unique; repeated: %(known)s")),
    refusal(N_("criterion id '%(value)s' must be snake_case (a-z, 0-9, _)"), **_WORD),
    refusal(N_("policy id '%(value)s' must be lower-case letters, digits, '-' or '_'"), **_WORD),
    refusal(
        N_("test case '%(name)s' names unknown criterion '%(value)s'"), name=r".+?", value=r"[^']*"
    ),
    # An amount below its least value, for each key of yuan (loader._below_zero).
    refusal(N_("cap %(value)s is negative; write the cap as 0 yuan or more, e.g. 500000")),
    refusal(N_("floor %(value)s is negative; write the floor as 0 yuan or more, e.g. 500000")),
    refusal(N_("budget %(value)s is negative; write the budget as 0 yuan or more, e.g. 500000")),
    refusal(
        N_(
            "per_enterprise_cap %(value)s is negative; write the per_enterprise_cap as 0 yuan"
            " or more, e.g. 500000"
        )
    ),
    refusal(
        N_(
            "cap %(value)s is not an amount above 0 yuan; write the cap in yuan, e.g. 500000,"
            " or remove 'cap' for none"
        )
    ),
    refusal(
        N_(
            "per_enterprise_cap %(value)s is not an amount above 0 yuan; write the"
            " per_enterprise_cap in yuan, e.g. 500000, or remove 'per_enterprise_cap' for none"
        )
    ),
]

# The rule compiler's refusals (inside "criterion '…': … (at character …)").
POLICY_TEXTS += [
    refusal(N_("'%(value)s' is not a code of %(codes)s; allowed: %(known)s"), **_WORD),
    refusal(
        N_(
            "'%(value)s' is not part of the rule language (see docs/policies.md §4 for what a"
            " rule may contain)"
        ),
        **_WORD,
    ),
    refusal(
        N_(
            "'%(value)s' follows a complete expression; join the two with an operator (AND,"
            " OR, =, +, ...)"
        ),
        **_WORD,
    ),
    refusal(N_("cannot compare %(left)s with %(right)s in '%(value)s'"), value=r".*"),
    refusal(N_("function '%(name)s' is not allowed; allowed functions: %(known)s"), **_WORD),
    refusal(N_("'%(value)s' is not part of the rule language"), **_WORD),
    refusal(
        N_(
            "this '%(value)s' is never closed; add '%(name)s' where its part of the expression ends"
        ),
        **_WORD,
    ),
    refusal(
        N_(
            "this '%(value)s' closes no '%(name)s' before it; remove it, or open its group where"
            " it starts"
        ),
        **_WORD,
    ),
    refusal(
        N_(
            "BETWEEN %(low)s AND %(high)s holds for no value: the low bound comes first; write"
            " BETWEEN %(value)s AND %(name)s"
        ),
        low=r".+?",
        high=r".+?",
        value=r".+?",
        name=r".+",
    ),
    refusal(
        N_(
            "'%(value)s' is a full-width (Chinese) character; write the ASCII %(name)s instead"
            " (switch the input method to English for rules)"
        ),
        value=r"[^']*",
        name=r"quote '|\S+",
    ),
    refusal(
        N_(
            "'%(value)s' is not a number as rules write them: digits with an optional decimal"
            " part (1000000, 0.055), no exponent"
        ),
        **_WORD,
    ),
    refusal(
        N_(
            "'%(value)s' reads as a number with thousands separators, which rules do not take:"
            " write %(low)s (for a list of values, put a space after each comma: %(high)s)"
        ),
        value=r"[^']*",
        high=r".+",
    ),
    refusal(
        N_(
            "'%(value)s' is left over: the expression ends before it; join it with an operator"
            " (AND, OR, =, +, ...)"
        ),
        **_WORD,
    ),
    refusal(N_("unknown field '%(field)s'; did you mean '%(name)s'?"), **_WORD),
    refusal(N_("unknown field '%(field)s'; see the data dictionary")),
    refusal(N_("'%(name)s' identifies the enterprise and cannot be tested by a rule"), **_WORD),
    refusal(N_("'%(field)s' is not a yearly field; write it without [..]")),
    refusal(
        N_("offset [%(value)s] looks past the policy's data year; use 0 or a negative number"),
        value=r"-?\d+",
    ),
    refusal(
        N_("%(operator)s needs a %(left)s value but '%(value)s' is %(right)s"),
        operator=r"\S+",
        value=r".*",
    ),
    refusal(
        N_(
            "cannot compute %(left)s %(operator)s %(right)s in '%(value)s'; add numbers to"
            " numbers, or an INTERVAL to a date (registration_date + INTERVAL 3 YEAR)"
        ),
        operator=r"\S+",
        value=r".*",
    ),
    refusal(N_("cannot compare %(left)s with %(right)s: they are different codes")),
    refusal(N_("'%(value)s' cannot be compared with %(left)s"), **_WORD),
    refusal(N_("'%(value)s' is not a date; write DATE 'YYYY-MM-DD'"), **_WORD),
    refusal(N_("'%(value)s' is not allowed in a rule"), value=r".*"),
    refusal(N_("a criterion must be true or false, but this expression is %(left)s")),
    refusal(N_("an amount formula must be a number of yuan, but this is %(left)s")),
    refusal(N_("'%(value)s' is not a qualification; qualifications: %(known)s"), **_WORD),
    # A test case's profile value (inside "test case '…': …").
    refusal(
        N_("profile field '%(field)s' is not in the data dictionary; did you mean '%(name)s'?"),
        **_WORD,
    ),
    refusal(N_("profile field '%(field)s' is not in the data dictionary")),
    refusal(
        N_(
            "profile field '%(field)s' %(year)s: write money as an integer or a quoted"
            ' decimal, not %(value)s: write "%(code)s"'
        ),
        value=r"\S+",
        code=r"[^\"]*",
    ),
]

# The linter's warnings.
POLICY_TEXTS += [
    refusal(N_("%(n)s test case(s); write at least two")),
    refusal(
        N_(
            "the label says %(percent)s but the rule uses %(value)s; a share is a fraction in a"
            " rule: write %(low)s"
        ),
        value=_FIGURE,
        low=_FIGURE,
    ),
    refusal(
        N_(
            "the label says %(wan)s元 but the rule compares with %(value)s; amounts in"
            " rules are yuan: write %(yuan)s"
        ),
        value=_FIGURE,
        yuan=_FIGURE,
    ),
    refusal(
        N_(
            "%(part)s has %(value)s where the policy's text says %(wan)s元; amounts are"
            " yuan: write %(yuan)s"
        ),
        part=r"the amount formula|[\w.]+",
        value=_FIGURE,
        yuan=_FIGURE,
    ),
]

# What only the ledger knows of a draft (huiqi.delivery.drafts).
POLICY_TEXTS += [
    refusal(
        N_(
            "this draft is for policy '%(policy)s' but its text says id '%(value)s'; a draft"
            " keeps its policy's id"
        ),
        policy=r"[^']+",
        value=r"[^']*",
    ),
    refusal(
        N_(
            "version %(n)s is published with this very text; change it and raise 'version' to"
            " publish"
        )
    ),
    refusal(
        N_(
            "version %(n)s is already published with other text; raise 'version' to publish a change"
        )
    ),
    refusal(
        N_(
            "a new policy's first draft must load (id, level, region and department say whose"
            " it is): fix the text and save again; first error: %(detail)s"
        )
    ),
]

# What differs in a failing test case (one part of "…; …" each).
_STATUS = r"\w+"
POLICY_TEXTS += [
    refusal(N_("expected status %(expected)s, got %(got)s"), expected=_STATUS, got=_STATUS),
    refusal(
        N_("expected status %(expected)s, got %(got)s (failing %(ids)s)"),
        expected=_STATUS,
        got=_STATUS,
    ),
    refusal(
        N_("expected status %(expected)s, got %(got)s (unknown %(ids)s)"),
        expected=_STATUS,
        got=_STATUS,
    ),
    refusal(
        N_("expected status %(expected)s, got %(got)s (failing %(ids)s, unknown %(more_ids)s)"),
        expected=_STATUS,
        got=_STATUS,
    ),
    refusal(N_("expected amount %(expected)s, got none"), expected=_FIGURE),
    refusal(N_("expected amount %(expected)s, got %(got)s"), expected=_FIGURE, got=_FIGURE),
    refusal(N_("expected failing %(ids)s, got %(got_ids)s")),
    refusal(N_("expected unknown %(ids)s, got %(got_ids)s")),
]

# Texts without values: the catalogue translates them whole.
N_("the file is empty")
N_("a policy file is a mapping of fields (id:, version:, ...)")
N_("an eligible test case must state its exact 'amount'")
N_("a district-level policy names its district code as region")
N_("no eligible test case with its exact amount")
N_("no test case that fails a criterion")
N_("'==' is not part of the rule language: write '=' to compare")
N_("cannot read the expression: an operator or a function is missing a value")
N_("'：' is a full-width colon, so this line is not a key; write ':' and a space after the key")
N_(
    "delivery 'auto' (免申即享) is impossible with an attested criterion: the enterprise must"
    " confirm it; use delivery 'confirm' or 'apply'"
)
N_(
    "a new policy's first draft must load (id, level, region and department say whose it is): fix the text and save again"
)
# What validation and YAML say, inside the frames above.
N_("Input should be a valid decimal")
N_("Decimal input should be an integer, float, string or Decimal object")
N_("Input should be a valid string")
N_("Input should be a valid integer")
N_("Input should be a valid date or datetime, invalid date separator, expected `-`")
N_("Input should be a valid date or datetime, input is too short")
N_("month must be in 1..12")
N_("day is out of range for month")
N_("mapping values are not allowed here")
N_("expected the node content, but found '<stream end>'")
N_("expected <block end>, but found '<block sequence start>'")
N_("expected <block end>, but found '<block mapping start>'")
N_("found character '\\t' that cannot start any token")
N_("the quote that opens here is never closed (end the text with the same quote)")
N_("the amount formula")
# The rule compiler's advice, inside the frames above.
N_("write '=' to compare")
N_("write NOT")
N_("a rule is exactly one expression; remove the ';'")
N_("refer to fields by their name only (no table, no '.'); write numbers as 0.5, not .5")
N_("write a percentage as a decimal fraction: 0.5 for 50%, 0.03 for 3%")
N_("write '/' (in a criterion; an amount formula multiplies by a rate instead)")
N_("BETWEEN takes the low bound first: x BETWEEN low AND high")
N_("unexpected word or symbol")
N_("an operator or a function is missing a value")
N_("check that every text in quotes ('...') is closed")
N_(
    "comments are not allowed in a rule: the whole text is the rule; put explanations in the"
    " criterion's label"
)
N_("IN takes a list in parentheses, as in district_code IN ('310115', '310104')")
N_("IN takes a list of literal values, as in district_code IN ('310115', '310104')")
N_("IN () is an empty list; name at least one value")
N_(
    "'[' only follows a yearly field, as in revenue[-1]; a list is written in parentheses:"
    " IN ('C', 'I')"
)
N_("codes have no order; compare them with =, <> or IN (...)")
N_("a comparison with NULL is always unknown; write IS NULL or IS NOT NULL")
N_("only a yearly field can take a year offset, as in revenue[-1]")
N_(
    "comparisons do not chain: 'a > b = c' is ambiguous; write each comparison on its own,"
    " joined by AND, or put one in parentheses"
)
N_(
    "an amount formula cannot divide: division gives a binary fraction and money must be"
    " exact; write rates as multipliers (0.3 * model_contract) or test ratios in criteria"
)
N_("could not find expected ':'")
N_("amount formula")
# How the parts of a failing test case are joined: "; " in English, "；" in Chinese.
PARTS_SEPARATOR = N_("; ")

# Values a text names by their code, as the pages name them.
CASE_STATUS = {
    "eligible": N_("eligible"),
    "near_miss": N_("near miss"),
    "needs_data": N_("needs data"),
    "not_eligible": N_("not eligible"),
    "error": N_("error in evaluation"),
}
CODE_LISTS = {
    "districts": N_("the districts"),
    "industry_sections": N_("the industry sections"),
    "size_classes": N_("the size classes"),
    "registration_types": N_("the registration types"),
    "tax_credit_ratings": N_("the tax credit ratings"),
    "listing_boards": N_("the listing boards"),
    "residency_types": N_("the residency types"),
    "genders": N_("the genders"),
}
RULE_TYPES = {
    "integer": N_("a whole number"),
    "decimal": N_("an amount"),
    "float": N_("a number"),
    "boolean": N_("a yes/no value"),
    "date": N_("a date"),
    "string": N_("a text"),
    "numeric": N_("a number"),
}
# Which value of a text is a code, and the words for its codes.
VALUE_WORDS = {
    "expected": CASE_STATUS,
    "got": CASE_STATUS,
    "codes": CODE_LISTS,
    "left": RULE_TYPES,
    "right": RULE_TYPES,
}

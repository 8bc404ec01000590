"""What the rule compiler says of a criterion's or an amount formula's expression, as
catalogue templates for the draft editor (:mod:`huiqi.web.policy_texts` reads them inside
its frame "criterion '…': … (at character … of the expression)"), what is said of a
criterion's margin, and the words for the types and code lists such a text names."""

from __future__ import annotations

import re

from huiqi.web.i18n import N_
from huiqi.web.patterns import refusal

_WORD = {"value": r"[^']*", "name": r"[^']+"}  # a value or a name inside '…'

RULE_TEXTS: list[tuple[re.Pattern[str], str]] = [
    refusal(N_("'%(value)s' is not a code of %(codes)s; allowed: %(known)s"), **_WORD),
    refusal(N_("'%(value)s' is the name of code %(known)s in %(codes)s"), **_WORD),
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
    # A function of another dialect, with the rule language's own to write (QA, qa7: the
    # advice read in English after the Chinese list).
    refusal(
        N_("function '%(name)s' is not allowed; allowed functions: %(known)s; write %(advice)s"),
        name=r"[^']+",
        known=r"[\w, ]+",
    ),
    refusal(N_("function '%(name)s' is not allowed; allowed functions: %(known)s"), **_WORD),
    refusal(N_("a year offset is one integer, as in revenue[-1]")),
    refusal(N_("a year offset is an integer literal, as in revenue[-1]")),
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
    refusal(N_("'%(value)s' is not a date; write DATE '%(day)s'"), value=r"[^']*", day=r"[\d-]+"),
    refusal(N_("'%(value)s' is not allowed in a rule"), value=r".*"),
    refusal(N_("a criterion must be true or false, but this expression is %(left)s")),
    refusal(N_("an amount formula must be a number of yuan, but this is %(left)s")),
    refusal(N_("'%(value)s' is not a qualification; qualifications: %(known)s"), **_WORD),
    refusal(N_("a rule names fields in English; did you mean %(fields)s?"), fields=r".+"),
    refusal(
        N_("%(detail)s; a qualification is named without quotes: holds(%(name)s)"),
        name=r"\w+",
    ),
    # recognised_in(high_tech, '2025'): the call to write (QA, qa12).
    refusal(
        N_("%(detail)s; a year is written without quotes: recognised_in(%(name)s, %(year)s)"),
        name=r"\w+",
    ),
    # The compiler's advice worked out for the figure written (QA, qa5: "2000万元" read
    # "a rule's amounts are in yuan: write 20000000 for 2000万元" in a Chinese sentence).
    refusal(
        N_("a rule's amounts are in yuan: write %(yuan)s for %(figure)s%(scale)s"),
        yuan=r"[\d.]+",
        figure=r"[\d.]+",
        scale=r"万元|万|亿元|亿",
    ),
    refusal(
        N_("write a percentage as a decimal fraction: %(fraction)s for %(percent)s"),
        fraction=r"[\d.]+",
    ),
    # A newcomer's slips (QA, qa7): LIKE, a unit after a number, a year as an offset, a
    # tiered amount without ELSE.
    refusal(
        N_(
            "a rule has no pattern matching; for the 4-digit classes that start with"
            " %(prefix)s, write industry_class >= '%(low)s' AND industry_class <= '%(high)s'"
        ),
        prefix=r"\w+",
        low=r"\d+",
        high=r"\d+",
    ),
    refusal(N_("a tag is written in quotes: has_tag(tags, %(quoted)s)")),
    refusal(
        N_("a rule's numbers carry no unit: write %(count)s for %(figure)s%(unit)s"),
        count=r"[\d.]+",
        figure=r"[\d.]+",
        unit=r"\S+",
    ),
    refusal(
        N_(
            "[%(value)s] is a year, but a rule names a year by its offset from the policy's"
            " data_year: %(field)s for the data year, %(name)s for the year before it"
        ),
        value=r"\d+",
        field=r"\w+",
        name=r"\S+",
    ),
]

# A criterion's margin refused (huiqi.policies.margin; QA, qa12: read in English on the
# Chinese draft editor). A '%' of the text is a value: a template's own '%' is a format.
_EXAMPLE = {"example": r"'10%'", "value": r".+?"}
RULE_TEXTS += [
    refusal(
        N_(
            "margin must be a percentage of the threshold such as %(example)s, or 0 for never a"
            " near miss, not %(value)s: write %(percent)s with an ASCII %(sign)s (%(wide)s is"
            " full-width)"
        ),
        sign=r"'%'",
        wide=r"'％'",
        **_EXAMPLE,
    ),
    refusal(
        N_(
            "margin must be a percentage of the threshold such as %(example)s, or 0 for never a"
            " near miss, not %(value)s: write %(percent)s"
        ),
        **_EXAMPLE,
    ),
    refusal(
        N_(
            "margin must be a percentage of the threshold such as %(example)s, or 0 for never a"
            " near miss, not %(value)s"
        ),
        example=r"'10%'",
        value=r".+",
    ),
    refusal(
        N_("margin must be a percentage such as %(example)s, or 0, not %(value)s"),
        example=r"'10%'",
        value=r".+",
    ),
    refusal(N_("margin is at most %(percent)s, not %(value)s"), value=r".+"),
]

# The rule compiler's advice, inside the frames above.
N_("write '=' to compare")
N_("a coded field holds codes, written in quotes")  # then ": write '310115'" (a frame)
# The functions' usages (huiqi.engine.compile.language), said after "usage:" when a call
# is wrong (QA, qa5: they read in English on the Chinese draft editor).
N_("COALESCE(a, b, ...): the first known value")
N_("ABS(x): the absolute value of a number")
N_("GREATEST(a, b, ...): the largest of numbers or dates; unknown if any is unknown")
N_("LEAST(a, b, ...): the smallest of numbers or dates; unknown if any is unknown")
N_("IF(condition, then, else): 'then' when the condition holds, 'else' when it does not")
N_(
    "holds(qualification) or holds(qualification, DATE 'YYYY-MM-DD'): the certificate is"
    " valid on that date (default: the policy's as_of date)"
)
N_("recognised_in(qualification, YEAR): a certificate of that type starts in YEAR")
N_("years_since(date): whole years from the date to the policy's as_of date")
N_("has_tag(tags, 'tag'): the enterprise carries the tag")
N_(
    "contract_total(DATE 'from', DATE 'to', 'type', ...): yuan of the contracts the"
    " enterprise bought, signed from..to, of those types (none: any)"
)
N_(
    "unrelated_contract_total(DATE 'from', DATE 'to', 'type', ...): the same, without"
    " contracts whose seller was a related party when signing"
)
N_(
    "related_contract(DATE 'from', DATE 'to', 'type', ...): the enterprise bought such a"
    " contract from a related party"
)
N_(
    "group_total(field) or group_total(field, DATE 'YYYY-MM-DD'): the numeric field summed"
    " over the enterprise and its related enterprises on that date (default: as_of)"
)
N_("write NOT")
# The functions of other dialects an author reaches for (engine/compile/slips.py).
N_("LEAST(a, b, ...) for the smaller of values")
N_("GREATEST(a, b, ...) for the larger of values")
N_("COALESCE(a, b) for the first known value")
N_("COALESCE(a, b) for the first known value, or 'x IS NULL' to test")
N_("IF(condition, a, b)")
N_("(a + b) / 2 for the mean of two years, e.g. (revenue + revenue[-1]) / 2")
N_("a + b for a total over years, e.g. rd_expense + rd_expense[-1]")
N_("write TRUE")
N_("write FALSE")
N_("write AND")
N_("write OR")
N_("a rule's amounts are in yuan: write 5000000 for 500万")
N_("a rule's amounts are in yuan: write 5000000 for 500万元")
N_("a rule's amounts are in yuan: write 100000000 for 1亿")
N_("a rule's amounts are in yuan: write 100000000 for 1亿元")
N_("a rule's amounts are in yuan: write the number alone")
N_(
    "a rule has no pattern matching; list the values, industry_class IN ('6511', '6513'),"
    " or compare the range they share, industry_class >= '6500' AND industry_class <= '6599'"
)
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

# The types and code lists a text names, as the pages name them.
RULE_TYPES = {
    "integer": N_("a whole number"),
    "decimal": N_("an amount"),
    "float": N_("a number"),
    "boolean": N_("a yes/no value"),
    "date": N_("a date"),
    "string": N_("a text"),
    "numeric": N_("a number"),
    # high_tech = TRUE: "中的qualification不能与是/否值比较" (QA, qa7).
    "qualification": N_("a qualification"),
    "tags": N_("a list of tags"),
    "interval": N_("an interval"),
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

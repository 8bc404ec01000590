"""What the draft editor lists about a policy's text, as catalogue templates: the loader's
and the model's refusals (YAML, fields, types, dates). The rule compiler's texts are in
:mod:`huiqi.web.rule_texts`, the linter's, the ledger's and the test cases' in
:mod:`huiqi.web.check_texts`; all are read here, after the services' refusals
(:mod:`huiqi.web.refusals`) and the ledger's texts.

Many of these texts are a frame around another text ("criterion 'x': …", "not valid
YAML: …", "… (2 more problems after this one)"): the frame's value ``%(detail)s`` is
translated in its turn, and ``%(details)s`` part by part ("…; …"), so a frame and each
text it can hold are listed once."""

from __future__ import annotations

import re

from huiqi.web.check_texts import CASE_STATUS, CHECK_TEXTS
from huiqi.web.i18n import N_
from huiqi.web.ledger_texts import CORRECTION_DECISIONS, JOB_STATES
from huiqi.web.patterns import refusal
from huiqi.web.rule_texts import CODE_LISTS, RULE_TEXTS, RULE_TYPES

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
    refusal(N_("profile field '%(field)s': %(detail)s")),
    refusal(N_("profile field '%(field)s' %(year)s: %(detail)s")),
    # A test case that fails: "<file>: case '<name>': <what differs>; <what differs>".
    refusal(N_("%(file)s: case '%(name)s': %(details)s"), name=r".+?"),
    # Hints the loader adds to what YAML or validation says.
    refusal(
        N_(
            "%(detail)s; the value is in Chinese quotes %(opening)s…%(closing)s, which YAML"
            " reads as part of the text: remove them, or type ASCII quotes (%(plain)s) where"
            " the value must be quoted"
        ),
        opening=r"\S",
        closing=r"\S",
        plain=r".*?",
    ),
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
    # The day a document's date stands for, worked out (QA, qa7: 2027年1月1日).
    refusal(N_("%(detail)s; write dates as YYYY-MM-DD: %(day)s for %(value)s"), value=r".+"),
    refusal(N_("YAML read %(value)s as a number, not a date"), value=r"\d+"),
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
    # A mapping expected (loader._SHAPES), and what to write.
    refusal(N_("%(detail)s; write a text in both languages: {zh: 中文, en: English}")),
    refusal(N_("%(detail)s; write a list in brackets: [%(value)s]"), value=r"[^\]]*"),
    refusal(
        N_(
            "%(detail)s; write the document as a mapping: {document: 《文件名》（文号）, article: 第三条}"
        )
    ),
    refusal(N_('%(detail)s; write a mapping: {formula: "0.5 * rd_expense", cap: 500000}')),
    refusal(N_("%(detail)s; write a mapping with id, label and expr (or attested: true)")),
    refusal(N_("%(detail)s; write a mapping with name, profile and expect")),
    refusal(N_('%(detail)s; write a mapping such as {status: eligible, amount: "7407.40"}')),
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
    refusal(
        N_(
            "%(detail)s; the field holds a number: write it without quotes, in yuan for an"
            " amount: %(number)s"
        ),
        number=r"[\d.]+",
    ),
    refusal(N_("%(detail)s; test a tag with has_tag(tags, %(quoted)s)")),
    # A newcomer's slips (QA, qa7): size_class = 'small' OR 'micro'; credit_dishonest = 'no'.
    refusal(
        N_("%(detail)s; to test several values of one field write %(listed)s"),
        listed=r"\S+ IN \(.+\)",
    ),
    refusal(
        N_("%(detail)s; a yes/no field takes TRUE or FALSE, without quotes: write %(word)s"),
        word=r"TRUE|FALSE",
    ),
    refusal(N_("%(detail)s (use holds(...) to test a qualification)")),
    refusal(N_("usage: %(detail)s")),
]

# The loader's and the model's refusals.
POLICY_TEXTS += [
    # What YAML says, inside "not valid YAML: …".
    refusal(N_("character #x%(hex)s is not allowed (remove control characters)"), hex=r"[0-9a-f]+"),
    refusal(N_("expected ',' or '}', but got %(quoted)s")),
    refusal(N_("expected ',' or ']', but got %(quoted)s")),
    refusal(N_("expected <block end>, but found %(quoted)s")),
    refusal(N_("found character %(quoted)s that cannot start any token")),
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
        N_(
            "benefit_period '%(value)s' is the year %(year)s written another way; periods are"
            " compared as written, so it would pay again what a version with the default"
            " period paid: write the year alone, in quotes"
        ),
        value=r"[^']*",
    ),
    refusal(
        N_("region '%(value)s' must be a 6-digit Shanghai division code (310000 city)"), **_WORD
    ),
    refusal(
        N_("region '%(value)s' is not one of Shanghai's 16 districts; district codes: %(known)s"),
        **_WORD,
    ),
    refusal(N_("criterion ids must be unique; repeated: %(known)s")),
    refusal(N_("criterion id '%(value)s' must be snake_case (a-z, 0-9, _)"), **_WORD),
    refusal(N_("policy id '%(value)s' must be lower-case letters, digits, '-' or '_'"), **_WORD),
    refusal(
        N_(
            "test case '%(name)s' names unknown criterion '%(value)s'; '%(comma)s' is a"
            " full-width comma: separate the ids with ', '"
        ),
        name=r".+?",
        value=r"[^']*",
        comma=r"\S",
    ),
    refusal(
        N_("test case '%(name)s' names unknown criterion '%(value)s'; did you mean '%(meant)s'?"),
        name=r".+?",
        value=r"[^']*",
        meant=r"\w+",
    ),
    refusal(
        N_(
            "test case '%(name)s' names unknown criterion '%(value)s'; a test case names"
            " criteria by their ids: %(known)s"
        ),
        name=r".+?",
        value=r"[^']*",
        known=r"[\w, ]+",
    ),
    # After its longer forms above: its name would take in their words.
    refusal(
        N_("test case '%(name)s' names unknown criterion '%(value)s'"), name=r".+?", value=r"[^']*"
    ),
    refusal(N_("a '%(expected)s' test case must name the 'failing' criteria"), expected=r"\w+"),
    refusal(N_("%(value)s yuan has fractions of a fen: write at most two decimals"), value=r"\S+"),
    refusal(
        N_(
            "%(value)s is scientific notation; money is exact: write the amount in plain"
            " digits, %(yuan)s"
        ),
        value=r"\S+",
        yuan=_FIGURE,
    ),
    refusal(N_("%(value)s is not an amount; write a number of yuan, e.g. 500000"), value=r"\S+"),
    refusal(
        N_(
            "floor %(low)s exceeds cap %(high)s: no amount is at least the floor and at most"
            " the cap; lower the floor to at most %(value)s, or raise the cap to at least"
            " %(name)s"
        ),
        value=_FIGURE,
        name=_FIGURE,
    ),
    refusal(N_("%(value)s is not a whole number in plain digits (no leading zero)"), value=r"\S+"),
    refusal(
        N_(
            "%(value)s is not a whole number in plain digits (no leading zero): write"
            " %(field)s: %(n)s"
        ),
        value=r"\S+",
        field=r"\w+",
    ),
    refusal(
        N_(
            '"%(value)s" is text (it is in quotes), and %(field)s is a whole number: write'
            " %(name)s: %(n)s without the quotes"
        ),
        value=r"[^\"]*",
        field=r"\w+",
        name=r"\w+",
    ),
    refusal(
        N_(
            "%(value)s is not a whole number as written: write %(field)s: %(n)s without a decimal point"
        ),
        value=r"\S+",
        field=r"\w+",
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
            "budget %(value)s is not an amount above 0 yuan; write the budget in yuan, e.g."
            " 500000, or remove 'budget' for none"
        )
    ),
    refusal(
        N_(
            "per_enterprise_cap %(value)s is not an amount above 0 yuan; write the"
            " per_enterprise_cap in yuan, e.g. 500000, or remove 'per_enterprise_cap' for none"
        )
    ),
]

# A test case's profile value (inside "test case '…': …"), then the rule compiler's
# refusals (inside "criterion '…': … (at character …)").
POLICY_TEXTS += [
    refusal(
        N_("profile field '%(field)s' is not in the data dictionary; did you mean '%(name)s'?"),
        **_WORD,
    ),
    refusal(N_("profile field '%(field)s' is not in the data dictionary")),
    refusal(
        N_('write money as an integer or a quoted decimal, not %(value)s: write "%(code)s"'),
        value=r"\S+",
        code=r"[^\"]*",
    ),
    refusal(
        N_('write a number as an integer or a quoted decimal, not %(value)s: write "%(code)s"'),
        value=r"\S+",
        code=r"[^\"]*",
    ),
    refusal(N_("'%(value)s' is not a date (YYYY-MM-DD)"), value=r".*"),
    refusal(N_("'%(value)s' is not a number"), value=r".*"),
    refusal(N_("money has at most two decimals (fen), not '%(value)s'"), value=r".*"),
    refusal(N_("expected a whole number, got %(value)s")),
    refusal(N_("expected true or false (or 是/否), got %(value)s")),
    refusal(N_("%(value)s is outside %(low)s..%(high)s"), value=r"\S+"),
    refusal(N_("%(value)s is not one of %(known)s"), value=r".+?"),
    # The materials of an application (policies.documents).
    refusal(
        N_(
            "documents lists the materials attached to an application (申报), and delivery"
            " '%(name)s' has no application: remove 'documents', or use delivery 'apply'"
        ),
        **_WORD,
    ),
    refusal(N_("the document '%(value)s' is listed twice; list each document once"), **_WORD),
]
POLICY_TEXTS += RULE_TEXTS

POLICY_TEXTS += CHECK_TEXTS

# Texts without values: the catalogue translates them whole.
N_("the file is empty")
N_("a policy file is a mapping of fields (id:, version:, ...)")
N_(
    "this is an import mapping file (columns:, layout:), not a policy: check it with"
    " 'huiqi mapping check FILE', and keep it out of the folders of policy files"
)
N_(
    "this is a data dictionary (fields:), not a policy: check it with"
    " 'huiqi dictionary check', and keep it out of the folders of policy files"
)
N_("an eligible test case must state its exact 'amount'")
N_("a district-level policy names its district code as region")
N_("a city-level policy has region 310000")
N_("a criterion is either checked by 'expr' or 'attested', not both")
N_("a criterion needs an 'expr', or 'attested: true' if no registry holds it")
N_("an attested criterion is never a near miss: remove 'margin' and 'attainable'")
N_(
    "'margin' is for a numeric threshold, 'attainable' for a qualification: a criterion has"
    " one or the other"
)
N_(
    "a scope criterion (whom the policy is for) is never a near miss: remove 'margin' and"
    " 'attainable', or 'scope: true'"
)
N_(
    "a 'needs_data' test case must name the 'unknown' criteria, or write 'unknown: []' when"
    " every criterion is known and only the amount formula lacks data"
)
N_(
    "budget_mode 'pro_rata' shares a budget out in proportion to the amounts, and this policy"
    " has no budget: set 'budget', or remove budget_mode"
)
N_("a cap_group needs per_enterprise_cap, the cap it shares")
N_("tags are a list, as in [ai, regional_hq]")
N_("'==' is not part of the rule language: write '=' to compare")
N_("cannot read the expression: an operator or a function is missing a value")
N_("'：' is a full-width colon, so this line is not a key; write ':' and a space after the key")
N_(
    "delivery 'auto' (免申即享) is impossible with an attested criterion: the enterprise must"
    " confirm it; use delivery 'confirm' or 'apply'"
)
# The materials of an application (policies.documents).
N_(
    "write a document as 'label: {zh: …, en: …}' (and 'required: false' when it is"
    " optional), not its name alone"
)
N_("documents is a list: write each document on its own line as '- label: {zh: …, en: …}'")
N_(
    "a new policy's first draft must load (id, level, region and department say whose it is): fix the text and save again"
)
# What validation and YAML say, inside the frames above.
N_("Input should be a valid decimal")
N_("Decimal input should be an integer, float, string or Decimal object")
N_("Input should be a valid string")
N_("Input should be a valid integer")
N_("Input should be a valid list")
N_("Input should be a valid dictionary")
N_("Input should be a valid boolean")
N_("Input should be a valid number")
# A value where a mapping belongs (pydantic names the model it expected).
N_("Input should be a valid dictionary or instance of Text")
N_("Input should be a valid dictionary or instance of Source")
N_("Input should be a valid dictionary or instance of Amount")
N_("Input should be a valid dictionary or instance of Criterion")
N_("Input should be a valid dictionary or instance of TestCase")
N_("Input should be a valid dictionary or instance of Expectation")
N_("Input should be a valid dictionary or instance of Document")
N_("Input should be a valid dictionary or instance of DocumentLabel")
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
N_("could not find expected ':'")
# Which value of a text is a code, and the words for its codes.
VALUE_WORDS = {
    "expected": CASE_STATUS,  # also "a 'near_miss' test case must name …"
    "got": CASE_STATUS,
    "codes": CODE_LISTS,
    "left": RULE_TYPES,
    "right": RULE_TYPES,
    "state": JOB_STATES,
    "decision": CORRECTION_DECISIONS,
}

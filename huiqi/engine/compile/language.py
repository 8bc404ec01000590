"""The rule language as data: its words, operators, functions and limits.

This module is the single list of what a rule may contain. The scanner
(``scan``) refuses every token outside it, the checker types what it allows,
and ``docs/policies.md`` §4 documents exactly these (``tests/policies/test_docs.py``
compares the two).
"""

from __future__ import annotations

import datetime as dt

# Keywords, written in any case.
KEYWORDS = (
    "AND",
    "OR",
    "NOT",
    "IN",
    "BETWEEN",
    "IS",
    "NULL",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "TRUE",
    "FALSE",
    "DATE",
    "INTERVAL",
)

# Operators, exactly as written.
COMPARISONS = ("=", "<>", "!=", "<", "<=", ">", ">=")
ARITHMETIC = ("+", "-", "*", "/")
OPERATORS = COMPARISONS + ARITHMETIC

# Punctuation: parentheses, the comma between arguments or list items, and the
# brackets of a year offset (revenue[-1]).
PUNCTUATION = ("(", ")", ",", "[", "]")

INTERVAL_UNITS = ("YEAR", "MONTH", "DAY")

# Functions by the name an author writes (case-insensitive), with their usage.
BUILTIN_FUNCTIONS = {
    "COALESCE": "COALESCE(a, b, ...): the first known value",
    "ABS": "ABS(x): the absolute value of a number",
    "GREATEST": "GREATEST(a, b, ...): the largest of numbers or dates; unknown if any is unknown",
    "LEAST": "LEAST(a, b, ...): the smallest of numbers or dates; unknown if any is unknown",
    "IF": "IF(condition, then, else): 'then' when the condition holds, 'else' when it does not",
}
CUSTOM_FUNCTIONS = {
    "holds": "holds(qualification) or holds(qualification, DATE 'YYYY-MM-DD'): the certificate is valid on that date (default: the policy's as_of date)",
    "recognised_in": "recognised_in(qualification, YEAR): a certificate of that type starts in YEAR",
    "years_since": "years_since(date): whole years from the date to the policy's as_of date",
    "has_tag": "has_tag(tags, 'tag'): the enterprise carries the tag",
    "contract_total": "contract_total(DATE 'from', DATE 'to', 'type', ...): yuan of the contracts the enterprise bought, signed from..to, of those types (none: any)",
    "unrelated_contract_total": "unrelated_contract_total(DATE 'from', DATE 'to', 'type', ...): the same, without contracts whose seller was a related party when signing",
    "related_contract": "related_contract(DATE 'from', DATE 'to', 'type', ...): the enterprise bought such a contract from a related party",
    "group_total": "group_total(field) or group_total(field, DATE 'YYYY-MM-DD'): the numeric field summed over the enterprise and its related enterprises on that date (default: as_of)",
}
# The functions over contracts, and the code list of their types.
CONTRACT_FUNCTIONS = ("contract_total", "unrelated_contract_total", "related_contract")
CONTRACT_TYPES = "contract_types"
FUNCTION_NAMES = (*BUILTIN_FUNCTIONS, *CUSTOM_FUNCTIONS)

# Named constants of a policy.
CONSTANT_NAMES = ("as_of", "data_year")

# Limits: a rule stays readable, and every backend and the reference evaluator can
# compile it without running out of stack.
MAX_TOKENS = 2000
MAX_NESTING = 24  # parentheses, CASE ... END and prefix NOT / minus, counted together
MAX_TREE_DEPTH = 100  # operators inside operators, e.g. a chain of 100 ANDs
MAX_DIGITS = 38  # exact decimals hold 38 digits in every backend
MAX_YEARS_BACK = 10

# Dates a rule may name, the same range the importer accepts for date fields; an
# INTERVAL moves a date by at most MAX_INTERVAL_YEARS (all intervals of a rule together),
# so every date a rule computes stays far inside what every backend can represent.
DATE_MIN, DATE_MAX = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
MAX_INTERVAL_YEARS = 500
YEAR_MIN, YEAR_MAX = DATE_MIN.year, DATE_MAX.year


def allowed_functions() -> str:
    """The allowed function names, for messages."""
    return ", ".join(FUNCTION_NAMES)

"""Checks on a cell's text that every import shares, as SQLGlot trees for DuckDB.

* :func:`control_check`: a control character is never part of a registry value.
* :func:`invisible_check`: nor is a zero-width space in a year, a number or a code.
* :func:`uscc_ok`: the GB 32100-2015 check of a unified social credit code, in SQL,
  agreeing with :func:`huiqi.profiles.uscc.validate`.
"""

from __future__ import annotations

from sqlglot import exp

from huiqi.profiles import uscc as uscc_mod
from huiqi.profiles.sqlexpr import and_, cast, concat, fn, in_list, lit, matches, num

# Whitespace a spreadsheet leaves around values: ASCII, no-break and ideographic spaces.
BLANKS = " \t\r\n\u00a0\u3000"
USCC_SHAPE = r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"
# C0 controls but tab, line feed and carriage return; DEL; C1 controls. Never part of a
# registry value: a NUL or an escape code in a name is a broken export.
CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
# Invisible format characters text pasted from a web page or a document brings along: a
# soft hyphen, zero-width spaces and joiners, direction marks, a byte-order mark.
INVISIBLE = r"[\x{00AD}\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2060}-\x{2064}\x{FEFF}]"


def control_check(v: exp.Expression) -> tuple[exp.Expression, exp.Expression]:
    """Refuse a control character, naming it and where it is (the value itself is not
    quoted: it would carry the character into the message)."""
    found = fn("regexp_extract", v, lit(CONTROL))
    return (
        fn("regexp_matches", v, lit(CONTROL)),
        concat(
            "the value contains the control character U+",
            fn("printf", lit("%04X"), fn("unicode", found)),
            " at character ",
            cast(fn("strpos", v, found), "VARCHAR"),
            "; remove it (the export probably broke the text)",
        ),
    )


def invisible_check(v: exp.Expression) -> tuple[exp.Expression, exp.Expression]:
    """Refuse an invisible character in a value that is checked (a year, a number, a
    code), naming it and where it is: "'2025' is not a year" with the zero-width space
    after 2025 unseen sent the steward looking for a mistake no one could see."""
    found = fn("regexp_extract", v, lit(INVISIBLE))
    return (
        fn("regexp_matches", v, lit(INVISIBLE)),
        concat(
            "the value contains the invisible character U+",
            fn("printf", lit("%04X"), fn("unicode", found)),
            " at character ",
            cast(fn("strpos", v, found), "VARCHAR"),
            " (pasted with the text from a web page or a document); delete it",
        ),
    )


def uscc_ok(v: exp.Expression) -> exp.Expression:
    """SQL that is TRUE exactly when ``uscc.validate`` accepts the (trimmed, upper-case) code."""
    alphabet = lit(uscc_mod.ALPHABET)
    terms: exp.Expression = num(0)
    for i, weight in enumerate(uscc_mod.WEIGHTS, start=1):
        # strpos is 1-based and 0 when absent; the shape check rejects absent characters.
        value = exp.Paren(
            this=exp.Sub(
                this=fn("strpos", alphabet, fn("substr", v, num(i), num(1))), expression=num(1)
            )
        )
        terms = exp.Add(this=terms, expression=exp.Mul(this=value, expression=num(weight)))
    remainder = exp.Paren(this=exp.Mod(this=exp.Paren(this=terms), expression=num(31)))
    check = exp.Mod(
        this=exp.Paren(this=exp.Sub(this=num(31), expression=remainder)), expression=num(31)
    )
    expected = fn(
        "substr", alphabet, exp.Add(this=exp.Paren(this=check), expression=num(1)), num(1)
    )
    conditions = [
        matches(v, USCC_SHAPE),
        exp.EQ(this=fn("substr", v, num(18), num(1)), expression=expected),
    ]
    if uscc_mod.KNOWN_PREFIXES is not None:
        conditions.insert(
            1, in_list(fn("substr", v, num(1), num(2)), sorted(uscc_mod.KNOWN_PREFIXES))
        )
    return fn("coalesce", and_(*conditions), exp.false())

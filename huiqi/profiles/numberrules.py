"""Import rules for numbers: whole numbers, money and decimals as parsed from text
(digits grouped by thousands with commas, and full-width digits, accepted), with their own messages for
exponents, too many decimals, values too large for the stored type and values outside
a field's plausible range."""

from __future__ import annotations

from decimal import Decimal

from sqlglot import exp

from huiqi.profiles.dictionary import Field
from huiqi.profiles.sqlexpr import (
    and_,
    cast,
    concat,
    fn,
    is_null,
    lit,
    matches,
    not_,
    num,
    try_cast,
)


def quoted(v: exp.Expression) -> exp.Expression:
    return concat("'", v, "'")


def is_(cond: exp.Expression) -> exp.Expression:
    """A condition that is FALSE, not NULL, when its inputs are NULL."""
    return fn("coalesce", cond, exp.false())


# Digits grouped by three with commas, as a Chinese-locale spreadsheet shows and saves
# them ("1,234,567.89"); the comma is never a decimal mark here, so the number is exact.
GROUPED = r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?"


# Full-width digits, point, comma and signs, as an input method types them in a
# hand-filled sheet ("１２３．５"), and their ASCII forms (what NFKC makes of them).
FULL_WIDTH = "０１２３４５６７８９．，－＋"
HALF_WIDTH = "0123456789.,-+"


def half_width(v: exp.Expression) -> exp.Expression:
    """``v`` with full-width digits, point, comma and signs written as ASCII; only a
    cell holding one is translated."""
    wide = matches(v, ".*[" + FULL_WIDTH + "].*")
    translated = fn("translate", v, lit(FULL_WIDTH), lit(HALF_WIDTH))
    return exp.Case(ifs=[exp.If(this=wide, true=translated)], default=v)


def ungrouped(v: exp.Expression) -> exp.Expression:
    """``v`` as ASCII digits (``half_width``) and without its thousands separators when it
    is a correctly grouped number; any other text as it is (``1,5`` or ``12,34`` stay and
    are refused as not a number)."""
    v = half_width(v)
    grouped = and_(fn("contains", v, lit(",")), matches(v, GROUPED))
    return exp.Case(ifs=[exp.If(this=grouped, true=fn("replace", v, lit(","), lit("")))], default=v)


# What a sheet writes where it has no value: dashes, a slash, 无 (none), 空 (empty), N/A.
MISSING_MARKS = r"[-—–－/／]+|无|空|N/?A|n/?a|NULL|null|None"


def _number_text(v: exp.Expression) -> list[tuple[exp.Expression, exp.Expression]]:
    """Checks shared by integer and decimal texts: exponents, Excel's error values
    (#N/A, #DIV/0!), the marks a sheet puts where it has no figure ('-', '—', '/',
    '无', 'N/A'), and an accounting export's brackets for a negative ((1,234.50))."""
    return [
        (
            matches(v, r"#(?:N/A|DIV/0!|VALUE!|REF!|NAME\?|NUM!|NULL!|SPILL!|CALC!)"),
            concat(
                quoted(v),
                " is an error of the sheet's formula, not a number: correct the formula (or"
                " leave the cell empty when the value is not known) and import again",
            ),
        ),
        (
            matches(v, MISSING_MARKS),
            concat(
                quoted(v),
                " marks a missing figure, not a number: leave the cell empty when the value is"
                " not known, or write 0 when it is zero",
            ),
        ),
        (
            matches(v, r"[+-]?[0-9.]+[eE][+-]?[0-9]+"),
            concat(
                quoted(v), " is in scientific notation, which loses digits; write the full number"
            ),
        ),
        (
            # An accounting export's negative: (1,234.50) for -1234.50.
            matches(v, r"\s*[(（]\s*[0-9][0-9,]*(\.[0-9]+)?\s*[)）]\s*"),
            concat(
                quoted(v),
                " is a negative number in accounting brackets; write it with a minus sign,"
                " e.g. -1234.5",
            ),
        ),
    ]


def _range(
    f: Field, v: exp.Expression, parsed: exp.Expression, unit_words: str | None = None
) -> list[tuple[exp.Expression, exp.Expression]]:
    """The plausible range of a numeric field (dictionary ``range: [min, max]``).

    ``unit_words``: the unit a column of another unit than the field's is read in
    (万元): the bounds are in the field's unit, so the message gives the cell's value in
    it too ("'10001' (万元: 100010000.00 yuan)"), not the bare '10001' beside a bound that
    looks larger."""
    checks = []
    span = f" (plausible range of {f.name}: {_plain(f.min)}..{_plain(f.max)}"
    span += f" {f.unit})" if f.unit else ")"
    hint = "; check the unit (yuan or 10,000 yuan) and the column" if f.type == "money" else ""
    shown: list[str | exp.Expression] = [quoted(v)]
    if unit_words:
        shown += [f" ({unit_words}: ", cast(parsed, "VARCHAR"), f" {f.unit})" if f.unit else ")"]
    if f.min is not None:
        checks.append(
            (
                is_(exp.LT(this=parsed, expression=num(_plain(f.min)))),
                concat(*shown, f" is below the minimum {_plain(f.min)}{span}"),
            )
        )
    if f.max is not None:
        checks.append(
            (
                is_(exp.GT(this=parsed, expression=num(_plain(f.max)))),
                concat(*shown, f" is above the maximum {_plain(f.max)}{span}{hint}"),
            )
        )
    return checks


def _plain(value: Decimal | None) -> str:
    """A bound as plain digits (no exponent): 10000000000000, 0.5."""
    if value is None:
        return "*"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


Checks = list[tuple[exp.Expression, exp.Expression]]
# (the pattern of plainly written text, the checks left to run when the text fits it)
Shortcut = tuple[str, Checks]
INTEGER_PLAIN = r"[+-]?[0-9]{1,18}"
# A whole number as written: digits, perhaps with a point and zeros only after it.
WHOLE = r"[+-]?[0-9]+(\.0+)?"


def decimal_plain(places: int) -> str:
    return r"[+-]?[0-9]{1,15}(\.[0-9]{1," + str(places) + "})?"


def integer_rule(f: Field, v: exp.Expression) -> tuple[exp.Expression, Checks]:
    """The parsed value and every check in order."""
    parsed, checks, _ = integer_rule_with_shortcut(f, v)
    return parsed, checks


def decimal_rule(
    f: Field, v: exp.Expression, unit: str, places: int, factor: int
) -> tuple[exp.Expression, Checks]:
    """The parsed value and every check in order."""
    parsed, checks, _ = decimal_rule_with_shortcut(f, v, unit, places, factor)
    return parsed, checks


def integer_rule_with_shortcut(
    f: Field, v: exp.Expression, typed: exp.Expression | None = None
) -> tuple[exp.Expression, Checks, Shortcut]:
    """The parsed value, every check in order, and the shortcut for plain digits.

    Most cells are plain digits, which pass every check on how the text is written;
    one pattern match lets them skip those checks and go to the size and range
    checks, so the first failing check (and its reason) stays the same.

    ``typed``: the cell's value as the file typed it (a Parquet integer column; its
    text ``v`` is that value's digits): the value is cast from it, not parsed again.
    """
    digits = ungrouped(v)
    # Plain digits cast at once; only a cell that does not is looked at for separators.
    parsed = (
        try_cast(typed, "BIGINT")
        if typed is not None
        else fn("coalesce", try_cast(v, "BIGINT"), try_cast(digits, "BIGINT"))
    )
    values = [
        (is_null(parsed), concat(quoted(v), " is too large for a whole number")),
        *_range(f, v, parsed),
    ]
    checks = [
        *_number_text(v),
        # Zero decimals are no fraction: '12.0' is what pandas writes for a count in a
        # column with a gap, '30.00' a DECIMAL(10,2) export; both are whole numbers.
        (
            not_(matches(digits, WHOLE)),
            concat(quoted(v), " is not a whole number; write digits without decimals, e.g. 12"),
        ),
        *values,
    ]
    return parsed, checks, (INTEGER_PLAIN, values)


def decimal_rule_with_shortcut(
    f: Field,
    v: exp.Expression,
    unit: str,
    places: int,
    factor: int,
    typed: exp.Expression | None = None,
) -> tuple[exp.Expression, Checks, Shortcut]:
    """The parsed value, every check in order, and the shortcut for plain numbers
    (as for :func:`integer_rule_with_shortcut`; ``typed`` a Parquet integer or decimal
    column with at most ``places`` decimals)."""
    target = "DECIMAL(18,2)" if f.type == "money" else "DECIMAL(18,6)"
    digits = ungrouped(v)

    def cast_to(to: str) -> exp.Expression:
        if typed is not None:
            return try_cast(typed, to)
        # Plain digits cast at once; only a cell that does not is looked at for separators.
        return fn("coalesce", try_cast(v, to), try_cast(digits, to))

    # Without a unit factor, one cast gives the same value (rounded the same way, NULL
    # when too large) as the two.
    parsed = (
        try_cast(exp.Mul(this=cast_to(f"DECIMAL(38,{places})"), expression=num(factor)), target)
        if factor != 1
        else cast_to(target)
    )
    # Trailing zeros are no precision: '1234.500' (a DECIMAL(18,3) column, an export
    # formatted to 3 places) is 1234.50 yuan exactly.
    decimals = fn("length", fn("rtrim", fn("split_part", digits, lit("."), num(2)), lit("0")))
    in_words = {"yuan": "元", "wan_yuan": "万元", "yi_yuan": "亿元"}
    # A column read in 万元 or 亿元 is named so, not by the mapping's key (wan_yuan).
    named = unit if unit == "yuan" else in_words.get(unit, unit)
    kind = f"an amount in {named}" if f.type == "money" else "a number"
    values = [
        (is_null(parsed), concat(quoted(v), f" is too large for {kind}")),
        *_range(f, v, parsed, named if factor != 1 else None),
    ]
    unit_sign = (
        [
            (
                matches(
                    v,
                    r"[￥¥]\s*[+-]?[0-9０-９][0-9０-９,.]*|[+-]?[0-9０-９][0-9０-９,.]*\s*(元|万元?|亿元?)",
                ),
                concat(
                    quoted(v),
                    f" carries a unit or a currency sign; write the number alone: this column"
                    f" is read in {in_words.get(unit, unit)} (a column in another unit needs"
                    " units: in its mapping)",
                ),
            )
        ]
        if f.type == "money"
        else []
    )
    checks = [
        *_number_text(v),
        *unit_sign,
        (
            not_(matches(digits, r"[+-]?[0-9]+(\.[0-9]+)?")),
            concat(
                quoted(v),
                f" is not a number; write digits with at most {places} decimals, e.g. 1234.5",
            ),
        ),
        (
            exp.GT(this=decimals, expression=num(places)),
            concat(
                quoted(v),
                " has ",
                cast(decimals, "VARCHAR"),
                f" decimals; {kind} takes at most {places}",
            ),
        ),
        *values,
    ]
    return parsed, checks, (decimal_plain(places), values)

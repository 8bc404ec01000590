"""Row validation for imports, as vectorised SQL over the staging table.

Each mapped field gets a *rule*: the SQL that parses its trimmed text into the
stored type, and the SQL that gives the reason a value is refused (NULL when it
is fine). The first failing check of a cell gives its reason, so every bad cell
yields one reject row (line, field, reason). The rules follow the data
dictionary: type, min/max, pattern, code list.

Accepted text, per type:

* integer: optional sign and digits, grouped by thousands with commas or not
  (``1,234,567``); scientific notation is refused with its own message.
* money: yuan with at most 2 decimals, parsed as DECIMAL (never a float); a
  mapping may declare a column in 万元 (``units: {revenue: wan_yuan}``), which
  allows 4 more decimals and multiplies by 10,000.
* date: year, month and day in that order: ``2023-01-05``, ``2023/1/5`` (what a
  Chinese-locale Excel writes), ``2023.1.5``, ``2023年1月5日`` or ``20230105``,
  optionally with a midnight time; a real calendar date between 1900 and 2100.
  A day-first or month-first date (``5/1/2023``) is refused: it is ambiguous
  (:mod:`huiqi.profiles.daterules`).
* boolean: 是/否, true/false, 1/0, Y/N, yes/no (any case).
* enum: the code or its Chinese name from the code list. A district must be a
  current district: retired codes survive only inside USCCs (standards.md §1.1).
* industry_class: 4 digits whose division exists in GB/T 4754-2017.
* tags: separated by ``;`` ``；`` ``,`` ``，`` ``、`` or ``|``.
* year (yearly layouts): 4 digits from 1980 to the current year.
* uscc: GB 32100-2015 (the check in SQL; the message from ``uscc.validate``).

Every field refuses control characters (NUL, escape codes, C1 controls; tab and
line breaks inside a cell are kept), before any other check. Every field reads a cell
written as Excel's text formula (``="0610"``) as the text inside the quotes
(:mod:`huiqi.profiles.formulatext`, before the checks); a field that checks its text
refuses any other formula as one, a free-text field keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from huiqi import clock
from huiqi.profiles.cellchecks import control_check, invisible_check, uscc_ok
from huiqi.profiles.coderules import boolean_rule, choice, enum_rule, string_rule
from huiqi.profiles.daterules import PAST_DATES, date_rule, not_after_today
from huiqi.profiles.dictionary import Field, load_dictionary
from huiqi.profiles.formulatext import formula_check
from huiqi.profiles.mapping import LINK_LAYOUTS, Mapping
from huiqi.profiles.numberrules import (
    Shortcut,
    decimal_rule_with_shortcut,
    half_width,
    integer_rule_with_shortcut,
    is_,
    quoted,
)
from huiqi.profiles.sqlexpr import (
    case,
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
from huiqi.profiles.totalsrow import note_row_check, total_row_check

YEAR_MIN = 1980
YEAR_PLAIN = "[0-9]{4}"
TAG_PIECE = r"[^;；,，、|\s](?:[^;；,，、|]*[^;；,，、|\s])?"
# Marks a bad USCC whose message is filled in from uscc.validate afterwards.
USCC_PENDING = "\x00uscc"
REQUIRED = "a value is required"


@dataclass(frozen=True)
class Rule:
    """How one field's text becomes a value, and why it might be refused."""

    field: str
    sql_type: str
    parsed: exp.Expression
    reason: exp.Expression
    plain: str | None = None  # the pattern of the shortcut, if the rule has one


def _rule(
    name: str,
    sql_type: str,
    v: exp.Expression,
    parsed: exp.Expression,
    checks: list,
    *,
    required: bool,
    shortcut: Shortcut | None = None,
    plain: dict[str, exp.Expression] | None = None,
    typed: bool = False,
    before: list[tuple[exp.Expression, exp.Expression]] | None = None,
    valid: exp.Expression | None = None,
) -> Rule:
    """The reason is the first failing check's; a value that fits ``shortcut``'s
    pattern passes every check before its remaining ones, and runs only those.

    ``plain`` maps a pattern to a condition computed beforehand that holds when the
    value fits it (one match for several fields of a row, see ``rowcheck``).
    ``typed``: the value comes from a typed column whose text passes every check on how
    a number is written, so only the shortcut's remaining checks apply.
    ``before``: checks that come before the required check (a totals row's USCC).
    ``valid``: a condition that holds only for a value every check accepts (a valid
    code cannot hold a control character): it is tested first, and such a cell runs
    no other check.
    """
    branches = [*(before or []), (is_null(v), lit(REQUIRED) if required else exp.null())]
    if valid is not None:
        branches.insert(0, (valid, exp.null()))
    pattern = None
    if shortcut is not None and typed:
        remaining = shortcut[1]
        return Rule(name, sql_type, parsed, case(*branches, *remaining))
    if shortcut is not None:
        pattern, remaining = shortcut
        fits = (plain or {}).get(pattern, matches(v, pattern))
        branches.append((fits, case(*remaining) if remaining else exp.null()))
    # A field that checks its text refuses a formula saying what it is (a free-text one,
    # with no checks, keeps any text); Excel's text formula ="0610" was read before.
    # An invisible character in a USCC is named by the code's own check (uscc.validate).
    invisible = [invisible_check(v)] if checks and name != "uscc" else []
    branches += [control_check(v), *invisible, *([formula_check(v)] if checks else []), *checks]
    return Rule(name, sql_type, parsed, case(*branches), pattern)


# The rule builder, for the layouts whose columns are their own (``linkrules``).
rule = _rule


def _qualifications() -> dict[str, str]:
    return {f.name: f.label.zh for f in load_dictionary().qualification_fields}


def rules_for(
    mapping: Mapping,
    fields: list[str],
    values: dict[str, exp.Expression],
    plain: dict[str, exp.Expression] | None = None,
    uscc_valid: exp.Expression | None = None,
    typed: dict[str, tuple[exp.Expression, int]] | None = None,
) -> list[Rule]:
    """One rule per field the file carries, reading the trimmed text in ``values``;
    ``plain``: conditions computed beforehand for shortcut patterns (see ``_rule``);
    ``uscc_valid``: the USCC check computed beforehand (once per distinct code, see
    ``rowcheck``), TRUE exactly where :func:`uscc_ok` of the code would be;
    ``typed``: field -> (its typed twin, the twin's decimal places) for the number
    columns a Parquet file typed (``stagesql``)."""
    if mapping.layout in LINK_LAYOUTS:
        from huiqi.profiles.linkrules import link_rules  # it builds on this module's rules

        return link_rules(mapping, fields, values)
    d = load_dictionary()
    rules: list[Rule] = []
    for name in fields:
        v = values[name]
        if name == "uscc":
            rules.append(
                _rule(
                    name,
                    "VARCHAR",
                    v,
                    v,
                    [(not_(uscc_valid or uscc_ok(v)), lit(USCC_PENDING))],
                    required=True,
                    before=[
                        total_row_check(v, values["name"], mapping.header_for("name")),
                        note_row_check(v, values["name"]),
                    ]
                    if "name" in values
                    else None,
                    valid=uscc_valid or uscc_ok(v),
                )
            )
        elif name == "year":
            # Offices' sheets write the year as 2025, 2025年 or 2025年度, some in
            # full-width digits (２０２５), as numbers may be.
            # A year column typed as a number elsewhere reads 2025.0 (pandas' float, a
            # DECIMAL(6,1) column): zero decimals are the same year.
            digits = fn(
                "regexp_replace", half_width(v), lit(r"^([0-9]{4})(?:\.0+|\s*年度?)$"), lit(r"\1")
            )
            # Four ASCII digits (nearly every cell) pass every check on the writing: they
            # are cast at once and only the range is checked (see ``_rule``).
            twin = (typed or {}).get(name)
            parsed = try_cast(twin[0] if twin else digits, "INTEGER")
            now = clock.today().year
            in_range = (
                not_(exp.Between(this=parsed, low=num(YEAR_MIN), high=num(now))),
                concat(quoted(v), f" is outside the accepted data years {YEAR_MIN}-{now}"),
            )
            checks = [
                (
                    not_(matches(digits, r"[0-9]{4}")),
                    concat(quoted(v), " is not a year; write 4 digits, e.g. 2023 (or 2023年)"),
                ),
                in_range,
            ]
            rules.append(
                _rule(
                    name,
                    "INTEGER",
                    v,
                    parsed,
                    checks,
                    required=True,
                    shortcut=(YEAR_PLAIN, [in_range]),
                    plain=plain,
                    typed=twin is not None,
                )
            )
        elif name == "qualification":
            parsed, checks = choice(v, _qualifications(), "a qualification")
            rules.append(_rule(name, "VARCHAR", v, parsed, checks, required=True))
        elif name == "certificate_id":
            rules.append(_rule(name, "VARCHAR", v, v, [], required=False))
        elif name in ("valid_from", "valid_to"):
            parsed, checks = date_rule(v)
            if name == "valid_to" and "valid_from" in values:
                start, _ = date_rule(values["valid_from"])
                checks.append(
                    (
                        is_(exp.LT(this=parsed, expression=start)),
                        concat(
                            "valid_to ",
                            cast(parsed, "VARCHAR"),
                            " is before valid_from ",
                            cast(start, "VARCHAR"),
                        ),
                    )
                )
            rules.append(_rule(name, "DATE", v, parsed, checks, required=True))
        else:
            twin = (typed or {}).get(name)
            rules.append(_field_rule(d.field(name), mapping, v, plain, twin))
    return rules


def _number_rule(
    name: str,
    sql_type: str,
    v: exp.Expression,
    built: tuple[exp.Expression, list, Shortcut],
    plain: dict[str, exp.Expression] | None,
    typed: exp.Expression | None,
) -> Rule:
    """A number field's rule from its builder's (parsed value, checks, shortcut)."""
    parsed, checks, shortcut = built
    return _rule(
        name,
        sql_type,
        v,
        parsed,
        checks,
        required=False,
        shortcut=shortcut,
        plain=plain,
        typed=typed is not None,
    )


def _field_rule(
    f: Field,
    mapping: Mapping,
    v: exp.Expression,
    plain: dict[str, exp.Expression] | None,
    twin: tuple[exp.Expression, int] | None = None,
) -> Rule:
    match f.type:
        case "integer":
            # A twin with decimals ('30.00', '30.50') goes through its text, which is read
            # as a whole number only when its decimals are zeros.
            t = twin[0] if twin is not None and twin[1] == 0 else None
            return _number_rule(f.name, "BIGINT", v, integer_rule_with_shortcut(f, v, t), plain, t)
        case "money" | "decimal":
            factor, extra = mapping.unit_of(f.name) if f.type == "money" else (1, 4)
            unit = mapping.units.get(f.name, "yuan")
            places = 2 + extra
            # A twin with more decimals than the field keeps goes through its text (and
            # is refused there with the count of decimals).
            t = twin[0] if twin is not None and twin[1] <= places else None
            sql_type = "DECIMAL(18,2)" if f.type == "money" else "DECIMAL(18,6)"
            built = decimal_rule_with_shortcut(f, v, unit, places, factor, t)
            return _number_rule(f.name, sql_type, v, built, plain, t)
        case "date":
            parsed, checks = date_rule(v)
            if f.name in PAST_DATES:
                checks.append(not_after_today(v, parsed, PAST_DATES[f.name]))
            return _rule(f.name, "DATE", v, parsed, checks, required=False)
        case "boolean":
            parsed, checks = boolean_rule(v)
            return _rule(f.name, "BOOLEAN", v, parsed, checks, required=False)
        case "enum":
            parsed, checks, valid = enum_rule(f, v, mapping.values.get(f.name))
            return _rule(f.name, "VARCHAR", v, parsed, checks, required=False, valid=valid)
        case "tags":
            return _rule(
                f.name,
                "VARCHAR[]",
                v,
                fn("regexp_extract_all", v, lit(TAG_PIECE)),
                [],
                required=False,
            )
        case _:
            parsed, checks = string_rule(f, v)
            return _rule(f.name, "VARCHAR", v, parsed, checks, required=False)

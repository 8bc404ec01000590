"""The rules of coded and text fields in an import: yes/no words, a code or its Chinese
name from a code list (in any case where that names one code), and the industry class's
shape and division, as vectorised SQL over the staging table (see
:mod:`huiqi.profiles.validate`, which applies them field by field)."""

from __future__ import annotations

import functools
import re

from sqlglot import exp

from huiqi.profiles.cellchecks import CONTROL
from huiqi.profiles.dictionary import CodeList, Field, load_codelist
from huiqi.profiles.industry import division_sections
from huiqi.profiles.numberrules import MISSING_MARKS, quoted
from huiqi.profiles.provinces import PROVINCES, short_name
from huiqi.profiles.sqlexpr import (
    and_,
    case,
    concat,
    fn,
    in_list,
    is_null,
    lit,
    matches,
    not_,
    num,
    try_cast,
)
from huiqi.profiles.yesno import FALSE_WORDS, TRUE_WORDS

CONTROL_CHARACTER = re.compile(CONTROL)
# A section letter (A-T) before a 4-digit class, as some registries write it: I6511, i-6511.
_LETTERED = r"[A-Ta-t][\s\-_.]*[0-9]{4}"


def boolean_rule(v: exp.Expression) -> tuple[exp.Expression, list]:
    word = fn("lower", v)
    # 1.0 and 0.0: a 0/1 column exported by pandas with a gap, as a count is read.
    parsed = case(
        (in_list(word, [*TRUE_WORDS, "1.0", "1.00"]), exp.true()),
        (in_list(word, [*FALSE_WORDS, "0.0", "0.00"]), exp.false()),
    )
    allowed = "是, 否, true, false, 1, 0, Y, N"
    return parsed, [
        (
            is_null(parsed),
            concat(quoted(v), f" is not a yes/no value; use one of: {allowed}"),
        )
    ]


def choice(
    v: exp.Expression,
    options: dict[str, str],
    what: str,
    also: dict[str, list[str]] | None = None,
    hint: exp.Expression | None = None,
) -> tuple[exp.Expression, list]:
    """Code or Chinese name -> code; ``options`` is code -> Chinese name, ``also`` code ->
    other texts that mean it; ``hint`` ends the refusal's message."""
    branches = [
        (in_list(v, [code, zh, *(also or {}).get(code, [])]), lit(code))
        for code, zh in options.items()
    ]
    parsed = case(*branches)
    listing = ", ".join(f"{code} ({zh})" for code, zh in options.items())
    return parsed, [
        (
            is_null(parsed),
            concat(
                quoted(v),
                f" is not {what}; use a code or its Chinese name: {listing}",
                *([hint] if hint is not None else []),
            ),
        )
    ]


def code_spellings(codes: CodeList, texts: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Code -> the other texts an import reads as it, besides its Chinese name: its national
    code where the list gives one (``gb_code``: 159 for 有限责任公司), its other names
    (``also``), the Chinese name after
    one of the list's ``city_prefixes`` (上海市浦东新区 for 310115), a text the mapping's
    ``values:`` (``texts``, text -> code) names, the code in another case ('a' for A)."""
    also: dict[str, list[str]] = {}
    for code, entry in codes.codes.items():
        if entry.get("gb_code"):
            also.setdefault(code, []).append(str(entry["gb_code"]))
        # Other names the list gives for the code (居住证 and 上海市居住证 for 持上海市居住证).
        also.setdefault(code, []).extend(str(t) for t in entry.get("also") or ())
    # A district after its city's name (上海市浦东新区): the list's ``city_prefixes``.
    for prefix in codes.extra.get("city_prefixes") or ():
        for code, entry in codes.codes.items():
            if entry.get("zh"):
                also.setdefault(code, []).append(f"{prefix}{entry['zh']}")
    # A numeric code written with zero decimals (310115.0, 159.00): what pandas writes for
    # an integer column with a gap, or a DECIMAL column of a database export, as a year or
    # a count is read (README).
    for code, entry in codes.codes.items():
        for digits in (code, str(entry.get("gb_code") or "")):
            if digits.isascii() and digits.isdigit() and not digits.startswith("0"):
                also.setdefault(code, []).extend([f"{digits}.0", f"{digits}.00"])
    for text, code in (texts or {}).items():
        also.setdefault(code, []).append(text)
    # A code in another case ('a' for A, 'LARGE' for large) where that names one code only.
    folded: dict[str, list[str]] = {}
    for code in codes.codes:
        folded.setdefault(code.casefold(), []).append(code)
    for code in codes.codes:
        if len(folded[code.casefold()]) == 1:
            variants = {code.lower(), code.upper(), code.capitalize()} - {code} - set(texts or {})
            also.setdefault(code, []).extend(sorted(variants))
    return also


def code_named(codes: CodeList, text: str) -> str | None:
    """The code ``text`` stands for as an import reads it (the code, its Chinese name, or
    one of :func:`code_spellings`); None when it names none (the first code, as the
    import's CASE takes, when it names several)."""
    also = code_spellings(codes)
    for code, entry in codes.codes.items():
        if text in (code, str(entry.get("zh", code)), *also.get(code, [])):
            return code
    return None


def enum_rule(
    f: Field, v: exp.Expression, texts: dict[str, str] | None = None
) -> tuple[exp.Expression, list, exp.Expression | None]:
    """A coded field: its code, its Chinese name, or one of :func:`code_spellings`.

    Returns the parsed value, the checks in order, and the condition under which a cell
    passes them all (a text that names a code and is not a retired one), or None when a
    code's text holds a control character (then the control check must run first)."""
    assert f.codes is not None
    codes = load_codelist(f.codes)
    also = code_spellings(codes, texts)
    options = {c: str(e.get("zh", c)) for c, e in codes.codes.items()}
    # A registry's own wording (有限责任公司（自然人投资或控股）) cannot be rewritten by
    # the steward in every file: the mapping says what it means (README, values:).
    hint = concat(
        f"; or, where the registry writes it its own way, say which code it means in the"
        f" mapping: values: {{{f.name}: {{",
        v,
        ": <code>}}",
    )
    parsed, checks = choice(v, options, "an allowed value", also, hint)
    retired = codes.extra.get("retired") or {}
    spelled = [*options, *options.values(), *(t for ts in also.values() for t in ts)]
    valid = (
        None
        if any(CONTROL_CHARACTER.search(t) for t in spelled)
        else and_(
            not_(is_null(parsed)),
            *(exp.NEQ(this=v, expression=lit(str(old))) for old in retired),
        )
    )
    retired_checks = [
        (
            exp.EQ(this=v, expression=lit(str(old))),
            concat(
                quoted(v),
                f" is a retired district code (now {new} {codes.label(str(new))}); use the current district: retired codes are valid only inside a USCC",
            ),
        )
        for old, new in retired.items()
    ]
    # '无', '/' or '—' where the sheet has no value, as number columns already say: it
    # was refused as "not an allowed value" with the list of codes. Only a text that names
    # no code: an office's list may call a code 无.
    missing = (
        and_(is_null(parsed), matches(v, MISSING_MARKS)),
        concat(
            quoted(v),
            " marks a missing value, not a code: leave the cell empty when the value is not known",
        ),
    )
    return parsed, [*retired_checks, *_elsewhere(codes, v, parsed), missing, *checks], valid


def _elsewhere(codes: CodeList, v: exp.Expression, parsed: exp.Expression) -> list:
    """A district list's refusal of a division code or a place name of another province
    (GB/T 2260's first two digits; a name that starts with another province's), before
    the list of this city's districts: such a row is not mistyped but another city's.
    Two conditions per cell; the province's name is looked up in the message only."""
    own_city = (codes.extra.get("city_prefixes") or [None])[0]
    heads = {str(c)[:2] for c in codes.codes}
    if not own_city or len(heads) != 1 or not all(str(c).isdigit() for c in codes.codes):
        return []
    (own,) = heads
    others = {k: name for k, name in PROVINCES.items() if k != own}
    unknown = is_null(parsed)
    tail = (
        f", not a district of {own_city}: an enterprise registered there is not this"
        " city's to import; check the row, or leave it out of the file"
    )
    head = fn("substr", v, num(1), num(2))
    # The province's name looked up in one literal ("11北京市|12天津市|…"): two small
    # expressions, not a CASE of thirty branches copied into every cell's check.
    codes_named = "|".join(f"{k}{n}" for k, n in others.items())
    province = fn("regexp_extract", lit(codes_named), concat(head, "([^|]+)"), num(1))
    shorts = {short_name(n): n for n in others.values()}
    names = "|".join(sorted(shorts, key=len, reverse=True))
    said = fn("regexp_extract", v, lit(f"^({names})"), num(1))
    named_full = "|".join(f"{k}={n}" for k, n in shorts.items())
    place = fn("regexp_extract", lit(named_full), concat("(?:^|\\|)", said, "=([^|]+)"), num(1))
    return [
        (
            and_(unknown, matches(v, "[0-9]{6}"), in_list(head, list(others))),
            concat(quoted(v), " is a division code of ", province, " (GB/T 2260)", tail),
        ),
        (
            and_(unknown, fn("regexp_matches", v, lit(f"^({names})"))),
            concat(quoted(v), " names a place in ", place, tail),
        ),
    ]


@functools.cache
def _sections() -> dict[str, tuple[int, int]]:
    """Each section's first and last division (industry.division_sections, inverted)."""
    spans: dict[str, tuple[int, int]] = {}
    for division, letter in sorted(division_sections().items()):
        low, _ = spans.get(letter, (division, division))
        spans[letter] = (low, division)
    return spans


def section_of(industry_class: exp.Expression) -> exp.Expression:
    """GB/T 4754-2017 section letter of a 4-digit class, from the division ranges."""
    division = try_cast(fn("substr", industry_class, num(1), num(2)), "INTEGER")
    return case(
        *(
            (exp.Between(this=division, low=num(lo), high=num(hi)), lit(s))
            for s, (lo, hi) in _sections().items()
        )
    )


def string_rule(f: Field, v: exp.Expression) -> tuple[exp.Expression, list]:
    checks: list = []
    if f.name == "industry_class":
        # A class exported by pandas from a column with a gap (6513.0), as a count is read;
        # 610.0 (its leading zero lost) then meets the check below that says so.
        v = fn("regexp_replace", v, lit("^([0-9]{3,4})\\.0+$"), lit("\\1"))
    parsed = v
    if f.name == "industry_class":
        # 0651 kept as a number in a sheet or a Parquet integer column arrives as 651.
        checks.append(
            (
                matches(v, "[0-9]{3}"),
                concat(
                    quoted(v),
                    " has 3 digits; an industry class (GB/T 4754-2017) has 4: where the file"
                    " kept the code as a number its leading zero was lost; write '0",
                    v,
                    "' and keep the column as text",
                ),
            )
        )
        # Registries often write the section letter before the class (I6511, I 6511):
        # a letter that agrees with the class's division is read as the class alone
        # (and listed in normalised.csv); one that does not, or a division that does not
        # exist, is refused saying what to check, never as a bare pattern.
        digits = fn("regexp_extract", v, lit("[0-9]{4}"))
        section = section_of(digits)
        lettered = matches(v, _LETTERED)
        agrees = and_(
            lettered,
            exp.EQ(this=fn("upper", fn("substr", v, num(1), num(1))), expression=section),
        )
        # A plain class (nearly every cell) is taken before the letter's test runs.
        parsed = case((matches(v, "[0-9]{4}"), v), (agrees, digits), default=v)
        checks.append(
            (
                and_(lettered, not_(fn("coalesce", agrees, exp.false()))),
                concat(
                    quoted(v),
                    " puts a section letter before the class; write the class's 4 digits alone, '",
                    digits,
                    "', and keep the column as text",
                    case(
                        (
                            is_null(section),
                            concat(
                                " (division ",
                                fn("substr", digits, num(1), num(2)),
                                " does not exist in GB/T 4754-2017: check the code)",
                            ),
                        ),
                        (
                            exp.NEQ(
                                this=fn("upper", fn("substr", v, num(1), num(1))),
                                expression=section,
                            ),
                            concat(
                                " (class ",
                                digits,
                                " is in section ",
                                section,
                                ", not ",
                                fn("upper", fn("substr", v, num(1), num(1))),
                                ": check which is right)",
                            ),
                        ),
                        default=lit(""),
                    ),
                ),
            )
        )
    if f.pattern:
        pattern = f.pattern.removeprefix("^").removesuffix("$")
        what = (
            " is not an industry class; write the 4 digits of its GB/T 4754-2017 class,"
            " e.g. 6511, as text"
            if f.name == "industry_class"
            else f" does not match the pattern {f.pattern}"
        )
        # A lettered class that reaches this check agrees with its division (the check
        # before refused the others): only the plain text is held against the pattern.
        plain = not_(matches(v, pattern))
        if f.name == "industry_class":
            plain = and_(plain, not_(matches(v, _LETTERED)))
        checks.append((plain, concat(quoted(v), what)))
    if f.name == "industry_class":
        first, last = (
            min(lo for lo, _ in _sections().values()),
            max(hi for _, hi in _sections().values()),
        )
        checks.append(
            (
                and_(is_null(section_of(v)), not_(matches(v, _LETTERED))),
                concat(
                    quoted(v),
                    ": division ",
                    fn("substr", v, num(1), num(2)),
                    f" does not exist in GB/T 4754-2017 ({first:02d}-{last:02d})",
                ),
            )
        )
    return parsed, checks

"""A registry sheet's totals row (合计, 总计, 小计 in the name column, no USCC).

Offices' spreadsheets often end with a row that sums the columns above: its name cell
says 合计 (or 总计, 小计, 共计) and its USCC cell is empty, or the USCC column itself
holds the word. It is not an enterprise. It is still refused (never imported) and
counted among the rejects, but its reason says what it is, instead of "a value is
required", so that a data steward does not go looking for a missing code.
"""

from __future__ import annotations

from sqlglot import exp

from huiqi.profiles.sqlexpr import concat, fn, lit, num

# A cell that starts with one of the words (full-width spaces and colons may follow).
WORDS = ("合计", "总计", "小计", "共计")
_PATTERN = r"^\s*((?:合|总|小|共)\s*计)"


def _word(value: exp.Expression) -> exp.Expression:
    """The totals word at the start of ``value``, spaces removed ('' when none)."""
    return fn("replace", fn("regexp_extract", value, lit(_PATTERN), num(1)), lit(" "), lit(""))


def totals_checks(
    uscc: exp.Expression, name: exp.Expression | None, name_header: str | None
) -> list[tuple[exp.Expression, exp.Expression]]:
    """Checks of the USCC cell that come before every other: a totals word in the USCC cell,
    or an empty USCC beside a totals word in the name cell (``name``: its trimmed text)."""
    skipped = ": it is not an enterprise and was skipped (not imported); nothing to fix"
    checks: list[tuple[exp.Expression, exp.Expression]] = [
        (
            exp.and_(exp.not_(uscc.is_(exp.null())), fn("regexp_matches", uscc, lit(_PATTERN))),
            concat(
                "this row looks like a totals row ('", _word(uscc), "' in the USCC column)", skipped
            ),
        )
    ]
    if name is not None:
        checks.append(
            (
                exp.and_(
                    uscc.is_(exp.null()),
                    exp.not_(name.is_(exp.null())),
                    fn("regexp_matches", name, lit(_PATTERN)),
                ),
                concat(
                    "this row looks like a totals row ('",
                    _word(name),
                    f"' in column '{name_header}', no USCC)",
                    skipped,
                ),
            )
        )
    return checks

"""Sort staged rows into rejects and good rows, in DuckDB.

Tables built (temporary, per import):

* ``_checked``  every staged row: the parsed values and one ``why__<field>``
  reason column per field (NULL when the cell is fine).
* ``_rejects``  one row per (line, field, reason).
* ``_good``     the parsed rows with no reject at all.
* ``_uscc_valid`` (while ``_checked`` is built, for layouts that repeat a code) each
  distinct staged USCC text and whether it is a valid code.

Rules:

* A row with one bad cell is rejected whole: a half-imported row would mix
  registry data from two dates. Every other row still goes in.
* A row the reader could not read (``_problem``: another encoding, a broken quote,
  a giant cell, a damaged Parquet row group, a column of the wrong shape) is
  rejected as a whole with that reason.
* A row whose cell count differs from the header is rejected as a whole with a
  single reason (its cells are probably shifted, so per-cell reasons would mislead).
* Duplicate keys within one file are all rejected, on every line that shares the
  key: the importer cannot know which line the registry meant, and "last wins"
  would silently depend on row order. The reason lists the lines (up to 10).
"""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa
from sqlglot import exp

from huiqi.profiles import uscc as uscc_mod
from huiqi.profiles.cellchecks import uscc_ok
from huiqi.profiles.mapping import Mapping
from huiqi.profiles.sqlexpr import case, cast, col, concat, fn, lit, num, sql
from huiqi.profiles.stagesql import STAGE, typed_name
from huiqi.profiles.validate import USCC_PENDING, rules_for

# Whitespace a spreadsheet leaves around values: ASCII, no-break and ideographic spaces.
BLANKS = " \t\r\n\u00a0\u3000"
DUPLICATE_LIST = 10


def _temp_table(name: str, select: exp.Expression, *, view: bool = False) -> str:
    return sql(
        exp.Create(
            this=exp.to_table(name),
            kind="VIEW" if view else "TABLE",
            replace=True,
            expression=select,
            properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
        )
    )


def trimmed_text(v: exp.Expression, maybe: exp.Expression | None = None) -> exp.Expression:
    """``v`` without the blanks around it.

    Trimming a set of characters that includes non-ASCII ones costs several times a
    pattern search in DuckDB, and most cells have nothing to trim. ``maybe``, when
    given, is FALSE for a row none of whose cells holds a blank anywhere (see
    :func:`_blank_somewhere`): such a row's cells are not searched at all.
    """
    edge = fn("regexp_matches", v, lit(f"^[{BLANKS}]|[{BLANKS}]$"))
    if maybe is not None:
        edge = exp.and_(maybe, edge)
    return case((edge, fn("trim", v, lit(BLANKS))), default=v)


def _blank_somewhere(fields: list[str]) -> exp.Expression:
    """TRUE when one of the row's cells holds a blank character anywhere.

    One substring search per blank character over the row's cells joined (a few
    hundred bytes) costs a fraction of one pattern search per cell, and a registry
    row of codes and figures holds no blank at all.
    """
    joined = fn("concat_ws", lit(""), *(col(f) for f in fields))
    return exp.or_(*(fn("contains", joined, lit(b)) for b in BLANKS))


def _cell_text(field: str, v: exp.Expression, maybe: exp.Expression | None) -> exp.Expression:
    """A staged cell as the checks read it: trimmed, empty as NULL, a USCC upper-cased."""
    text = fn("nullif", trimmed_text(v, maybe), lit(""))
    return fn("upper", text) if field == "uscc" else text


def why(field: str) -> str:
    return f"why__{field}"


# Layouts whose rows repeat a USCC (several years, several certificates per enterprise):
# their codes are checked once each, the static layout's (one row per code) row by row.
_USCC_ONCE_PER_CODE = ("yearly", "qualifications")
USCC_VALID = "_uscc_valid"
# The first cell of a sheet's total row (合计, 总 计, 小计：, Total), where a code belongs.
_TOTAL = re.compile(r"(?:[合总小]\s*计|总\s*合\s*计|total|sum)\s*[:：]?", re.IGNORECASE)


def _check_usccs_once(con: duckdb.DuckDBPyConnection, mapping: Mapping, fields: list[str]) -> bool:
    """Build ``_uscc_valid`` (staged code text, whether it is a valid USCC) when the
    layout repeats codes; True if built.

    The check digit of GB 32100-2015 is the costliest check of a row (17 characters
    looked up one by one); a yearly file carries each code about three times.
    """
    if mapping.layout not in _USCC_ONCE_PER_CODE or "uscc" not in fields:
        return False
    code = col("code")
    distinct = exp.select(exp.alias_(col("uscc"), "code")).distinct().from_(STAGE)
    select = exp.select(code, exp.alias_(uscc_ok(_cell_text("uscc", code, None)), "valid")).from_(
        distinct.subquery("d")
    )
    con.execute(_temp_table(USCC_VALID, select))
    return True


def build_checked(con: duckdb.DuckDBPyConnection, mapping: Mapping, fields: list[str]) -> None:
    """Parse and check every staged cell into ``_checked``.

    The SELECT has four levels: the staged text with the row's facts computed once
    (a blank somewhere; the USCC's validity, per distinct code); the trimmed text;
    the row-wide shortcut matches; each field's parsed value, computed once and read
    by the outer level's reasons in place of the same expression repeated.
    """
    once = _check_usccs_once(con, mapping, fields)
    twins = staged_twins(con, fields)
    # A typed twin's text is digits: nothing to trim, never empty.
    spaced = [f for f in fields if f not in twins]
    facts = exp.select(
        *(col(c, "s") for c in ("_line", "_cells", "_problem", *fields)),
        *(col(typed_name(f), "s") for f in twins),
        exp.alias_(_blank_somewhere(spaced) if spaced else exp.false(), "_blank"),
    ).from_(exp.to_table(STAGE).as_("s"))
    if once:
        facts = facts.select(
            exp.alias_(fn("coalesce", col("valid", "u"), exp.false()), USCC_VALID)
        ).join(
            exp.to_table(USCC_VALID).as_("u"),
            on=exp.EQ(this=col("code", "u"), expression=col("uscc", "s")),
            join_type="left",
        )
    texts = [col("_line"), col("_cells"), col("_problem"), *([col(USCC_VALID)] if once else [])]
    texts += [
        exp.alias_(col(f) if f in twins else _cell_text(f, col(f), col("_blank")), f, quoted=True)
        for f in fields
    ]
    texts += [col(typed_name(f)) for f in twins]
    trimmed = exp.select(*texts).from_(facts.subquery("f"))
    values = {f: col(f, "n") for f in fields}
    typed = {f: (col(typed_name(f), "n"), places) for f, places in twins.items()}
    uscc_valid = col(USCC_VALID, "n") if once else None
    # Fields sharing a shortcut pattern (amounts, counts) are matched together, once per row.
    groups: dict[str, list[str]] = {}
    for rule in rules_for(mapping, fields, values, uscc_valid=uscc_valid, typed=typed):
        if rule.plain is not None:
            groups.setdefault(rule.plain, []).append(rule.field)
    flagged = exp.select(exp.Star())
    plain: dict[str, exp.Expression] = {}
    for k, (pattern, members) in enumerate(groups.items()):
        if len(members) < 2:
            continue
        # '|' is in no plain value, so the joined text fits only if every value fits.
        joined = fn("concat_ws", lit("|"), *(col(f) for f in members))
        fits = fn("regexp_full_match", joined, lit(f"(({pattern})(\\|({pattern}))*)?"))
        flagged = flagged.select(exp.alias_(fits, f"_plain{k}"))
        plain[pattern] = col(f"_plain{k}", "n")
    rules = rules_for(mapping, fields, values, plain, uscc_valid, typed)
    # Each parsed value once: a reason repeats its field's parse (is it NULL, below
    # the minimum, above the maximum), and DuckDB does not share it inside a CASE.
    parses: list[exp.Expression] = [exp.Star()]
    computed: dict[exp.Expression, exp.Expression] = {}
    for k, rule in enumerate(rules):
        if isinstance(rule.parsed, exp.Column) or rule.parsed in computed:
            continue
        parses.append(exp.alias_(rule.parsed, f"_parsed{k}", copy=False))
        computed[rule.parsed] = col(f"_parsed{k}", "n")
    parsed_once = exp.select(*parses, copy=False)

    def shared(node: exp.Expression) -> exp.Expression:
        return computed.get(node, node)

    # Columns are gathered first: each ``select`` call copies the statement built so far.
    outputs = [col("_line", "n"), col("_cells", "n"), col("_problem", "n")]
    for rule in rules:
        outputs += [
            exp.alias_(shared(rule.parsed), rule.field, quoted=True),
            exp.alias_(rule.reason.transform(shared), why(rule.field), quoted=True),
        ]
    # The tree is built once and rendered once: no builder needs to copy what it is given
    # (copying the whole statement at each step was most of a large file's Python time).
    select = exp.select(*outputs, copy=False)
    inner = flagged.from_(trimmed.subquery("t", copy=False), copy=False).subquery("n", copy=False)
    select = select.from_(
        parsed_once.from_(inner, copy=False).subquery("n", copy=False), copy=False
    )
    con.execute(_temp_table("_checked", select))
    if once:
        con.execute(f"DROP TABLE {USCC_VALID}")  # our own name, never a file's
    _explain_bad_usccs(con)


def staged_twins(con: duckdb.DuckDBPyConnection, fields: list[str]) -> dict[str, int]:
    """The staged fields with a typed twin (``stagesql``), and the twin's decimal places."""
    # DESCRIBE of our own table name; a twin is BIGINT (0 places) or DECIMAL(p,s).
    types = {r[0]: str(r[1]) for r in con.execute(f"DESCRIBE {STAGE}").fetchall()}
    twins = {}
    for f in fields:
        kind = types.get(typed_name(f))
        if kind is not None:
            scale = re.fullmatch(r"DECIMAL\(\d+,(\d+)\)", kind)
            twins[f] = int(scale.group(1)) if scale else 0
    return twins


def _explain_bad_usccs(con: duckdb.DuckDBPyConnection) -> None:
    """Replace the SQL check's marker with uscc.validate's own message.

    SQL decides which codes fail (fast, vectorised); the few that fail get their
    message from the one Python implementation, so the wording never diverges.
    """
    bad = con.execute(
        sql(
            exp.select(col("uscc"))
            .distinct()
            .from_("_checked")
            .where(exp.EQ(this=col(why("uscc")), expression=exp.Placeholder()))
        ),
        [USCC_PENDING],
    ).fetchall()
    if not bad:
        return
    codes, reasons = [], []
    for (code,) in bad:
        if _TOTAL.fullmatch(code.strip()):
            codes.append(code)
            reasons.append(
                f"'{code}' starts a total row, not an enterprise's: delete the row (totals"
                " are not imported; the other rows are)"
            )
            continue
        try:
            uscc_mod.validate(code)
            reason = f"'{code}' is not a valid unified social credit code"
        except uscc_mod.USCCError as exc:
            reason = exc.message
            bare = code.strip().lstrip("'‘’`")
            if bare != code.strip() and uscc_mod.is_valid(bare):
                # '91310115... : the apostrophe a spreadsheet uses to keep digits as text.
                reason = (
                    f"'{code}' is the code {bare} behind an apostrophe (a spreadsheet's mark"
                    " for text): remove the apostrophe and import again"
                )
        codes.append(code)
        reasons.append(reason)
    con.register("_uscc_reasons", pa.table({"code": codes, "reason": reasons}))
    try:
        con.execute(
            sql(
                exp.update(
                    "_checked",
                    {why("uscc"): col("reason", "r")},
                    where=exp.EQ(this=col("uscc", "_checked"), expression=col("code", "r")),
                    from_=exp.From(this=exp.to_table("_uscc_reasons").as_("r")),
                )
            )
        )
    finally:
        con.unregister("_uscc_reasons")


def build_rejects(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, fields: list[str], width: int
) -> None:
    """Collect ``_rejects`` (line, field, reason) and the clean rows into ``_good``."""
    readable = col("_problem").is_(exp.null())
    shape_ok = exp.and_(readable, exp.EQ(this=col("_cells"), expression=num(width)))
    parts: list[exp.Select] = [
        exp.select(
            col("_line"), exp.alias_(lit(""), "field"), exp.alias_(col("_problem"), "reason")
        )
        .from_("_checked")
        .where(exp.not_(readable)),
        exp.select(
            col("_line"),
            exp.alias_(lit(""), "field"),
            exp.alias_(
                concat(
                    "the row has ",
                    cast(col("_cells"), "VARCHAR"),
                    f" cells but the header has {width}; give it one cell per column (in a"
                    " CSV, a value that holds the separator goes in double quotes)",
                ),
                "reason",
            ),
        )
        .from_("_checked")
        .where(exp.and_(readable, exp.not_(shape_ok))),
    ]
    for f in fields:
        parts.append(
            exp.select(col("_line"), exp.alias_(lit(f), "field"), exp.alias_(col(why(f)), "reason"))
            .from_("_checked")
            .where(exp.and_(shape_ok, exp.not_(col(why(f)).is_(exp.null()))))
        )
    parts.append(_duplicates(mapping, shape_ok))
    union: exp.Expression = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    con.execute(_temp_table("_rejects", exp.select("*").from_(union.subquery("u"))))
    clean = (
        exp.select(*(col(f) for f in ["_line", *fields]))
        .from_("_checked")
        .where(
            exp.not_(
                exp.Exists(
                    this=exp.select(num(1))
                    .from_("_rejects")
                    .where(
                        exp.EQ(this=col("_line", "_rejects"), expression=col("_line", "_checked"))
                    )
                )
            )
        )
    )
    # The clean rows are read once or twice (counted, compared with the store): a view
    # reads them out of ``_checked`` each time, where a copy of millions of rows spilled
    # to disk under the import's memory limit (11 s of a 3.5-million-enterprise tax
    # file). A relations import rewrites its persons in ``_good`` (``links``): a table.
    view = mapping.layout != "relations"
    con.execute(_temp_table("_good", clean, view=view))


def _duplicates(mapping: Mapping, shape_ok: exp.Expression) -> exp.Select:
    keys = list(mapping.keys)
    window = exp.Window(this=fn("list", col("_line")), partition_by=[col(k) for k in keys])
    counted = exp.Window(this=exp.func("count", exp.Star()), partition_by=[col(k) for k in keys])
    keys_ok = [col(why(k)).is_(exp.null()) for k in keys]
    # The lines are listed only for keys found more than once (a grouping, far cheaper
    # than the window over every row; most files have no duplicate at all).
    repeated = (
        exp.select(*(col(k) for k in keys))
        .from_("_checked")
        .where(exp.and_(shape_ok, *keys_ok))
        .group_by(*(col(k) for k in keys))
        .having(exp.GT(this=exp.func("count", exp.Star()), expression=num(1)))
    )
    same_key = exp.and_(
        *(exp.NullSafeEQ(this=col(k, "r"), expression=col(k, "_checked")) for k in keys)
    )
    inner = (
        exp.select(col("_line"), exp.alias_(window, "lines"), exp.alias_(counted, "n"))
        .from_("_checked")
        .where(
            exp.and_(
                shape_ok,
                *keys_ok,
                exp.Exists(this=exp.select(num(1)).from_(repeated.subquery("r")).where(same_key)),
            )
        )
    )
    listed = fn(
        "array_to_string",
        fn("list_slice", fn("list_sort", col("lines")), num(1), num(DUPLICATE_LIST)),
        lit(", "),
    )
    more = exp.If(
        this=exp.GT(this=col("n"), expression=num(DUPLICATE_LIST)), true=lit(", ..."), false=lit("")
    )
    what = " and ".join(keys)
    reason = concat(
        "duplicate key: lines ",
        listed,
        more,
        f" have the same {what}; rows sharing a key are all rejected, keep one and import again",
    )
    return (
        exp.select(col("_line"), exp.alias_(lit(keys[0]), "field"), exp.alias_(reason, "reason"))
        .from_(inner.subquery("d"))
        .where(exp.GT(this=col("n"), expression=num(1)))
    )


def counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(rows accepted, rows rejected)."""
    good = con.execute("SELECT count(*) FROM _good").fetchone()
    bad = con.execute("SELECT count(DISTINCT _line) FROM _rejects").fetchone()
    return (int(good[0]) if good else 0, int(bad[0]) if bad else 0)

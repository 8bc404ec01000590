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
from huiqi.profiles.checkselect import (
    USCC_VALID,
    Facts,
    blank_somewhere,
    cell_text,
    checked_select,
    why,
)
from huiqi.profiles.formulatext import formula_somewhere
from huiqi.profiles.mapping import Mapping
from huiqi.profiles.sqlexpr import cast, col, concat, fn, is_null, lit, num, sql
from huiqi.profiles.stagesql import STAGE, typed_name
from huiqi.profiles.totalsrow import NOTE_CELL, note_reason, only_the_note
from huiqi.profiles.uscc_many import valid_many
from huiqi.profiles.validate import USCC_PENDING

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


# Layouts whose rows repeat a USCC (several years, several certificates per enterprise):
# their codes are checked once each, the static layout's (one row per code) row by row.
_USCC_ONCE_PER_CODE = ("yearly", "qualifications")
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
    texts = exp.select(code, exp.alias_(cell_text("uscc", code, None), "text")).from_(
        distinct.subquery("d")
    )
    # The codes as the checks read them, checked in NumPy (``uscc_many``: what
    # ``uscc_ok`` accepts, at a tenth of its cost in SQL).
    codes = con.sql(sql(texts)).to_arrow_table()
    checked = pa.table({"code": codes["code"], "valid": valid_many(codes["text"])})
    con.register("_uscc_checked", checked)
    try:
        con.execute(_temp_table(USCC_VALID, exp.select("code", "valid").from_("_uscc_checked")))
    finally:
        con.unregister("_uscc_checked")
    return True


def build_checked(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, fields: list[str], *, split: bool = True
) -> None:
    """Parse and check every staged cell into ``_checked``.

    The staged rows with the row's facts computed once (a blank somewhere; the USCC's
    validity, per distinct code) go through :func:`checkselect.checked_select`: a row
    whose amounts and counts are all written plainly takes the short way, the others
    every rule (every row when ``split`` is False: the reference the short way is
    tested against).
    """
    once = _check_usccs_once(con, mapping, fields)
    twins = staged_twins(con, fields)
    # A typed twin's text is digits: nothing to trim or unwrap, never empty.
    spaced = [f for f in fields if f not in twins]
    source = exp.select(
        *(col(c, "s") for c in ("_line", "_cells", "_problem", *fields)),
        *(col(typed_name(f), "s") for f in twins),
        exp.alias_(blank_somewhere(spaced) if spaced else exp.false(), "_blank"),
        exp.alias_(formula_somewhere(spaced) if spaced else exp.false(), "_formula"),
    ).from_(exp.to_table(STAGE).as_("s"))
    if once:
        source = source.select(
            exp.alias_(fn("coalesce", col("valid", "u"), exp.false()), USCC_VALID)
        ).join(
            exp.to_table(USCC_VALID).as_("u"),
            on=exp.EQ(this=col("code", "u"), expression=col("uscc", "s")),
            join_type="left",
        )
    select = checked_select(mapping, Facts(fields, twins, once), source, split=split)
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
    message from the one Python implementation, so the wording never diverges. The
    enterprise's own code, and in a relations or contracts file the other party's and the
    seller's, are explained alike.
    """
    columns = {r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE _checked)").fetchall()}
    for name in ("uscc", "seller_uscc", "party"):
        if name in columns and why(name) in columns:
            _explain_bad_codes(con, name)


def _explain_bad_codes(con: duckdb.DuckDBPyConnection, name: str) -> None:
    bad = con.execute(
        sql(
            exp.select(col(name))
            .distinct()
            .from_("_checked")
            .where(exp.EQ(this=col(why(name)), expression=exp.Placeholder()))
        ),
        [USCC_PENDING],
    ).fetchall()
    if not bad:
        return
    codes, reasons = [], []
    for (code,) in bad:
        if name == "uscc" and re.fullmatch(NOTE_CELL, code):
            codes.append(code)
            reasons.append(note_reason(code))
            continue
        if name == "uscc" and _TOTAL.fullmatch(code.strip()):
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
                    {why(name): col("reason", "r")},
                    where=exp.and_(
                        exp.EQ(this=col(name, "_checked"), expression=col("code", "r")),
                        exp.EQ(this=col(why(name), "_checked"), expression=lit(USCC_PENDING)),
                    ),
                    from_=exp.From(this=exp.to_table("_uscc_reasons").as_("r")),
                )
            )
        )
    finally:
        con.unregister("_uscc_reasons")


def build_rejects(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    fields: list[str],
    width: int,
    *,
    line_scale: int = 1,
) -> None:
    """Collect ``_rejects`` (line, field, reason) and the clean rows into ``_good``.
    ``line_scale``: a staged ``_line`` is the file's line times it (plus the year: a wide
    sheet's long rows, :mod:`huiqi.profiles.wide`); the reasons name the file's lines."""
    readable = is_null(col("_problem"))
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
            .where(exp.and_(shape_ok, exp.not_(is_null(col(why(f))))))
        )
    parts.append(_duplicates(mapping, shape_ok, fields, line_scale))
    union: exp.Expression = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    con.execute(_temp_table("_rejects", exp.select("*").from_(union.subquery("u"))))
    only_the_note(con)
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


def _of_checked(node: exp.Expression) -> exp.Expression:
    """A bare column as ``_checked``'s (the duplicates' join names the keys twice)."""
    if isinstance(node, exp.Column) and not node.table:
        return col(node.name, "_checked")
    return node


def _file_line(line: exp.Expression, scale: int) -> exp.Expression:
    return line if scale == 1 else exp.IntDiv(this=line, expression=num(scale))


def _duplicates(
    mapping: Mapping, shape_ok: exp.Expression, fields: list[str], line_scale: int = 1
) -> exp.Select:
    """Rows sharing a key. Where they are the same row repeated (every value alike, an
    export that wrote a line twice), the first is kept and each repeat is rejected saying
    so; where they differ, which is right cannot be told, and all are rejected."""
    keys = list(mapping.keys)
    by = [col(k, "_checked") for k in keys]
    window = exp.Window(
        this=fn("list", _file_line(col("_line", "_checked"), line_scale)), partition_by=by
    )
    counted = exp.Window(this=exp.func("count", exp.Star()), partition_by=[c.copy() for c in by])
    keys_ok = [is_null(col(why(k))) for k in keys]
    values = [f for f in fields if f not in keys]
    row = fn("row", *(col(f) for f in values)) if values else lit("")
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
    # Over the repeated keys' rows only (most files have none): how many different rows
    # share each key, and its first line.
    variants = exp.Window(
        this=exp.Count(this=exp.Distinct(expressions=[row.transform(_of_checked)])),
        partition_by=[c.copy() for c in by],
    )
    first = exp.Window(
        this=fn("min", col("_line", "_checked")), partition_by=[c.copy() for c in by]
    )
    inner = (
        exp.select(
            col("_line", "_checked"),
            exp.alias_(window, "lines"),
            exp.alias_(counted, "n"),
            exp.alias_(variants, "variants"),
            exp.alias_(first, "first"),
        )
        .from_("_checked")
        .join(repeated.subquery("r"), on=same_key)
        .where(
            exp.and_(shape_ok.transform(_of_checked), *(k.transform(_of_checked) for k in keys_ok))
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
    differ = concat(
        "duplicate key: lines ",
        listed,
        more,
        f" have the same {what}; rows sharing a key are all rejected, keep one and import again",
    )
    repeat = concat(
        "repeats line ",
        cast(_file_line(col("first"), line_scale), "VARCHAR"),
        f" exactly (the same {what} and values); line ",
        cast(_file_line(col("first"), line_scale), "VARCHAR"),
        " is kept once",
    )
    alike = exp.EQ(this=col("variants"), expression=num(1))
    reason = exp.If(this=alike, true=repeat, false=differ)
    return (
        exp.select(col("_line"), exp.alias_(lit(keys[0]), "field"), exp.alias_(reason, "reason"))
        .from_(inner.subquery("d"))
        .where(
            exp.and_(
                exp.GT(this=col("n"), expression=num(1)),
                exp.or_(
                    exp.not_(alike.copy()),
                    exp.NEQ(this=col("_line"), expression=col("first")),
                ),
            )
        )
    )


def counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(rows accepted, rows rejected)."""
    good = con.execute("SELECT count(*) FROM _good").fetchone()
    bad = con.execute("SELECT count(DISTINCT _line) FROM _rejects").fetchone()
    return (int(good[0]) if good else 0, int(bad[0]) if bad else 0)

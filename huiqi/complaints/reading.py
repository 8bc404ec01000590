"""Read a complaint export (CSV in UTF-8/GBK, or .xlsx) into checked, hashed complaints.

The file is read by the registry readers (:mod:`huiqi.profiles.readers`: encoding
detection, line numbers, one bad line costing only itself; DuckDB's own reader where
the file is plain, :mod:`huiqi.profiles.faststage`) into a staging table of text
cells under the mapping's field names. Each row is then checked in SQL; a bad row is
kept as a reject with its line and the first reason it fails, the good rows go on.
Identity fields leave this module only as keyed hashes and masks
(:mod:`huiqi.complaints.identity`): the clear values stay in the staging table,
which is dropped.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from sqlglot import exp

from huiqi.complaints import duck, identity
from huiqi.complaints.mapping import FIELDS, ComplaintMapping, load_mapping
from huiqi.errors import ImportFileError, MappingError
from huiqi.profiles import resident_id
from huiqi.profiles.faststage import stage_fast
from huiqi.profiles.headerfit import with_fitting_header
from huiqi.profiles.readers import open_source
from huiqi.profiles.sqlexpr import sql
from huiqi.profiles.stagesql import STAGE, create_stage, stage_select
from huiqi.profiles.uscc import ALPHABET, WEIGHTS

MAX_TEXT = 5000
_DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d"]
CHINA = dt.timezone(dt.timedelta(hours=8))  # a complaint's date is a date in China


def china_today() -> dt.date:
    """Today's date in China, the latest date a complaint can have been filed on."""
    return dt.datetime.now(CHINA).date()


@dataclass(frozen=True)
class Reject:
    line: int
    reason: str
    ref: str | None = None
    # Where in the row: the complaint field and the file's header it is read from (both
    # None for the whole row: a line that cannot be read, a wrong number of cells).
    field: str | None = None
    column: str | None = None


@dataclass
class ReadResult:
    """Good complaints (Arrow, identity hashed) and the rejected rows."""

    complaints: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    rows: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step
    # Optional fields whose mapped column the file lacks, as "field (header)": left empty.
    absent: list[str] = field(default_factory=list)


# Control characters other than tab, line feed and carriage return (RE2 syntax): a cell
# holding one is refused, as an import refuses it (PostgreSQL cannot even store NUL).
CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def _cell(name: str) -> str:
    return f"nullif(trim(\"{name}\"), '')"


def _fixed(con: duckdb.DuckDBPyConnection, query: str, width: int) -> tuple[list[str], np.ndarray]:
    """Distinct values (all ``width`` ASCII characters) and their bytes as a (n, width) array."""
    values = [str(v) for (v,) in con.execute(query).fetchall()]
    raw = np.frombuffer("".join(values).encode("ascii"), dtype=np.uint8)
    return values, raw.reshape(len(values), width)


def _bad_check_characters(con: duckdb.DuckDBPyConnection) -> None:
    """Tables ``_bad_ids`` and ``_bad_usccs``: the well-formed ID numbers and USCCs of the
    file whose check character is wrong, computed over distinct values in NumPy."""
    ids, raw = _fixed(
        con,
        f"SELECT DISTINCT upper(trim(id_number)) FROM {STAGE}"
        " WHERE regexp_full_match(upper(trim(id_number)), '[0-9]{17}[0-9X]')",
        18,
    )
    total = (raw[:, :17].astype(np.int64) - 48) @ np.asarray(resident_id.WEIGHTS)
    expected = np.frombuffer(resident_id.CHECKS.encode(), dtype=np.uint8)[total % 11]
    bad_ids = [v for v, ok in zip(ids, raw[:, 17] == expected, strict=True) if not ok]
    allowed = ALPHABET.replace("0123456789", "0-9")
    codes, raw = _fixed(
        con,
        f"SELECT DISTINCT upper(trim(uscc)) FROM {STAGE} WHERE regexp_full_match("
        f"upper(trim(uscc)), '[{allowed}]{{2}}[0-9]{{6}}[{allowed}]{{10}}')",
        18,
    )
    lookup = np.zeros(256, dtype=np.int64)
    lookup[np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)] = np.arange(len(ALPHABET))
    total = lookup[raw[:, :17]] @ np.asarray(WEIGHTS)
    check = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)[(31 - total % 31) % 31]
    bad_codes = [v for v, ok in zip(codes, raw[:, 17] == check, strict=True) if not ok]
    con.register("_bad_ids", pa.table({"v": pa.array(bad_ids, pa.string())}))
    con.register("_bad_usccs", pa.table({"v": pa.array(bad_codes, pa.string())}))


def _bad_phones(con: duckdb.DuckDBPyConnection) -> None:
    """Table ``_bad_phones``: the file's phones (trimmed, distinct) that are no phone number
    by the rule the complaint API applies (``identity.is_phone``): a wrong one would link
    complainants who share nothing, or hide the link of those who share a phone."""
    phones = [
        str(v)
        for (v,) in con.execute(
            f"SELECT DISTINCT trim(phone) FROM {STAGE} WHERE {_cell('phone')} IS NOT NULL"
        ).fetchall()
    ]
    bad = [v for v in phones if not identity.is_phone(v)]
    con.register("_bad_phones", pa.table({"v": pa.array(bad, pa.string())}))


# Yuan as an export writes them: 59.90, 1234.5, with thousands separators (1,234.50),
# a currency sign (¥ or ￥) before or 元 after; at most 12 digits before the point.
_YUAN = r"[¥￥]?\s*([0-9]{1,12}|[0-9]{1,3}(,[0-9]{3}){1,3})(\.[0-9]{1,2})?\s*元?"


def _yuan_ok(name: str) -> str:
    return f"({_cell(name)} IS NULL OR regexp_full_match({_cell(name)}, '{_YUAN}'))"


# Digits past the 12 a yuan amount here has (999,999,999,999.99 at most): said as such,
# not as "not yuan".
_LONG = r"[¥￥]?\s*[0-9][0-9,]{12,}(\.[0-9]*)?\s*元?"
_TOO_LARGE = " is too large: at most 999,999,999,999.99 yuan"


def _not_too_large(name: str) -> str:
    return f"({_cell(name)} IS NULL OR NOT regexp_full_match(replace({_cell(name)}, ',', ''), '{_LONG}'))"


def _yuan(name: str) -> str:
    """The cell's yuan as DECIMAL(18, 2), the separators and signs taken away."""
    return f"CAST(regexp_replace({_cell(name)}, '[,¥￥元\\s]', '', 'g') AS DECIMAL(18, 2))"


def _date(name: str) -> str:
    return f"try_strptime({_cell(name)}, {_DATE_FORMATS!r})::DATE"


def _checks(width: int) -> list[tuple[str, str, str]]:
    """(condition a good row meets, the reason when it does not, the field it is about:
    '' for the whole row), in the order reported."""
    allowed = ALPHABET.replace("0123456789", "0-9")
    return [
        ("_problem IS NULL", "_problem", ""),
        (f"_cells = {width}", f"'the row has ' || _cells || ' cells; the header has {width}'", ""),
        *(
            (
                f"NOT regexp_matches(coalesce(\"{name}\", ''), '{CONTROL}')",
                f"'the {name} cell holds a control character (such as NUL); remove it'",
                name,
            )
            for name in FIELDS
        ),
        (f"{_cell('ref')} IS NOT NULL", "'the complaint number (ref) is empty'", "ref"),
        ("length(trim(ref)) <= 64", "'the complaint number is longer than 64 characters'", "ref"),
        (f"{_cell('id_number')} IS NOT NULL", "'the ID number is empty'", "id_number"),
        (
            "regexp_full_match(upper(trim(id_number)), '[0-9]{17}[0-9X]')",
            "'the ID number is not 17 digits and a check character (0-9 or X)'",
            "id_number",
        ),
        (
            "upper(trim(id_number)) NOT IN (SELECT v FROM _bad_ids)",
            "'the ID number''s check character is wrong: probably mistyped'",
            "id_number",
        ),
        (
            f"{_cell('phone')} IS NULL OR trim(phone) NOT IN (SELECT v FROM _bad_phones)",
            "'the phone ' || trim(phone) || ' is not a phone number: give "
            + identity.PHONE_RULE.replace("'", "''")
            + "'",
            "phone",
        ),
        (f"{_cell('uscc')} IS NOT NULL", "'the enterprise''s USCC is empty'", "uscc"),
        (
            f"regexp_full_match(upper(trim(uscc)), '[{allowed}]{{2}}[0-9]{{6}}[{allowed}]{{10}}')",
            "'the enterprise''s USCC is not 18 characters of the USCC alphabet'",
            "uscc",
        ),
        (
            "upper(trim(uscc)) NOT IN (SELECT v FROM _bad_usccs)",
            "'the enterprise''s USCC check character is wrong: probably mistyped'",
            "uscc",
        ),
        (f"{_cell('text')} IS NOT NULL", "'the complaint text is empty'", "text"),
        (
            f"length(text) <= {MAX_TEXT}",
            f"'the complaint text is longer than {MAX_TEXT} characters'",
            "text",
        ),
        (f"{_cell('filed_on')} IS NOT NULL", "'the date is empty'", "filed_on"),
        (
            f"{_date('filed_on')} IS NOT NULL",
            "'the date ' || filed_on || ' is not a date such as 2026-03-05'",
            "filed_on",
        ),
        (
            f"{_date('filed_on')} <= (SELECT d FROM _today)",
            "'the date (filed_on) ' || filed_on || ' is in the future: today is '"
            " || strftime((SELECT d FROM _today), '%Y-%m-%d') || ' in China; give the day the"
            " complaint was filed'",
            "filed_on",
        ),
        (_not_too_large("amount"), f"'the amount ' || amount || '{_TOO_LARGE}'", "amount"),
        (
            _yuan_ok("amount"),
            "'the amount ' || amount || ' is not yuan such as 59.90 or 1,234.50'",
            "amount",
        ),
        (
            _not_too_large("claim"),
            f"'the claimed compensation ' || claim || '{_TOO_LARGE}'",
            "claim",
        ),
        (
            _yuan_ok("claim"),
            "'the claimed compensation ' || claim || ' is not yuan such as 599.00 or 1,200'",
            "claim",
        ),
    ]


def _quoted(text: str) -> str:
    """A field name (our own identifiers) as an SQL string literal."""
    assert text.replace("_", "").isalnum() or not text
    return f"'{text}'"


def _stage(
    con: duckdb.DuckDBPyConnection, path: Path, mapping: ComplaintMapping
) -> tuple[int, list[str]]:
    """Stage the file's mapped columns: (how many columns its header has, the optional
    fields whose column it lacks)."""
    source, positions = with_fitting_header(open_source(path), mapping.positions, MappingError)
    fields = [*positions.values()]
    with tempfile.TemporaryDirectory(prefix="huiqi-complaints-") as scratch:
        staged = stage_fast(con, source, positions, Path(scratch))
    if staged is None:
        create_stage(con, fields)
        names = ", ".join(["_line", "_cells", "_problem", *(f'"{f}"' for f in fields)])
        for batch in source.batches():
            types = {p: batch.schema.field(f"c{p}").type for p in positions}
            con.register("_batch", batch)
            try:
                select = stage_select(types, positions, source.headers, exp.to_table("_batch"))
                con.execute(f"INSERT INTO {STAGE} ({names}) {sql(select)}")
            finally:
                con.unregister("_batch")
    for missing in (
        f
        for f in ("name", "phone", "address", "bank", "product", "amount", "claim")
        if f not in fields
    ):
        con.execute(f'ALTER TABLE {STAGE} ADD COLUMN "{missing}" VARCHAR')
    return len(source.headers), mapping.absent(source.headers)


def read_complaints(
    path: Path,
    key: bytes,
    mapping: ComplaintMapping | None = None,
    *,
    today: dt.date | None = None,
) -> ReadResult:
    """Read, check and hash one export file (see the module docstring); a complaint dated
    after ``today`` (default: today in China) is a reject."""
    mapping = mapping or load_mapping()
    con = duck.connect()
    laps: dict[str, float] = {}
    start = time.perf_counter()
    try:
        width, absent = _stage(con, path, mapping)
        laps["read"] = time.perf_counter() - start
        _bad_check_characters(con)
        _bad_phones(con)
        con.register("_today", pa.table({"d": pa.array([today or china_today()], pa.date32())}))
        checks = _checks(width)
        reason = (
            "CASE "
            + " ".join(f"WHEN NOT coalesce({c}, false) THEN {r}" for c, r, _ in checks)
            + " END"
        )
        # The field of the first check a row fails, as the reason is that check's.
        about = (
            "CASE "
            + " ".join(f"WHEN NOT coalesce({c}, false) THEN {_quoted(f)}" for c, _, f in checks)
            + " END"
        )
        # Rows keep the file's order from here on (the staging table is in it).
        con.execute("SET preserve_insertion_order = true")
        con.execute(f"ALTER TABLE {STAGE} ADD COLUMN _reason VARCHAR")
        con.execute(f"ALTER TABLE {STAGE} ADD COLUMN _field VARCHAR")
        con.execute(f"UPDATE {STAGE} SET _reason = {reason}, _field = nullif({about}, '')")
        # A complaint number seen on an earlier line of the file: the later rows are rejects.
        con.execute(
            "UPDATE _stage SET _reason = 'complaint ' || trim(_stage.ref) || ' is already on line ' || f.first_line, _field = 'ref'"
            " FROM (SELECT trim(ref) AS r, min(_line) AS first_line FROM _stage WHERE _reason IS NULL"
            " GROUP BY 1 HAVING count(*) > 1) f"
            " WHERE _stage._reason IS NULL AND trim(_stage.ref) = f.r AND _stage._line > f.first_line"
        )
        rejects = [
            Reject(int(line), str(reason_text), ref, about, mapping.columns.get(about or ""))
            for line, reason_text, ref, about in con.execute(
                "SELECT _line, _reason, nullif(trim(ref), ''), _field FROM _stage c"
                " WHERE _reason IS NOT NULL ORDER BY _line"
            ).fetchall()
        ]
        laps["check"] = time.perf_counter() - start - laps["read"]
        good = _protected(
            con,
            f"""(SELECT _line AS line, trim(ref) AS ref,
                {_cell("name")} AS name, {_cell("id_number")} AS id_number,
                {_cell("phone")} AS phone, {_cell("address")} AS address, {_cell("bank")} AS bank,
                upper(trim(uscc)) AS uscc, {_cell("product")} AS product,
                CAST(round({_yuan("amount")} * 100) AS BIGINT) AS amount_fen,
                CAST(round({_yuan("claim")} * 100) AS BIGINT) AS claim_fen,
                trim(text) AS text, {_date("filed_on")} AS filed_on
            FROM _stage WHERE _reason IS NULL)""",
            key,
        )
        rows = int(con.execute("SELECT count(*) FROM _stage").fetchone()[0])  # type: ignore[index]
        laps["hash"] = time.perf_counter() - start - laps["read"] - laps["check"]
    except duckdb.Error as exc:
        raise ImportFileError(f"{path}: cannot be read as a complaint export ({exc})") from None
    finally:
        con.close()
    timings = {k: round(v, 3) for k, v in laps.items()}
    return ReadResult(good, rejects, rows, timings, absent)


def _protected(con: duckdb.DuckDBPyConnection, table: str, key: bytes) -> pa.Table:
    """The rows of ``table`` (a table or a subquery of ours, in order) with each clear
    identity field replaced by ``<field>_masked`` and (but the name) ``<field>_hash``."""
    outer, inner = identity.pads(key)[::-1]
    clear = set(identity.FIELDS)
    columns = [c for c in con.sql(f"SELECT * FROM {table} LIMIT 0").columns if c not in clear]
    normal = ", ".join(f"{identity.normalise_sql(f, f)} AS _n_{f}" for f in identity.FIELDS)
    select, params = [f'"{c}"' for c in columns], []
    for name in identity.FIELDS:
        select.append(f"{identity.mask_sql(name, '_n_' + name)} AS {name}_masked")
        if name != "name":
            select.append(f"{identity.hmac_sql(name, '_n_' + name)} AS {name}_hash")
            params += [outer, inner]
    query = f"SELECT {', '.join(select)} FROM (SELECT *, {normal} FROM {table})"
    return con.sql(query, params=params).to_arrow_table()


def protect(table: pa.Table, key: bytes) -> pa.Table:
    """An Arrow table of complaints with clear identity fields (the generator's stream) in
    the form the importer gives: hashed and masked."""
    con = duck.connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        con.register("_clear", table)
        return _protected(con, "_clear", key)
    finally:
        con.close()

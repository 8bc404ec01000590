"""Raw enterprise profiles as Python values, for test cases and the reference evaluator.

A ``RawProfile`` is what the store holds for one enterprise: its static fields,
its yearly fields by year, and its qualification certificates. Backends load
profiles as their own kind of table (``engine/duckdb/profile_rows``); the
reference evaluator reads them as they are.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from huiqi.engine.compile.chinese_names import meant_field_names
from huiqi.engine.related import Contract, Relation
from huiqi.errors import PolicyError
from huiqi.policies.date_hint import date_hint, day_meant
from huiqi.policies.figures import amount_hint
from huiqi.profiles.dictionary import Dictionary, Field, load_codelist, load_dictionary
from huiqi.profiles.uscc import is_valid, make
from huiqi.profiles.yesno import FALSE_WORDS, TRUE_WORDS

MONEY_MAX = Decimal("9999999999999999.99")  # DECIMAL(18,2)


@dataclass
class RawProfile:
    uscc: str
    static: dict[str, Any] = field(default_factory=dict)
    years: dict[int, dict[str, Any]] = field(default_factory=dict)
    qualifications: list[tuple[str, dt.date, dt.date]] = field(default_factory=list)
    # Rows of ``relations`` and ``contracts`` whose uscc (the enterprise, the buyer) is this one.
    relations: list[Relation] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        # A document's form (2020/01/01, 2020年1月5日) gets the day to write, as a policy's
        # own dates do.
        hint = f"; {date_hint(value)}" if day_meant(value) is not None else ""
        raise PolicyError(f"{where}: '{value}' is not a date (YYYY-MM-DD){hint}") from None


def _shown(value: Any) -> str:
    """A test case's value as its YAML reads (2025-11-01, {start: 2025-11-01}), never as
    Python writes it (datetime.date(2025, 11, 1), Decimal('1.5'))."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_shown(k)}: {_shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _year(value: Any, name: str, where: str) -> int:
    """The year a test case's yearly value is for: ``{2024: 50, 2025: 48}``. A year is a
    whole number from 1900 to 2100, written as YAML reads an integer (``2024`` or
    ``"2024"``); anything else is refused with what to write, never truncated (``2024.5``)
    nor read as a rule's year offset (``-1``)."""
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if re.fullmatch(r"[0-9]{4}", text.strip()) and 1900 <= int(text) <= 2100:
        return int(text)
    offset = " (a year offset such as [-1] is for rules)" if re.fullmatch(r"-[0-9]+", text) else ""
    raise PolicyError(
        f"{where}: {_shown(value)} is not a year{offset}; key each value by its year"
        f" from 1900 to 2100, e.g. {name}: {{2024: 50, 2025: 48}}"
    )


def _certificate(value: Any, where: str) -> tuple[Any, Any]:
    """The ``(valid_from, valid_to)`` of one certificate as a test case writes it."""
    if isinstance(value, dict) and set(value) == {"from", "to"}:
        return value["from"], value["to"]
    if isinstance(value, list | tuple) and len(value) == 2:
        return value[0], value[1]
    raise PolicyError(
        f"{where}: a certificate is a pair of dates (valid from, valid to), not {_shown(value)};"
        ' write e.g. ["2025-11-20", "2028-11-19"], or a list of such pairs'
    )


def _in_range(value: Any, f: Field, where: str) -> Any:
    """``value``, or a refusal when it is outside the field's dictionary range: the compiled
    rules are bounded by it, and an import would refuse the value too."""
    if value is None or f.min is None or f.max is None or f.min <= value <= f.max:
        return value
    unit = f" {f.unit}" if f.unit else ""
    raise PolicyError(
        f"{where}: {value} is outside the field's plausible range {f.min}..{f.max}{unit}"
        " (its dictionary range; an import refuses it too): use a value inside it"
    )


def _in_codes(value: Any, f: Field, where: str, d: Dictionary) -> None:
    """Refuse an enum value that is not a code of its list (the store holds only codes; a
    case with '浦东新区' for district_code was a database error, not a message)."""
    if value is None or f.type != "enum" or not f.codes:
        return
    codes = d.codelist(f.codes)
    if value in codes.codes:
        return
    named = [c for c, entry in codes.codes.items() if value in (entry.get("zh"), entry.get("en"))]
    if named:
        raise PolicyError(
            f"{where}: '{value}' is the name of code {named[0]}: write \"{named[0]}\""
        )
    raise PolicyError(
        f"{where}: '{value}' is not a code of {f.codes}; write one of {', '.join(codes.codes)}"
    )


def _fractions_of_a_fen(number: Decimal) -> bool:
    """Whether a finite amount in yuan has a non-zero digit after its second decimal.

    Read from its digits: ``quantize`` rounds in the decimal context and raised
    InvalidOperation for a number beyond its precision ("1E+999999999999999999" in a test
    profile was a server error when a draft was saved), before the range check could
    refuse it.
    """
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite: checked by the caller
    return exponent < -2 and any(digits[exponent + 2 :])


_ONE_VALUE = (
    "; write one value (a yearly field's for the data year), or a yearly field's values"
    " by year: {2024: 50, 2025: 48}"
)


def _coerce(value: Any, ftype: str, where: str, *, written: bool = False) -> Any:
    if value is None:
        return None
    if ftype in ("money", "decimal"):
        # The policy loader reads a YAML float (12345.67 without quotes) as a Decimal;
        # docs/policies.md §6 refuses it in a test case's profile (``written``).
        if isinstance(value, float | bool) or (written and isinstance(value, Decimal)):
            # A decimal field (an area, tonnes of coal) is no money: it was called money.
            what = "money" if ftype == "money" else "a number"
            raise PolicyError(
                f"{where}: write {what} as an integer or a quoted decimal, not {value}:"
                f' write "{value}"'
            )
        if isinstance(value, str):
            try:
                number = Decimal(value.strip())
            except ArithmeticError:
                # revenue: 2000万 (QA, qa7): say the yuan to write.
                hint = f"; {amount_hint(value)}" if ftype == "money" else ""
                raise PolicyError(f"{where}: '{value}' is not a number{hint}") from None
            if not number.is_finite():
                raise PolicyError(f"{where}: '{value}' is not a number")
            if ftype == "money" and _fractions_of_a_fen(number):
                raise PolicyError(f"{where}: money has at most two decimals (fen), not '{value}'")
            return number
        if isinstance(value, int | Decimal):
            return Decimal(value)
        # A list, a mapping or a YAML date (revenue: [100], revenue: 2025-01-01) raised
        # decimal.InvalidOperation: a traceback in 'policy test', a 500 when a draft was saved.
        raise PolicyError(f"{where}: expected a number, got {_shown(value)}{_ONE_VALUE}")
    if ftype == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise PolicyError(f"{where}: expected a whole number, got {_shown(value)}")
        return value
    if ftype == "boolean":
        if isinstance(value, bool):
            return value
        # As a registry file writes it (是/否), which the importer reads too.
        word = value.strip().lower() if isinstance(value, str) else None
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        raise PolicyError(f"{where}: expected true or false (or 是/否), got {_shown(value)}")
    if ftype == "date":
        return _date(value, where)
    if ftype == "tags":
        if not isinstance(value, list):
            raise PolicyError(f"{where}: tags are a list, as in [ai, regional_hq]")
        return [str(v) for v in value]
    if isinstance(value, list | tuple | dict):
        raise PolicyError(f"{where}: expected one value, got {_shown(value)}{_ONE_VALUE}")
    return str(value)


def profile_from_case(
    data: dict[str, Any],
    *,
    data_year: int,
    seq: int = 1,
    dictionary: Dictionary | None = None,
    check_ranges: bool = True,
    written: bool = False,
) -> RawProfile:
    """Build a profile from a test case's ``profile:`` mapping.

    Yearly fields take ``{year: value}`` or a single value (meaning the data year);
    qualifications take a list of ``[valid_from, valid_to]`` pairs. A number outside its
    field's dictionary range is refused (``check_ranges=False`` lets tests build the data
    an old snapshot may hold). ``written``: the mapping is a policy file's test case, read
    from YAML, where money is an integer or a quoted decimal (an unquoted ``12345.67``,
    which the loader reads as a Decimal, is refused).
    """
    d = dictionary or load_dictionary()
    uscc = str(data.get("uscc") or make(f"91310115MA{seq:07d}"))
    prof = RawProfile(uscc=uscc)
    for name, value in data.items():
        if name == "uscc":
            continue
        if name == "qualifications" and name not in d.names:
            # The qualifications registry's rows, as its file has them: one certificate
            # per row, named by its qualification.
            rows = value if isinstance(value, list) else [value]
            for i, row in enumerate(rows):
                where = f"profile qualifications[{i}]"
                _keys(row, where, ("qualification", "valid_from", "valid_to"), ("certificate_id",))
                kinds = [q.name for q in d.qualification_fields]
                if row["qualification"] not in kinds:
                    raise PolicyError(
                        f"{where}: '{row['qualification']}' is not a qualification;"
                        f" qualifications: {', '.join(kinds)}"
                    )
                period = [row["valid_from"], row["valid_to"]]
                _add_certificate(prof, str(row["qualification"]), period, where)
            continue
        if name in ("relations", "contracts"):
            rows = value if isinstance(value, list) else [value]
            for i, row in enumerate(rows):
                where = f"profile {name}[{i}]"
                if name == "relations":
                    prof.relations.append(relation_from_case(uscc, row, where))
                else:
                    prof.contracts.append(contract_from_case(uscc, row, i, where))
            continue
        f = d.get(name)
        where = f"profile field '{name}'"
        if f is None:
            close = difflib.get_close_matches(
                str(name), [*d.names, "relations", "contracts", "qualifications"], n=1
            )
            if not close and not str(name).isascii():
                # 研发费用: a profile written with the Chinese labels (QA, qa5).
                close = meant_field_names(str(name), d)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise PolicyError(f"{where} is not in the data dictionary{hint}")
        if f.type == "qualification":
            periods = value if isinstance(value, list) else [value]
            if periods and not isinstance(periods[0], list | tuple | dict):
                periods = [periods]
            for p in periods:
                _add_certificate(prof, name, p, where)
        elif f.yearly:
            per_year = value if isinstance(value, dict) else {data_year: value}
            for key, v in per_year.items():
                year = _year(key, name, where)
                value_of_year = _coerce(v, f.type, f"{where} {year}", written=written)
                if check_ranges:
                    _in_range(value_of_year, f, f"{where} {year}")
                    _in_codes(value_of_year, f, f"{where} {year}", d)
                prof.years.setdefault(year, {})[name] = value_of_year
        else:
            prof.static[name] = _coerce(value, f.type, where, written=written)
            if check_ranges:
                _in_range(prof.static[name], f, where)
                _in_codes(prof.static[name], f, where, d)
    return prof


def _add_certificate(prof: RawProfile, name: str, period: Any, where: str) -> None:
    start, end = _certificate(period, where)
    first, last = _date(start, where), _date(end, where)
    if first > last:
        raise PolicyError(
            f"{where}: the certificate ends ({last}) before it starts ({first});"
            " write [valid_from, valid_to], the first date first"
        )
    prof.qualifications.append((name, first, last))


def _keys(row: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    if not isinstance(row, dict):
        raise PolicyError(f"{where}: write a mapping with {', '.join(required)}")
    missing = [k for k in required if k not in row]
    unknown = [k for k in row if k not in required + optional]
    if missing or unknown:
        raise PolicyError(
            f"{where}: "
            + (f"missing {missing}; " if missing else "")
            + (f"unknown {unknown}; " if unknown else "")
            + f"a row has {list(required)} and optionally {list(optional)}"
        )


def _decimal(value: Any, where: str, places: int, low: Decimal, high: Decimal) -> Decimal:
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not re.fullmatch(rf"-?[0-9]+(\.[0-9]{{1,{places}}})?", text):
        raise PolicyError(
            f"{where}: write an integer or a quoted decimal with at most {places} decimals,"
            f" not {_shown(value)}"
        )
    number = Decimal(text)
    if not low <= number <= high:
        raise PolicyError(f"{where}: {text} is outside {low}..{high}")
    return number


def _code(value: Any, codes: str, where: str) -> str:
    known = load_codelist(codes).codes
    if not isinstance(value, str) or value not in known:
        raise PolicyError(f"{where}: {_shown(value)} is not one of {', '.join(known)}")
    return value


def relation_from_case(uscc: str, row: Any, where: str) -> Relation:
    """A relation of a test case: ``{party, relation, share_pct, from, to, kind}``.

    ``kind`` is ``enterprise`` (the default when the party is a valid USCC) or ``person``
    (any other party text, taken as the stored pseudonym).
    """
    _keys(row, where, ("party", "relation", "from"), ("kind", "share_pct", "to"))
    party = row["party"]
    if not isinstance(party, str) or not party.strip():
        raise PolicyError(f"{where}: party is a USCC, or a text standing for a person")
    kind = row.get("kind") or ("enterprise" if is_valid(party) else "person")
    if kind not in ("enterprise", "person"):
        raise PolicyError(f"{where}: kind is enterprise or person, not {_shown(kind)}")
    share = row.get("share_pct")
    start = _date(row["from"], where)
    end = None if row.get("to") is None else _date(row["to"], where)
    if end is not None and end < start:
        raise PolicyError(f"{where}: to {end} is before from {start}")
    return Relation(
        uscc=uscc,
        party=party,
        party_kind=kind,
        relation=_code(row["relation"], "relation_types", f"{where} relation"),
        share_pct=None
        if share is None
        else _decimal(share, f"{where} share_pct", 4, Decimal("0.0001"), Decimal(100)),
        valid_from=start,
        valid_to=end,
    )


def contract_from_case(uscc: str, row: Any, index: int, where: str) -> Contract:
    """A contract of a test case: ``{seller, type, amount, signed_on, id}``."""
    _keys(row, where, ("seller", "type", "amount", "signed_on"), ("id",))
    seller = row["seller"]
    if not isinstance(seller, str) or not is_valid(seller):
        raise PolicyError(f"{where}: seller {_shown(seller)} is not a valid USCC")
    amount = _decimal(row["amount"], f"{where} amount", 2, Decimal("0.01"), MONEY_MAX)
    return Contract(
        uscc=uscc,
        contract_id=str(row.get("id") or f"C{index + 1}"),
        seller_uscc=seller,
        contract_type=_code(row["type"], "contract_types", f"{where} type"),
        amount=amount.quantize(Decimal("0.01")),
        signed_on=_date(row["signed_on"], where),
    )

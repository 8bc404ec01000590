"""Import rules for the two layouts of records between enterprises: relations and contracts.

``validate.rules_for`` hands these layouts here; each column gets a rule (the SQL
that parses its text, and the SQL that says why it is refused), in the same
shape as a dictionary field's rule.

relations (one row per enterprise, party, relation type and start date):

* ``uscc``        the enterprise (GB 32100-2015);
* ``party_kind``  ``enterprise`` (企业, 法人) or ``person`` (自然人, 个人);
* ``party``       the related party: a USCC for an enterprise; for a person, the
  registry's identifier (an ID-card number or its own person key, 4 to 40 letters,
  digits or hyphens), which is never stored: the importer keeps only its keyed hash
  (``links.pseudonymise``), and messages never quote it;
* ``relation``    a code of ``huiqi/reference/relation_types.yaml`` or its Chinese name;
* ``share_pct``   the share held, in per cent (0 < share <= 100, at most 4 decimals);
  required for a shareholder;
* ``valid_from``, ``valid_to``  the period the relation holds; ``valid_to`` is empty
  while it still holds.

contracts (one row per buyer and contract number):

* ``uscc``           the buyer; ``seller_uscc`` the seller (may be outside the
  population the store holds);
* ``contract_id``    the contract's number (at most 64 characters);
* ``contract_type``  a code of ``huiqi/reference/contract_types.yaml`` or its Chinese name;
* ``amount``         yuan, exact, more than 0 and at most 10^13 (a mapping may
  declare the column in 万元: ``units: {amount: wan_yuan}``);
* ``signed_on``      the signing date, not after the day of the import.
"""

from __future__ import annotations

from decimal import Decimal

from sqlglot import exp

from huiqi.profiles.cellchecks import uscc_ok
from huiqi.profiles.daterules import date_rule, not_after_today
from huiqi.profiles.dictionary import Field, Label, load_codelist
from huiqi.profiles.mapping import Mapping
from huiqi.profiles.numberrules import decimal_rule, is_, quoted
from huiqi.profiles.resident_id import CHECKS, WEIGHTS
from huiqi.profiles.sqlexpr import (
    and_,
    case,
    cast,
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
from huiqi.profiles.validate import USCC_PENDING, Rule, rule

ENTERPRISE_WORDS = ("enterprise", "企业", "法人", "单位")
PERSON_WORDS = ("person", "自然人", "个人")
PERSON_ID = r"[0-9A-Za-z-]{4,40}"
# An ID number a spreadsheet stored as a number: "1.10105E+17" keeps 15 digits at most.
SCIENTIFIC = r"[0-9]+(\.[0-9]*)?[Ee][+-]?[0-9]+"
# A mainland resident ID number (GB 11643-1999): 17 digits and a check character.
RESIDENT_ID = r"[0-9]{17}[0-9Xx]"


def resident_id_check(v: exp.Expression) -> exp.Expression:
    """The check character (GB 11643-1999) that the first 17 digits of ``v`` call for:
    the weighted sum of the digits modulo 11 indexes ``10X98765432``.

    Example:
        >>> from huiqi.profiles.sqlexpr import sql
        >>> import duckdb
        >>> duckdb.sql("SELECT " + sql(resident_id_check(lit("11010119900307123X")))).fetchall()
        [('3',)]
    """
    total: exp.Expression = num(0)
    for i, weight in enumerate(WEIGHTS, start=1):
        # try_cast: the rule is computed for every party, an enterprise's USCC too.
        digit = try_cast(fn("substr", v, num(i), num(1)), "INTEGER")
        total = exp.Add(this=total, expression=exp.Mul(this=digit, expression=num(weight)))
    at = exp.Add(this=exp.Mod(this=exp.paren(total), expression=num(11)), expression=num(1))
    return fn("substr", lit(CHECKS), at, num(1))


CONTRACT_ID = r"[^\s].{0,63}"
# A contract's amount, as a money field of the dictionary would declare it.
AMOUNT = Field(
    name="amount",
    type="money",
    label=Label("合同金额", "Contract amount"),
    source="ai_platform",
    unit="yuan",
    min=Decimal("0.01"),
    max=Decimal(10**13),
)
SHARE = Field(
    name="share_pct",
    type="decimal",
    label=Label("持股比例", "Share held"),
    source="market",
    unit="%",
    min=Decimal("0.0001"),
    max=Decimal(100),
)


def _choice(v: exp.Expression, codes: str, what: str) -> tuple[exp.Expression, list]:
    listed = load_codelist(codes).codes
    parsed = case(
        *(
            (in_list(v, [c, str(e.get("zh", c)), *map(str, e.get("also", ()))]), lit(c))
            for c, e in listed.items()
        )
    )
    listing = ", ".join(f"{c} ({e.get('zh', c)})" for c, e in listed.items())
    reason = concat(quoted(v), f" is not {what}; use a code or its Chinese name: {listing}")
    return parsed, [(is_null(parsed), reason)]


def _kind(v: exp.Expression) -> exp.Expression:
    word = fn("lower", v)
    return case(
        (in_list(word, list(ENTERPRISE_WORDS)), lit("enterprise")),
        (in_list(word, list(PERSON_WORDS)), lit("person")),
    )


def link_rules(
    mapping: Mapping, fields: list[str], values: dict[str, exp.Expression]
) -> list[Rule]:
    """One rule per column of a relations or contracts file."""
    out: list[Rule] = []
    for name in fields:
        v = values[name]
        if name == "uscc":
            checks = [(not_(uscc_ok(v)), lit(USCC_PENDING))]
            out.append(rule(name, "VARCHAR", v, v, checks, required=True))
        elif name == "party_kind":
            parsed = _kind(v)
            reason = concat(
                quoted(v),
                " is not a kind of party; use enterprise (企业) or person (自然人)",
            )
            out.append(rule(name, "VARCHAR", v, parsed, [(is_null(parsed), reason)], required=True))
        elif name == "party":
            out.append(_party(v, values.get("party_kind"), values.get("uscc")))
        elif name == "relation":
            parsed, checks = _choice(v, "relation_types", "a relation type")
            out.append(rule(name, "VARCHAR", v, parsed, checks, required=True))
        elif name == "share_pct":
            # The column is in per cent: "30%" (or a full-width "30％") is 30.
            bare = fn("regexp_replace", v, lit(r"\s*[%％]$"), lit(""))
            parsed, checks = decimal_rule(SHARE, bare, "per cent", 4, 1)
            out.append(rule(name, "DECIMAL(18,6)", v, parsed, checks, required=False))
        elif name in ("valid_from", "valid_to"):
            out.append(_period(name, v, values))
        elif name == "contract_id":
            checks = [
                (
                    not_(matches(v, CONTRACT_ID)),
                    lit("a contract number has at most 64 characters"),
                )
            ]
            out.append(rule(name, "VARCHAR", v, v, checks, required=True))
        elif name == "seller_uscc":
            up = fn("upper", v)
            # Explained after the check (rowcheck), as the buyer's code is.
            checks = [(not_(uscc_ok(up)), lit(USCC_PENDING))]
            if "uscc" in values:
                checks.append(_itself(up, values["uscc"], "a contract's seller is its buyer"))
            out.append(rule(name, "VARCHAR", v, up, checks, required=True))
        elif name == "contract_type":
            parsed, checks = _choice(v, "contract_types", "a contract type")
            out.append(rule(name, "VARCHAR", v, parsed, checks, required=True))
        elif name == "amount":
            factor, extra = mapping.unit_of("amount")
            unit = mapping.units.get("amount", "yuan")
            parsed, checks = decimal_rule(AMOUNT, v, unit, 2 + extra, factor)
            out.append(rule(name, "DECIMAL(18,2)", v, parsed, checks, required=True))
        elif name == "signed_on":
            # A contract is imported once signed (QA: one "signed" in 2030 was kept), as a
            # registration is refused when dated in the future (daterules.PAST_DATES).
            parsed, checks = date_rule(v)
            checks.append(not_after_today(v, parsed, "a contract's signing"))
            out.append(rule(name, "DATE", v, parsed, checks, required=True))
    if mapping.layout == "relations" and "relation" in values:
        out = [
            _share_required(r, values) if r.field in ("share_pct", "relation") else r for r in out
        ]
    return out


def _itself(
    other: exp.Expression, uscc: exp.Expression, what: str
) -> tuple[exp.Expression, exp.Expression]:
    """Refuse a row whose other enterprise is the row's own (a registry's slip: it relates
    nothing, and would count the enterprise as its own related party)."""
    same = exp.EQ(this=other, expression=fn("upper", fn("trim", uscc)))
    return (
        is_(same),
        lit(
            f"{what}: the row names the enterprise itself as the other party; correct the"
            " party's code from the registry, or leave the row out"
        ),
    )


def _party(
    v: exp.Expression, kind_text: exp.Expression | None, uscc: exp.Expression | None
) -> Rule:
    """The party: a USCC for an enterprise, a person's identifier (never quoted) otherwise."""
    kind = _kind(kind_text) if kind_text is not None else lit("person")
    up = fn("upper", v)
    enterprise = exp.EQ(this=kind, expression=lit("enterprise"))
    person = exp.EQ(this=kind.copy(), expression=lit("person"))
    checks = [
        (
            is_(and_(enterprise, not_(uscc_ok(up)))),
            lit(USCC_PENDING),  # explained after the check (rowcheck), as the enterprise's is
        ),
        (
            is_(and_(person.copy(), matches(v, SCIENTIFIC))),
            # Said apart: the generic refusal left the steward guessing what was wrong.
            lit(
                "a person's ID number in scientific notation: the spreadsheet stored it as a"
                " number and kept only 15 of its digits, so it cannot be read back; format the"
                " column as text, export the numbers again from the registry and import the"
                " file again"
            ),
        ),
        (
            is_(
                and_(
                    person.copy(),
                    not_(matches(v, PERSON_ID)),
                    not_(matches(v, SCIENTIFIC)),
                )
            ),
            # The value is a person's identifier: the message says what is wrong, not what it is.
            lit(
                "a person's identifier is 4 to 40 letters, digits or hyphens (ID number or registry key)"
            ),
        ),
        (
            # A typo in an ID number would store another person: two enterprises with the
            # same legal representative would not be seen as related parties.
            is_(
                and_(
                    person.copy(),
                    matches(v, RESIDENT_ID),
                    exp.NEQ(
                        this=fn("upper", fn("substr", v, num(18), num(1))),
                        expression=resident_id_check(v),
                    ),
                )
            ),
            lit(
                "a resident ID number's last character does not match its first 17 digits"
                " (GB 11643-1999 check): a digit was mistyped; correct the ID number from the"
                " registry and import the file again"
            ),
        ),
    ]
    if uscc is not None:
        where, text = _itself(up.copy(), uscc, "an enterprise is not its own related party")
        checks.append((is_(and_(enterprise.copy(), where)), text))
    return rule("party", "VARCHAR", v, up, checks, required=True)


def _period(name: str, v: exp.Expression, values: dict[str, exp.Expression]) -> Rule:
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
    return rule(name, "DATE", v, parsed, checks, required=name == "valid_from")


def _share_required(r: Rule, values: dict[str, exp.Expression]) -> Rule:
    """A shareholder's row needs its share: whether two enterprises are related turns on
    it (25 %). The share's cell says so; a file without a share column, the relation's."""
    if (r.field == "share_pct") == ("share_pct" not in values):
        return r
    relation, _ = _choice(values["relation"], "relation_types", "")
    shareholder = is_(exp.EQ(this=relation, expression=lit("shareholder")))
    if r.field == "share_pct":
        missing = and_(is_null(values["share_pct"]), shareholder)
        text = "a shareholder needs its share in per cent (持股比例)"
    else:
        missing = shareholder
        text = "a shareholder needs its share in per cent, and the file has no share column"
    return Rule(r.field, r.sql_type, r.parsed, case((missing, lit(text)), default=r.reason))

"""Check a parsed rule expression: allowed constructs, known fields, correct types.

The checker walks the SQLGlot tree of one criterion or amount formula and
computes the type of every node. It refuses anything outside the rule language:
statements, subqueries, unknown functions, unknown fields, type mismatches.
Messages say what is wrong, where (character offset in the expression) and what to do.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable

from sqlglot import exp

from huiqi.engine.compile import language as L
from huiqi.engine.compile import types as T
from huiqi.engine.compile.codelists import check_codes, string_outputs
from huiqi.engine.compile.functions import check_function
from huiqi.engine.compile.literals import constant_value, literal_hint, reversed_range
from huiqi.engine.compile.nodes import ALLOWED_NODES, describe, offset_of
from huiqi.engine.compile.scan import CheckError
from huiqi.engine.compile.tree_slips import col_name, last_year_name, listed
from huiqi.engine.compile.types import Ty
from huiqi.policies.date_hint import day_meant
from huiqi.profiles.dictionary import Dictionary

__all__ = ["CheckError", "Checker", "offset_of"]

CONSTANTS = {"as_of": T.DATE, "data_year": T.INTEGER}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_ORDERING = (exp.GT, exp.GTE, exp.LT, exp.LTE)


def _fail(node: exp.Expression, message: str) -> CheckError:
    return CheckError(message, offset_of(node))


class Checker:
    """Type-checks rule trees against the data dictionary."""

    def __init__(self, dictionary: Dictionary) -> None:
        self.dictionary = dictionary
        self._dispatch: dict[type[exp.Expression], Callable[[exp.Expression], Ty]] = {
            exp.Paren: lambda n: self.type_of(n.this),
            exp.And: self._logic,
            exp.Or: self._logic,
            exp.Not: self._not,
            exp.Neg: self._neg,
            exp.Add: self._add_sub,
            exp.Sub: self._add_sub,
            exp.Mul: self._mul,
            exp.Div: self._div,
            exp.In: self._in,
            exp.Between: self._between,
            exp.Is: self._is,
            exp.Case: self._case,
            exp.If: self._if,
            exp.Coalesce: self._variadic,
            exp.Greatest: self._variadic,
            exp.Least: self._variadic,
            exp.Abs: self._abs,
            exp.Cast: self._cast,
            exp.Interval: self._interval,
            exp.Anonymous: self._function,
            exp.Bracket: self._bracket,
            exp.Column: self._column,
            exp.Literal: self._literal,
            exp.Boolean: lambda n: T.BOOLEAN,
            exp.Null: lambda n: T.NULL,
        }
        for cmp in (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE):
            self._dispatch[cmp] = self._compare

    # ------------------------------------------------------------------ entry points
    def check_constructs(self, tree: exp.Expression) -> None:
        years = 0.0
        for node in tree.walk():
            if not isinstance(node, ALLOWED_NODES):
                raise _fail(
                    node,
                    f"{describe(node)} is not allowed in a rule: a rule is one expression over"
                    " enterprise fields (no statements, subqueries, tables or other SQL)",
                )
            if isinstance(node, exp.Interval):
                amount, unit = self.interval_parts(node)
                years += abs(amount) / {"YEAR": 1, "MONTH": 12, "DAY": 365}[unit]
                if years > L.MAX_INTERVAL_YEARS:
                    raise _fail(
                        node,
                        f"the intervals of this rule add up to more than {L.MAX_INTERVAL_YEARS}"
                        " years; no policy looks that far",
                    )

    def type_of(self, node: exp.Expression) -> Ty:
        handler = self._dispatch.get(type(node))
        if handler is None:
            raise _fail(node, f"'{describe(node)}' is not allowed in a rule")
        return handler(node)

    # ------------------------------------------------------------------ leaves
    def _literal(self, node: exp.Expression) -> Ty:
        if node.is_string:
            return T.STRING
        text = node.name
        if "e" in text.lower():
            raise _fail(
                node,
                f"write '{text}' without an exponent (e.g. 1000000): exponents make binary floats",
            )
        return T.INTEGER if text.lstrip("-").isdigit() else T.DECIMAL

    def _column(self, node: exp.Expression) -> Ty:
        if node.table:
            raise _fail(node, f"'{node.sql()}' names a table; refer to fields by their name only")
        name = node.name
        if name in CONSTANTS:
            return CONSTANTS[name]
        field = self.dictionary.get(name)
        if field is None:
            last = last_year_name(name, self.dictionary)
            close = [last] if last else difflib.get_close_matches(name, self.dictionary.names, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else "; see the data dictionary"
            raise _fail(node, f"unknown field '{name}'{hint}")
        if field.key:
            raise _fail(node, f"'{name}' identifies the enterprise and cannot be tested by a rule")
        return T.field_type(field.type, field.codes)

    def _bracket(self, node: exp.Expression) -> Ty:
        col = node.this
        if not isinstance(col, exp.Column) or self.dictionary.get(col.name) is None:
            raise _fail(node, "only a yearly field can take a year offset, as in revenue[-1]")
        field = self.dictionary.field(col.name)
        if not field.yearly:
            raise _fail(node, f"'{field.name}' is not a yearly field; write it without [..]")
        self.year_offset(node)
        return self._column(col)

    def year_offset(self, node: exp.Expression) -> int:
        """The offset in ``field[-k]``: 0 or a negative integer literal."""
        if len(node.expressions) != 1:
            raise _fail(node, "a year offset is one integer, as in revenue[-1]")
        idx = node.expressions[0]
        sign = -1 if isinstance(idx, exp.Neg) else 1
        lit = idx.this if isinstance(idx, exp.Neg) else idx
        if not isinstance(lit, exp.Literal) or lit.is_string or not lit.name.isdigit():
            raise _fail(node, "a year offset is an integer literal, as in revenue[-1]")
        value = sign * int(lit.name)
        if value >= L.DATE_MIN.year:
            # revenue[2025]: a year where the offset goes (QA, qa7).
            raise _fail(
                node,
                f"[{value}] is a year, but a rule names a year by its offset from the policy's"
                f" data_year: {col_name(node)} for the data year, {col_name(node)}[-1] for the"
                " year before it",
            )
        if value > 0:
            raise _fail(
                node,
                f"offset [{value}] looks past the policy's data year; use 0 or a negative number",
            )
        if value < -L.MAX_YEARS_BACK:
            raise _fail(node, f"offset [{value}] goes back more than {L.MAX_YEARS_BACK} years")
        return value

    # ------------------------------------------------------------------ operators
    def _expect(self, node: exp.Expression, want: str, what: str) -> Ty:
        got = self.type_of(node)
        ok = got.kind == "null" or (got.numeric if want == "numeric" else got.kind == want)
        if not ok:
            # A bare qualification read as a flag (high_tech OR tech_sme): say what to write.
            hint = (
                " (use holds(...) to test a qualification)"
                if got.kind == "qualification" and want == "boolean"
                else ""
            )
            raise _fail(node, f"{what} needs a {want} value but '{node.sql()}' is {got}{hint}")
        return got

    def _logic(self, node: exp.Expression) -> Ty:
        word = "AND" if isinstance(node, exp.And) else "OR"
        in_list = listed(node) if word == "OR" else None
        if in_list is not None:
            # size_class = 'small' OR 'micro' (QA, qa7): one field, several values.
            got = self.type_of(node.expression)
            raise _fail(
                node.expression,
                f"OR needs a boolean value but '{node.expression.sql()}' is {got}; to test"
                f" several values of one field write {in_list}",
            )
        self._expect(node.this, "boolean", f"{word}")
        self._expect(node.expression, "boolean", f"{word}")
        return T.BOOLEAN

    def _not(self, node: exp.Expression) -> Ty:
        self._expect(node.this, "boolean", "NOT")
        return T.BOOLEAN

    def _neg(self, node: exp.Expression) -> Ty:
        return self._expect(node.this, "numeric", "a minus sign")

    def _add_sub(self, node: exp.Expression) -> Ty:
        left, right = self.type_of(node.this), self.type_of(node.expression)
        if left.kind == "date" and right.kind == "interval":
            return T.DATE
        if left.numeric and right.numeric:
            out = T.widen(left, right)
            assert out is not None
            return out
        op = "+" if isinstance(node, exp.Add) else "-"
        raise _fail(
            node,
            f"cannot compute {left} {op} {right} in '{node.sql()}'; add numbers to numbers,"
            " or an INTERVAL to a date (registration_date + INTERVAL 3 YEAR)",
        )

    def _mul(self, node: exp.Expression) -> Ty:
        left = self._expect(node.this, "numeric", "*")
        right = self._expect(node.expression, "numeric", "*")
        out = T.widen(left, right)
        assert out is not None
        return out

    def _div(self, node: exp.Expression) -> Ty:
        self._expect(node.this, "numeric", "/")
        self._expect(node.expression, "numeric", "/")
        return T.FLOAT

    def _compare(self, node: exp.Expression) -> Ty:
        for side in (node.this, node.expression):
            if isinstance(side, exp.Null):
                raise _fail(
                    side, "a comparison with NULL is always unknown; write IS NULL or IS NOT NULL"
                )
        left, right = self.type_of(node.this), self.type_of(node.expression)
        if not T.comparable(left, right):
            hint = literal_hint(left, node.expression) or literal_hint(right, node.this)
            if "qualification" in (left.kind, right.kind):
                # high_tech = TRUE (QA, qa7): the hint a bare qualification gets elsewhere.
                hint = " (use holds(...) to test a qualification)"
            raise _fail(node, f"cannot compare {left} with {right} in '{node.sql()}'{hint}")
        if "enum" in (left.kind, right.kind):
            if left.kind == right.kind == "enum" and left.codes != right.codes:
                raise _fail(node, f"cannot compare {left} with {right}: they are different codes")
            if isinstance(node, _ORDERING):
                raise _fail(
                    node,
                    "codes have no order; compare them with =, <> or IN (...)",
                )
        self._check_enum_literal(left, node.expression)
        self._check_enum_literal(right, node.this)
        return T.BOOLEAN

    def _check_enum_literal(self, ty: Ty, other: exp.Expression) -> None:
        check_codes(ty, other)

    def _in(self, node: exp.Expression) -> Ty:
        if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
            raise _fail(node, "IN takes a list of values, not a subquery")
        left = self.type_of(node.this)
        if not node.expressions:
            raise _fail(node, "IN () is an empty list; name at least one value")
        for item in node.expressions:
            if not isinstance(item, exp.Literal | exp.Neg):
                raise _fail(
                    item,
                    "IN takes a list of literal values, as in district_code IN ('310115', '310104')",
                )
            if not T.comparable(left, self.type_of(item)):
                hint = literal_hint(left, item)
                raise _fail(item, f"'{item.sql()}' cannot be compared with {left}{hint}")
            self._check_enum_literal(left, item)
        return T.BOOLEAN

    def _between(self, node: exp.Expression) -> Ty:
        if node.args.get("symmetric") is not None:
            raise _fail(node, "BETWEEN takes the low bound first: x BETWEEN low AND high")
        for part in (node.this, node.args["low"], node.args["high"]):
            if isinstance(part, exp.Null):
                raise _fail(
                    part,
                    "BETWEEN with NULL is never true (a comparison with NULL is unknown);"
                    " for one bound alone write x >= low or x <= high, for a missing value"
                    " IS NULL",
                )
        kinds = [self.type_of(n) for n in (node.this, node.args["low"], node.args["high"])]
        if not (
            all(k.numeric or k.kind == "null" for k in kinds)
            or all(k.kind == "date" for k in kinds)
        ):
            raise _fail(node, f"BETWEEN needs numbers or dates, got {', '.join(map(str, kinds))}")
        low, high = constant_value(node.args["low"]), constant_value(node.args["high"])
        if reversed_range(low, high):
            # BETWEEN 100 AND 10 holds for no value: the bounds were written the wrong way round.
            lo, hi = (
                f"DATE '{v.isoformat()}'" if isinstance(v, dt.date) else n.sql()
                for v, n in ((low, node.args["low"]), (high, node.args["high"]))
            )
            raise _fail(
                node.args["low"],
                f"BETWEEN {lo} AND {hi} holds for no value: the low bound comes first;"
                f" write BETWEEN {hi} AND {lo}",
            )
        return T.BOOLEAN

    def _is(self, node: exp.Expression) -> Ty:
        if not isinstance(node.expression, exp.Null):
            raise _fail(node, "IS is only allowed as IS NULL or IS NOT NULL")
        ty = self.type_of(node.this)
        if ty.kind == "qualification":
            raise _fail(node, f"test a qualification with holds({node.this.sql()}), not IS NULL")
        return T.BOOLEAN

    def _unify(self, nodes: list[exp.Expression], what: str) -> Ty:
        out = T.NULL
        types = []
        for n in nodes:
            ty = self.type_of(n)
            types.append(ty)
            joined = T.widen(out, ty)
            if joined is None:
                raise _fail(n, f"{what} mixes {out} and {ty}; all branches need one type")
            out = joined
        enums = {t for t in types if t.kind == "enum"}
        if len(enums) > 1:
            raise _fail(nodes[0], f"{what} mixes different codes: {', '.join(map(str, enums))}")
        if enums:
            # A text next to a code is a code: check it, and keep the code's type.
            (enum,) = enums
            for n in nodes:
                self._check_enum_literal(enum, n)
            if all(
                t.kind in ("enum", "null") or list(string_outputs(n))
                for t, n in zip(types, nodes, strict=True)
            ):
                return enum
        return out

    def _case(self, node: exp.Expression) -> Ty:
        if node.this is not None:
            raise _fail(
                node, "write CASE WHEN condition THEN ... (the 'CASE x WHEN' form is not supported)"
            )
        results = []
        for branch in node.args.get("ifs") or []:
            self._expect(branch.this, "boolean", "CASE WHEN")
            results.append(branch.args["true"])
        if node.args.get("default") is not None:
            results.append(node.args["default"])
        return self._unify(results, "CASE")

    def _if(self, node: exp.Expression) -> Ty:
        self._expect(node.this, "boolean", "IF")
        branches = [node.args["true"]]
        if node.args.get("false") is not None:
            branches.append(node.args["false"])
        return self._unify(branches, "IF")

    def _variadic(self, node: exp.Expression) -> Ty:
        name = describe(node)
        out = self._unify([node.this, *node.expressions], name)
        if name in ("GREATEST", "LEAST") and not (out.numeric or out.kind == "date"):
            raise _fail(node, f"{name} needs numbers or dates, got {out}")
        return out

    def _abs(self, node: exp.Expression) -> Ty:
        return self._expect(node.this, "numeric", "ABS")

    def _cast(self, node: exp.Expression) -> Ty:
        target = node.args["to"]
        if target.this != exp.DataType.Type.DATE or not (
            isinstance(node.this, exp.Literal) and node.this.is_string
        ):
            raise _fail(node, "the only conversion allowed is a date literal: DATE 'YYYY-MM-DD'")
        self.date_literal(node)
        return T.DATE

    def date_literal(self, node: exp.Expression) -> dt.date:
        text = node.this.name
        try:
            if not _ISO_DATE.match(text):
                raise ValueError(text)
            value = dt.date.fromisoformat(text)
        except ValueError:
            day = day_meant(text)
            if day is not None and not _ISO_DATE.match(text):
                # DATE '2023/01/01' (QA, qa7): the day it stands for, worked out.
                raise _fail(
                    node, f"'{text}' is not a date; write DATE '{day.isoformat()}'"
                ) from None
            raise _fail(node, f"'{text}' is not a date; write DATE 'YYYY-MM-DD'") from None
        if not L.DATE_MIN <= value <= L.DATE_MAX:
            raise _fail(
                node,
                f"DATE '{text}' is outside the dates huiqi holds ({L.DATE_MIN} to {L.DATE_MAX})",
            )
        return value

    def _interval(self, node: exp.Expression) -> Ty:
        self.interval_parts(node)
        return T.INTERVAL

    def interval_parts(self, node: exp.Expression) -> tuple[int, str]:
        value = node.this
        unit = (node.unit.name if node.unit is not None else "").upper()
        if unit not in L.INTERVAL_UNITS:
            raise _fail(
                node, f"an INTERVAL counts {', '.join(L.INTERVAL_UNITS)}, as in INTERVAL 3 YEAR"
            )
        if not isinstance(value, exp.Literal) or not value.name.isdigit():
            raise _fail(node, "an INTERVAL needs a whole number, as in INTERVAL 3 YEAR")
        return int(value.name), unit

    # ------------------------------------------------------------------ functions
    def _function(self, node: exp.Expression) -> Ty:
        return check_function(self, node)

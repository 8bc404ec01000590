"""Type-check the rule language's own functions: holds, recognised_in, years_since, has_tag,
the contract functions and group_total.

The built-in ones (COALESCE, ABS, GREATEST, LEAST, IF) are SQLGlot nodes of their
own and checked in ``check``; these four arrive as anonymous function calls.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlglot import exp

from huiqi.engine.compile import language as L
from huiqi.engine.compile import types as T
from huiqi.engine.compile.literals import literal_hint
from huiqi.engine.compile.scan import CheckError
from huiqi.engine.compile.slips import function_alias
from huiqi.engine.compile.types import Ty
from huiqi.profiles.dictionary import load_codelist

if TYPE_CHECKING:
    from huiqi.engine.compile.check import Checker


def _offset(node: exp.Expression) -> int | None:
    for n in node.walk():
        meta = getattr(n, "_meta", None) or {}
        if "start" in meta:
            return int(meta["start"])
    return None


def _fail(node: exp.Expression, message: str) -> CheckError:
    return CheckError(message, _offset(node))


def check_function(checker: Checker, node: exp.Expression) -> Ty:
    """The type of a call of one of the custom functions, or a refusal."""
    name = node.name.lower()
    args = node.expressions
    if name not in L.CUSTOM_FUNCTIONS:
        raise _fail(
            node,
            f"function '{node.name}' is not allowed; allowed functions: {L.allowed_functions()}"
            + function_alias(node.name),
        )
    usage = L.CUSTOM_FUNCTIONS[name]
    if name in ("holds", "recognised_in"):
        if not args or len(args) > 2 or (name == "recognised_in" and len(args) != 2):
            raise _fail(node, f"usage: {usage}")
        _qualification_arg(checker, args[0], usage)
        if len(args) == 2:
            want = "date" if name == "holds" else "integer"
            got = checker.type_of(args[1])
            if got.kind != want:
                raise _fail(args[1], _second_arg_advice(node, args[1], usage, f"{got}"))
        return T.BOOLEAN
    if name in L.CONTRACT_FUNCTIONS:
        return _contract_function(checker, node, name, usage)
    if name == "group_total":
        return _group_total(checker, node, usage)
    if name == "years_since":
        if len(args) != 1:
            raise _fail(node, f"usage: {usage}")
        got = checker.type_of(args[0])
        if got.kind != "date":
            # years_since('2020-01-01'): the date literal to write instead (QA, qa5).
            raise _fail(node, f"usage: {usage}{literal_hint(T.DATE, args[0])}")
        return T.INTEGER
    # has_tag
    if (
        len(args) != 2
        or checker.type_of(args[0]).kind != "tags"
        or not (isinstance(args[1], exp.Literal) and args[1].is_string)
    ):
        raise _fail(node, f"usage: {usage}")
    return T.BOOLEAN


def _second_arg_advice(node: exp.Expression, arg: exp.Expression, usage: str, got: str) -> str:
    """The refusal of holds'/recognised_in's second argument; for a year in quotes,
    recognised_in(high_tech, '2025'), the call to write instead (QA, qa12)."""
    quoted = isinstance(arg, exp.Literal) and arg.is_string
    year = re.fullmatch(r"\s*(\d{4})\s*年?\s*", arg.name) if quoted else None
    if node.name.lower() == "recognised_in" and year is not None:
        qualification = node.expressions[0].name
        return (
            f"usage: {usage}; a year is written without quotes:"
            f" recognised_in({qualification}, {year.group(1)})"
        )
    # holds(high_tech, '2025-01-01'): the date literal to write instead (QA, qa5).
    hint = literal_hint(T.DATE, arg) if node.name.lower() == "holds" else ""
    return f"usage: {usage}; '{arg.sql()}' is {got}{hint}"


def _qualification_arg(checker: Checker, node: exp.Expression, usage: str) -> None:
    if isinstance(node, exp.Literal) and node.is_string:
        # holds('high_tech') or holds('高新技术企业'): a qualification in quotes (QA, qa5).
        meant = _qualification_named(checker, node.name)
        if meant is not None:
            raise _fail(
                node, f"usage: {usage}; a qualification is named without quotes: holds({meant})"
            )
    if not isinstance(node, exp.Column):
        raise _fail(node, f"usage: {usage}")
    ty = checker.type_of(node)
    if ty.kind != "qualification":
        quals = ", ".join(f.name for f in checker.dictionary.qualification_fields)
        raise _fail(node, f"'{node.name}' is not a qualification; qualifications: {quals}")


def _qualification_named(checker: Checker, text: str) -> str | None:
    """The qualification field ``text`` names, by its name or its Chinese label."""
    for f in checker.dictionary.qualification_fields:
        if text.strip() in (f.name, f.label.zh):
            return f.name
    return None


def _contract_function(checker: Checker, node: exp.Expression, name: str, usage: str) -> Ty:
    args = node.expressions
    if len(args) < 2:
        raise _fail(node, f"usage: {usage}")
    for arg in args[:2]:
        got = checker.type_of(arg)
        if got.kind != "date":
            # contract_total(2026-01-01, …): say the date to write, as a comparison does (QA,
            # qa7).
            raise _fail(
                arg,
                f"usage: {usage}; '{arg.sql()}' is {got}, not a date{literal_hint(T.DATE, arg)}",
            )
    codes = load_codelist(L.CONTRACT_TYPES).codes
    for arg in args[2:]:
        if not (isinstance(arg, exp.Literal) and arg.is_string):
            raise _fail(arg, f"usage: {usage}; a contract type is a code in quotes, as in 'model'")
        if arg.name not in codes:
            raise _fail(
                arg,
                f"'{arg.name}' is not a contract type; contract types: {', '.join(codes)}",
            )
    return T.BOOLEAN if name == "related_contract" else T.DECIMAL


def _group_total(checker: Checker, node: exp.Expression, usage: str) -> Ty:
    args = node.expressions
    if not args or len(args) > 2:
        raise _fail(node, f"usage: {usage}")
    target = args[0]
    column = target.this if isinstance(target, exp.Bracket) else target
    if not isinstance(column, exp.Column) or checker.dictionary.get(column.name) is None:
        raise _fail(target, f"usage: {usage}; the first argument is a field, as in revenue[-1]")
    ty = checker.type_of(target)
    if ty.kind not in ("integer", "decimal"):
        raise _fail(target, f"group_total adds numbers; '{target.sql()}' is {ty}")
    if len(args) == 2 and checker.type_of(args[1]).kind != "date":
        hint = literal_hint(T.DATE, args[1])
        raise _fail(args[1], f"usage: {usage}; '{args[1].sql()}' is not a date{hint}")
    return ty

"""Type-check the rule language's own functions: holds, recognised_in, years_since, has_tag.

The built-in ones (COALESCE, ABS, GREATEST, LEAST, IF) are SQLGlot nodes of their
own and checked in ``check``; these four arrive as anonymous function calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from huiqi.engine.compile import language as L
from huiqi.engine.compile import types as T
from huiqi.engine.compile.scan import CheckError
from huiqi.engine.compile.types import Ty

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
            f"function '{node.name}' is not allowed; allowed functions: {L.allowed_functions()}",
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
                raise _fail(args[1], f"usage: {usage}; '{args[1].sql()}' is {got}")
        return T.BOOLEAN
    if name == "years_since":
        if len(args) != 1 or checker.type_of(args[0]).kind != "date":
            raise _fail(node, f"usage: {usage}")
        return T.INTEGER
    # has_tag
    if (
        len(args) != 2
        or checker.type_of(args[0]).kind != "tags"
        or not (isinstance(args[1], exp.Literal) and args[1].is_string)
    ):
        raise _fail(node, f"usage: {usage}")
    return T.BOOLEAN


def _qualification_arg(checker: Checker, node: exp.Expression, usage: str) -> None:
    if not isinstance(node, exp.Column):
        raise _fail(node, f"usage: {usage}")
    ty = checker.type_of(node)
    if ty.kind != "qualification":
        quals = ", ".join(f.name for f in checker.dictionary.qualification_fields)
        raise _fail(node, f"'{node.name}' is not a qualification; qualifications: {quals}")

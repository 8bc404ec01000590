"""Code-list values in rules: every text that can stand for a code must be one of its codes.

A code can reach a comparison through parentheses, a CASE or IF branch, or a
COALESCE argument (``district_code = ('310199')``, ``COALESCE(district_code,
'310199')``); each of those texts is checked, not only a bare literal.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from huiqi.engine.compile.scan import CheckError
from huiqi.engine.compile.types import Ty
from huiqi.profiles.dictionary import load_codelist


def _offset(node: exp.Expression) -> int | None:
    meta = getattr(node, "_meta", None) or {}
    return int(meta["start"]) if "start" in meta else None


def string_outputs(node: exp.Expression) -> Iterator[exp.Literal]:
    """The text literals ``node`` can evaluate to: itself, a CASE/IF branch, a COALESCE argument."""
    if isinstance(node, exp.Literal) and node.is_string:
        yield node
    elif isinstance(node, exp.Paren):
        yield from string_outputs(node.this)
    elif isinstance(node, exp.Case):
        for branch in node.args.get("ifs") or []:
            yield from string_outputs(branch.args["true"])
        if node.args.get("default") is not None:
            yield from string_outputs(node.args["default"])
    elif isinstance(node, exp.If):
        for key in ("true", "false"):
            if node.args.get(key) is not None:
                yield from string_outputs(node.args[key])
    elif isinstance(node, exp.Coalesce | exp.Greatest | exp.Least):
        for arg in (node.this, *node.expressions):
            yield from string_outputs(arg)


def code_named(text: str, codes: str) -> str | None:
    """The code whose Chinese or English name ``text`` is (a district also with the city
    before its name, 上海市浦东新区), or None."""
    listed = load_codelist(codes)
    word = text.strip().casefold()
    for prefix in listed.extra.get("city_prefixes") or []:
        word = word.removeprefix(str(prefix))
    for code, entry in listed.codes.items():
        if word in (str(entry.get("zh", "")).casefold(), str(entry.get("en", "")).casefold()):
            return code
    return None


def check_codes(ty: Ty, other: exp.Expression) -> None:
    """Every text ``other`` can evaluate to must be a code of the enum ``ty``."""
    if ty.kind != "enum":
        return
    assert ty.codes is not None
    codes = load_codelist(ty.codes).codes
    for lit in string_outputs(other):
        if lit.name not in codes:
            named = code_named(lit.name, ty.codes)
            if named is not None:
                # district_code = '浦东新区': the store holds codes, so it matched no one.
                raise CheckError(
                    f"'{lit.name}' is the name of code {named} in {ty.codes}: write '{named}'",
                    _offset(lit),
                )
            allowed = ", ".join(sorted(codes))
            raise CheckError(
                f"'{lit.name}' is not a code of {ty.codes}; allowed: {allowed}", _offset(lit)
            )

"""YAML loading that remembers where every value came from, and never makes floats.

Policy files are written by people, so an error must point at the line and
column of the value that is wrong. ``load_with_marks`` returns the data and a
map from each value's path (a tuple of keys and list indexes) to its position.

Numbers with a decimal point load as ``Decimal``: money and rates stay exact.

Example:
    >>> data, marks = load_with_marks("a:\\n  b: 0.1\\n", "x.yaml")
    >>> data["a"]["b"], marks[("a", "b")]
    (Decimal('0.1'), (2, 6))
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from huiqi.errors import Location, PolicyError

Path = tuple[str | int, ...]
Marks = dict[Path, tuple[int, int]]


# How deep lists and mappings may nest. A policy or mapping file nests a few levels;
# PyYAML's composer recurses once per level (libyaml stops at 1000), so a pasted "[[[[..."
# thousands deep would end in RecursionError and a server error instead of a message.
MAX_DEPTH = 100
TOO_DEEP = (
    f"lists or mappings nest more than {MAX_DEPTH} levels deep here; huiqi's files need only a few"
)


class SafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses lists and mappings nested deeper than ``MAX_DEPTH``
    with a ``yaml.YAMLError`` at the first one too deep (every ``except yaml.YAMLError``
    then says so), instead of recursing until RecursionError."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(None, None, TOO_DEEP, mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` over :class:`SafeLoader`: a text nested too deep is a YAMLError."""
    return yaml.load(text, Loader=SafeLoader)  # a SafeLoader: no arbitrary objects


class _Loader(SafeLoader):
    """SafeLoader whose floats are Decimals (exact money and rates)."""


def _too_deep(mark: yaml.Mark) -> PolicyError:
    return PolicyError(
        f"not valid YAML: {TOO_DEEP}",
        location=Location(mark.name, mark.line + 1, mark.column + 1),
    )


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # .inf / .nan have no place in a policy
        mark = node.start_mark
        raise PolicyError(
            f"'{text}' is not a finite number",
            location=Location(mark.name, mark.line + 1, mark.column + 1),
        ) from exc


# What a person means by a whole number: digits, optionally signed and grouped with "_".
_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)")


class OtherBaseNumeral(str):
    """The text of a value YAML 1.1 would read as a whole number in another base (``0610``
    octal, ``0x1E8480`` hex, ``190:20:30`` base 60), kept as written and unquoted."""


def _int(loader: yaml.SafeLoader, node: yaml.Node) -> int | str:
    """A whole number as a person writes it, or the text itself.

    YAML 1.1 reads ``0610`` as octal (392), ``190:20:30`` as base 60 (685230) and
    ``0x1E8480`` as hex: an industry class ``0610`` in a test profile became '392', and a
    cap written with a colon a number nobody wrote. Only plain decimal digits are a
    number here; anything else stays the text as written, which a text field keeps
    exactly and a number field reads as decimal digits or refuses with its position.
    """
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if _DECIMAL_INT.fullmatch(text):
        return int(text.replace("_", ""))
    return OtherBaseNumeral(text)


def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """A date (or date and time) as YAML reads it, or a PolicyError at its position when
    it has the shape of one but is no such day (``2026-02-30``, ``2025-13-01``).

    A loader given a list in ``bad_values`` (see :func:`load_with_marks`) records the error
    there and keeps the text, so that the file's other problems are found in the same run.
    """
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except ValueError as exc:
        mark = node.start_mark
        error = PolicyError(
            f"'{node.value}' is not a date: {exc}",
            location=Location(
                getattr(loader, "name", None) or mark.name, mark.line + 1, mark.column + 1
            ),
        )
        sink = getattr(loader, "bad_values", None)
        if sink is None:
            raise error from exc
        sink.append(error)
        return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)
_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)

_FastLoader: type[Any] | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _CLoader(yaml.CSafeLoader):
        """:class:`_Loader` on libyaml."""

    _CLoader.add_constructor("tag:yaml.org,2002:float", _decimal)
    _CLoader.add_constructor("tag:yaml.org,2002:int", _int)
    _CLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
    _FastLoader = _CLoader


def _walk(
    loader: Any,
    node: yaml.Node,
    path: Path,
    marks: Marks,
    seen: set[int] | None = None,
    used_at: yaml.Mark | None = None,
) -> Any:
    seen = set() if seen is None else seen
    if id(node) in seen:
        # Only an alias (*name) reaches a node twice. A policy file needs none, and one
        # that holds itself, or aliases of aliases ("a billion laughs"), would recurse
        # without end or expand to billions of values.
        mark = used_at or node.start_mark
        raise PolicyError(
            "anchors and aliases (&name, *name) are not allowed here: write the value out"
            " in full where it is needed",
            location=Location(mark.name, mark.line + 1, mark.column + 1),
        )
    seen.add(id(node))
    if len(path) >= MAX_DEPTH:  # as the pure-Python loader's composer (libyaml allows more)
        raise _too_deep(node.start_mark)
    marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, list | dict | set):
                # A list or a mapping as a key ('[]: x'): no field is named like that.
                raise PolicyError(
                    "a key must be a name, not a list or a mapping",
                    location=Location(
                        key_node.start_mark.name,
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                    ),
                )
            if key in out:
                raise PolicyError(
                    f"key '{key}' appears twice; keep one",
                    location=Location(
                        key_node.start_mark.name,
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                    ),
                )
            out[key] = _walk(loader, value_node, (*path, key), marks, seen, key_node.start_mark)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _walk(loader, child, (*path, i), marks, seen, node.start_mark)
            for i, child in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


def load_with_marks(
    text: str, filename: str, *, bad_values: list[PolicyError] | None = None
) -> tuple[Any, Marks]:
    """Parse one YAML document; return (data, marks). Syntax errors become PolicyError.

    A value YAML cannot construct (a date that is no day, ``2026-13-31``) is refused too;
    given a list in ``bad_values``, its error goes there instead and its text stays in the
    data, so that a caller can report it with the file's other problems.

    libyaml (when PyYAML was built with it) parses a valid file about ten times faster
    than the pure-Python parser, with the same nodes and positions; a file it refuses,
    or one whose values are refused, is parsed again by the pure-Python parser, whose
    messages and file names are the ones users and tests know.
    """
    if _FastLoader is not None:
        found: list[PolicyError] | None = None if bad_values is None else []
        try:
            loaded = _load(_FastLoader, text, filename, found)
        except Exception:  # reported below by the pure-Python parser, in the usual words
            pass
        else:
            if bad_values is not None and found:
                bad_values.extend(found)
            return loaded
    return _load(_Loader, text, filename, bad_values)


# What PyYAML says of a line indented more, or less, than the block it is in.
_BLOCK_END = "expected <block end>, but found '<block %s start>'"


def _load(
    loader_class: type[Any],
    text: str,
    filename: str,
    bad_values: list[PolicyError] | None = None,
) -> tuple[Any, Marks]:
    try:
        loader = loader_class(text)
    except yaml.reader.ReaderError as exc:  # a control character: refused before parsing
        raise PolicyError(
            f"not valid YAML: character #x{exc.character:04x} is not allowed"
            " (remove control characters)",
            location=Location(filename, *_line_column(text, exc.position)),
        ) from exc
    loader.name = filename
    loader.bad_values = bad_values
    try:
        node = loader.get_single_node()
        if node is None:
            raise PolicyError("the file is empty", location=Location(filename, 1, 1))
        marks: Marks = {}
        return _walk(loader, node, (), marks), marks
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        hint = ""
        problem = exc.problem
        if exc.problem and "'\\t'" in exc.problem:
            hint = " (indent with spaces: YAML does not allow tabs)"
        elif exc.problem in (_BLOCK_END % "mapping", _BLOCK_END % "sequence"):
            hint = (
                " (this line is indented differently from the lines of its block: line it"
                " up, with spaces, with the keys or list items beside it)"
            )
        elif exc.context == "while scanning a quoted scalar" and exc.context_mark is not None:
            # The end of the file said nothing of where the unclosed quote stands.
            line, col = exc.context_mark.line + 1, exc.context_mark.column + 1
            problem = "the quote that opens here is never closed"
            hint = " (end the text with the same quote)"
        elif exc.problem == "mapping values are not allowed here":
            hint = (
                " (indent this key as the keys beside it are, or put a value that holds"
                " ': ' in quotes)"
            )
        colon = full_width_key(text, mark.line if mark else None)
        if colon is not None:
            # "could not find expected ':'" on the line after the culprit said nothing useful.
            line, col = colon
            hint = (
                f" (line {line}: '：' is a full-width colon; write ':' and a space after the key)"
            )
        raise PolicyError(
            f"not valid YAML: {problem}{hint}", location=Location(filename, line, col)
        ) from exc
    finally:
        loader.dispose()


# A key ended by '：': a policy's ASCII key, or a header in quotes or not (a mapping's).
_FULL_WIDTH_KEY = re.compile(r"""^(\s*(?:-\s+)?(?:"[^"]*"|'[^']*'|[^\s#'"\-:：][^:：#]*?)\s*)：""")


def _error_line(text: str) -> int | None:
    """The 0-based line of the first YAML error in ``text`` (None: it parses)."""
    try:
        yaml.compose(text, Loader=SafeLoader)
    except yaml.MarkedYAMLError as exc:
        return exc.problem_mark.line if exc.problem_mark else -1
    except yaml.YAMLError:
        return -1
    return None


def full_width_key(text: str, last: int | None) -> tuple[int, int] | None:
    """(line, column) of the first key ended by a full-width colon '：' (a Chinese input
    method's) on the lines up to ``last`` (0-based; None: every line), if any, and only
    when writing ':' there makes the YAML read further: a text such as "注意：…" in a
    folded summary is no key."""
    lines = text.splitlines(keepends=True)
    for n, line in enumerate(lines[: (last + 1) if last is not None else None], start=1):
        found = _FULL_WIDTH_KEY.match(line)
        if not found:
            continue
        at = len(found.group(1))
        fixed = "".join([*lines[: n - 1], line[:at] + ": " + line[at + 1 :], *lines[n:]])
        after = _error_line(fixed)
        if last is not None and (after is None or after > last):
            return n, at + 1
        if last is None and after is None and _keys(fixed) != _keys(text):
            return n, at + 1
    return None


def _keys(text: str) -> set[str]:
    """Every mapping key of a YAML text that parses (empty when it does not)."""
    keys: set[str] = set()
    try:
        stack = [yaml.compose(text, Loader=SafeLoader)]
    except yaml.YAMLError:
        return keys
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                keys.add(str(k.value))
                stack.append(v)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return keys


def _line_column(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def locate(marks: Marks, path: Path, filename: str) -> Location:
    """The position of the deepest known prefix of ``path``."""
    for end in range(len(path), -1, -1):
        if path[:end] in marks:
            line, col = marks[path[:end]]
            return Location(filename, line, col)
    return Location(filename)


# The quotes a Chinese input method types where YAML wants " or '.
_CHINESE_QUOTES = {"“": "”", "‘": "’", "「": "」", "＂": "＂"}


def chinese_quotes(value: object) -> str | None:
    """What to write when a refused value is wrapped in Chinese quotes (“310115”): YAML
    reads them as part of the text, and the refusal showed '“310115”' with no word of them.

    Example:
        >>> chinese_quotes("“310115”").endswith('ASCII quotes ("310115") where the value must be quoted')
        True
        >>> chinese_quotes("310115") is None
        True
    """
    if not isinstance(value, str) or len(value) < 2:
        return None
    closing = _CHINESE_QUOTES.get(value[0])
    if closing is None or value[-1] != closing:
        return None
    return (
        f"the value is in Chinese quotes {value[0]}…{closing}, which YAML reads as part of the"
        f' text: remove them, or type ASCII quotes ("{value[1:-1]}") where the value must be'
        " quoted"
    )

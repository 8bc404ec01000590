"""Load policy files: YAML -> validated ``Policy``, with positions and a content hash.

The loader parses and validates; it does not compile. Compiling the rules is the
engine's work (``huiqi.engine.compile_policy(loaded)``), and nothing under
``huiqi.policies`` imports the engine.

Every refusal is a ``PolicyError`` with the file, the line and the column of the
offending value, and a message that says what to fix.

Example:
    >>> text = (library_dir() / "sh-stable-jobs-refund-2025.yaml").read_text(encoding="utf-8")
    >>> load_policy_text(text, "p.yaml").id
    'sh-stable-jobs-refund-2025'
"""

from __future__ import annotations

import difflib
import hashlib
import re
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from huiqi.errors import Location, PolicyError, first_of
from huiqi.policies.date_hint import date_hint, day_meant
from huiqi.policies.figures import amount_hint
from huiqi.policies.files import POLICY_SUFFIXES, library_dir, policy_files
from huiqi.policies.model import Policy
from huiqi.policies.written import grouped_number_at, written_at
from huiqi.policies.yamlmarks import (
    Marks,
    chinese_quotes,
    full_width_key,
    load_with_marks,
    locate,
)
from huiqi.textfiles import encoding_hint

__all__ = [
    "POLICY_SUFFIXES",
    "Library",
    "LoadedPolicy",
    "library_dir",
    "load_library",
    "load_policy",
    "load_policy_text",
    "parse_policy",
    "policy_files",
]


@dataclass(frozen=True)
class LoadedPolicy:
    """A parsed, validated policy with the positions of its values and its text's SHA-256."""

    path: Path | None
    policy: Policy
    source_hash: str
    marks: Marks
    filename: str = "<policy>"

    @property
    def id(self) -> str:
        return self.policy.id


def _validation_error(
    exc: ValidationError, marks: Marks, filename: str, text: str = ""
) -> list[PolicyError]:
    """Every problem validation found, one error each (``text``: the file's, to quote a
    value as it was written)."""
    return [_one_problem(e, marks, filename, text) for e in exc.errors()]


# The Chinese words for a policy's coded values (BRIEF glossary), as a writer types them.
_CHINESE_TERMS = {
    "免申即享": "auto",
    "直达快享": "confirm",
    "申报": "apply",
    "市级": "city",
    "市": "city",
    "区级": "district",
    "区": "district",
    "先到先得": "first_come",
    "按比例": "pro_rata",
    "符合": "eligible",
    "不符合": "not_eligible",
    "差一点": "near_miss",
    "缺数据": "needs_data",
}


def _literal_meant(error: Any) -> str | None:
    """The allowed value a refused one stands for: its Chinese term (直达快享 → confirm),
    another case of it (Confirm → confirm), or another spelling of it (near-miss, prorata →
    near_miss, pro_rata)."""
    given = str(error.get("input")).strip()
    allowed = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
    meant = _CHINESE_TERMS.get(given) or given.lower()
    if meant not in allowed:
        # 'near-miss', 'pro rata', 'prorata': the value as a document or habit spells it.
        joined = re.sub(r"[\s\-]+", "_", meant)
        close = difflib.get_close_matches(joined, allowed, n=1, cutoff=0.85)
        meant = joined if joined in allowed else (close[0] if close else meant)
    return meant if meant in allowed and meant != given else None


# What a value of each structured type looks like in YAML (docs/policies.md §2).
_SHAPES = {
    "Text": "a text in both languages: {zh: 中文, en: English}",
    "Source": "the document as a mapping: {document: 《文件名》（文号）, article: 第三条}",
    "Amount": 'a mapping: {formula: "0.5 * rd_expense", cap: 500000}',
    "Criterion": "a mapping with id, label and expr (or attested: true)",
    "TestCase": "a mapping with name, profile and expect",
    "Expectation": 'a mapping such as {status: eligible, amount: "7407.40"}',
}
# The keys that hold an amount of yuan that cannot be negative (a budget and a cap, of the
# policy's amount or per enterprise, cannot be 0 either).
_MONEY_KEYS = ("cap", "floor", "budget", "per_enterprise_cap")


def _below_zero(key: str, value: object, above: bool) -> str:
    """Why an amount of yuan below its least value is refused, and what to write."""
    if above:
        return (
            f"{key} {value} is not an amount above 0 yuan; write the {key} in yuan, e.g."
            f" 500000, or remove '{key}' for none"
        )
    return f"{key} {value} is negative; write the {key} as 0 yuan or more, e.g. 500000"


def _close(word: str, candidates: Iterable[Any]) -> str | None:
    """The candidate ``word`` is most likely a misspelling of, if any."""
    names = [c for c in candidates if isinstance(c, str) and c != word]
    close = difflib.get_close_matches(word, names, n=1)
    return close[0] if close else None


def _fields_at(path: tuple[str | int, ...]) -> list[str]:
    """The field names the policy model allows in the mapping at ``path`` ([] if unknown)."""
    model: type[BaseModel] = Policy
    for step in path:
        if isinstance(step, int):
            continue
        field = model.model_fields.get(step)
        if field is None:
            return []
        inner = _model_in(field.annotation)
        if inner is None:
            return []
        model = inner
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model an annotation holds (``Amount``, ``list[Criterion]``, ``X | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def field_path(path: tuple[str | int, ...]) -> str:
    """``criteria[1].expr``: a place in the file as every error names it (docs/policies.md)."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


_SNAKE = re.compile(r"[a-z_][a-z0-9_]*\Z")


def _one_problem(first: Any, marks: Marks, filename: str, text: str = "") -> PolicyError:
    path: tuple[str | int, ...] = tuple(first["loc"])
    msg = first["msg"].removeprefix("Value error, ")
    hinted = re.match(r"@([\w.]+): ", msg)
    if hinted:
        # A whole-policy check names the field it is about as "@path: message".
        path = (*path, *(int(p) if p.isdigit() else p for p in hinted.group(1).split(".")))
        msg = msg[hinted.end() :]
    loc = locate(marks, path, filename)
    dotted = field_path(path) or "(top level)"
    if first["type"] == "missing":
        msg = f"'{path[-1]}' is required here"
        # Only a key that is not a field of its own can be the misspelt one: 'valid_from'
        # beside a misspelt 'valid_until' is not a misspelling of 'valid_to'.
        known = set(_fields_at(path[:-1]))
        typo = _close(
            str(path[-1]),
            [
                p[-1]
                for p in marks
                if len(p) == len(path)
                and p[:-1] == path[:-1]
                and isinstance(p[-1], str)
                and p[-1] not in known
            ],
        )
        if typo:
            msg += f"; is '{typo}' a misspelling of it?"
    elif first["type"] == "extra_forbidden":
        msg = f"'{path[-1]}' is not a policy field; see docs/policies.md for the fields"
        meant = _close(str(path[-1]), _fields_at(path[:-1]))
        if meant:
            msg = f"'{path[-1]}' is not a policy field; did you mean '{meant}'?"
        key = path[-1]
        if (
            len(path) > 1
            and isinstance(key, str)
            and (" " in key.strip() or (first.get("input") is None and not _SNAKE.match(key)))
        ):
            # {zh: 某委, en: Science, Technology and Economy}: the comma ended the text. The
            # part after it is a key without a value ("Economy" or "example)" of
            # "(2026, example)"), one word or several.
            msg += (
                "; inside { … } a comma ends the value: put a text that contains a comma in"
                ' quotes ("…, …")'
            )
    elif first["type"] == "literal_error" and _literal_meant(first) is not None:
        msg = f"{msg}: write {_literal_meant(first)!r}"
    elif first["type"] == "list_type" and isinstance(first.get("input"), str | int):
        # failing: rd_intensity, tags: ai: one item where a list belongs.
        msg = f"{msg}; write a list in brackets: [{first['input']}]"
    elif first["type"] == "model_type" and first.get("ctx", {}).get("class_name") in _SHAPES:
        msg = f"{msg}; write {_SHAPES[first['ctx']['class_name']]}"
    elif first["type"] == "greater_than_equal" and path[-2:] == ("expect", "amount"):
        msg = (
            f"expected amount {first['input']} is negative, and an amount is never below 0:"
            " write the amount in yuan the case should receive, 0 or more, e.g. amount:"
            ' "10000.00"'
        )
    elif first["type"] in ("greater_than", "greater_than_equal") and path[-1] in _MONEY_KEYS:
        msg = _below_zero(str(path[-1]), first["input"], first["type"] == "greater_than")
    elif first["type"] == "less_than" and path[-1] in _MONEY_KEYS:
        msg = (
            f"{path[-1]} {first['input']} yuan is more than huiqi records (amounts are less than"
            f" {first['ctx']['lt']} yuan, 10^16): write the {path[-1]} in yuan, e.g. 500000"
        )
    elif first["type"] in ("decimal_parsing", "decimal_type"):
        msg = f"{msg}; {amount_hint(first.get('input'))}"
    elif first["type"].startswith(("date_", "datetime_")):
        given = first.get("input")
        if isinstance(given, int) and day_meant(given) is not None:
            # valid_from: 20270101: YAML read a number, which pydantic took for seconds
            # ("Datetimes provided to dates should have zero time").
            msg = f"YAML read {given} as a number, not a date"
        msg = f"{msg}; {date_hint(given)}"
    elif first["type"] == "string_type" and isinstance(first.get("input"), bool):
        # YAML 1.1 reads no, yes, on, off (any case) as booleans: `name: no` is False.
        written = written_at(text, loc.line, loc.column) or str(first["input"]).lower()
        msg = (
            f"{msg}: YAML reads {written} as {str(first['input']).lower()} (a yes/no value);"
            f' put the text in quotes, e.g. "{written}"'
        )
    elif (
        first["type"] == "string_type"
        and path[-1] == "[key]"
        and (grouped := grouped_number_at(text, loc.line, loc.column)) is not None
    ):
        # profile: {revenue: 1,234,000}: inside { … } the commas split the number, and its
        # groups became keys (234, 000); "put a code in quotes" led nowhere.
        msg = f"{msg}; write the number without thousands separators: {grouped}"
    elif first["type"] == "string_type" and isinstance(first.get("input"), int | float):
        msg = (
            f"{msg}: YAML read {first['input']!r} as a number; put a code in quotes, "
            f'e.g. "{first["input"]}"'
        )
    if quoted := chinese_quotes(first.get("input")):
        msg = f"{msg}; {quoted}"
    return PolicyError(msg, location=Location(loc.file, loc.line, loc.column, dotted))


def _other_kind_of_file(data: dict[Any, Any]) -> str | None:
    """What to say of an import mapping or a data dictionary read as a policy (one lying in
    a folder of policies), instead of a line for every policy field it lacks."""
    if "id" in data or "criteria" in data:
        return None
    keys = set(data)
    if "columns" in keys and keys & {"layout", "registry"}:
        return (
            "this is an import mapping file (columns:, layout:), not a policy: check it with"
            " 'huiqi mapping check FILE', and keep it out of the folders of policy files"
        )
    if "fields" in keys and keys <= {"fields", "registries", "code_lists"}:
        return (
            "this is a data dictionary (fields:), not a policy: check it with"
            " 'huiqi dictionary check', and keep it out of the folders of policy files"
        )
    return None


def parse_policy(text: str, filename: str) -> tuple[Policy, Marks]:
    bad_values: list[PolicyError] = []
    data, marks = load_with_marks(text, filename, bad_values=bad_values)
    if not isinstance(data, dict):
        if bad_values:
            raise _with_bad_values([], bad_values, marks)
        raise PolicyError(
            "a policy file is a mapping of fields (id:, version:, ...)",
            location=Location(filename, 1, 1),
        )
    if (other := _other_kind_of_file(data)) is not None:
        raise PolicyError(other, location=Location(filename, 1, 1))
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        colon = full_width_key(text, None)
        if colon is not None:
            # 'source：{document: …}' reads as an unknown key, and 'source' as missing.
            raise PolicyError(
                "'：' is a full-width colon, so this line is not a key; write ':' and a space"
                " after the key",
                location=Location(filename, *colon),
            ) from None
        raise _with_bad_values(
            _validation_error(exc, marks, filename, text), bad_values, marks
        ) from None
    if bad_values:
        raise _with_bad_values([], bad_values, marks)
    return policy, marks


def _with_bad_values(
    found: list[PolicyError], bad_values: list[PolicyError], marks: Marks
) -> PolicyError:
    """The values YAML could not read (a date that is no day), then the validation problems
    in file order, as one error: a value's own problem replaces what validation says of the
    text kept in its place."""
    if not bad_values:
        return first_of(found, PolicyError)
    fields = {at: field_path(path) for path, at in marks.items() if path}
    bad_values = [PolicyError(e.message, location=_located(e.location, fields)) for e in bad_values]
    taken = {(e.location.line, e.location.column) for e in bad_values if e.location}
    others = [
        e for e in found if not e.location or (e.location.line, e.location.column) not in taken
    ]

    return first_of([*bad_values, *others], PolicyError)


def _located(at: Location | None, fields: dict[tuple[int, int], str]) -> Location | None:
    """``at`` with the dotted name of the field whose value starts there, when known."""
    if at is None or at.line is None or at.column is None:
        return at
    return Location(at.file, at.line, at.column, fields.get((at.line, at.column)))


def load_policy_text(text: str, filename: str = "<policy>") -> LoadedPolicy:
    """Parse and validate policy YAML text (compiling is the engine's ``compile_policy``)."""
    policy, marks = parse_policy(text, filename)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedPolicy(None, policy, digest, marks, filename)


def read_policy_text(path: str | Path) -> str:
    """The text of a policy file as lint, match and publish read it: UTF-8 (a byte-order
    mark dropped), line ends as Python's universal newlines; a PolicyError naming the file
    when it cannot be read or is in another encoding (GBK, UTF-16)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PolicyError(
            f"cannot read the policy file: {exc.strerror}", location=Location(str(p))
        ) from exc
    try:
        # utf-8-sig: a byte-order mark (Notepad's "UTF-8 with BOM") is not part of the
        # text, so the file hashes as the same policy as without it.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = encoding_hint(raw)
        raise PolicyError(
            f"policy files must be UTF-8 text{hint}", location=Location(str(p))
        ) from exc
    # Line ends read as publishing reads the file (Python's universal newlines), so that a
    # file saved with CRLF hashes the same here (lint, match, explain) as its published
    # version; YAML counts lines alike either way.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_policy(path: str | Path) -> LoadedPolicy:
    """Load one policy file."""
    p = Path(path)
    loaded = load_policy_text(read_policy_text(p), str(p))
    return LoadedPolicy(p, loaded.policy, loaded.source_hash, loaded.marks, str(p))


@dataclass(frozen=True)
class Library:
    policies: list[LoadedPolicy]
    errors: list[PolicyError]


def load_library(paths: Iterable[str | Path] | None = None) -> Library:
    """Load every policy under ``paths`` (default: the shipped library), collecting errors."""
    files = policy_files(paths if paths is not None else [library_dir()])
    loaded: list[LoadedPolicy] = []
    errors: list[PolicyError] = []
    seen: dict[str, Path | None] = {}
    for f in files:
        try:
            lp = load_policy(f)
        except PolicyError as exc:
            errors.append(exc)
            continue
        key = lp.policy.key
        if key in seen:
            errors.append(
                PolicyError(
                    f"policy {key} is also defined in {seen[key]}; give each version one file",
                    location=Location(str(f)),
                )
            )
            continue
        seen[key] = f
        loaded.append(lp)
    return Library(loaded, errors)

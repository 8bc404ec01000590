"""The data dictionary: the enterprise fields a policy may read.

The dictionary is data (``dictionary.yaml`` beside this module), versioned, and
loaded once. Code lists (districts, industry sections, size classes...) are
YAML files in ``huiqi/reference``.

Example:
    >>> d = load_dictionary()
    >>> d.field("revenue").yearly, d.field("revenue").type
    (True, 'money')
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

import yaml

from huiqi.errors import DictionaryError

FieldType = Literal[
    "string", "integer", "money", "decimal", "date", "boolean", "enum", "tags", "qualification"
]
FIELD_TYPES: tuple[str, ...] = (
    "string",
    "integer",
    "money",
    "decimal",
    "date",
    "boolean",
    "enum",
    "tags",
    "qualification",
)


@dataclass(frozen=True)
class Label:
    zh: str
    en: str


@dataclass(frozen=True)
class Field:
    """One enterprise field as the dictionary declares it."""

    name: str
    type: str
    label: Label
    source: str
    yearly: bool = False
    unit: str | None = None
    codes: str | None = None
    names: str | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    key: bool = False
    derived: bool = False
    scope: bool = False


@dataclass(frozen=True)
class CodeList:
    """A code list: code -> labels (and any extra attributes)."""

    name: str
    codes: dict[str, dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)

    def label(self, code: str, lang: str = "zh") -> str:
        entry = self.codes.get(code)
        return str(entry.get(lang, code)) if entry else code


@dataclass(frozen=True)
class Dictionary:
    version: int
    fields: tuple[Field, ...]
    registries: dict[str, Label]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def get(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def static_fields(self) -> list[Field]:
        """Fields held once per enterprise (not yearly, not qualifications)."""
        return [f for f in self.fields if not f.yearly and f.type != "qualification"]

    @property
    def yearly_fields(self) -> list[Field]:
        return [f for f in self.fields if f.yearly]

    @property
    def qualification_fields(self) -> list[Field]:
        return [f for f in self.fields if f.type == "qualification"]

    def by_source(self, source: str) -> list[Field]:
        return [f for f in self.fields if f.source == source]


def _parse_field(raw: dict[str, Any], index: int) -> Field:
    where = f"dictionary.yaml field #{index + 1}"
    try:
        name = raw["name"]
        ftype = raw["type"]
        label = Label(**raw["label"])
        _ = raw["source"]
    except (KeyError, TypeError) as exc:
        raise DictionaryError(f"{where}: missing or malformed key {exc}") from exc
    if ftype not in FIELD_TYPES:
        raise DictionaryError(f"{where} '{name}': unknown type '{ftype}'; use one of {FIELD_TYPES}")
    if ftype == "enum" and not raw.get("codes"):
        raise DictionaryError(f"{where} '{name}': an enum field needs 'codes: <code list>'")
    known = {f.name for f in Field.__dataclass_fields__.values()}
    unknown = set(raw) - known
    if unknown:
        raise DictionaryError(f"{where} '{name}': unknown keys {sorted(unknown)}")
    return Field(**{**raw, "label": label})


@functools.cache
def load_dictionary() -> Dictionary:
    """Load the packaged data dictionary (cached)."""
    text = resources.files("huiqi.profiles").joinpath("dictionary.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    fields = tuple(_parse_field(r, i) for i, r in enumerate(raw["fields"]))
    names = [f.name for f in fields]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise DictionaryError(f"dictionary.yaml: duplicate fields {sorted(dupes)}")
    registries = {k: Label(**v) for k, v in raw["registries"].items()}
    for f in fields:
        if f.source not in registries:
            raise DictionaryError(f"dictionary.yaml field '{f.name}': unknown source '{f.source}'")
    return Dictionary(version=int(raw["version"]), fields=fields, registries=registries)


@functools.cache
def load_codelist(name: str) -> CodeList:
    """Load a code list from ``huiqi/reference/<name>.yaml``."""
    try:
        text = resources.files("huiqi.reference").joinpath(f"{name}.yaml").read_text("utf-8")
    except FileNotFoundError as exc:
        raise DictionaryError(f"code list '{name}' not found in huiqi/reference") from exc
    raw = yaml.safe_load(text)
    codes = {str(k): (v or {}) for k, v in raw["codes"].items()}
    extra = {k: v for k, v in raw.items() if k not in ("codes",)}
    return CodeList(name=name, codes=codes, extra=extra)

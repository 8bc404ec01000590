"""The data dictionary: the enterprise fields a policy may read.

The standard dictionary is data (``dictionary.yaml`` beside this module),
versioned, and loaded once. An office extends it without changing huiqi's code:
``<data dir>/dictionary.yaml`` may add registries, code lists and fields, which
the importer (mappings may name them), the rule checker, explanations and
matching then know like any standard field. Code lists are YAML files in
``huiqi/reference`` or, for an office's own fields, ``code_lists:`` in its file.

Which office file is in effect: :func:`load_dictionary` with a data directory
reads that directory's file; without one it reads the file of the data
directory made active by :func:`use_data_dir` (the CLI activates the data
directory it works on), or the standard dictionary alone. Both are cached
until the file changes.

Example:
    >>> d = load_dictionary()
    >>> d.field("revenue").yearly, d.field("revenue").type, d.field("revenue").max
    (True, 'money', Decimal('10000000000000'))
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from huiqi import reference
from huiqi.errors import DictionaryError, HuiqiError
from huiqi.profiles import dictionary_parse as parse
from huiqi.profiles.datadir import OFFICE_FILE, active_data_dir, office_file, use_data_dir
from huiqi.profiles.dictionary_parse import FIELD_TYPES, NUMERIC_TYPES
from huiqi.textfiles import read_utf8

__all__ = [
    "FIELD_TYPES",
    "NUMERIC_TYPES",
    "OFFICE_FILE",
    "CodeList",
    "Dictionary",
    "Field",
    "Label",
    "load_codelist",
    "load_dictionary",
    "office_file",
    "use_data_dir",
]


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
    min: Decimal | None = None
    max: Decimal | None = None
    key: bool = False
    derived: bool = False
    scope: bool = False
    personal: bool = False
    reference: str | None = None
    office: bool = False  # added by the data directory's dictionary file


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
    code_lists: dict[str, CodeList] = field(default_factory=dict)
    extension: Path | None = None  # the office file, when one is in effect

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

    @property
    def office_fields(self) -> list[Field]:
        return [f for f in self.fields if f.office]

    def by_source(self, source: str) -> list[Field]:
        return [f for f in self.fields if f.source == source]

    def codelist(self, name: str) -> CodeList:
        """A code list of the office file, else of ``huiqi/reference``."""
        return self.code_lists.get(name) or _reference_codelist(name)


def _fields(
    raw: dict[str, Any],
    marks: parse.Marks,
    filename: str,
    *,
    standard: bool,
    registries: set[str] | frozenset[str],
    code_lists: set[str] | frozenset[str],
    taken: dict[str, Field],
) -> list[Field]:
    entries = raw.get("fields")
    if not isinstance(entries, list):
        raise parse._fail("'fields' is a list of field entries", marks, ("fields",), filename)
    out: list[Field] = []
    seen: set[str] = set()
    refused: list[HuiqiError] = []  # every entry is checked: one run lists them all
    for i, entry in enumerate(entries):
        try:
            named = entry.get("name") if isinstance(entry, dict) else None
            if isinstance(named, str) and named in taken:
                # Said first: whatever else the entry lacks, this name cannot be used.
                raise parse._fail(
                    f"'{named}' is a standard field ({taken[named].label.zh}); an office file"
                    " adds fields and cannot change or replace one: choose another name",
                    marks,
                    ("fields", i, "name"),
                    filename,
                )
            kw = parse.field_entry(
                entry,
                i,
                marks,
                filename,
                standard=standard,
                registries=registries,
                code_lists=code_lists,
            )
            name = kw["name"]
            if name in taken:
                raise parse._fail(
                    f"'{name}' is a standard field ({taken[name].label.zh}); an office file"
                    " adds fields and cannot change or replace one: choose another name",
                    marks,
                    ("fields", i, "name"),
                    filename,
                )
            if name in seen:
                raise parse._fail(
                    f"field '{name}' is declared twice; keep one",
                    marks,
                    ("fields", i, "name"),
                    filename,
                )
        except DictionaryError as exc:
            refused.extend(exc.all)  # every problem of the entry, not only its first
            continue
        seen.add(name)
        out.append(Field(**{**kw, "label": Label(**kw["label"]), "office": not standard}))
    if refused:
        first, *rest = refused
        raise DictionaryError(first.message, location=first.location, more=tuple(rest))
    return out


@functools.cache
def _standard() -> Dictionary:
    filename = "huiqi/profiles/dictionary.yaml"
    text = resources.files("huiqi.profiles").joinpath("dictionary.yaml").read_text("utf-8")
    raw, marks = parse.read_file(text, filename)
    regs = parse.registries(raw, marks, filename)
    fields = _fields(
        raw,
        marks,
        filename,
        standard=True,
        registries=set(regs),
        code_lists=_reference_names(),
        taken={},
    )
    return Dictionary(
        version=int(raw["version"]),
        fields=tuple(fields),
        registries={k: Label(**v) for k, v in regs.items()},
    )


def extend(base: Dictionary, text: str, filename: str) -> Dictionary:
    """``base`` plus the registries, code lists and fields of an office file's text."""
    raw, marks = parse.read_file(text, filename)
    regs = parse.registries(raw, marks, filename)
    for name in regs:
        if name in base.registries:
            raise parse._fail(
                f"registry '{name}' is a standard registry; use it without redeclaring it",
                marks,
                ("registries", name),
                filename,
            )
    lists = parse.code_lists(raw, marks, filename)
    for name in lists:
        if name in _reference_names():
            raise parse._fail(
                f"code list '{name}' is a standard list; give your list another name",
                marks,
                ("code_lists", name),
                filename,
            )
    fields = _fields(
        raw,
        marks,
        filename,
        standard=False,
        registries=set(base.registries) | set(regs),
        code_lists=_reference_names() | set(lists),
        taken={f.name: f for f in base.fields},
    )
    return Dictionary(
        version=base.version,
        fields=base.fields + tuple(fields),
        registries={**base.registries, **{k: Label(**v) for k, v in regs.items()}},
        code_lists={
            **base.code_lists,
            **{n: CodeList(n, dict(codes)) for n, codes in lists.items()},
        },
        extension=Path(filename),
    )


@functools.lru_cache(maxsize=16)
def _extended(path: str, mtime_ns: int, size: int) -> Dictionary:
    text = read_utf8(Path(path), "dictionary file", DictionaryError)
    return extend(_standard(), text, path)


def load_dictionary(data_dir: Path | None = None) -> Dictionary:
    """The standard dictionary, extended by the data directory's file when there is one."""
    folder = data_dir if data_dir is not None else active_data_dir()
    if folder is None:
        return _standard()
    path = office_file(folder)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return _standard()
    return _extended(str(path), stat.st_mtime_ns, stat.st_size)


def load_codelist(name: str) -> CodeList:
    """A code list by name, from the dictionary in effect (office lists first)."""
    return load_dictionary().codelist(name)


@functools.cache
def _reference_names() -> frozenset[str]:
    return reference.names()


@functools.cache
def _reference_codelist(name: str) -> CodeList:
    """A code list from ``huiqi/reference/<name>.yaml``."""
    if name not in _reference_names():
        raise DictionaryError(f"code list '{name}' not found in huiqi/reference")
    raw = reference.load(name)
    codes = {str(k): (v or {}) for k, v in raw["codes"].items()}
    extra = {k: v for k, v in raw.items() if k not in ("codes",)}
    return CodeList(name=name, codes=codes, extra=extra)

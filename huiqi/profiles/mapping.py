"""Column mappings: which registry file header feeds which dictionary field.

One YAML file per registry file layout lives in ``huiqi/profiles/mappings/``::

    name: tax                     # how ``--mapping tax`` names it
    registry: tax                 # the dictionary registry it comes from
    layout: yearly                # static | yearly | qualifications
    columns:                      # file header -> dictionary field
      统一社会信用代码: uscc
      年度: year
      营业收入(元): revenue
    aliases:                      # optional: more headers for the same fields
      纳税人识别号: uscc
    units:                        # optional: the unit a money column is written in
      revenue: yuan               # yuan (default) | wan_yuan (x 10,000) | yi_yuan (x 10^8)

Rules the importer relies on:

* Headers are compared after Unicode NFKC normalisation and trimming, so a
  full-width ``营业收入（元）`` matches ``营业收入(元)``.
* The key headers (``uscc``; plus ``year`` for yearly layouts; plus
  ``qualification`` and ``valid_from`` for qualifications) must be present.
  Other mapped headers may be missing: only the fields a file carries are
  updated. A header the mapping does not know is refused, because silently
  dropping a misspelt column would lose data.
* With no mapping named, the mapping is detected from the header when exactly
  one mapping knows every header and finds its keys; if several do, the one whose
  own headers the file carries completely wins; otherwise the file is refused.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from huiqi.errors import DictionaryError, ImportFileError
from huiqi.profiles.dictionary import Dictionary, load_dictionary

LAYOUTS = ("static", "yearly", "qualifications")
KEY_FIELDS = {
    "static": ("uscc",),
    "yearly": ("uscc", "year"),
    "qualifications": ("uscc", "qualification", "valid_from"),
}
# Pseudo-fields that are columns of a layout's table but not dictionary fields.
LAYOUT_COLUMNS = {
    "static": (),
    "yearly": ("year",),
    "qualifications": ("qualification", "certificate_id", "valid_from", "valid_to"),
}
# Multiplier to yuan, and how many more decimals the file may carry because of it.
UNITS: dict[str, tuple[int, int]] = {"yuan": (1, 0), "wan_yuan": (10_000, 4), "yi_yuan": (10**8, 8)}


def normalise_header(text: object) -> str:
    """The form headers are compared in (NFKC, trimmed, BOM removed)."""
    return unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").strip()


@dataclass(frozen=True)
class Mapping:
    """One registry layout: header -> field, plus key fields and units."""

    name: str
    registry: str
    layout: str
    columns: dict[str, str]
    aliases: dict[str, str]
    units: dict[str, str]
    source: str

    @property
    def keys(self) -> tuple[str, ...]:
        return KEY_FIELDS[self.layout]

    @property
    def headers(self) -> dict[str, str]:
        """Every accepted (normalised) header -> field, aliases included."""
        known = {normalise_header(h): f for h, f in self.columns.items()}
        known.update({normalise_header(h): f for h, f in self.aliases.items()})
        return known

    def header_for(self, field: str) -> str:
        """The canonical header of a field, for messages."""
        return next(h for h, f in self.columns.items() if f == field)

    def unit_of(self, field: str) -> tuple[int, int]:
        return UNITS[self.units.get(field, "yuan")]

    def resolve(self, file: str, found: list[str]) -> dict[int, str]:
        """Map the file's header positions to fields, or raise ImportFileError."""
        known = self.headers
        normalised = [normalise_header(h) for h in found]
        unknown = [h for h, n in zip(found, normalised, strict=True) if n not in known]
        if unknown:
            raise ImportFileError(
                f"{file}: headers {unknown} are not in mapping '{self.name}'; "
                f"expected headers {list(self.columns)}, found {found}. Rename the columns, "
                f"or add them under 'aliases:' in {self.source}",
            )
        by_position = {i: known[n] for i, n in enumerate(normalised)}
        fields = list(by_position.values())
        twice = sorted({f for f in fields if fields.count(f) > 1})
        if twice:
            raise ImportFileError(
                f"{file}: more than one column feeds field(s) {twice}; expected headers "
                f"{list(self.columns)}, found {found}. Keep one column per field"
            )
        missing = [self.header_for(k) for k in self.keys if k not in fields]
        if missing:
            raise ImportFileError(
                f"{file}: required headers {missing} are missing for mapping '{self.name}'; "
                f"expected headers {list(self.columns)}, found {found}. Add the columns"
            )
        return by_position


def _check(raw: Any, source: str, dictionary: Dictionary) -> Mapping:
    if not isinstance(raw, dict):
        raise DictionaryError(f"{source}: a mapping must be a YAML mapping")
    try:
        name, registry, layout = str(raw["name"]), str(raw["registry"]), str(raw["layout"])
        columns = {str(k): str(v) for k, v in raw["columns"].items()}
    except (KeyError, AttributeError) as exc:
        raise DictionaryError(f"{source}: missing or malformed key {exc}") from exc
    aliases = {str(k): str(v) for k, v in (raw.get("aliases") or {}).items()}
    units = {str(k): str(v) for k, v in (raw.get("units") or {}).items()}
    if layout not in LAYOUTS:
        raise DictionaryError(f"{source}: layout '{layout}' is not one of {LAYOUTS}")
    for field in [*columns.values(), *aliases.values()]:
        if field in LAYOUT_COLUMNS[layout] or field == "uscc":
            continue
        f = dictionary.get(field)
        if f is None or f.derived or f.type == "qualification":
            raise DictionaryError(f"{source}: '{field}' is not an importable dictionary field")
        if f.yearly != (layout == "yearly"):
            kind = "yearly" if f.yearly else "static"
            raise DictionaryError(f"{source}: {kind} field '{field}' cannot be in a {layout} file")
    for field in KEY_FIELDS[layout]:
        if field not in columns.values():
            raise DictionaryError(f"{source}: a {layout} mapping needs a column for '{field}'")
    for field, unit in units.items():
        f = dictionary.get(field)
        if unit not in UNITS or f is None or f.type != "money":
            raise DictionaryError(
                f"{source}: units: '{field}: {unit}' needs a money field and one of {list(UNITS)}"
            )
    return Mapping(name, registry, layout, columns, aliases, units, source)


def load_mapping_file(path: Path) -> Mapping:
    """Load a mapping from any YAML file (for registries not packaged with huiqi)."""
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DictionaryError(f"{path}: cannot read the mapping: {exc}") from exc
    return _check(raw, str(path), load_dictionary())


@functools.cache
def packaged_mappings() -> dict[str, Mapping]:
    """The mappings shipped in ``huiqi/profiles/mappings``, by name."""
    folder = resources.files("huiqi.profiles").joinpath("mappings")
    found: dict[str, Mapping] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            raw = yaml.safe_load(entry.read_text("utf-8"))
            m = _check(raw, f"huiqi/profiles/mappings/{entry.name}", load_dictionary())
            found[m.name] = m
    return found


def get_mapping(name: str) -> Mapping:
    """A packaged mapping by name, or a mapping YAML file by path."""
    mappings = packaged_mappings()
    if name in mappings:
        return mappings[name]
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return load_mapping_file(path)
    raise ImportFileError(
        f"no mapping named '{name}'; use one of {sorted(mappings)} or the path of a mapping YAML file"
    )


def detect_mapping(file: str, headers: list[str]) -> Mapping:
    """The one mapping that fits a header row, or ImportFileError saying why none does."""
    found = {normalise_header(h) for h in headers}
    candidates = []
    for m in packaged_mappings().values():
        known = m.headers
        keys_present = all(any(known[h] == k for h in found if h in known) for k in m.keys)
        if found <= set(known) and keys_present:
            candidates.append(m)
    if len(candidates) > 1:
        complete = [m for m in candidates if {normalise_header(h) for h in m.columns} <= found]
        candidates = complete or candidates
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ImportFileError(
            f"{file}: no mapping matches the headers {headers}; name one with --mapping "
            f"(known: {sorted(packaged_mappings())}) or rename the columns to a mapping's headers"
        )
    raise ImportFileError(
        f"{file}: the headers {headers} fit several mappings "
        f"{sorted(m.name for m in candidates)}; choose one with --mapping"
    )

"""The mapping file of a 12345-hotline export: which column holds which field of a
request, and which desk category each of the hotline's own category labels means.

Like the registry mappings (:mod:`huiqi.profiles.mapping`), headers are compared after
NFKC normalisation, ``aliases`` name other headers the same field goes by, and a
mapping that is not well formed is refused with the file and what is wrong.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from huiqi.errors import ImportFileError, Location, MappingError
from huiqi.policies.yamlmarks import SafeLoader, safe_load
from huiqi.profiles.mapping import normalise_header
from huiqi.textfiles import read_utf8

FIELDS = ("hotline_id", "uscc", "category", "text", "received_at")
OPTIONAL = ("policy_id",)
PACKAGED = "hotline_12345"


@dataclass(frozen=True)
class HotlineMapping:
    name: str
    columns: dict[str, str]  # normalised header -> field
    categories: dict[str, str]  # the hotline's label -> desk category code
    source: str
    # The hotline's label -> the line of its entry in the file (where a refusal points).
    category_lines: dict[str, int] = dataclasses.field(default_factory=dict)

    def check_categories(self, known: Collection[str]) -> None:
        """MappingError at the first entry whose desk category is not one of ``known`` (the
        desk's codes): parsing alone cannot know them, and each row with that label was
        refused with a message naming the label as missing from this very mapping."""
        for label, code in self.categories.items():
            if code not in known:
                raise MappingError(
                    f"the hotline's category {label!r} maps to {code!r}, which is not a request"
                    f" category; the desk's categories are {', '.join(sorted(known))}. Correct"
                    " the code in the mapping file, or have an administrator add the category"
                    " before importing",
                    location=Location(file=self.source, line=self.category_lines.get(label)),
                )

    def resolve(self, file: str, headers: list[str]) -> dict[str, int]:
        """field -> column position in ``headers``; ImportFileError naming what is missing."""
        found: dict[str, int] = {}
        for i, header in enumerate(headers):
            field = self.columns.get(normalise_header(header))
            if field is not None and field not in found:
                found[field] = i
        missing = [f for f in FIELDS if f not in found]
        if missing:
            wanted = {f: [h for h, x in self.columns.items() if x == f] for f in missing}
            raise ImportFileError(
                f"{file}: no column for {', '.join(missing)} (mapping {self.name}: expected"
                f" one of {wanted}); the file's header is {headers}"
            )
        return found


def _fail(source: str, message: str) -> MappingError:
    return MappingError(message, location=Location(file=source))


def parse_hotline_mapping(text: str, source: str) -> HotlineMapping:
    try:
        raw: Any = safe_load(text)
    except yaml.YAMLError as exc:
        raise _fail(source, f"not valid YAML ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise _fail(source, "a hotline mapping is a mapping with name, columns and categories")
    columns: dict[str, str] = {}
    for key in ("columns", "aliases"):
        part = raw.get(key) or {}
        if not isinstance(part, dict):
            raise _fail(source, f"'{key}' maps column headers to fields")
        for header, field in part.items():
            if field not in FIELDS + OPTIONAL:
                raise _fail(
                    source,
                    f"'{key}': {header!r} maps to {field!r}; fields: {', '.join(FIELDS + OPTIONAL)}",
                )
            columns[normalise_header(header)] = field
    categories = raw.get("categories") or {}
    if not isinstance(categories, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in categories.items()
    ):
        raise _fail(source, "'categories' maps the hotline's category labels to desk categories")
    unknown = set(raw) - {"name", "columns", "aliases", "categories"}
    if unknown:
        raise _fail(
            source, f"unknown keys {sorted(unknown)}; keys: name, columns, aliases, categories"
        )
    return HotlineMapping(
        raw["name"],
        columns,
        {normalise_header(k): v for k, v in categories.items()},
        source,
        _category_lines(text),
    )


def _category_lines(text: str) -> dict[str, int]:
    """The line of each entry under ``categories:`` (by normalised label), 1-based."""
    root = yaml.compose(text, Loader=SafeLoader)  # parsed once already: it composes
    if not isinstance(root, yaml.MappingNode):
        return {}
    lines: dict[str, int] = {}
    for key, value in root.value:
        if key.value == "categories" and isinstance(value, yaml.MappingNode):
            for label, _code in value.value:
                lines[normalise_header(str(label.value))] = label.start_mark.line + 1
    return lines


def load_hotline_mapping(path: Path | None = None) -> HotlineMapping:
    """The mapping file at ``path``, or the packaged 12345 one."""
    if path is None:
        text = resources.files("huiqi.desk").joinpath("mappings", f"{PACKAGED}.yaml")
        return parse_hotline_mapping(text.read_text("utf-8"), f"{PACKAGED}.yaml")
    return parse_hotline_mapping(read_utf8(path, "mapping file", ImportFileError), str(path))

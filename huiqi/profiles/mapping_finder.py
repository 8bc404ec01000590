"""Where a registry file's mapping comes from: the mappings huiqi ships, a data
directory's own (``DATA_DIR/mappings/``), one by name, or the one whose headers a file's
header fits (:mod:`huiqi.profiles.mapping` reads and checks each file)."""

from __future__ import annotations

import functools
from dataclasses import replace
from importlib import resources
from pathlib import Path

from huiqi.errors import ImportFileError, Location, MappingError, NotFoundError
from huiqi.profiles.column_units import Declared
from huiqi.profiles.mapping import (
    PACKAGED_PREFIX,
    Mapping,
    headers_shown,
    normalise_header,
)
from huiqi.profiles.mapping_file import load_mapping_file, parse_mapping


@functools.cache
def packaged_mappings() -> dict[str, Mapping]:
    """The mappings shipped in ``huiqi/profiles/mappings``, by name."""
    folder = resources.files("huiqi.profiles").joinpath("mappings")
    found: dict[str, Mapping] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            m = parse_mapping(entry.read_text("utf-8"), f"{PACKAGED_PREFIX}{entry.name}")
            found[m.name] = m
    return found


def office_mappings(folder: Path | None) -> dict[str, Mapping]:
    """The mappings in a data directory's ``mappings/`` folder, by name.

    A name may not repeat a built-in mapping's or another file's: which one
    ``--mapping NAME`` meant would be a guess.
    """
    found: dict[str, Mapping] = {}
    if folder is None or not folder.is_dir():
        return found
    builtin = packaged_mappings()
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        m = load_mapping_file(path)
        other = builtin.get(m.name) or found.get(m.name)
        if other is not None:
            raise MappingError(
                f"name '{m.name}' is already the name of mapping {other.source}; "
                "give this mapping its own name",
                location=Location(str(path)),
            )
        found[m.name] = m
    return found


def all_mappings(folder: Path | None = None) -> dict[str, Mapping]:
    """Built-in mappings and a data directory's own, by name."""
    return {**packaged_mappings(), **office_mappings(folder)}


def get_mapping(name: str, folder: Path | None = None) -> Mapping:
    """A mapping by name (built-in or in ``folder``), or a mapping YAML file by path."""
    mappings = all_mappings(folder)
    if name in mappings:
        return mappings[name]
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return replace(load_mapping_file(path), given_path=str(path.resolve()))
    if path.suffix in (".yaml", ".yml") and not path.exists():
        # A path, mistyped or relative to another folder: "no mapping named" read as if
        # the file's name were taken for a mapping's name.
        raise NotFoundError(
            f"mapping file '{name}' does not exist (paths are read from {Path.cwd()}); give"
            f" the path of a mapping YAML file, or a mapping's name: one of {sorted(mappings)}"
        )
    raise ImportFileError(
        f"no mapping named '{name}'; use one of {sorted(mappings)} or the path of a mapping YAML file"
    )


def _closest(file: str, headers: list[str], found: set[str], mappings: dict[str, Mapping]) -> str:
    """Why the mapping that knows most of the headers does not fit them ("" when none
    knows any): "the closest is 'tax': required headers ['年度'] are missing"."""
    known = {
        name: len(found & set(m.headers)) for name, m in mappings.items() if found & set(m.headers)
    }
    if not known:
        return ""
    best = max(known.values())
    leaders = [name for name, n in known.items() if n == best]
    if len(leaders) > 1:
        return ""
    try:
        mappings[leaders[0]].resolve(file, headers)
    except ImportFileError as exc:
        why = exc.message.removeprefix(f"{file}: ").split("; expected headers")[0]
        return f"the closest is '{leaders[0]}' ({best} of {len(headers)} headers): {why}; "
    return ""


def _with_units(
    headers: list[str], declared: dict[int, Declared] | None, mapping: Mapping
) -> Mapping:
    """``mapping`` reading a money column headed in another unit in that unit, and one
    headed with no unit in the unit the sheet declares for it."""
    from huiqi.profiles.unit_variants import with_header_units

    return with_header_units(mapping, headers, declared)


def _fits(m: Mapping, found: set[str]) -> bool:
    """Whether mapping ``m`` knows every (normalised) header in ``found`` and finds its keys."""
    known = {**m.headers, **dict.fromkeys(m.skipped, "")}
    keys_present = all(any(known[h] == k for h in found if h in known) for k in m.keys)
    return found <= set(known) and keys_present


def _unit_less_refusal(
    file: str, headers: list[str], declared: dict[int, Declared], mappings: dict[str, Mapping]
) -> ImportFileError | None:
    """The refusal of a header that a mapping fits but for the units its money columns do
    not name ("营业收入" where the tax mapping has "营业收入(元)") and no line declares,
    or None: the closest error then said only that no mapping matches."""
    from huiqi.profiles.unit_variants import no_unit_error, unit_less

    found = {normalise_header(h) for h in headers}
    for m in mappings.values():
        missing = unit_less(m, headers, declared)
        if not missing:
            continue
        guessed = {c: Declared("yuan", 0) for c, h in enumerate(headers) if h in missing}
        guessed.update(declared)
        if _fits(_with_units(headers, guessed, m), found):
            return no_unit_error(file, m.name, headers, missing)
    return None


def detect_mapping(
    file: str,
    headers: list[str],
    folder: Path | None = None,
    declared: dict[int, Declared] | None = None,
) -> Mapping:
    """The one mapping that fits a header row, or ImportFileError saying why none does.

    The candidates are the built-in mappings and those in ``folder`` (a data
    directory's ``mappings/``). ``declared``: column → the unit the sheet declares for
    it (``column_units``), in which a money column whose header names none is read.
    """
    found = {normalise_header(h) for h in headers}
    mappings = all_mappings(folder)
    fitted = map(functools.partial(_with_units, headers, declared), mappings.values())
    candidates = [m for m in fitted if _fits(m, found)]
    if len(candidates) > 1:
        # A mapping that has the file's headers as they are written (an office's own,
        # "营业收入" with its 'units:') beats one read in the unit the sheet declares.
        candidates = [m for m in candidates if not m.declared_units] or candidates
    if len(candidates) > 1:
        complete = [m for m in candidates if {normalise_header(h) for h in m.columns} <= found]
        candidates = complete or candidates
    if len(candidates) > 1:
        # A mapping that imports a column beats one that only skips it: a file of codes and
        # names is the business registry's (market maps 企业名称; the others skip it).
        most = max(len(found & set(m.headers)) for m in candidates)
        candidates = [m for m in candidates if len(found & set(m.headers)) == most]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        refusal = _unit_less_refusal(file, headers, declared or {}, mappings)
        if refusal is not None:
            raise refusal
        raise ImportFileError(
            f"{file}: no mapping matches the headers {headers_shown(headers)}; "
            + _closest(file, headers, found, mappings)
            + f"name one with --mapping (known: {sorted(mappings)}), rename the columns to a "
            f"mapping's headers, or draft a mapping for this layout with "
            f"'huiqi mapping new {file}'"
        )
    raise ImportFileError(
        f"{file}: the headers {headers_shown(headers)} fit several mappings "
        f"{sorted(m.name for m in candidates)}; choose one with --mapping"
    )

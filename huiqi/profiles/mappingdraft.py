"""Draft a column mapping from a registry file's header, for a person to confirm.

Each header is compared, after NFKC normalisation, lower-casing and removing a
trailing unit in brackets (``营业收入（万元）``), with what the data dictionary
knows: field names, zh and en labels, and the headers and aliases of the
built-in mappings. A unit of 万元 or 亿元 on a money column becomes a
``units:`` entry. The layout follows from the fields found (a qualification
column → qualifications; a contract's or a relation's own column → contracts or
relations; a yearly field or a year column → yearly; else static), the registry from
the fields' most common source (the dictionary's ``source``), or, for a file whose only
fields are its layout's own columns, the registry of the built-in mapping of that layout.
When no field says which registry the file is from (a USCC and unknown headers), the
draft writes ``registry: null`` with a comment asking for it: the mapping refuses to load
until it is given, so a draft never claims to be the business registry's.

Row numbers and remarks (``序号``, ``备注``), which every mapping skips, go under
``ignore:``. The draft is YAML with a comment on every column saying how it was matched,
and one at the top naming the closest built-in mapping (``mapping_closest``). A
header nothing matched gets ``null`` and a comment asking for a field (naming the
fields whose Chinese label it resembles, as a hint only): the
mapping refuses to load until each one is given a field or moved under
``ignore:``, so an unconfirmed draft can never import.

Example:
    >>> draft = draft_mapping(["统一社会信用代码", "年度", "营业收入（万元）", "备注"], name="x")
    >>> draft.layout, draft.units, draft.unmatched, draft.skipped
    ('yearly', {'revenue': 'wan_yuan'}, [], ['备注'])
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

from huiqi.profiles.dictionary import load_dictionary
from huiqi.profiles.mapping import ALWAYS_IGNORED, LAYOUT_COLUMNS, normalise_header
from huiqi.profiles.mapping_closest import NONE_CLOSE, closest_builtin, describe, holders
from huiqi.profiles.mapping_finder import packaged_mappings
from huiqi.profiles.mapping_words import (
    BUILT_IN,
    LINK_COLUMNS,
    known_headers,
    not_matched,
    unit_hint,
)
from huiqi.profiles.unitwords import OTHER_MONEY, UNIT_WORDS
from huiqi.profiles.unitwords import comparable as _key
from huiqi.profiles.uscc import is_valid


@dataclass
class Draft:
    """A drafted mapping: what matched, how, and what needs a person."""

    name: str
    registry: str | None  # None: no field said which registry; the user writes it
    layout: str
    columns: dict[str, str | None]
    how: dict[str, str]
    units: dict[str, str] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    # Headers every mapping skips (mapping.ALWAYS_IGNORED) found in the file.
    skipped: list[str] = field(default_factory=list)
    # What the draft says of the closest built-in mapping (mapping_closest).
    closest: list[str] = field(default_factory=list)
    # When the matched fields come from several registries: which, said on the registry line.
    registry_note: str = ""

    def _registry_line(self) -> str:
        if self.registry is None:
            known = ", ".join(sorted(load_dictionary().registries))
            return (
                "registry: null  # ? no column says which registry this file is from: write"
                f" one of {known}"
            )
        note = f"  # {self.registry_note}" if self.registry_note else ""
        return f"registry: {self.registry}{note}"

    def to_yaml(self, file_name: str = "") -> str:
        """The draft as a mapping file, with a comment on every column."""
        q = lambda s: json.dumps(s, ensure_ascii=False)  # noqa: E731 - JSON strings are YAML
        lines = [
            f"# Drafted by 'huiqi mapping new' from the header of {file_name or 'a file'}.",
            "# Check every column, give each 'null' a dictionary field (or move its header",
            "# under 'ignore:'), then import with --mapping this-file.yaml or keep it in",
            "# <data dir>/mappings/.",
            *self.closest,
            f"name: {q(self.name)}",
            self._registry_line(),
            f"layout: {self.layout}",
            "columns:",
        ]
        for header, target in self.columns.items():
            value = "null" if target is None else target
            lines.append(f"  {q(header)}: {value}  # {self.how[header]}")
        if self.units:
            lines.append("units:")
            lines += [f"  {f}: {u}" for f, u in self.units.items()]
        if self.skipped:
            lines.append(
                "# Row numbers, remarks and a yearly file's names are never imported;"
                " listed for the record."
            )
        lines.append(f"ignore: [{', '.join(q(h) for h in self.skipped)}]")
        return "\n".join(lines) + "\n"


def _layout(fields: list[str]) -> str:
    d = load_dictionary()
    for layout, own in LINK_COLUMNS.items():
        if any(f in own for f in fields):
            return layout
    if "qualification" in fields:
        return "qualifications"
    if "year" in fields or any((f := d.get(n)) is not None and f.yearly for n in fields):
        return "yearly"
    return "static"


def _static_fields() -> frozenset[str]:
    return frozenset(
        f.name for f in load_dictionary().fields if not f.yearly and f.type != "qualification"
    )


def _fits(target: str, layout: str) -> bool:
    if target == "uscc" or target in LAYOUT_COLUMNS[layout]:
        return True
    if layout in LINK_COLUMNS:
        return False
    f = load_dictionary().get(target)
    return (
        f is not None
        and f.yearly == (layout == "yearly")
        and target not in LAYOUT_COLUMNS["qualifications"]
    )


def draft_mapping(
    headers: list[str],
    *,
    name: str,
    sheet_unit: str | None = None,
    column_units: dict[int, str] | None = None,
) -> Draft:
    """Match a header row against the dictionary (see the module docstring).

    ``sheet_unit`` is the unit the sheet declares above its header (``yuan``,
    ``wan_yuan``, ``yi_yuan``): it is the unit of the money columns whose header names
    none; a unit in a header is that column's own. ``column_units``: column → the unit a
    group title above it declares ("财务数据（万元）" over merged cells), which stands
    before the sheet's.
    """
    known = known_headers()
    found: dict[str, tuple[str, str, str | None] | None] = {}
    always = {normalise_header(h) for h in ALWAYS_IGNORED}
    skipped = [h for h in headers if normalise_header(h) in always]
    for header in headers:
        if header in skipped or not normalise_header(header):
            continue  # a column with no header is skipped by every mapping
        key, unit = _key(header)
        known_as = known.get(key)
        found[header] = (known_as[0], known_as[1], unit) if known_as else None
    layout = _layout([h[0] for h in found.values() if h is not None])
    comparable = lambda h: _key(h)[0]  # noqa: E731
    sheet_units = {
        h: unit
        for i, h in enumerate(headers)
        if (unit := (column_units or {}).get(i, sheet_unit)) is not None
    }
    near = closest_builtin(
        {h: (m[0] if m else None) for h, m in found.items()}, layout, comparable, sheet_units
    )
    held = holders(comparable)
    every = len(packaged_mappings())
    for header, match in found.items():
        if match is not None and match[1] == BUILT_IN:
            names = held.get(comparable(header), [])
            found[header] = (match[0], describe(names, near, every), match[2])
    d = load_dictionary()
    columns: dict[str, str | None] = {}
    how: dict[str, str] = {}
    units: dict[str, str] = {}
    taken: set[str] = set()
    # The fields recognised, those refused for their unit included: a tax file whose
    # amounts are all in 千元 is still the tax bureau's.
    recognised: list[str] = []  # in the header's order: a tie goes to the first column
    unmatched: list[str] = []
    for header, match in found.items():
        if match is None:
            columns[header], how[header] = None, not_matched(header, layout)
            how[header] += unit_hint(
                header, (column_units or {}).get(headers.index(header), sheet_unit)
            )
            unmatched.append(header)
            continue
        target, reason, unit = match
        if target == "name" and layout != "static":
            # A yearly file's 纳税人名称 names the row for a person; the registered name
            # comes from the business registry: not imported (README), so under ignore:.
            skipped.append(header)
            continue
        if target in taken or not _fits(target, layout):
            why = (
                "already fed by another column"
                if target in taken
                else (
                    "a yearly file feeds yearly fields only: import this column with a"
                    " second, static mapping of the same file (the yearly columns under"
                    " its ignore:)"
                )
                if layout == "yearly" and target in _static_fields()
                else f"not in a {layout} file"
            )
            columns[header], how[header] = None, f"? looks like '{target}' ({reason}), but {why}"
            unmatched.append(header)
            continue
        taken.add(target)
        recognised.append(target)
        columns[header], how[header] = target, f"matched {reason}"
        f = d.get(target)
        money = target == "amount" if layout == "contracts" else f is not None and f.type == "money"
        if not money:
            continue
        above = (column_units or {}).get(headers.index(header), sheet_unit)
        column_unit = UNIT_WORDS.get(unit or "", above)
        if unit in OTHER_MONEY or column_unit in OTHER_MONEY:
            taken.discard(target)
            columns[header] = None
            how[header] = (
                f"? looks like '{target}', but in {unit if unit in OTHER_MONEY else column_unit}:"
                " huiqi reads amounts in 元, 万元 or 亿元; convert the column to one of them first"
            )
            unmatched.append(header)
            continue
        if column_unit is not None and column_unit != "yuan":
            units[target] = column_unit
        if column_unit is None:
            # 元 or 万元, 10,000 times apart: the draft reads 元 by default, a person says.
            how[header] += (
                "; its header names no unit, nor does the sheet: read in yuan unless you"
                f" list it under units: as {target}: wan_yuan (or yi_yuan)"
            )
    named = {"uscc", "name"}  # in nearly every file: they say nothing of its registry
    sources = Counter(
        f.source for t in recognised if t not in named and (f := d.get(t)) is not None
    )
    registry = sources.most_common(1)[0][0] if sources else _layout_registry(layout)
    mixed = (
        f"the source of {sources[registry]} of the {sources.total()} fields matched"
        f" ({', '.join(f'{r}: {n}' for r, n in sources.most_common() if r != registry)});"
        " check it"
        if registry is not None and len(sources) > 1
        else ""
    )
    if registry is not None and registry != "market" and "name" in taken:
        # Another office's list names enterprises its own way (简称, old names); taken as
        # 'name' it would replace the registered name that notices and payments carry.
        header = next(h for h, t in columns.items() if t == "name")
        columns[header] = None
        how[header] = (
            "? looks like 'name', but the registered name comes from the business registry"
            " (market): move it under 'ignore:' unless this file is that registry's"
        )
        unmatched.append(header)
    closest = near.comment() if near is not None else list(NONE_CLOSE)
    return Draft(name, registry, layout, columns, how, units, unmatched, skipped, closest, mixed)


def _layout_registry(layout: str) -> str | None:
    """The registry of the built-in mappings of ``layout`` when they all have the same one
    (contracts: ai_platform, relations: market, qualifications: science): a file whose only
    columns are that layout's own (contract_id, party, certificate_id …) names no field
    with a source. None for static and yearly files, which every registry sends."""
    if layout in ("static", "yearly"):
        return None
    registries = {m.registry for m in packaged_mappings().values() if m.layout == layout}
    return registries.pop() if len(registries) == 1 else None


def draft_name(stem: str) -> str:
    """A mapping name from a file name: lower-case ASCII words, not a built-in name."""
    name = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "office-layout"
    return f"{name}-office" if name in packaged_mappings() else name


def draft_from_rows(rows: list[tuple[int, list[str]]], *, name: str) -> tuple[int, Draft]:
    """The header row among a file's first rows (``Source.header_rows``) and its draft.

    The header is the row whose cells match the most dictionary fields, then the one
    with the most filled cells (the earliest on a tie): a title or a "单位：万元" line
    above it matches none and fills fewer. A row of one cell (a title) is no header
    when another row has more, and a row holding a USCC is data. A unit declared
    above the header, or on a row of units under it, applies to the money columns that
    name no unit of their own.
    """
    from huiqi.profiles.column_units import column_units
    from huiqi.profiles.headerfit import two_row_header

    best: tuple[int, Draft] | None = None
    # Each row alone, then each pair of rows that reads as a two-row header (group
    # titles over merged cells above sub-headers), which wins only by matching more.
    candidates = [(i, line, cells, False) for i, (line, cells) in enumerate(rows)]
    for i in range(len(rows) - 1):
        pair = two_row_header(rows[i], rows[i + 1])
        if pair is not None:
            candidates.append((i + 1, rows[i + 1][0], pair, True))
    widest = max((filled(cells) for _, cells in rows), default=0)
    best_score = (-1, -1)
    for i, line, cells, is_pair in candidates:
        if any(is_valid(c.strip().upper()) for c in cells) or (filled(cells) < 2 <= widest):
            # A row holding an enterprise's code is a data row, and a row of one cell a
            # title: '2025年' in either reads as a year-headed column, which outmatched a
            # header of words no field knows.
            continue
        # A line above the header, a group title over the column, a row of units under
        # it (营业收入 over 万元); a unit huiqi does not read (千元) is kept as its word, so
        # that the column is left for a person rather than drafted as read in 元.
        declared = column_units(rows, i, len(cells))
        draft = draft_mapping(
            cells, name=name, column_units={c: d.unit for c, d in declared.items()}
        )
        score = (len(draft.columns) - len(draft.unmatched), filled(cells))
        # A two-row header wins only by matching more.
        if best is None or (score[0] > best_score[0] if is_pair else score > best_score):
            best, best_score = (line, draft), score
    if best is None:
        return 0, draft_mapping([], name=name)
    return best


def filled(cells: list[str]) -> int:
    """How many of a row's cells hold something."""
    return sum(1 for c in cells if str(c).strip())

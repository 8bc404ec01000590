"""Which built-in mapping a drafted one is closest to, and why (``huiqi mapping new``).

A draft says which built-in layout has the most of the file's headers, besides the USCC
and the name that nearly every layout has (they tell nothing of the registry): a data
steward then knows which shipped mapping to compare with, and that the import reads the
file with it as it is when the file has no column it lacks. When no built-in mapping has
any of those headers, the draft says so rather than naming one at random.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from huiqi.profiles.column_units import Declared
from huiqi.profiles.mapping import UNITS, Mapping, normalise_header
from huiqi.profiles.mapping_finder import packaged_mappings
from huiqi.profiles.unit_variants import with_header_units

# Fields nearly every layout has: sharing them says nothing of the registry.
COMMON = frozenset({"uscc", "name"})


@dataclass(frozen=True)
class Closest:
    name: str
    layout: str
    registry: str
    shared: tuple[str, ...]  # the file's headers it names, unit aside (no USCC or name)
    missing: tuple[str, ...]  # the file's headers it does not have as written

    def comment(self) -> list[str]:
        """The draft's comment lines about it, wrapped as the draft's other comments."""
        return [
            line
            for text in self._sentences()
            for line in textwrap.wrap(text, 86, initial_indent="# ", subsequent_indent="# ")
        ]

    def _sentences(self) -> list[str]:
        # ``shared`` compares names with the unit set aside, ``missing`` headers as
        # written: a header in both is named once, as written otherwise, so that the
        # comment never says the mapping has a header and then that it has not.
        otherwise = [h for h in self.shared if h in self.missing]
        absent = [h for h in self.missing if h not in self.shared]
        lines = [
            f"Closest built-in mapping: '{self.name}' ({self.layout}, registry"
            f" {self.registry}); not counting a USCC or name column, it shares"
            f" {len(self.shared)} of this file's headers: {', '.join(self.shared)}."
        ]
        if otherwise:
            lines.append(
                f"It writes {', '.join(otherwise)} with another unit or spelling than here."
            )
        if absent:
            lines.append(f"It has no column headed {', '.join(absent)}.")
        if self.missing:
            lines.append("Hence this draft.")
        else:
            lines.append(
                f"It has every column: 'huiqi import FILE --mapping {self.name}'"
                " reads the file without this draft."
            )
        return lines


def _headers_of(m: Mapping, key: Callable[[str], str]) -> set[str]:
    return {key(h) for h in (*m.columns, *m.aliases)}


def holders(key: Callable[[str], str]) -> dict[str, list[str]]:
    """Comparable header -> the built-in mappings that have it, by name."""
    found: dict[str, list[str]] = {}
    for m in packaged_mappings().values():
        for k in sorted(_headers_of(m, key)):
            found.setdefault(k, []).append(m.name)
    return found


def closest_builtin(
    targets: dict[str, str | None],
    layout: str,
    key: Callable[[str], str],
    declared: dict[str, str] | None = None,
) -> Closest | None:
    """The built-in mapping with the most of the file's headers (``targets``: header ->
    the field drafted for it, None when unmatched), not counting the USCC and name; on a
    tie the one of the draft's ``layout``, then by name. None when none has any.
    ``declared``: header → the unit the sheet declares for its column (above or under
    the header), in which the import reads a money header that names none."""
    telling = [h for h, t in targets.items() if t not in COMMON]
    best: tuple[tuple[int, bool], Mapping, list[str]] | None = None
    for _, m in sorted(packaged_mappings().items()):
        own = _headers_of(m, key)
        shared = [h for h in telling if key(h) in own]
        rank = (len(shared), m.layout == layout)
        if shared and (best is None or rank > best[0]):
            best = (rank, m, shared)
    if best is None:
        return None
    _, m, shared = best
    # As the import reads them: a header with its unit (纳税总额（万元）, 纳税总额(千元)) or
    # under a declared one (营业收入 below 单位：万元) is the mapping's header when the
    # import reads it in that unit (``unit_variants``), not when its unit is one huiqi
    # reads no amount in (千元).
    headers = list(targets)
    units = {
        c: Declared(unit, 0)
        for c, h in enumerate(headers)
        if (unit := (declared or {}).get(h)) is not None and unit in UNITS
    }
    read = with_header_units(m, headers, units)
    known = {*read.headers, *read.skipped}
    missing = tuple(h for h in targets if normalise_header(h) not in known)
    return Closest(m.name, m.layout, m.registry, tuple(shared), missing)


def describe(names: list[str], closest: Closest | None, every: int) -> str:
    """How a header of built-in mappings ``names`` is known, for its column's comment:
    the closest mapping when it has it, never one picked at random among many."""
    if closest is not None and closest.name in names:
        others = len(names) - 1
        more = (
            f" (and {others} other built-in mapping{'s' if others > 1 else ''})" if others else ""
        )
        return f"a header of built-in mapping '{closest.name}'{more}"
    if len(names) == 1:
        return f"a header of built-in mapping '{names[0]}'"
    if len(names) == every:
        return "a header every built-in mapping has"
    return f"a header of {len(names)} built-in mappings ({', '.join(repr(n) for n in names)})"


NONE_CLOSE = (
    "# No built-in mapping is close: none has any of this file's headers besides the",
    "# USCC and name.",
)

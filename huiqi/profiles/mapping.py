"""Column mappings: which registry file header feeds which dictionary field.

One YAML file per registry file layout lives in ``huiqi/profiles/mappings/``::

    name: tax                     # how ``--mapping tax`` names it
    registry: tax                 # the dictionary registry it comes from
    layout: yearly                # static | yearly | qualifications | relations | contracts
    columns:                      # file header -> dictionary field
      统一社会信用代码: uscc
      年度: year
      营业收入(元): revenue
    aliases:                      # optional: more headers for the same fields
      纳税人识别号: uscc
    units:                        # optional: the unit a money column is written in
      revenue: yuan               # yuan (default) | wan_yuan (x 10,000) | yi_yuan (x 10^8)
    values:                       # optional: how this registry writes a coded field's values
      registration_type:          #   file text: the code it means
        有限责任公司（国有独资）: wholly_state_owned_company
    ignore: [序号, 备注]           # optional: headers whose columns are not imported

Built-in layouts live in ``huiqi/profiles/mappings/``; an office keeps its own in
``<data dir>/mappings/*.yaml`` (detection considers both), or names any file
with ``--mapping path/to/layout.yaml``. A mapping file that is wrong is refused
with its file, line and column (:class:`~huiqi.errors.MappingError`), as policy
files are.

Rules the importer relies on:

* Headers are compared after Unicode NFKC normalisation and trimming, so a
  full-width ``营业收入（元）`` matches ``营业收入(元)``.
* The key headers (``uscc``; plus ``year`` for yearly layouts; plus
  ``qualification`` and ``valid_from`` for qualifications; ``party``, ``relation``
  and ``valid_from`` for relations; ``contract_id`` for contracts) must be present.
  Other mapped headers may be missing: only the fields a file carries are
  updated. A header the mapping does not know is refused, because silently
  dropping a misspelt column would lose data; except ``序号`` (row number) and
  ``备注`` (remarks), which offices' sheets carry whatever the registry and no
  field holds (``ALWAYS_IGNORED``): every mapping skips them.
* With no mapping named, the mapping is detected from the header when exactly
  one mapping knows every header and finds its keys; if several do, the one whose
  own headers the file carries completely wins, then the one that imports the most
  of the file's columns (rather than skipping them); otherwise the file is refused.
  Every built-in layout but ``market`` skips the enterprise's name (企业名称,
  纳税人名称, 单位名称): the business registry holds names.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

from huiqi.errors import ImportFileError, Location, MappingError, PolicyError, first_of
from huiqi.policies.yamlmarks import Marks, full_width_key, load_with_marks
from huiqi.profiles.dictionary import Dictionary, load_dictionary
from huiqi.profiles.mapping_values import checked_units, coded_values, fail, text_map
from huiqi.textfiles import read_utf8
from huiqi.xlsxwrite import column_letters

LAYOUTS = ("static", "yearly", "qualifications", "relations", "contracts")
# Layouts of records between enterprises (huiqi/profiles/links.py): their columns are
# the layout's own, never dictionary fields.
LINK_LAYOUTS = ("relations", "contracts")
KEY_FIELDS = {
    "static": ("uscc",),
    "yearly": ("uscc", "year"),
    "qualifications": ("uscc", "qualification", "valid_from"),
    "relations": ("uscc", "party", "relation", "valid_from"),
    "contracts": ("uscc", "contract_id"),
}
# Columns a file of the layout must carry (the keys, and what a link record cannot lack).
REQUIRED_FIELDS = {
    **KEY_FIELDS,
    "relations": ("uscc", "party_kind", "party", "relation", "valid_from"),
    "contracts": ("uscc", "contract_id", "seller_uscc", "contract_type", "amount", "signed_on"),
}
# Pseudo-fields that are columns of a layout's table but not dictionary fields.
LAYOUT_COLUMNS = {
    "static": (),
    "yearly": ("year",),
    "qualifications": ("qualification", "certificate_id", "valid_from", "valid_to"),
    "relations": ("party_kind", "party", "relation", "share_pct", "valid_from", "valid_to"),
    "contracts": ("contract_id", "seller_uscc", "contract_type", "amount", "signed_on"),
}
# Multiplier to yuan, and how many more decimals the file may carry because of it.
# Bookkeeping columns of offices' sheets that no dictionary field holds: every mapping
# skips them, as if they were under its 'ignore:'.
ALWAYS_IGNORED = (
    "序号",
    "备注",
    # The index pandas writes into a Parquet file (DataFrame.to_parquet of a frame whose
    # index is not the default one): row labels, not data.
    *(f"__index_level_{i}__" for i in range(10)),
)
UNITS: dict[str, tuple[int, int]] = {"yuan": (1, 0), "wan_yuan": (10_000, 4), "yi_yuan": (10**8, 8)}


def normalise_header(text: object) -> str:
    """The form headers are compared in (NFKC, no whitespace at all, no invisible format
    character): a sheet's header cell often breaks its text over two lines ("营业收入"
    Alt+Enter "(元)") or spaces it out to fit ("年  度"), and Chinese headers hold no
    meaningful space. A header pasted from a web page or a Word table brings invisible
    characters along (a zero-width space U+200B, a byte-order mark U+FEFF, a direction
    mark U+200E), which no one can see to remove.

    Example:
        >>> normalise_header(" 统一社会信用代码\u200b")
        '统一社会信用代码'
    """
    plain = unicodedata.normalize("NFKC", str(text))
    return "".join(c for c in plain if not c.isspace() and unicodedata.category(c) != "Cf")


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
    ignore: tuple[str, ...] = ()
    # Coded field -> {text as this registry writes it: code}, besides the code list's own
    # codes and names (a registry's own wording, e.g. 市场主体类型 for 登记注册类型).
    values: dict[str, dict[str, str]] = dataclass_field(default_factory=dict)
    # The file's money headers read in the unit they name, not the mapping's header's
    # (header -> unit word: "注册资本（万元）" -> "万元"; ``unit_variants``), for the report.
    header_units: dict[str, str] = dataclass_field(default_factory=dict)
    # The file's money headers that name no unit, read in the unit the sheet declares for
    # them (header -> "万元, line 1": ``column_units``), for the report.
    declared_units: dict[str, str] = dataclass_field(default_factory=dict)

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

    @property
    def skipped(self) -> set[str]:
        """The (normalised) headers whose columns are not imported: those under
        'ignore:', the bookkeeping columns every mapping skips, and a column with no
        header (a sheet's empty margin column A; the report lists it)."""
        return {normalise_header(h) for h in (*self.ignore, *ALWAYS_IGNORED)} | {""}

    @property
    def builtin(self) -> bool:
        """Shipped with huiqi (``huiqi/profiles/mappings/``): not the user's to edit."""
        return self.source.startswith(PACKAGED_PREFIX)

    def extend_advice(self, file: str) -> str:
        """How to make this mapping read another header: an office's own mapping file
        takes aliases; a built-in one is not edited (an upgrade would undo it): the
        layout gets a mapping file of its own."""
        if self.builtin:
            return (
                "or describe this layout in a mapping file of your own: "
                f"'huiqi mapping new {file}' drafts it from the header"
            )
        return (
            f"or add them in {self.source}: under 'aliases:' (another name of a column it "
            "maps) or under 'ignore:' (a column not to import)"
        )

    def unit_of(self, field: str) -> tuple[int, int]:
        return UNITS[self.units.get(field, "yuan")]

    def resolve(self, file: str, found: list[str]) -> dict[int, str]:
        """Map the file's header positions to fields, or raise ImportFileError."""
        known = self.headers
        skipped = self.skipped
        normalised = [normalise_header(h) for h in found]
        unknown = [
            h for h, n in zip(found, normalised, strict=True) if n not in known and n not in skipped
        ]
        if unknown:
            raise ImportFileError(
                f"{file}: headers {headers_shown(unknown)} are not in mapping '{self.name}'; "
                f"expected headers {headers_shown(list(self.columns))}, found"
                f" {headers_shown(found)}. Rename the columns, " + self.extend_advice(file),
            )
        by_position = {i: known[n] for i, n in enumerate(normalised) if n in known}
        fields = list(by_position.values())
        twice = sorted({f for f in fields if fields.count(f) > 1}, key=fields.index)
        if twice:
            # Which columns, by position: two columns headed alike cannot be told apart by
            # their header, and a list of every expected header did not say where they were.
            clashes = "; ".join(
                " and ".join(
                    f"column {i + 1} ({column_letters(i)}) '{found[i]}'"
                    for i, f in by_position.items()
                    if f == field
                )
                + f" feed the same field '{field}'"
                for field in twice
            )
            raise ImportFileError(
                f"{file}: {clashes}. A field is read from one column: delete the other"
                " columns, or rename them and list them under 'ignore:' in a mapping file of"
                " your own"
            )
        missing = [self.header_for(k) for k in REQUIRED_FIELDS[self.layout] if k not in fields]
        if missing:
            raise ImportFileError(
                f"{file}: required headers {missing} are missing for mapping '{self.name}'; "
                f"expected headers {headers_shown(list(self.columns))}, found"
                f" {headers_shown(found)}. Add the missing columns to the file, or import it"
                " with a mapping whose headers name its columns (--mapping FILE)"
            )
        return by_position


# Headers a message lists in full; a sheet hundreds of columns wide made a message of
# thousands of characters that buried what to do.
SHOWN_HEADERS = 20


def headers_shown(headers: list[str]) -> str:
    """A list of headers as a message writes it: in full up to :data:`SHOWN_HEADERS`, else
    the first of them and how many more.

    Example:
        >>> headers_shown(["a", "b"])
        "['a', 'b']"
        >>> headers_shown([f"c{i}" for i in range(25)])[-27:]
        "'c18', 'c19', … and 5 more]"
    """
    if len(headers) <= SHOWN_HEADERS:
        return str(headers)
    return f"{str(headers[:SHOWN_HEADERS])[:-1]}, … and {len(headers) - SHOWN_HEADERS} more]"


PACKAGED_PREFIX = "huiqi/profiles/mappings/"
KNOWN_KEYS = ("name", "registry", "layout", "columns", "aliases", "units", "values", "ignore")
UNCONFIRMED = "?"


def check_mapping(raw: Any, marks: Marks, source: str, dictionary: Dictionary) -> Mapping:
    """Validate a parsed mapping file; MappingError with file, line and column if wrong."""
    if not isinstance(raw, dict):
        raise fail(
            "a mapping file must be a YAML mapping (name, registry, layout, columns)",
            marks,
            (),
            source,
        )
    for key in raw:
        if key not in KNOWN_KEYS:
            raise fail(
                f"unknown key '{key}'; a mapping has {list(KNOWN_KEYS)}", marks, (key,), source
            )
    problems: list[MappingError] = []
    unset = raw.get("registry") in (None, "", UNCONFIRMED)
    if "registry" in raw and unset:
        # A draft of a file no column of which said its registry ('huiqi mapping new'):
        # said with the columns left to fill, so that one check lists all of it.
        problems.append(
            fail(
                "'registry' has no value yet: write the registry this file comes from, one of"
                f" {sorted(dictionary.registries)}",
                marks,
                ("registry",),
                source,
            )
        )
    for key in ("name", "registry", "layout", "columns"):
        if raw.get(key) in (None, "") and not (key == "registry" and problems):
            raise fail(
                f"'{key}' is missing; a mapping needs name, registry, layout and columns",
                marks,
                (),
                source,
            )
    name, registry, layout = str(raw["name"]), str(raw["registry"]), str(raw["layout"])
    if layout not in LAYOUTS:
        raise fail(f"layout '{layout}' is not one of {list(LAYOUTS)}", marks, ("layout",), source)
    if not unset and registry not in dictionary.registries:
        raise fail(
            f"registry '{registry}' is not one of {sorted(dictionary.registries)}",
            marks,
            ("registry",),
            source,
        )
    sections = {k: text_map(raw, k, marks, source) for k in ("columns", "aliases")}
    # Every column's problem at once: a draft often leaves several columns to fill in, and
    # 'huiqi mapping check' showed only the first, one run per column (qa1).
    for section, entries in sections.items():
        for header, field in entries.items():
            where = (section, header)
            try:
                if field is None or str(field).strip() in ("", UNCONFIRMED):
                    raise fail(
                        f"header '{header}' has no field yet; write the dictionary field it"
                        " feeds, or move the header under 'ignore:' to skip the column",
                        marks,
                        where,
                        source,
                    )
                _check_field(str(field), layout, marks, where, source, dictionary)
            except MappingError as exc:
                problems.append(exc)
    if problems:
        raise first_of(problems, MappingError)
    columns = {h: str(f) for h, f in sections["columns"].items()}
    aliases = {h: str(f) for h, f in sections["aliases"].items()}
    for field in REQUIRED_FIELDS[layout]:
        if field not in columns.values():
            raise fail(
                f"a {layout} mapping needs a column for '{field}'", marks, ("columns",), source
            )
    units = checked_units(raw, marks, source, dictionary, layout, {**columns, **aliases})
    from huiqi.profiles.declared_unit import check_mapping_header_units

    check_mapping_header_units(sections, units, layout, marks, source, dictionary)
    ignore = raw.get("ignore") or []
    if not isinstance(ignore, list):
        raise fail("'ignore' must be a list of headers", marks, ("ignore",), source)
    # A header both mapped and ignored was imported while the report listed it among the
    # columns not imported: which one the office meant cannot be told, so it says.
    mapped = {
        normalise_header(h): (f, section)
        for section, entries in (("columns", columns), ("aliases", aliases))
        for h, f in entries.items()
    }
    for i, header in enumerate(ignore):
        if normalise_header(str(header)) in mapped:
            field, section = mapped[normalise_header(str(header))]
            raise fail(
                f"'{header}' is under 'ignore:' and also feeds field '{field}': a column is"
                " either imported or skipped; remove it from 'ignore:' to import it, or from"
                f" '{section}:' to skip it",
                marks,
                ("ignore", i),
                source,
            )
    values = coded_values(raw, marks, source, dictionary)
    return Mapping(
        name,
        registry,
        layout,
        columns,
        aliases,
        units,
        source,
        tuple(str(h) for h in ignore),
        values,
    )


def _check_field(
    field: str,
    layout: str,
    marks: Marks,
    where: tuple[str | int, ...],
    source: str,
    dictionary: Dictionary,
) -> None:
    if field in LAYOUT_COLUMNS[layout] or field == "uscc":
        return
    if layout in LINK_LAYOUTS:
        raise fail(
            f"'{field}' is not a column of a {layout} file; use one of "
            f"{['uscc', *LAYOUT_COLUMNS[layout]]}",
            marks,
            where,
            source,
        )
    if field == "year" and layout == "static":
        raise fail(
            "'year' is the year column of a yearly file: write 'layout: yearly' when the"
            " file's figures are per year, or move this header under 'ignore:'",
            marks,
            where,
            source,
        )
    f = dictionary.get(field)
    if f is None or f.derived or f.type == "qualification":
        extra = [c for c in LAYOUT_COLUMNS[layout]]
        importable = [
            g.name for g in dictionary.fields if not g.derived and g.type != "qualification"
        ]
        close = difflib.get_close_matches(field, [*importable, *extra], n=1)
        raise fail(
            f"'{field}' is not an importable dictionary field"
            + (f" (did you mean '{close[0]}'?)" if close and close[0] != field else "")
            + "; use a field of "
            "huiqi/profiles/dictionary.yaml (not derived, not a qualification)"
            + (f" or one of {extra}" if extra else ""),
            marks,
            where,
            source,
        )
    if f.yearly != (layout == "yearly"):
        kind = "yearly" if f.yearly else "static"
        raise fail(
            f"{kind} field '{field}' cannot be in a {layout} file; " + _LAYOUT_FIX[kind],
            marks,
            where,
            source,
        )


# What to do with a field the mapping's layout cannot hold (mapping new drafts a file
# that mixes them with one layout, and the office's sheets often do).
_LAYOUT_FIX = {
    "static": (
        "import the file's static columns with a second mapping of 'layout: static' over"
        " the same file (its yearly columns and the year under 'ignore:'; one row per"
        " enterprise), or move this header under 'ignore:'"
    ),
    "yearly": (
        "write 'layout: yearly' and map the file's year column to 'year', or move this"
        " header under 'ignore:'"
    ),
}


def parse_mapping(text: str, source: str) -> Mapping:
    """Parse and validate the text of a mapping file."""
    try:
        raw, marks = load_with_marks(text, source)
    except PolicyError as exc:
        raise MappingError(exc.message, location=exc.location) from exc
    try:
        return check_mapping(raw, marks, source, load_dictionary())
    except MappingError:
        colon = full_width_key(text, None)
        if colon is None:
            raise
        # '营业收入（万元）： revenue' reads as a text, not as a key: say so, not what follows.
        raise MappingError(
            "'：' is a full-width colon, so this line is not a key; write ':' and a space"
            " after the key",
            location=Location(source, *colon),
        ) from None


def load_mapping_file(path: Path) -> Mapping:
    """Load a mapping from any YAML file (for registries not packaged with huiqi)."""
    return parse_mapping(read_utf8(path, "mapping file", MappingError), str(path))

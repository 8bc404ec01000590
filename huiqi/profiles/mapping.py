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

Reading and checking a mapping file is :mod:`huiqi.profiles.mapping_file`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from huiqi.errors import ImportFileError
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
# Bookkeeping columns of offices' sheets that no dictionary field holds: every mapping
# skips them, as if they were under its 'ignore:'.
ALWAYS_IGNORED = (
    "序号",
    "备注",
    # The index pandas writes into a Parquet file (DataFrame.to_parquet of a frame whose
    # index is not the default one): row labels, not data.
    *(f"__index_level_{i}__" for i in range(10)),
)
# The names registries other than the one a mapping was written from give their key
# columns: a tax bureau's export heads the code 纳税人识别号 (a taxpayer's number is its
# USCC since 2015) and the year 纳税年度 or 所属年度. Every mapping of one enterprise's
# rows reads them as its key, besides the headers it names itself; a layout of records
# between two enterprises (relations, contracts) does not, since there the code could
# be either party's. A file that carries two of them is refused naming both columns.
KEY_NAMES: dict[str, tuple[str, ...]] = {
    "uscc": (
        "社会信用代码",
        "统一代码",
        "信用代码",
        "纳税人识别号",
        "纳税人识别号/统一社会信用代码",
    ),
    "year": (
        "年份",
        "数据年度",
        "所属年度",
        "统计年度",
        "纳税年度",
        "税款所属年度",
        "会计年度",
        "报告年度",
        "年度(年)",
    ),
}
# Where the built-in mapping files are, as their ``source`` names them.
PACKAGED_PREFIX = "huiqi/profiles/mappings/"
# Multiplier to yuan, and how many more decimals the file may carry because of it.
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
    # A mapping file given by its path (``--mapping path/to/tax.yaml``): its absolute path.
    given_path: str | None = None

    @property
    def shown(self) -> str:
        """How reports and the import history name it: a mapping given by path by its
        path, so that one whose file (or ``name:``) is a built-in mapping's name is not
        taken for the built-in one; any other by its name. Regression (qa9): a file
        ``tax.yaml`` given by path was reported "with mapping 'tax'"."""
        return self.given_path or self.name

    @property
    def keys(self) -> tuple[str, ...]:
        return KEY_FIELDS[self.layout]

    @property
    def headers(self) -> dict[str, str]:
        """Every accepted (normalised) header -> field: aliases included, and the common
        names of its key columns (:data:`KEY_NAMES`) that the mapping does not use for
        another field or skip."""
        known = {normalise_header(h): f for h, f in self.columns.items()}
        known.update({normalise_header(h): f for h, f in self.aliases.items()})
        if self.layout in LINK_LAYOUTS:
            return known
        skipped = self.skipped
        for key in self.keys:
            for name in map(normalise_header, KEY_NAMES.get(key, ())):
                if name not in skipped:
                    known.setdefault(name, key)
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

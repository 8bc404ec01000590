"""The outcome of one import: the report object and the files a data steward reads.

Under ``<imports_dir>/<snapshot_id>/`` each import leaves (one that accepted no row, and
so made no snapshot, under ``<imports_dir>/not-imported/<time>-<hash>/``):

* ``rejects.csv``  every refused cell, then its whole row (:mod:`huiqi.profiles.rejects_csv`).
* ``normalised.csv``  every value stored in another form than the file's text
  (:mod:`huiqi.profiles.normalised_csv`).
* ``report.json``  counts, encoding, hash, mapping, rejects per field, first messages.
* ``report.txt``   the same as a short human-readable summary.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from huiqi.delivery import event_reasons as reasons
from huiqi.fsmode import write_private_text
from huiqi.profiles.mapping import normalise_header
from huiqi.profiles.no_district import no_district_message

# How many cases a report's line names (rejects, normalised cells, size classes...).
FIRST_MESSAGES = 10


@dataclass
class ImportReport:
    """What an import did. ``summary()`` gives the text a CLI prints."""

    snapshot_id: int | None  # None: no row was accepted, so no snapshot was made
    file: str
    mapping: str  # its name; a mapping file given by path, its path (``Mapping.shown``)
    format: str
    encoding: str | None
    sha256: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rows_changed: int
    rejects_path: Path
    report_path: Path
    messages: list[str] = field(default_factory=list)
    rejects_by_field: dict[str, int] = field(default_factory=dict)
    missing_columns: list[str] = field(default_factory=list)
    # Fields the file fed that the dictionary says another registry owns: 'field (registry)'.
    other_registries: list[str] = field(default_factory=list)
    size_classes_refreshed: bool = False
    sheet: str | None = None
    uscc_upper_cased: int = 0
    # Stored values the file's empty cells left as they were (an empty cell clears nothing).
    blanks_kept: int = 0
    uscc_upper_cased_lines: list[int] = field(default_factory=list)
    # Industry classes written after their section letter (I6513), stored as the class.
    industry_letters_removed: int = 0
    industry_letters_removed_lines: list[int] = field(default_factory=list)
    # Cells written as Excel's text formula (="0610"), read as the text inside; the lines
    # of the first ones, a line per cell.
    formula_texts_unwrapped: int = 0
    formula_texts_unwrapped_lines: list[int] = field(default_factory=list)
    # Workbook cells under a range merged down several rows, read as its top cell.
    merged_cells_filled: int = 0
    merged_cells_filled_lines: list[int] = field(default_factory=list)
    normalised_path: Path | None = None
    size_class_disagreements: int = 0
    size_class_messages: list[str] = field(default_factory=list)
    # Enterprises holding two or more legal representatives over the same days (relations).
    legal_rep_overlaps: int = 0
    legal_rep_messages: list[str] = field(default_factory=list)
    # Every share of a relations file at most 1 (%): written as fractions, perhaps.
    shares_at_most_one: int = 0
    seconds: float = 0.0
    # "duckdb": DuckDB read the file itself; "recovering": huiqi's line-by-line (CSV) or
    # row-group-by-row-group (Parquet) readers did, as for any file with a broken part.
    reader: str = "recovering"
    # The header's line when it is not the first non-empty row, and the rows skipped
    # above it (a title, the unit), as "line N: cells".
    header_line: int | None = None
    # A wide sheet's years (a column group per year, read as one row per year), the lines
    # of the file read, and those with no value in any year (no row: counted, the first
    # named). Every row count of a wide sheet's report is of enterprise-years.
    wide_years: list[int] = field(default_factory=list)
    wide_lines: int = 0
    wide_empty_lines: int = 0
    wide_empty_first: list[int] = field(default_factory=list)
    skipped_above: list[str] = field(default_factory=list)
    # The row under the header that gives the columns' units (skipped, not data).
    unit_line: int | None = None
    # The file's columns that are not imported (the mapping's 'ignore:', 序号, 备注).
    ignored_columns: list[str] = field(default_factory=list)
    # Money columns read in the unit their header names, not the mapping's: the header as
    # it is ("注册资本（万元）"), the unit added in brackets only where the header writes it
    # otherwise (``unit_named``; huiqi.profiles.unit_variants).
    units_from_headers: list[str] = field(default_factory=list)
    # Money columns whose header names no unit, read in the unit the sheet declares for
    # them above or under the header ("营业收入 (万元, line 1)": huiqi.profiles.column_units).
    units_declared: list[str] = field(default_factory=list)
    # The mapping's registry (market, tax...): the history's column for an import that made
    # no snapshot (a snapshot records its own).
    registry: str | None = None
    # The store's enterprises with no district code after the import (huiqi.profiles.no_district).
    no_district: int = 0
    no_district_first: list[str] = field(default_factory=list)
    no_district_path: Path | None = None

    def summary(self) -> str:
        """A few lines for a person: what was read, what went in, where the rejects are."""
        name = Path(self.file).name
        how = self.format if self.encoding is None else f"{self.format}, {self.encoding}"
        if self.sheet is not None:
            how += f", sheet '{self.sheet}'"
        # The first line is the import's audit event's reason (huiqi.delivery.event_reasons).
        first = (
            reasons.IMPORTED(file=name, mapping=self.mapping, how=how, id=self.snapshot_id)
            if self.snapshot_id is not None
            else reasons.NOTHING_IMPORTED(file=name, mapping=self.mapping, how=how)
        )
        lines = [
            first,
            f"Rows: {self.rows_read} read, {self.rows_accepted} accepted, "
            f"{self.rows_rejected} rejected, {self.rows_changed} changed.",
        ]
        if self.wide_years:
            lines.append(
                "Read as a wide sheet with years "
                + str(self.wide_years)
                + f": its {self.wide_lines} line(s) give one row per enterprise and year with a"
                " value; every row count is of those (a line that could not be read is a"
                " rejected row for each year), and a line named is the file's."
            )
        if self.wide_empty_lines:
            at = _lines_named(self.wide_empty_first, self.wide_empty_lines)
            lines.append(
                f"{self.wide_empty_lines} line(s) have no value in any year's column and give"
                f" no row ({at}): nothing of theirs was imported."
            )
        if self.header_line is not None:
            lines.append(
                f"The header is on line {self.header_line}; skipped above it: "
                + "; ".join(self.skipped_above)
                + "."
            )
        if self.unit_line is not None:
            lines.append(
                f"Line {self.unit_line} under the header gives the columns' units; it is not"
                " read as data."
            )
        if self.rows_changed == 0 and self.rows_accepted > 0:
            lines.append("No changes: every accepted row was already in the store.")
        if self.blanks_kept:
            lines.append(
                f"Kept {self.blanks_kept:,} stored value(s) where the file's cell is empty: an"
                " empty cell never clears a value another import supplied."
            )
        if self.uscc_upper_cased:
            at = _lines_named(self.uscc_upper_cased_lines, self.uscc_upper_cased)
            lines.append(
                f"Upper-cased {self.uscc_upper_cased} USCC(s) written in lower case ({at});"
                f" the original text is in {self.normalised_path}."
            )
        if self.industry_letters_removed:
            at = _lines_named(self.industry_letters_removed_lines, self.industry_letters_removed)
            lines.append(
                f"Read {self.industry_letters_removed} industry class(es) written after their"
                f" section letter as the class alone (I6513 as 6513; {at}); the"
                f" original text is in {self.normalised_path}."
            )
        if self.formula_texts_unwrapped:
            # A line per cell: a row may hold several (its USCC and its industry class).
            at = _lines_named(self.formula_texts_unwrapped_lines, self.formula_texts_unwrapped)
            lines.append(
                f"Read {self.formula_texts_unwrapped} cell(s) written as Excel's text formula"
                " as the text inside the quotes, as Excel shows it"
                f' (="0610" as 0610; {at});'
                f" the original text is in {self.normalised_path}."
            )
        if self.merged_cells_filled:
            at = _lines_named(self.merged_cells_filled_lines, self.merged_cells_filled)
            lines.append(
                f"Read {self.merged_cells_filled} cell(s) under a merged cell as the merged"
                f" cell's value, as Excel shows them ({at}); unmerge them in the sheet if a row"
                " should have its own value."
            )
        if self.ignored_columns:
            lines.append(f"Columns not imported: {', '.join(self.ignored_columns)}.")
        if self.other_registries:
            lines.append(
                # Named by its registry: a mapping given by path is shown as its path.
                f"Fields another registry owns, fed by this {self.registry or self.mapping!r}"
                " file: "
                + ", ".join(self.other_registries)
                + ". Explanations and My data name that registry as their source, and"
                " corrections go to it."
            )
        if self.missing_columns:
            lines.append(f"Not in the file (left untouched): {', '.join(self.missing_columns)}.")
        if self.rows_rejected:
            lines += _listed(
                f"Rejected rows are in {self.rejects_path}; first problems:", self.messages
            )
        if self.size_class_disagreements:
            lines += _listed(
                f"Size class: {self.size_class_disagreements} enterprise-years where the registry's"
                " class (size_class_reported) differs from the one derived by the 2017 rule"
                " (size_class); both are kept. First:",
                self.size_class_messages,
            )
        if self.legal_rep_overlaps:
            lines += _listed(
                f"Legal representatives: {self.legal_rep_overlaps} enterprise(s) hold two or more"
                " over the same days, where a registry records one at a time; every row is kept."
                " Give the earlier one its end date (valid_to) and import again. First:",
                self.legal_rep_messages,
            )
        if self.units_from_headers:
            lines.append(
                "Amounts read in the unit their header names: "
                + ", ".join(self.units_from_headers)
                + "."
            )
        if self.units_declared:
            lines.append(
                "Amounts read in the unit the sheet declares for them (their header names"
                " none): " + ", ".join(self.units_declared) + "."
            )
        if self.shares_at_most_one:
            lines.append(
                f"Shares: every one of the {self.shares_at_most_one:,} share(s) in this file is at"
                " most 1 %, kept as written. If the file writes shares as fractions (0.3 for"
                " 30 %), write them as percentages and import it again: a related-party"
                " threshold such as 25 % reads them as per cent."
            )
        if self.no_district:
            lines.append(
                no_district_message(self.no_district, self.no_district_first, self.no_district_path)
            )
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["rejects_path"] = str(self.rejects_path)
        data["report_path"] = str(self.report_path)
        data["normalised_path"] = str(self.normalised_path) if self.normalised_path else None
        data["no_district_path"] = str(self.no_district_path) if self.no_district_path else None
        return data


def unit_named(header: str, word: str) -> str:
    """A column read in the unit its header names, for the report: the header alone when
    it shows the unit already ("注册资本（万元）"), else the header and the unit in
    brackets. "注册资本（万元） (万元)" said it twice."""
    if not word or word in normalise_header(header):
        return header
    return f"{header} ({word})"


def once_named(shown: str) -> str:
    """A ``units_from_headers`` entry with its unit said once: "注册资本（万元） (万元)", as
    reports before :func:`unit_named` wrote it, as "注册资本（万元）"."""
    header, bracket, word = shown.removesuffix(")").rpartition(" (")
    if bracket and shown.endswith(")") and word and word in normalise_header(header):
        return header
    return shown


def _listed(head: str, items: list[str]) -> list[str]:
    """A report's line, then its first few cases indented under it."""
    return [head, *(f"  {m}" for m in items)]


def _lines_named(first: list[int], count: int) -> str:
    """``line 3`` or ``lines 2, 4, ...``: the first lines of ``count`` cells (a line per
    cell, a line listed once), with ``...`` when more cells follow."""
    shown = list(dict.fromkeys(first))
    more = ", ..." if count > len(first) else ""
    word = "line" if len(shown) == 1 and not more else "lines"
    return f"{word} {', '.join(str(n) for n in shown)}{more}"


def size_class_message(file: str, row: tuple) -> str:
    """One disagreement between a reported and a derived size class, as a single line."""
    line, uscc, year, reported, derived = row
    return (
        f"{file}, line {line}: {uscc} {year}: reported '{reported}', derived '{derived}' from"
        " employees, revenue and total assets"
    )


def write_report(report: ImportReport) -> None:
    write_private_text(
        report.report_path, json.dumps(report.to_json(), ensure_ascii=False, indent=2)
    )
    write_private_text(report.report_path.with_suffix(".txt"), report.summary() + "\n")

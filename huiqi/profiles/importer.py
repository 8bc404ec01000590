"""Import one registry file into the profile store, as one data snapshot.

The steps, each in its own module:

1. ``readers``   open the file (CSV in UTF-8 / UTF-8 with BOM / GBK-GB18030,
   Excel .xlsx or .xls, Parquet), detect the text encoding, hash it, read the header.
2. ``mapping``   choose the column mapping (named, or detected from the header)
   and match the headers to dictionary fields; unknown or missing key headers
   stop the import with an ImportFileError before anything is recorded.
3. ``staging``   stream the rows into a DuckDB table of text columns: DuckDB reads
   the file itself where it reads it as the recovering readers would
   (``faststage``), else those readers do; the session's memory is bounded
   and spills to the data directory (``importdb``).
4. ``validate`` / ``rowcheck``  check every cell in vectorised SQL; a row with
   any bad cell is rejected whole and reported (file, line, column, field,
   value, reason); duplicate keys in one file are rejected on every line.
5. ``storerows`` write the good rows that are new or changed, mapped columns only
   (``upsert``), and what derives from them (size classes).
6. ``rejects_csv``, ``normalised_csv``, ``import_report``  write ``rejects.csv``,
   ``normalised.csv``, ``report.json`` and ``report.txt`` under
   ``<imports_dir>/<snapshot_id>/``; the store freezes the snapshot.

An import that accepts rows is a snapshot, even one that changes nothing (its
report then says "No changes"), so the history of what was received is complete.
One that accepts no row (every row rejected, or a header alone) makes none: the
data is as it was, nothing is frozen, and its report (rejects included) goes under
``<imports_dir>/not-imported/<time>-<hash>/``; the audit log records it as any
import. Steps 4-6 run in one transaction (the checks before it, into temporary tables
only): an import is recorded entirely or not at all.

Example:
    >>> report = import_file(settings, "tax_2023.csv")        # doctest: +SKIP
    >>> print(report.summary())                               # doctest: +SKIP
    Imported tax_2023.csv with mapping 'tax' (csv, gb18030) as snapshot 4.
    Rows: 200000 read, 199998 accepted, 2 rejected, 200000 changed.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import duckdb

from huiqi.config import Settings
from huiqi.fsmode import private_dir
from huiqi.profiles import links, rowcheck
from huiqi.profiles.declared_unit import check_declared_unit, check_header_units, money_fields
from huiqi.profiles.dictionary import load_dictionary, use_data_dir
from huiqi.profiles.headerchoice import choose_sheet, fit_sheet
from huiqi.profiles.import_report import (
    FIRST_MESSAGES,
    ImportReport,
    size_class_message,
    unit_named,
    write_report,
)
from huiqi.profiles.importdb import configure, import_scratch
from huiqi.profiles.mapping import Mapping, normalise_header
from huiqi.profiles.mapping_finder import get_mapping
from huiqi.profiles.no_district import FILE as NO_DISTRICT_FILE
from huiqi.profiles.no_district import write_no_district
from huiqi.profiles.normalised_csv import write_normalised
from huiqi.profiles.parquetstage import drop_stage, is_view
from huiqi.profiles.passive_rows import name_passive_rows, passive_columns
from huiqi.profiles.readers import Source, open_source
from huiqi.profiles.reject_cells import rejected_lines, stage_originals
from huiqi.profiles.rejects_csv import write_rejects
from huiqi.profiles.staging import Progress, load_stage
from huiqi.profiles.store import ProfileStore
from huiqi.profiles.storerows import Stored, store_rows
from huiqi.profiles.unit_row import check_unit_row, unit_row_below
from huiqi.profiles.wide import LINE_SCALE, Unpivoted, cell_at, unpivot

__all__ = ["ImportReport", "import_file"]


def import_file(
    settings: Settings,
    path: str | os.PathLike[str],
    *,
    mapping: str | None = None,
    sheet: str | None = None,
    progress: Progress | None = None,
    fast: bool = True,
) -> ImportReport:
    """Validate a registry file and upsert its good rows as a new snapshot.

    Args:
        settings: where the store and the import reports live; the store is
            created if missing.
        path: a ``.csv``/``.txt``, ``.xlsx``, ``.xls`` or ``.parquet`` file.
        mapping: a mapping name (built-in, such as ``tax``, or one of the data
            directory's ``mappings/``) or the path of a mapping YAML file;
            ``None`` detects it from the header.
        sheet: for a workbook, the sheet to read; ``None`` takes the one sheet
            whose header fits the mapping.
        progress: ``progress(step, done, total)``, called while reading (rows) and
            once after checking and after storing, for a progress bar.
        fast: let DuckDB read a plain CSV or Parquet file itself (the result is the
            same); False reads every file with the recovering readers.

    Returns:
        The ImportReport (also written as JSON and text beside the rejects).

    Raises:
        ImportFileError: the file cannot be read, or its header does not fit
            the mapping. Bad rows never raise: they are rejected and reported.
    """
    started = time.perf_counter()
    use_data_dir(settings.data_dir)  # an office's own fields (<data dir>/dictionary.yaml)
    file_path = Path(path)
    settings.ensure_data_dir()
    with import_scratch(settings) as scratch:
        source = open_source(file_path, scratch)
        return _import(settings, source, scratch, mapping, sheet, progress, fast, started)


def _import(
    settings: Settings,
    source: Source,
    scratch: Path,
    mapping: str | None,
    sheet: str | None,
    progress: Progress | None,
    fast: bool,
    started: float,
) -> ImportReport:
    file_path = source.path
    folder = settings.mappings_dir
    if sheet is not None:
        source = source.on_sheet(sheet)
    named = get_mapping(mapping, folder) if mapping else None
    if sheet is None and len(source.sheets) > 1:
        source, chosen, wide = choose_sheet(source, named, folder)
    else:
        source, chosen, wide = fit_sheet(source, named, folder)
    if wide is None:
        positions = chosen.resolve(str(file_path), source.headers)
        long_positions = positions
        long_headers = source.headers
    else:
        long_positions = chosen.resolve(str(file_path), wide.long)
        positions = {i: f for i, f in wide.positions(long_positions).items() if "@" not in f}
        long_headers = wide.long
    fields = list(long_positions.values())
    by_field = {f: long_headers[i] for i, f in long_positions.items()}
    check_header_units(str(file_path), chosen, by_field, money_fields(chosen))
    units_below = unit_row_below(source)
    if units_below is not None:
        check_unit_row(
            str(file_path),
            units_below,
            chosen,
            {f: source.headers[i] for i, f in positions.items()},
            {f: i for i, f in positions.items()},
        )
        source = source.with_unit_row(units_below[0])
    check_declared_unit(
        str(file_path),
        source.above,
        chosen,
        {f: source.headers[i] for i, f in positions.items()},
        {f: i for i, f in positions.items()},
    )
    missing = [h for h, f in chosen.columns.items() if f not in fields]
    foreign = other_registries(chosen, fields)

    store = ProfileStore(settings)
    store.init()
    with store.connect() as con:
        configure(con, scratch)
        staged = positions if wide is None else wide.positions(long_positions)
        # (field, year) -> a wide sheet's column: where its cells are reported.
        columns = None if wide is None else wide.column_of(long_positions)
        passive = passive_columns(source.headers, chosen.skipped, staged)
        # Relations rewrite their persons' cells in the stage (``links``): a table.
        view = chosen.layout != "relations" and wide is None  # a wide stage is rebuilt
        rows_read, reader = load_stage(
            con, source, staged, progress, scratch=scratch, fast=fast, passive=passive, view=view
        )
        lines = Unpivoted()
        if wide is not None:
            lines = unpivot(con, wide, long_positions)
        try:
            rowcheck.build_checked(con, chosen, fields)
        except duckdb.Error:
            if not is_view(con):
                raise
            # A view's data pages are first decoded by the checks: a damaged one sends
            # the file to the per-row-group reader, which keeps the readable row groups.
            drop_stage(con)
            rows_read, reader = load_stage(
                con, source, staged, progress, scratch=scratch, fast=False
            )
            if wide is not None:
                lines = unpivot(con, wide, long_positions)
            rowcheck.build_checked(con, chosen, fields)
        con.begin()
        out: Path | None = None
        try:
            snapshot_id: int | None = store.begin_snapshot(
                con,
                kind="import",
                registry=chosen.registry,
                source_file=str(file_path.resolve()),
                file_sha256=source.sha256,
            )
            rowcheck.build_rejects(
                con,
                chosen,
                fields,
                len(source.headers),
                line_scale=1 if wide is None else LINE_SCALE,
            )
            name_passive_rows(con, fields, passive, source.headers, len(source.headers))
            accepted, rejected = rowcheck.counts(con)
            if wide is not None:
                # Rows are enterprise-years: an unreadable line is rejected once but stands
                # for every year of the sheet, none of which is imported.
                rejected += lines.unreadable * (len(wide.years) - 1)
                rows_read = accepted + rejected
            if accepted == 0:
                # Nothing to store: no snapshot (the transaction is rolled back below).
                snapshot_id = None
            if progress is not None:
                progress(f"check {file_path.name}", rows_read, rows_read)
            stored = (
                Stored()
                if snapshot_id is None
                else store_rows(con, settings, chosen, fields, snapshot_id)
            )
            changed = stored.changed
            if progress is not None:
                progress(f"store {file_path.name}", max(changed, 1), max(changed, 1))
            # Persons' identifiers masked before any file quotes them, also where nothing
            # was stored (store_rows masks them once it has hashed them).
            links.mask_persons(con, chosen)

            out = (
                settings.imports_dir / str(snapshot_id)
                if snapshot_id is not None
                else not_imported_dir(settings, source.sha256)
            )
            if out.exists():
                # A folder left by an import that was rolled back: it described nothing.
                shutil.rmtree(out)
            private_dir(out)
            rejects_path = out / "rejects.csv"
            # The rejected lines' every cell, the columns the mapping leaves out included.
            scale = 1 if wide is None else LINE_SCALE
            originals = stage_originals(con, source, rejected_lines(con, scale))
            messages, per_field = write_rejects(
                con,
                rejects_path,
                file=file_path.name,
                headers=long_headers,
                positions=long_positions,
                wide=columns,
                original=(source.headers, originals, scale),
            )
            normalised_path = out / "normalised.csv"
            normalised = write_normalised(
                con,
                normalised_path,
                file=file_path.name,
                uscc_header=source.headers[fields_at(positions, "uscc")],
                industry_header=(
                    source.headers[fields_at(positions, "industry_class")]
                    if "industry_class" in fields
                    else None
                ),
                headers=by_field,
                wide=columns,
            )
            upper_cased, upper_lines = normalised["uscc"]
            lettered, lettered_lines = normalised.get("industry_class", (0, []))
            unwrapped, unwrapped_lines = normalised["formula_text"]

            no_district_path = out / NO_DISTRICT_FILE
            no_district, no_district_first = write_no_district(con, no_district_path)
            report = ImportReport(
                snapshot_id=snapshot_id,
                file=str(file_path.resolve()),
                mapping=chosen.shown,
                registry=chosen.registry,
                format=source.format,
                encoding=source.received or source.encoding,
                sha256=source.sha256,
                rows_read=rows_read,
                rows_accepted=accepted,
                rows_rejected=rejected,
                rows_changed=changed,
                rejects_path=rejects_path,
                report_path=out / "report.json",
                messages=messages,
                rejects_by_field=per_field,
                missing_columns=missing,
                other_registries=foreign,
                size_classes_refreshed=stored.refreshed,
                sheet=source.sheet if len(source.sheets) > 1 else None,
                uscc_upper_cased=upper_cased,
                blanks_kept=stored.blanks_kept,
                uscc_upper_cased_lines=upper_lines,
                industry_letters_removed=lettered,
                industry_letters_removed_lines=lettered_lines,
                formula_texts_unwrapped=unwrapped,
                formula_texts_unwrapped_lines=unwrapped_lines,
                merged_cells_filled=len(source.filled_down),
                merged_cells_filled_lines=source.filled_down[:FIRST_MESSAGES],
                normalised_path=normalised_path,
                size_class_disagreements=stored.disagreeing,
                size_class_messages=[
                    size_class_message(file_path.name, (cell_at(r[0], "", "", columns)[0], *r[1:]))
                    for r in stored.first
                ],
                legal_rep_overlaps=stored.overlapping,
                legal_rep_messages=[
                    f"{uscc}: from {since}, {file_path.name} line(s) "
                    + ", ".join(str(n) for n in lines)
                    for uscc, since, lines in stored.overlaps_first
                ],
                shares_at_most_one=stored.shares_at_most_one,
                reader=reader,
                no_district=no_district,
                no_district_first=no_district_first,
                no_district_path=no_district_path,
                header_line=source.header_line,
                wide_years=[] if wide is None else wide.years,
                wide_lines=lines.lines,
                wide_empty_lines=lines.empty,
                wide_empty_first=list(lines.empty_first),
                unit_line=source.unit_line,
                units_from_headers=[unit_named(h, w) for h, w in chosen.header_units.items()],
                units_declared=[f"{h} ({w})" for h, w in chosen.declared_units.items()],
                ignored_columns=[
                    h or f"column {i + 1} (no header)"
                    for i, h in enumerate(source.headers)
                    if normalise_header(h) in chosen.skipped
                ],
                skipped_above=[
                    f"line {line}: {' | '.join(c for c in cells if c.strip())}"
                    for line, cells in source.above
                ],
            )
            if snapshot_id is not None:
                store.finish_snapshot(
                    con,
                    snapshot_id,
                    rows_read=rows_read,
                    rows_accepted=accepted,
                    rows_rejected=rejected,
                    rows_changed=changed,
                    report_path=str(report.report_path),
                    presorted=stored.presorted,
                )
            report.seconds = round(time.perf_counter() - started, 3)
            write_report(report)
            if snapshot_id is None:
                con.rollback()  # the snapshot row begun above, and nothing else
            else:
                con.commit()
        except BaseException:
            con.rollback()
            if out is not None and out.exists():
                shutil.rmtree(out, ignore_errors=True)
            raise
    return report


def not_imported_dir(settings: Settings, sha256: str) -> Path:
    """Where the report of an import that accepted no row goes: no snapshot names it."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return settings.imports_dir / "not-imported" / f"{stamp}-{sha256[:12]}"


def other_registries(mapping: Mapping, fields: list[str]) -> list[str]:
    """The fields this file feeds that the dictionary says another registry owns, as
    'field (registry)': explanations and My data name the owner as their source, and a
    correction request goes to it, whichever file supplied the value."""
    d = load_dictionary()
    said = []
    for name in fields:
        f = d.get(name)
        if name in mapping.keys or name in ("uscc", "name") or f is None or f.derived:
            continue
        if f.source and f.source != mapping.registry:
            said.append(f"{name} ({f.source})")
    return said


def fields_at(positions: dict[int, str], field: str) -> int:
    return next(i for i, f in positions.items() if f == field)

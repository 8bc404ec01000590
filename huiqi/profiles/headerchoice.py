"""Which row of a file is its header, which sheet of a workbook holds the data, and the
mapping that fits them: step 2 of ``importer``.

An office's sheet or CSV export often opens with a title and a unit line above the
header, spreads a header over two rows under merged group titles, or keeps notes on a
cover sheet beside the data; each is found here before any row is read.
"""

from __future__ import annotations

from pathlib import Path

from huiqi.errors import HuiqiError, ImportFileError
from huiqi.profiles.column_units import Declared, column_units
from huiqi.profiles.headerfit import two_row_header
from huiqi.profiles.mapping import Mapping, normalise_header
from huiqi.profiles.mapping_finder import all_mappings, detect_mapping, office_mappings
from huiqi.profiles.readers import Source
from huiqi.profiles.unit_variants import no_unit_error, unit_less, with_header_units
from huiqi.profiles.wide import WideHeader, fit_wide


def _fits(
    source: Source,
    headers: list[str],
    named: Mapping | None,
    folder: Path,
    declared: dict[int, Declared] | None = None,
) -> Mapping:
    """The mapping that fits ``headers``; ``declared``: column → the unit the sheet
    declares for it (``column_units``), in which a money header naming none is read."""
    file = str(source.path)
    chosen = with_header_units(named, headers, declared) if named else None
    chosen = chosen or detect_mapping(file, headers, folder, declared)
    try:
        chosen.resolve(file, headers)
    except ImportFileError:
        # "headers ['营业收入'] are not in mapping 'tax'" hid that only their unit was.
        missing = unit_less(named, headers, declared or {}) if named else []
        if not (named and missing and _fits_with_units(file, named, headers, missing, declared)):
            raise
        raise no_unit_error(file, named.name, headers, missing) from None
    return chosen


def _fits_with_units(
    file: str,
    named: Mapping,
    headers: list[str],
    missing: list[str],
    declared: dict[int, Declared] | None,
) -> bool:
    """Whether ``named`` would read ``headers`` if the columns ``missing`` named a unit."""
    guessed = {c: Declared("yuan", 0) for c, h in enumerate(headers) if h in missing}
    guessed.update(declared or {})
    try:
        with_header_units(named, headers, guessed).resolve(file, headers)
    except ImportFileError:
        return False
    return True


def _with_units(
    source: Source,
    rows: list[tuple[int, list[str]]],
    i: int,
    named: Mapping | None,
    folder: Path,
    cells: list[str] | None = None,
) -> Mapping:
    """The mapping that fits ``rows[i]`` (or ``cells``, a header over two rows ending on
    it) as the header, read in the units the rows around it declare."""
    headers = rows[i][1] if cells is None else cells
    return _fits(source, headers, named, folder, column_units(rows, i, len(headers)))


def fit_header(source: Source, named: Mapping | None, folder: Path) -> tuple[Source, Mapping]:
    """The file with its header row, and the mapping that fits that row.

    The first non-empty row is the header when a mapping fits it. Otherwise the rows
    below it are tried (``readers.HEADER_ROWS`` non-empty rows in all): an office's
    sheet or CSV export often opens with a title ("2023年度企业纳税情况表") and a line
    such as "单位：元" above the header. The first row that fits is the header, the
    rows above it are skipped (the report lists them). A row is fitted with the units
    the rows around it declare (``column_units``): under "单位：万元" a money header
    that names no unit ("营业收入") is a mapping's "营业收入(元)" read in 万元. When none
    fits, the error is
    that of the row naming the most headers a mapping knows (then the most filled
    cells, then the first): the header that did not fit, whose error names the
    columns that stopped it, where the title's ("no mapping matches
    ['2023年度企业纳税情况表']") said nothing useful.
    """
    try:
        return source, _fits(source, source.headers, named, folder)
    except HuiqiError:
        if source.format == "parquet":
            raise
        rows = source.header_rows()
        if rows and column_units(rows, 0, len(source.headers)):
            # The first row, whose money columns a row of units under it gives.
            try:
                return source, _fits(
                    source,
                    source.headers,
                    named,
                    folder,
                    column_units(rows, 0, len(source.headers)),
                )
            except HuiqiError:
                pass
        for i in range(1, len(rows)):
            try:
                chosen = _with_units(source, rows, i, named, folder)
            except HuiqiError:
                continue
            return source.with_header(rows[i][0], rows[i][1], rows[:i]), chosen
        # A header over two rows: group titles over merged cells above sub-headers.
        for i in range(len(rows) - 1):
            pair = two_row_header(rows[i], rows[i + 1])
            if pair is None:
                continue
            try:
                chosen = _with_units(source, rows, i + 1, named, folder, pair)
            except HuiqiError:
                continue
            return source.with_header(rows[i + 1][0], pair, rows[: i + 1]), chosen
        known: set[str] = set()
        for m in [named] if named else all_mappings(folder).values():
            known |= set(m.headers) | m.skipped
        known.discard("")

        def likeness(i: int) -> tuple[int, int, int]:
            cells = rows[i][1]
            return (sum(normalise_header(c) in known for c in cells), _filled(cells), -i)

        likeliest = max(range(len(rows)), key=likeness, default=0)
        if likeliest == 0:
            raise
        line = rows[likeliest][0]
        try:
            _with_units(source, rows, likeliest, named, folder)
        except HuiqiError as exc:
            file = str(source.path)
            raise ImportFileError(
                f"{file}, line {line}: "
                + exc.message.removeprefix(f"{file}: ")
                + f" (line {line} is taken for the header: of the first rows it names the "
                "most known headers; a title or a unit line may stand above it)"
            ) from None
        raise


def fit_sheet(
    source: Source, named: Mapping | None, folder: Path
) -> tuple[Source, Mapping, WideHeader | None]:
    """The file (or sheet) with its header and the mapping that fits it: a long header
    (:func:`fit_header`), else a wide yearly one (``wide.fit_wide``: a column group per
    year), whose long view comes third (None for a long header)."""
    try:
        return (*fit_header(source, named, folder), None)
    except ImportFileError as refused:
        source, wide, chosen = fit_wide(source, named, folder, refused)
        return source, chosen, wide


def _filled(cells: list[str]) -> int:
    return sum(1 for c in cells if c.strip())


def choose_sheet(
    source: Source, named: Mapping | None, folder: Path
) -> tuple[Source, Mapping, WideHeader | None]:
    """The one sheet of a workbook whose header fits the mapping (or detects one), long
    or wide (:func:`fit_sheet`), as ``fit_sheet`` gives it.

    A workbook often carries notes or a cover sheet beside its data; reading the
    first sheet blindly reported "the file is empty". A wide sheet was tried on the
    first sheet only, so a workbook with a cover sheet before it was refused.
    """
    # A broken file in the data directory's mappings/ is no sheet's fault: say which.
    office_mappings(folder)
    fits: list[tuple[Source, Mapping, WideHeader | None]] = []
    why: list[str] = []
    for name in source.sheets:
        try:
            fits.append(fit_sheet(source.on_sheet(name), named, folder))
        except HuiqiError as exc:
            path = str(source.path)
            detail = exc.message.removeprefix(f"{path}: ").removeprefix(f"{path}, ")
            why.append(f"sheet '{name}': {detail}")
    if len(fits) == 1:
        return fits[0]
    if not fits:
        raise ImportFileError(
            f"{source.path}: no sheet has a header that fits "
            + (f"mapping '{named.name}'" if named else "a mapping")
            + "; "
            + "; ".join(why)
            + ". Name the sheet with --sheet, or the layout with --mapping"
        )
    raise ImportFileError(
        f"{source.path}: sheets {[s.sheet for s, _, _ in fits]} all fit; choose one with --sheet"
    )

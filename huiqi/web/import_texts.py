"""What the importer and the console's import form say in English of a registry file they
refuse as a whole, as catalogue templates for the steward's page (``/console/imports``).
Read with the services' refusals (:mod:`huiqi.web.refusals`), after the file texts.

The importer names the file as the steward chose it (``huiqi.web.importing``); its
advice after the first words is a text in its turn (``advice``), kept as written where
the catalogue has no translation of it."""

from __future__ import annotations

import re

from huiqi.web.i18n import N_
from huiqi.web.patterns import refusal

# A plausible range's bound as numberrules writes it: plain digits, or * for none.
_BOUND = r"-?[0-9]+(?:\.[0-9]+)?|\*"
# The unit: a word (yuan, persons), or per cent (a shareholder's share).
_RANGE = {"bound": _BOUND, "low": _BOUND, "high": _BOUND, "field": r"\w+", "unit": r"\w+|%"}

IMPORT_TEXTS: list[tuple[re.Pattern[str], str]] = [
    # huiqi.profiles.readers
    refusal(N_("%(file)s: the file is empty; expected a header row followed by data rows")),
    refusal(N_("%(file)s: not a readable .xlsx workbook (%(error)s)"), error=r".*"),
    refusal(N_("%(file)s: not a readable Parquet file (%(error)s)"), error=r".*"),
    refusal(
        N_(
            "%(file)s: the file is UTF-16 text (Excel's 'Unicode Text' export); save it from"
            " Excel as 'CSV UTF-8 (comma delimited)', or import the .xlsx workbook"
        )
    ),
    refusal(
        N_("%(file)s: no sheet %(quoted)s with data; sheets with data: %(sheets)s"),
        quoted=r"'.*'",
        sheets=r"\[.*\]",
    ),
    # huiqi.profiles.mapping_finder: the headers, then what to do (a text of its own).
    refusal(
        N_("%(file)s: no mapping matches the headers %(headers)s; %(advice)s"),
        headers=r"\[.*?\]",
    ),
    # ... and its advice (huiqi.profiles.mapping_finder, worded for the form by
    # huiqi.web.importing): the closest mapping first where one is close, then what to do.
    refusal(
        N_("the closest is %(quoted)s (%(n)s of %(k)s headers): %(detail)s; %(advice)s"),
        k=r"\d+",
    ),
    refusal(N_("headers %(headers)s are not in mapping %(quoted)s"), headers=r"\[.*?\]"),
    # (What to do, worded for the form, is in huiqi.web.cli_texts: it names a command.)
    # huiqi.web.importing: the form's fields.
    refusal(
        N_("%(quoted)s is not a registry file the importer reads; choose a %(suffixes)s file"),
        quoted=r"'.*'",
        suffixes=r"[.\w, ]+",
    ),
    refusal(
        N_(
            "no mapping named %(quoted)s; choose one of %(known)s, or none to detect it from"
            " the header"
        ),
        quoted=r"'.*'",
    ),
    refusal(N_("a sheet's name has at most %(n)s characters")),
    refusal(
        N_(
            "a sheet names one of a workbook's sheets (.xlsx or .xls), and %(quoted)s is no"
            " workbook; leave the sheet empty"
        ),
        quoted=r"'.*'",
    ),
    refusal(
        N_(
            "the file is larger than %(size)s bytes (%(limit)s MB), the most this site takes;"
            " split it into smaller files and import each (an import adds and changes only its"
            " own rows), or have it imported on the server"
        )
    ),
    # A rejected row's reason in the report's table (huiqi.profiles.numberrules,
    # passive_rows, rowcheck): qa1 found them in English on the Chinese import page.
    refusal(
        N_("%(quoted)s is not a number; write digits with at most %(n)s decimals, e.g. 1234.5")
    ),
    refusal(
        N_(
            "%(quoted)s in column %(header)s with no USCC starts a total row, not an"
            " enterprise's: delete the row (totals are not imported; the other rows are)"
        ),
        header=r"'[^']*'",
    ),
    refusal(
        N_(
            "%(quoted)s starts a total row, not an enterprise's: delete the row (totals are not"
            " imported; the other rows are)"
        )
    ),
    # The report's size-class disagreements (huiqi.profiles.import_report).
    refusal(
        N_(
            "%(file)s, line %(line)s: %(uscc)s %(year)s: reported %(quoted)s, derived"
            " %(should)s from employees, revenue and total assets"
        ),
        should=r"'[^']*'",
    ),
    # A value outside its field's plausible range (huiqi.profiles.numberrules): qa4 found
    # "'-4' is below the minimum 0 (plausible range of …)" in English on the Chinese report.
    refusal(
        N_(
            "%(quoted)s is below the minimum %(bound)s (plausible range of %(field)s:"
            " %(low)s..%(high)s %(unit)s)"
        ),
        **_RANGE,
    ),
    refusal(
        N_(
            "%(quoted)s is below the minimum %(bound)s (plausible range of %(field)s:"
            " %(low)s..%(high)s)"
        ),
        **_RANGE,
    ),
    refusal(
        N_(
            "%(quoted)s is above the maximum %(bound)s (plausible range of %(field)s:"
            " %(low)s..%(high)s %(unit)s); check the unit (yuan or 10,000 yuan) and the column"
        ),
        **_RANGE,
    ),
    refusal(
        N_(
            "%(quoted)s is above the maximum %(bound)s (plausible range of %(field)s:"
            " %(low)s..%(high)s %(unit)s)"
        ),
        **_RANGE,
    ),
    refusal(
        N_(
            "%(quoted)s is above the maximum %(bound)s (plausible range of %(field)s:"
            " %(low)s..%(high)s)"
        ),
        **_RANGE,
    ),
]

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
# Lists of headers or of mappings' names, as the importer writes them (str of a list).
_LISTS = {k: r"\[.*?\]" for k in ("headers", "wanted", "found", "names", "missing")}
# A header, and a unit as the importer shows it: 万元 (wan_yuan), or 千元.
_UNIT = {"header": r"'[^']*'", "shown": r"\S+(?: \(\w+\))?"}

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
    # huiqi.profiles.mapping: the file's headers against the mapping named (its advice,
    # which names a command or a file on the server, is worded in huiqi.web.cli_texts).
    refusal(
        N_(
            "%(file)s: headers %(headers)s are not in mapping %(quoted)s; expected headers"
            " %(wanted)s, found %(found)s. Rename the columns, %(advice)s"
        ),
        **_LISTS,
    ),
    refusal(
        N_(
            "%(file)s: the headers %(headers)s fit several mappings %(names)s; choose one in"
            " the form's Mapping field"
        ),
        **_LISTS,
    ),
    # ... two columns of one field (the text around them is in huiqi.web.cli_texts).
    refusal(
        N_(
            "column %(n)s (%(letter)s) %(header)s and column %(k)s (%(other_letter)s)"
            " %(other)s feed the same field '%(field)s'"
        ),
        letter=r"[A-Z]+",
        other_letter=r"[A-Z]+",
        header=r"'[^']*'",
        other=r"'[^']*'",
        k=r"\d+",
    ),
    # huiqi.profiles.unit_variants: money headers that name no unit, and none declared.
    refusal(
        N_(
            "%(file)s: the headers %(headers)s are those of mapping %(quoted)s but for their"
            " units: the money column %(missing)s names no unit, and none is declared above"
            " or under the header; huiqi does not guess between 元 and 万元 (10,000 times"
            " apart), so nothing was imported. Name the unit in the header (%(header)s or"
            " %(other)s), or put a line such as '单位：元' or '单位：万元' above the header (or a"
            " row of units under it)"
        ),
        **_LISTS,
        header=r"'[^']*'",
        other=r"'[^']*'",
    ),
    refusal(
        N_(
            "%(file)s: the headers %(headers)s are those of mapping %(quoted)s but for their"
            " units: the money columns %(missing)s name no unit, and none is declared above"
            " or under the header; huiqi does not guess between 元 and 万元 (10,000 times"
            " apart), so nothing was imported. Name the unit in the header (%(header)s or"
            " %(other)s), or put a line such as '单位：元' or '单位：万元' above the header (or a"
            " row of units under it)"
        ),
        **_LISTS,
        header=r"'[^']*'",
        other=r"'[^']*'",
    ),
    # huiqi.profiles.wide: a wide sheet's imported column that names no year.
    refusal(
        N_(
            "%(file)s: the column(s) %(columns)s of a wide sheet (a column group per year:"
            " %(years)s) name no year; huiqi does not guess which year such a column is of,"
            " nor copies one year's value into every year, so nothing was imported. Put the"
            " year in the header (%(header)s), or take the column out of this sheet and import"
            " it as a long file with a year column (年度)"
        ),
        columns=r".+",
        years=r"[0-9, ]+",
        header=r"'[^']*'",
    ),
    # huiqi.profiles.wide: two columns of a wide sheet for the same field and year.
    refusal(
        N_(
            "%(file)s: columns %(other)s and %(header)s both give %(quoted)s for %(year)s;"
            " keep one of them and import again"
        ),
        other=r"'[^']*'",
        header=r"'[^']*'",
        quoted=r"'[^']*'",
        year=r"[0-9]{4}",
    ),
    # huiqi.profiles.declared_unit: a unit the sheet declares, where, and what is wrong.
    refusal(N_("%(file)s, line %(line)s: the sheet declares its amounts in %(shown)s"), **_UNIT),
    refusal(
        N_("%(file)s, line %(line)s: %(header)s declares the amounts below it in %(shown)s"),
        **_UNIT,
    ),
    refusal(
        N_(
            "%(detail)s, which huiqi does not read amounts in; nothing was imported. Convert"
            " the amounts to 元, 万元 or 亿元 and give that unit"
        )
    ),
    refusal(
        N_(
            "%(detail)s, but the header %(header)s says %(shown)s; nothing was imported."
            " Correct the header or the unit given for it so that they agree"
        ),
        **_UNIT,
    ),
    refusal(
        N_(
            "%(file)s: the header %(header)s gives its amounts in %(unit)s, which huiqi does"
            " not read amounts in; nothing was imported. Convert the column to 元, 万元 or 亿元"
            " and name that unit in the header and the mapping's 'units:'"
        ),
        header=r"'[^']*'",
    ),
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

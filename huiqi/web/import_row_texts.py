"""Why an import refused a row, as the importer writes it in English (``rejects.csv``,
the report's table of first problems), as catalogue templates for the steward's import
page (``/console/imports/{ref}``). Read with the services' refusals
(:mod:`huiqi.web.refusals`), after the texts of a file refused as a whole
(:mod:`huiqi.web.import_texts`).

QA (qa5) imported an office's own files (a GBK sheet, an Excel export, Parquet) through
the portal: a bad date, an unknown code, a repeated row or a row with a cell too many
read in English on the Chinese page, beside reasons that were translated. Each template
is the importer's text with its values as %(name)s; the values (a cell as written, a
list of codes with their Chinese names, a line number) are shown as written."""

from __future__ import annotations

import re

from huiqi.web.i18n import N_
from huiqi.web.patterns import refusal

# A cell as the importer quotes it: between apostrophes, which a cell may itself hold
# ('="06"&"10"', '(100)').
_CELL = {"quoted": r"'.*?'"}
# The list of a code list's codes with their Chinese names, kept as written: the codes
# are what a mapping's values: table names.
_CODES = {"quoted": r"'.*?'", "listing": r".+"}
_KEYS = {"keys": r"[a-z_]+(?: and [a-z_]+)*", "lines": r"[0-9, .]+"}

IMPORT_ROW_TEXTS: list[tuple[re.Pattern[str], str]] = [
    # Dates (huiqi.profiles.validate).
    refusal(N_("%(quoted)s is not a real calendar date"), **_CELL),
    refusal(
        N_(
            "%(quoted)s is written day or month first, which is ambiguous: write it year"
            " first from the source (%(formats)s) and import again"
        ),
        formats=r"[^()]+",
        **_CELL,
    ),
    refusal(N_("%(quoted)s is not a date; accepted formats: %(formats)s"), formats=r".+", **_CELL),
    refusal(
        N_(
            "%(quoted)s is not a date but looks like an Excel date serial number (%(day)s):"
            " format the column as a date in Excel, or write the date as YYYY-MM-DD, and"
            " import again"
        ),
        **_CELL,
    ),
    refusal(
        N_(
            "%(quoted)s is after today (%(today)s): a registration cannot be dated in the"
            " future; correct the date in the source and import again"
        ),
        **_CELL,
    ),
    refusal(
        N_(
            "%(quoted)s is after today (%(today)s): a move into the city cannot be dated in"
            " the future; correct the date in the source and import again"
        ),
        **_CELL,
    ),
    refusal(
        N_(
            "%(quoted)s is after today (%(today)s): a contract's signing cannot be dated in"
            " the future; correct the date in the source and import again"
        ),
        **_CELL,
    ),
    refusal(N_("%(quoted)s is not a year; write 4 digits, e.g. 2023 (or 2023年)"), **_CELL),
    refusal(N_("%(quoted)s is outside the accepted data years %(low)s-%(high)s"), **_CELL),
    # Numbers (huiqi.profiles.numberrules).
    refusal(
        N_("%(quoted)s is in scientific notation, which loses digits; write the full number"),
        **_CELL,
    ),
    refusal(
        N_("%(quoted)s is not a whole number; write digits without decimals, e.g. 12"), **_CELL
    ),
    refusal(
        N_(
            "%(quoted)s is a negative number in accounting brackets; write it with a minus"
            " sign, e.g. -1234.5"
        ),
        **_CELL,
    ),
    refusal(
        N_(
            "%(quoted)s is an error of the sheet's formula, not a number: correct the formula"
            " (or leave the cell empty when the value is not known) and import again"
        ),
        **_CELL,
    ),
    refusal(
        N_(
            "%(quoted)s marks a missing figure, not a number: leave the cell empty when the"
            " value is not known, or write 0 when it is zero"
        ),
        **_CELL,
    ),
    refusal(
        N_("%(quoted)s has %(n)s decimals; an amount in %(unit)s takes at most %(k)s"), **_CELL
    ),
    refusal(N_("%(quoted)s has %(n)s decimals; a number takes at most %(k)s"), **_CELL),
    refusal(N_("%(quoted)s is too large for an amount in %(unit)s"), **_CELL),
    refusal(N_("%(quoted)s is too large for a number"), **_CELL),
    # Codes (huiqi.profiles.coderules, linkrules).
    refusal(
        N_(
            "%(quoted)s is not an allowed value; use a code or its Chinese name: %(listing)s;"
            " or, where the registry writes it its own way, say which code it means in the"
            " mapping: values: {%(field)s: {%(value)s: <code>}}"
        ),
        field=r"\w+",
        **_CODES,
    ),
    refusal(
        N_("%(quoted)s is not an allowed value; use a code or its Chinese name: %(listing)s"),
        **_CODES,
    ),
    refusal(
        N_(
            "%(quoted)s marks a missing value, not a code: leave the cell empty when the"
            " value is not known"
        ),
        **_CELL,
    ),
    refusal(
        N_(
            "%(quoted)s names a place in %(place)s, not a district of %(city)s: an"
            " enterprise registered there is not this city's to import; check the row, or"
            " leave it out of the file"
        ),
        place=r"[^,]+",
        city=r"[^:]+",
        **_CELL,
    ),
    refusal(
        N_(
            "%(quoted)s is a division code of %(place)s (GB/T 2260), not a district of"
            " %(city)s: an enterprise registered there is not this city's to import; check"
            " the row, or leave it out of the file"
        ),
        place=r"[^(]+",
        city=r"[^:]+",
        **_CELL,
    ),
    refusal(
        N_("%(quoted)s: division %(n)s does not exist in GB/T 4754-2017 (%(low)s-%(high)s)"),
        **_CELL,
    ),
    refusal(
        N_(
            "%(quoted)s puts a section letter before the class; write the class's 4 digits"
            " alone, %(code)s, and keep the column as text (class %(n)s is in section"
            " %(section)s, not %(letter)s: check which is right)"
        ),
        section=r"[A-T]",
        letter=r"[A-Z]",
        **_CELL,
    ),
    refusal(
        N_(
            "%(quoted)s puts a section letter before the class; write the class's 4 digits"
            " alone, %(code)s, and keep the column as text (division %(n)s does not exist in"
            " GB/T 4754-2017: check the code)"
        ),
        **_CELL,
    ),
    refusal(
        N_(
            "%(quoted)s is not a yes/no value; use one of: %(listing)s",
        ),
        **_CODES,
    ),
    refusal(
        N_(
            "%(quoted)s is a spreadsheet formula, not its result: a CSV keeps the formula"
            " typed, not what the sheet showed; in the sheet, copy the column and paste it"
            " back as values (Paste Special > Values) into a column formatted as text, save"
            " the file and import it again"
        ),
        **_CELL,
    ),
    # The enterprise's code (huiqi.profiles.uscc).
    refusal(
        N_(
            "%(quoted)s is a number in scientific notation: the spreadsheet stored the code"
            " as a number and kept only 15 of its digits, so it cannot be read back; format"
            " the column as text, enter the codes again (or export them again from the"
            " registry) and import the file again"
        ),
        **_CELL,
    ),
    # The row as a whole (huiqi.profiles.rowcheck).
    refusal(
        N_(
            "the row has %(n)s cells but the header has %(k)s; give it one cell per column"
            " (in a CSV, a value that holds the separator goes in double quotes)"
        )
    ),
    refusal(
        N_(
            "duplicate key: lines %(lines)s have the same %(keys)s; rows sharing a key are"
            " all rejected, keep one and import again"
        ),
        **_KEYS,
    ),
    refusal(
        N_(
            "repeats line %(line)s exactly (the same %(keys)s and values); line %(kept)s is"
            " kept once"
        ),
        kept=r"\d+",
        **_KEYS,
    ),
    # A note or a signature below the table (huiqi.profiles.totalsrow).
    refusal(
        N_(
            "%(quoted)s is a note below the table, not an enterprise's: delete the row (notes"
            " are not imported; the other rows are)"
        ),
        quoted=r"'.*'",
    ),
    # The same in a payment result file (huiqi.delivery.payments).
    refusal(
        N_(
            "%(quoted)s is a note below the table, not a payment result: delete the row"
            " (notes are not read; the other rows are)"
        ),
        quoted=r"'.*'",
    ),
    # The same in a 12345-hotline export (huiqi.desk.hotline).
    refusal(
        N_(
            "%(quoted)s starts a total row, not a request: delete the row (totals are not"
            " imported; the other rows are)"
        ),
        quoted=r"'.*'",
    ),
    refusal(
        N_(
            "%(quoted)s is a note below the table, not a request: delete the row (notes are"
            " not imported; the other rows are)"
        ),
        quoted=r"'.*'",
    ),
    # Relations and contracts (huiqi.profiles.linkrules).
    refusal(
        N_("%(quoted)s is not a kind of party; use enterprise (企业) or person (自然人)"),
        **_CELL,
    ),
    refusal(
        N_("%(quoted)s is not a relation type; use a code or its Chinese name: %(listing)s"),
        **_CODES,
    ),
    refusal(
        N_("%(quoted)s is not a contract type; use a code or its Chinese name: %(listing)s"),
        **_CODES,
    ),
]

# The key a repeated or duplicated row shares, by its fields' names joined with "and"
# (huiqi.profiles.mapping.KEY_FIELDS), in the page's language; another is shown as
# written.
KEY_WORDS = {
    "uscc": N_("USCC"),
    "uscc and year": N_("USCC and year"),
    "uscc and qualification and valid_from": N_("USCC, qualification and start date"),
    "uscc and party and relation and valid_from": N_(
        "USCC, related party, relation and start date"
    ),
    "uscc and contract_id": N_("USCC and contract number"),
}

# Reasons without values (huiqi.profiles.linkrules): the catalogue translates them whole.
N_(
    "an enterprise is not its own related party: the row names the enterprise itself as the"
    " other party; correct the party's code from the registry, or leave the row out"
)
N_(
    "a contract's seller is its buyer: the row names the enterprise itself as the other"
    " party; correct the party's code from the registry, or leave the row out"
)
N_("a shareholder needs its share in per cent (持股比例)")
N_("a shareholder needs its share in per cent, and the file has no share column")
N_("a contract number has at most 64 characters")
N_("a person's identifier is 4 to 40 letters, digits or hyphens (ID number or registry key)")
N_(
    "a person's ID number in scientific notation: the spreadsheet stored it as a number and"
    " kept only 15 of its digits, so it cannot be read back; format the column as text,"
    " export the numbers again from the registry and import the file again"
)
N_(
    "a resident ID number's last character does not match its first 17 digits"
    " (GB 11643-1999 check): a digit was mistyped; correct the ID number from the registry"
    " and import the file again"
)

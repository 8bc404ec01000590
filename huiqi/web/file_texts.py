"""What the services say in English of an uploaded file they cannot read as a whole (a
payment result file, a CSV line, an amount cell), as catalogue templates for the pages.
Read with the services' refusals (:mod:`huiqi.web.refusals`), after them."""

from __future__ import annotations

import re

from huiqi.web.i18n import N_
from huiqi.web.patterns import refusal

FILE_TEXTS: list[tuple[re.Pattern[str], str]] = [
    # huiqi.delivery.batchfiles: a payment result file the reader gave up on.
    refusal(
        N_(
            "cannot read %(quoted)s as a %(kind)s file (%(error)s); export the results again"
            " from the finance system"
        ),
        quoted=r"'.*'",
        kind=r"\w*",
        error=r"\w+",
    ),
    # huiqi.delivery.resultfile: a file of neither kind (the API takes any name).
    refusal(
        N_("cannot read %(quoted)s files; expected a .csv or .xlsx payment result file"),
        quoted=r"'[^']*'",
    ),
    # huiqi.money: an amount cell (a payment result's amount_yuan).
    refusal(N_("%(quoted)s is not an amount in yuan with at most two decimals (e.g. 1234.50)")),
    # huiqi.profiles.csvrecords: a CSV line that cannot be split into cells.
    refusal(
        N_(
            "a quote opens a cell at column %(n)s and is not closed on this line, so the line"
            " cannot be split into cells; close the quote, or write a quote inside a quoted"
            ' cell twice ("")'
        )
    ),
    refusal(
        N_(
            "the line cannot be split into cells (%(error)s); quote the whole cell, and write"
            ' a quote inside a quoted cell twice ("")'
        ),
        error=r".+",
    ),
]

# Whole texts, and the values the templates above (or the header's refusal) put back.
N_(
    "the file has a header but no result row; export the bank's results again, one row per"
    " grant (grant_id, result, and reason when failed)"
)
N_("the workbook has no sheet")
N_("grant_id or result")

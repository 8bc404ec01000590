"""What the services say in English of an uploaded file they cannot read as a whole (a
payment result file, a CSV line, an amount cell), and of a grant the finance page cannot
release for re-payment, as catalogue templates for the pages. Read with the services'
refusals (:mod:`huiqi.web.refusals`), after them."""

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
    # huiqi.delivery.repayment: a grant released for re-payment that is not a failed one
    # (a 'Pay again' form sent twice, or after a newer result file).
    refusal(N_("no grant %(id)s; 'huiqi grants --status payment_failed' lists them")),
    refusal(N_("grant %(id)s is paid in batch %(batch)s; a paid grant is never paid again")),
    refusal(N_("grant %(id)s is paid; a paid grant is never paid again")),
    refusal(
        N_(
            "grant %(id)s is in batch %(batch)s awaiting its payment result; import the result"
            " ('huiqi disburse results FILE') before paying it again"
        )
    ),
    refusal(
        N_(
            "grant %(id)s is granted and not in a batch (released for re-payment already);"
            " 'huiqi disburse export' takes it into the next batch"
        )
    ),
    refusal(
        N_(
            "grant %(id)s is granted and not in a batch; 'huiqi disburse export' takes it into"
            " the next batch"
        )
    ),
    refusal(
        N_(
            "grant %(id)s is %(status)s; only a grant whose payment failed is released for"
            " re-payment"
        )
    ),
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

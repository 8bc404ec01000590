"""What the services say in English of an uploaded file they cannot read as a whole (a
payment result file, a CSV line, an amount cell), and of a grant the finance page cannot
release for re-payment, as catalogue templates for the pages. Read with the services'
refusals (:mod:`huiqi.web.refusals`), after them."""

from __future__ import annotations

import re

from huiqi.web.i18n import N_
from huiqi.web.patterns import refusal

_BATCHES = {"batch": r"\d+", "batches": r"\d+(?:, \d+)*"}

FILE_TEXTS: list[tuple[re.Pattern[str], str]] = [
    # huiqi.delivery.batchfiles: a payment result file the reader gave up on is read by
    # huiqi.web.cli_texts (its text names a Python exception class).
    # huiqi.delivery.resultfile: a file of neither kind (the API takes any name).
    refusal(
        N_("cannot read %(quoted)s files; expected a .csv or .xlsx payment result file"),
        quoted=r"'[^']*'",
    ),
    # huiqi.money: an amount cell (a payment result's amount_yuan).
    refusal(N_("%(quoted)s is not an amount in yuan with at most two decimals (e.g. 1234.50)")),
    # huiqi.delivery.payments: a row of a payment result file refused (its line and column
    # are put before it by the page).
    refusal(
        N_(
            "paid date %(day)s is before batch %(batch)s was exported (%(exported)s); check the"
            " date the bank paid"
        )
    ),
    refusal(N_("grant %(id)s is %(status)s and was never exported; it is not to be paid")),
    refusal(N_("grant %(id)s is %(status)s, not in_batch; cannot record payment")),
    refusal(N_("batch id %(quoted)s is not a whole number")),
    refusal(N_("grant %(id)s is not in batch %(batch)s; it is in batch %(batches)s"), **_BATCHES),
    refusal(
        N_(
            "grant %(id)s was paid again after a failure and is in batches %(batches)s; give the"
            " batch_id column (as exported) so that the row says which payment it answers for"
        ),
        **_BATCHES,
    ),
    refusal(
        N_(
            "grant %(id)s is already recorded as paid in batch %(batch)s; a payment is never"
            " undone or made twice here: money the bank returned is recovered through the"
            " department's procedure, outside huiqi"
        )
    ),
    refusal(
        N_(
            "grant %(id)s's payment in batch %(batch)s is already recorded as failed, and the"
            " grant was released for re-payment since (it is %(status)s now); the"
            " re-payment's result names its own batch"
        )
    ),
    # huiqi.delivery.repayment: a grant released for re-payment that is not a failed one
    # (a 'Pay again' form sent twice, or after a newer result file); those whose text
    # names a CLI command are read by huiqi.web.cli_texts.
    refusal(N_("grant %(id)s is paid in batch %(batch)s; a paid grant is never paid again")),
    refusal(N_("grant %(id)s is paid; a paid grant is never paid again")),
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

"""Why a complaint import refused a row, as :mod:`huiqi.complaints.reading` writes it in
English, as catalogue templates for the complaints office's import page
(``/console/complaints/import``, qa4): a Chinese page listed each rejected line's reason
in English. Read with the services' refusals (:mod:`huiqi.web.refusals`); the values (a
cell as written, a date, a line number) are shown as written."""

from __future__ import annotations

import re

from huiqi.web.i18n import N_
from huiqi.web.patterns import refusal

_CELL = {"value": r".*?"}  # a cell as the file has it, between fixed words

COMPLAINT_ROW_TEXTS: list[tuple[re.Pattern[str], str]] = [
    refusal(N_("the row has %(n)s cells; the header has %(k)s")),
    refusal(
        N_("the %(field)s cell holds a control character (such as NUL); remove it"),
        field=r"[a-z_]+",
    ),
    refusal(N_("the complaint number (ref) is empty")),
    refusal(N_("the complaint number is longer than 64 characters")),
    refusal(N_("the ID number is empty")),
    refusal(N_("the ID number is not 17 digits and a check character (0-9 or X)")),
    refusal(N_("the ID number's check character is wrong: probably mistyped")),
    refusal(
        N_(
            "the phone %(value)s is not a phone number: give a mobile number (11 digits"
            " starting with 1, such as 13812345678 or +86 138 1234 5678) or a landline with"
            " its area code (such as 021-12345678)"
        ),
        **_CELL,
    ),
    refusal(N_("the enterprise's USCC is empty")),
    refusal(N_("the enterprise's USCC is not 18 characters of the USCC alphabet")),
    refusal(N_("the enterprise's USCC check character is wrong: probably mistyped")),
    refusal(N_("the complaint text is empty")),
    refusal(N_("the complaint text is longer than %(n)s characters")),
    refusal(N_("the date is empty")),
    refusal(N_("the date %(value)s is not a date such as 2026-03-05"), **_CELL),
    refusal(
        N_(
            "the date (filed_on) %(value)s is in the future: today is %(day)s in China; give"
            " the day the complaint was filed"
        ),
        **_CELL,
    ),
    refusal(N_("the amount %(value)s is too large: at most 999,999,999,999.99 yuan"), **_CELL),
    refusal(N_("the amount %(value)s is not yuan such as 59.90 or 1,234.50"), **_CELL),
    refusal(
        N_("the claimed compensation %(value)s is too large: at most 999,999,999,999.99 yuan"),
        **_CELL,
    ),
    refusal(N_("the claimed compensation %(value)s is not yuan such as 599.00 or 1,200"), **_CELL),
    refusal(N_("complaint %(ref)s is already on line %(line)s"), ref=r".+?"),
]

"""What the finance console says when a payment result file is refused, row by row and by
its name (``huiqi.delivery.paymentrows``, ``payments``), as catalogue templates for the
pages. Read with the services' refusals (:mod:`huiqi.web.refusals`), in their place
among them."""

from __future__ import annotations

import re

from huiqi.web.i18n import N_
from huiqi.web.patterns import refusal

PAYMENT_TEXTS: list[tuple[re.Pattern[str], str]] = [
    refusal(N_("grant id '%(value)s' is not a whole number")),
    refusal(
        N_(
            "'%(value)s' starts a total row, not a payment result: delete the row (totals are"
            " not read; the other rows are)"
        )
    ),
    refusal(N_("unknown grant %(id)s")),
    refusal(N_("result '%(value)s' is not one of paid, failed, 成功, 失败")),
    refusal(N_("grant %(id)s already appears on line %(line)s")),
    refusal(
        N_(
            "grant %(id)s is reported both paid and failed in this file (lines %(lines)s); none"
            " of its rows is applied: ask the finance system which is right and import that row"
            " alone"
        ),
        lines=r"[\d, ]+",
    ),
    refusal(N_("grant %(id)s is not in any disbursement batch; export it first")),
    refusal(
        N_(
            "amount %(amount)s yuan differs from the %(exported)s yuan exported for grant %(id)s "
            "in batch %(batch)s"
        ),
    ),
    refusal(
        N_(
            "paid date '%(value)s' is not a date; write it year first, e.g. 2026-03-31, 2026/3/31"
            " or 2026年3月31日"
        ),
    ),
    refusal(N_("'%(name)s' is not a payment result file; upload a .csv or .xlsx file")),
]

"""What the requests desk (诉求) says in English when a step is sent again after the
request moved on (a second tab, the back button, a colleague), as catalogue templates for
the pages. :mod:`huiqi.web.refusals` reads them where they stand in its list."""

from __future__ import annotations

import re

from huiqi.web.i18n import N_
from huiqi.web.patterns import refusal

DESK_TEXTS: list[tuple[re.Pattern[str], str]] = [
    # The desk's state refusals (huiqi.desk.handling, huiqi.desk.rating): a step sent again
    # after the request moved on (a second tab, the back button, a colleague).
    refusal(N_("request %(id)s is %(status)s: it can be acknowledged when it is open")),
    refusal(
        N_(
            "request %(id)s is %(status)s: it can be answered when it is open or acknowledged or"
            " reopened"
        )
    ),
    refusal(
        N_(
            "request %(id)s is %(status)s: it can be transferred when it is open or acknowledged"
            " or reopened"
        )
    ),
    refusal(N_("request %(id)s is %(status)s: rate it once it is answered")),
    refusal(N_("the answer to request %(id)s is rated already")),
    # huiqi.desk.closing: a withdrawal or a closing sent after the request moved on.
    refusal(N_("request %(id)s is closed already")),
    refusal(N_("request %(id)s was withdrawn by the enterprise already")),
    refusal(
        N_(
            "request %(id)s is answered: it can be withdrawn only before it is answered;"
            " rate the answer instead (1 or 2 stars send it back once)"
        )
    ),
    refusal(N_("request %(id)s is answered: it can be closed only before it is answered")),
    refusal(
        N_(
            "request %(id)s was withdrawn: there is no answer to rate; file a new request if"
            " the problem remains"
        )
    ),
    refusal(
        N_(
            "request %(id)s was closed by its department with a reason: there is no answer to"
            " rate; file a new request if the problem remains"
        )
    ),
    refusal(N_("request %(id)s is already with %(name)s")),
    # huiqi.desk.handling.transfer: the policy's own department, which no officer serves.
    refusal(
        N_(
            "no desk officer handles the requests of %(name)s, the department that owns the"
            " policy of request %(id)s: ask an admin to give that department to a desk"
            " officer, then transfer the request"
        )
    ),
]

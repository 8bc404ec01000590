"""What a policy reviewer's decision on a flagged record says when it is refused (keep,
withdraw, top-up, correct: ``huiqi.delivery.review``, ``topup``, ``version_fix``), as
catalogue templates for the pages. Read with the services' refusals
(:mod:`huiqi.web.refusals`), in their place among them."""

from __future__ import annotations

import re

from huiqi.web.i18n import N_
from huiqi.web.patterns import refusal

REVIEW_TEXTS: list[tuple[re.Pattern[str], str]] = [
    refusal(N_("record %(id)s is not flagged for review (it may be decided already)")),
    # A reviewer's top-up of a record 就高不重复 excluded (huiqi.delivery.topup).
    refusal(
        N_(
            "record %(id)s has no difference to pay: a top-up is for a record that 就高不重复"
            " excluded because a lower policy of its group was already sent for payment;"
            " keep or withdraw it instead"
        )
    ),
    refusal(
        N_(
            "record %(id)s: the group's grant it would add to (record %(record)s) is flagged"
            " for review; decide that flag first: keep it, then top up this record, or"
            " withdraw it"
        ),
        record=r"\d+",
    ),
    refusal(
        N_(
            "record %(id)s: %(version)s is published and delivers instead of this record's"
            " version; deliver it, then decide its own record"
        )
    ),
    refusal(N_("cap group '%(group)s' is used up for %(period)s; no difference can be granted")),
    refusal(
        N_(
            "%(version)s shares its budget pro rata and was allocated already: a difference"
            " granted now would never be paid; keep the record as it is, or publish a version"
            " with a budget for it and top it up there"
        )
    ),
    refusal(
        N_(
            "the budget of %(amount)s yuan has %(low)s yuan left, less than the difference of"
            " %(high)s yuan; keep the record as it is, or publish a version with a larger"
            " budget and top it up there"
        )
    ),
    # A reviewer's version correction (huiqi.delivery.version_fix).
    refusal(
        N_(
            "record %(id)s has no version correction to make: a correction is for a record"
            " that a newer version of its policy excluded behind an earlier version's grant"
            " and that would give another amount; keep or withdraw it instead"
        )
    ),
    refusal(
        N_(
            "%(version)s gives %(amount)s yuan, less than the %(high)s yuan already sent for"
            " payment under %(policy)s: huiqi takes no money back; recover the %(low)s yuan"
            " through the department's procedure and keep the record"
        ),
    ),
    refusal(
        N_(
            "%(version)s cannot grant %(amount)s yuan in place of the earlier grant, so"
            " nothing was changed: %(detail)s"
        )
    ),
    refusal(
        N_(
            "record %(id)s: the earlier grant it would correct (record %(record)s) is flagged"
            " for review; decide that flag first: keep it, then correct this record, or"
            " withdraw it"
        ),
        record=r"\d+",
    ),
    refusal(
        N_(
            "record %(id)s: another decision corrected the same grant at the same time;"
            " reload the flagged records"
        )
    ),
    refusal(
        N_(
            "record %(id)s: grant %(grant)s cannot be withdrawn while the correction granted"
            " on top of it (grant %(correction)s, record %(record)s) is live: the total the"
            " enterprise receives counts both; withdraw the later correction first, or keep"
            " this record"
        ),
        grant=r"\d+",
        correction=r"\d+",
        record=r"\d+",
    ),
]

"""What the ledger and the policy tools store or say in English, as catalogue templates
for the pages: why a record or grant stands as it does, a delivery that delivered
nothing, a policy text's most common mistakes, refused uploads. Read with the services'
refusals (:mod:`huiqi.web.refusals`), after them."""

from __future__ import annotations

import re

from huiqi.web.i18n import N_
from huiqi.web.patterns import refusal

# A background job's state, as a refusal names it (huiqi.jobs).
JOB_STATES = {
    "running": N_("running"),
    "done": N_("done"),
    "failed": N_("failed"),
    "interrupted": N_("interrupted"),
}

# A correction request's decision, as a refusal names it (huiqi.delivery.corrections).
CORRECTION_DECISIONS = {"accepted": N_("accepted"), "rejected": N_("rejected")}

# Why a record or grant stands as it does (a record's reason, a review flag's), as the
# ledger stores it and the pages show it (policy page, home, grants, flagged records).
LEDGER_TEXTS: list[tuple[re.Pattern[str], str]] = [
    refusal(N_("the offer ended on %(day)s")),
    refusal(N_("replaced by %(version)s, which is offered instead")),
    refusal(N_("capped from %(amount)s yuan")),
    refusal(N_("the budget of %(amount)s yuan is spent; grants are made in claim order")),
    refusal(N_("the budget of %(amount)s yuan is spent; grants are made in USCC order")),
    refusal(
        N_(
            "the budget of %(amount)s yuan has %(low)s yuan left, less than this grant's"
            " %(high)s yuan; grants are made in claim order"
        )
    ),
    refusal(
        N_(
            "就高不重复: group '%(group)s' gives this enterprise %(amount)s yuan under"
            " %(version)s; this policy's %(high)s yuan is not higher"
        )
    ),
    refusal(
        N_(
            "就高不重复: group '%(group)s' already paid or batched %(amount)s yuan under"
            " %(version)s; this policy would give %(high)s yuan — flagged for an officer to"
            " decide"
        )
    ),
    refusal(
        N_(
            "就高不重复: group '%(group)s' has already given this enterprise %(amount)s yuan"
            " (its latest grant, under %(version)s, is %(status)s); this policy would give"
            " %(high)s yuan — flagged for an officer to decide: keep it so, or top up the"
            " difference"
        )
    ),
    # Set aside by its group, then no longer eligible (huiqi.delivery.covered_refresh).
    refusal(
        N_("no longer eligible on snapshot %(id)s under %(policy)s v%(version)s: no top-up is due"),
        version=r"\d+",
    ),
    refusal(
        N_(
            "就高不重复: superseded by %(version)s, which gives %(amount)s yuan (more than"
            " %(low)s yuan)"
        )
    ),
    refusal(
        N_(
            "cap group '%(group)s' is used up for %(period)s (at most %(amount)s yuan per"
            " enterprise)"
        )
    ),
    refusal(
        N_(
            "already granted %(amount)s yuan for %(period)s under %(version)s (%(status)s);"
            " one grant per policy and period, whatever the version — v%(n)s would give"
            " %(high)s yuan: flagged for an officer to decide whether a correction is due"
        )
    ),
    refusal(
        N_(
            "already granted %(amount)s yuan for %(period)s under %(version)s (%(status)s);"
            " one grant per policy and period, whatever the version"
        )
    ),
    refusal(
        N_(
            "no longer eligible on snapshot %(id)s; kept as granted or offered until an"
            " officer reviews it"
        )
    ),
    refusal(N_("kept after review: %(what)s")),
    refusal(
        N_(
            "topped up after review: %(what)s; 就高不重复 top-up: %(version)s gives %(amount)s"
            " yuan; the group has already given %(low)s yuan (the latest grant under"
            " %(policy)s), so the difference of %(high)s yuan is granted"
        ),
        what=r".+?",
    ),
    refusal(
        N_(
            "就高不重复 top-up: %(version)s gives %(amount)s yuan; the group has already given"
            " %(low)s yuan (the latest grant under %(policy)s), so the difference of %(high)s"
            " yuan is granted"
        )
    ),
    # A reviewer's version correction (huiqi.delivery.version_fix): the record's note, the
    # decision's message, and the earlier record's note once replaced.
    refusal(
        N_(
            "corrected after review: %(what)s; version correction: %(version)s gives"
            " %(amount)s yuan; %(low)s yuan was already sent for payment under %(policy)s, so"
            " the difference of %(high)s yuan is granted"
        ),
        what=r".+?",
    ),
    refusal(
        N_(
            "corrected after review: %(what)s; version correction: %(version)s grants"
            " %(amount)s yuan in place of the %(low)s yuan granted under %(policy)s, which was"
            " never sent for payment"
        ),
        what=r".+?",
    ),
    refusal(
        N_(
            "version correction: %(version)s gives %(amount)s yuan; %(low)s yuan was already"
            " sent for payment under %(policy)s, so the difference of %(high)s yuan is granted"
        ),
    ),
    refusal(
        N_(
            "version correction: %(version)s grants %(amount)s yuan in place of the %(low)s"
            " yuan granted under %(policy)s, which was never sent for payment"
        ),
    ),
    refusal(N_("replaced after review by %(version)s, which grants %(amount)s yuan instead")),
    # huiqi.delivery.review: the record's note after a withdrawal, which the enterprise
    # reads on its home and grants pages (qa1: it was English on the Chinese pages).
    refusal(
        N_("withdrawn after review: %(what)s; grant %(id)s is never sent for payment"),
        what=r".+?",
    ),
    refusal(N_("withdrawn after review: %(what)s")),
    refusal(
        N_(
            "withdrawal decided after review: %(what)s; grant %(id)s (%(status)s) is not"
            " revoked by huiqi (the ledger has no revocation), recover it through the"
            " department's procedure"
        )
    ),
    refusal(
        N_(
            "withdrawal decided after review: %(what)s; the record gave the enterprise nothing,"
            " so there is nothing to recover"
        )
    ),
    refusal(
        N_(
            "withdrawal decided after review: %(what)s; the record (%(status)s) is not"
            " revoked by huiqi (the ledger has no revocation), recover it through the"
            " department's procedure"
        )
    ),
    refusal(N_("「%(title)s」 (%(version)s) was retired on %(day)s: %(what)s")),
    refusal(N_("「%(title)s」 (%(version)s) was retired on %(day)s")),
    refusal(N_("「%(title)s」 (%(version)s) was retired")),
    # huiqi.delivery.withdrawal: the record's note, and what a withdrawal is refused.
    refusal(N_("withdrawn by the enterprise on %(day)s: %(what)s")),
    refusal(N_("withdrawn by the enterprise on %(day)s")),
    refusal(
        N_(
            "application %(id)s was withdrawn by the enterprise; only submitted ones are"
            " decided (it is decided once the enterprise submits it again)"
        )
    ),
    refusal(
        N_(
            "application %(id)s is '%(status)s' and cannot be withdrawn: only a submitted"
            " application not yet decided can be"
        )
    ),
]
# A delivery that delivered nothing, as its summary says it (a job's page).
LEDGER_TEXTS += [
    refusal(
        N_(
            "%(version)s (%(mode)s): nothing delivered, v%(n)s of the policy is published and"
            " delivers instead (its budget and terms apply); what this version delivered before"
            " stays"
        ),
    ),
    refusal(
        N_(
            "%(version)s (%(mode)s): nothing delivered, the version is retired; what it"
            " delivered before stays"
        ),
    ),
    refusal(
        N_(
            "%(version)s (%(mode)s): nothing delivered, the policy closed on %(day)s (its"
            " valid_to); what it delivered before stays. To deliver again, publish a new"
            " version whose window includes today"
        ),
    ),
]
# A policy text's most common mistakes, as the draft editor and the simulator list them.
_RULE_WHAT = {"what": r".+?"}
LEDGER_TEXTS += [
    refusal(
        N_(
            "%(what)s: unknown field '%(field)s'; did you mean '%(name)s'? (at character"
            " %(n)s of the expression)"
        ),
        **_RULE_WHAT,
    ),
    refusal(
        N_(
            "%(what)s: unknown field '%(field)s'; see the data dictionary (at character"
            " %(n)s of the expression)"
        ),
        **_RULE_WHAT,
    ),
    refusal(
        N_(
            "%(what)s: cannot read the expression: an operator or a function is missing a"
            " value (at character %(n)s of the expression)"
        ),
        **_RULE_WHAT,
    ),
    # Uploads: a payment results file without its columns, a file over the size limit.
    refusal(
        N_(
            "the header has no %(what)s column; expected at least grant_id and result"
            " (paid|failed), optionally reason, paid_date, amount_yuan, batch_id; got %(value)s"
        ),
        what=r".+?",
    ),
    refusal(N_("the upload is %(amount)s bytes; at most %(high)s bytes (%(low)s MB) are accepted")),
    refusal(
        N_(
            "the upload is %(amount)s bytes or more; at most %(high)s bytes (%(low)s MB) are"
            " accepted (HUIQI_WEB_MAX_UPLOAD_MB)"
        )
    ),
    # A rating sent for what cannot be rated (huiqi.delivery.ratings): a form of the rating
    # page posted again after the record was granted, or naming another number.
    refusal(N_("record %(id)s was granted: rate grant %(grant)s instead"), grant=r"\d+"),
    refusal(N_("record %(id)s is '%(status)s': it can be rated once decided (%(known)s)")),
    refusal(N_("no grant %(id)s")),
    refusal(N_("no delivery record %(id)s")),
    # A correction request decided from a page opened before another steward decided it
    # (huiqi.delivery.corrections).
    refusal(
        N_("correction request %(id)s is already %(decision)s"),
        decision=r"\w+",
    ),
    refusal(N_("no correction request %(id)s")),
    # A version retired from a list page opened before it was deleted or renumbered.
    refusal(N_("no published policy version with id %(id)s")),
    # An officer's message marked read from a page of another officer, or after a restart
    # of the numbering (huiqi.desk.inbox).
    refusal(N_("no message %(id)s in your inbox")),
    # A job resumed that did not stop after publishing (a job page opened before it ended).
    refusal(
        N_(
            "job %(id)s is %(state)s: only a job that stopped after publishing its version is"
            " delivered again"
        ),
        state=r"\w+",
    ),
    refusal(N_("no job %(id)s")),
    # A draft published while a job already publishes it (huiqi.delivery.publishjob).
    refusal(
        N_(
            "%(policy)s is already being published (job %(id)s, started by %(name)s at"
            " %(time)s UTC): wait for it to finish, then publish again if there is anything"
            " left to publish"
        ),
        policy=r"\S+",
        name=r"\S+",
        time=r"[\d:]+",
    ),
    refusal(N_("%(policy)s is already being published: wait for it to finish"), policy=r"\S+"),
    # An attachment removed from a page opened before the application was submitted.
    refusal(
        N_("application %(id)s is '%(status)s': attachments change only before it is submitted")
    ),
]
N_("the offer ended unclaimed")
N_("the version was retired")
N_(
    "eligible, amount 0: newer data make the policy's amount formula give 0.00 yuan;"
    " the open offer is withdrawn and nothing is offered"
)
N_(
    "eligible, amount 0: newer data make the policy's amount formula give 0.00 yuan;"
    " the open application is withdrawn and nothing is offered"
)

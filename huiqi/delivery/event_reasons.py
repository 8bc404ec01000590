"""The reasons the system itself writes into the audit log, each one named template.

An event's reason is stored as written, in English, and is covered by the log's hash
chain: it is never rewritten. A page shows it in its own language by reading it back
with the template it was written from (``huiqi.web.event_reasons``), so each writer
writes through its template here and the page reads with the same one: the two cannot
drift. A template is read only on the kinds of event it is written for, so a reason an
officer typed (a rejection, a review) is never taken for the system's words.

A template is the English text with its values as ``%(name)s`` (the catalogue's own
form: the page translates the same text). A value's shape is ``.+?`` unless the
template says otherwise.

>>> PUBLISHED(policy="wenggang", version=3)
'published wenggang v3'
>>> PUBLISHED.read("publish", "published wenggang v3")
{'policy': 'wenggang', 'version': '3'}
>>> PUBLISHED.read("reject", "published wenggang v3") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class EventReason:
    """One reason the system writes, for the event kinds ``kinds``."""

    text: str
    kinds: tuple[str, ...]
    shapes: dict[str, str] = field(default_factory=dict)
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = re.split(r"%\((\w+)\)s", self.text)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>{self.shapes.get(part, '.+?')})"
            for i, part in enumerate(parts)
        )
        object.__setattr__(self, "pattern", re.compile(regex, re.DOTALL))

    def __call__(self, **values: object) -> str:
        """The reason written with these values."""
        return self.text % values

    def read(self, kind: str, reason: str) -> dict[str, str] | None:
        """The values of ``reason`` when an event of ``kind`` wrote it from this template."""
        if kind not in self.kinds:
            return None
        match = self.pattern.fullmatch(reason)
        return match.groupdict() if match else None


_NUMBER = r"[\d,]+"
_YUAN = r"-?[\d,]+\.\d{2}"  # huiqi.money.format_yuan
_NAME = r"[^']*"

# Accounts and sign-in (huiqi.accounts.service, huiqi.accounts.tokens).
ADMIN_CREATED = EventReason(
    "first admin '%(name)s' and the '%(service)s' service account created",
    ("admin_init",),
    {"name": _NAME, "service": _NAME},
)
USER_ADDED = EventReason("added '%(name)s' with %(roles)s", ("user_added",), {"name": _NAME})
USER_CHANGED = EventReason("changed '%(name)s': %(changes)s", ("user_changed",), {"name": _NAME})
USER_DISABLED = EventReason("disabled '%(name)s'", ("user_disabled",), {"name": _NAME})
USER_ENABLED = EventReason("enabled '%(name)s'", ("user_enabled",), {"name": _NAME})
SIGNED_IN_WITH = EventReason(
    "%(client)s (%(provider)s)", ("login",), {"client": r"\w+", "provider": r"[^()]+"}
)
SIGN_IN_REFUSED = EventReason("sign-in refused (%(how)s)", ("login_failed",), {"how": ".+"})
SIGN_IN_REFUSED_HERE = EventReason(
    "sign-in refused (%(how)s) from this address", ("login_failed",), {"how": ".+"}
)
SIGNED_OUT = EventReason("signed out (%(token)s)", ("logout",), {"token": ".*"})
TOKEN_CREATED = EventReason(
    "API token '%(name)s' for '%(user)s', %(days)s days",
    ("token_created",),
    {"name": _NAME, "user": _NAME, "days": r"\d+"},
)
TOKEN_REVOKED = EventReason(
    "token '%(name)s' of '%(user)s' revoked", ("token_revoked",), {"name": _NAME, "user": _NAME}
)

# Policies: drafts and versions (huiqi.delivery.drafts, publishjob, versions).
DRAFT_SAVED = EventReason("saved the draft of %(policy)s", ("draft_save",))
DRAFT_DELETED = EventReason("deleted the draft of %(policy)s", ("draft_delete",))
DRAFT_PUBLISHED = EventReason(
    "published the draft of %(policy)s as v%(version)s", ("draft_publish",), {"version": r"\d+"}
)
DRAFT_DELIVERED = EventReason(
    "delivered the draft of %(policy)s as v%(version)s", ("draft_publish",), {"version": r"\d+"}
)
PUBLISHED = EventReason("published %(policy)s v%(version)s", ("publish",), {"version": r"\d+"})

# Delivery (huiqi.delivery.auto, chunkaudit, grantmaker, offers, claims, lifecycle,
# offer_refresh, zero_offers, publish, withdrawal, applications).
ALL_MET = EventReason("all criteria met", ("grant", "provisional_grant"))
ALL_MET_AUTO = EventReason("all criteria met (免申即享)", ("provisional_grant", "budget_exhausted"))
BUDGET_SPENT = EventReason("budget spent", ("budget_exhausted",))
GRANTS_MADE = EventReason(
    "all criteria met (免申即享): %(n)s grant(s), %(amount)s yuan",
    ("grants_made",),
    {"n": r"\d+", "amount": _YUAN},
)
OFFERED = EventReason(
    "%(status)s: offered under %(mode)s", ("offer", "application"), {"status": r"\w+"}
)
CONFIRMED = EventReason("one-click confirmation (直达快享)", ("claim",))
OFFER_ENDED = EventReason("offer ended on %(day)s unclaimed", ("expired",), {"day": r"\S+"})
_CHANGED = "the data of snapshot %(snapshot)s give %(amount)s yuan instead of %(was)s yuan; "
_AMOUNTS = {"snapshot": r"\d+", "amount": _YUAN, "was": _YUAN}
OFFER_AMOUNT_CHANGED = EventReason(
    _CHANGED + "the offer is not yet claimed", ("offer_amount",), _AMOUNTS
)
ESTIMATE_CHANGED = EventReason(
    _CHANGED + "the application is not yet submitted", ("application_estimate",), _AMOUNTS
)
# A record set aside behind an earlier version's grant, judged again on newer data
# (huiqi.delivery.covered_refresh).
SET_ASIDE_AMOUNT_CHANGED = EventReason(
    _CHANGED + "the record stays set aside behind the earlier version's grant",
    ("excluded",),
    _AMOUNTS,
)
SET_ASIDE_NO_LONGER_ELIGIBLE = EventReason(
    "no longer eligible on snapshot %(id)s under %(policy)s v%(version)s: no correction is due",
    ("review_closed",),
    {"id": r"\d+", "version": r"\d+"},
)
# A record set aside by an exclusivity group (就高不重复), judged again on newer data
# (huiqi.delivery.topup_refresh).
GROUP_SET_ASIDE_AMOUNT_CHANGED = EventReason(
    _CHANGED + "the record stays set aside under 就高不重复",
    ("excluded",),
    _AMOUNTS,
)
GROUP_SET_ASIDE_NO_LONGER_ELIGIBLE = EventReason(
    "no longer eligible on snapshot %(id)s under %(policy)s v%(version)s: no top-up is due",
    ("review_closed",),
    {"id": r"\d+", "version": r"\d+"},
)
NOW_ZERO = EventReason(
    "the data of snapshot %(snapshot)s give 0.00 yuan instead of %(was)s yuan;"
    " the %(what)s is withdrawn",
    ("zero_amount",),
    _AMOUNTS | {"what": r"offer|application"},
)
NO_LONGER_ZERO = EventReason(
    "the data of snapshot %(snapshot)s give %(amount)s yuan where they gave 0.00 yuan:"
    " offered under %(mode)s",
    ("offer", "application"),
    _AMOUNTS,
)
NO_LONGER_ELIGIBLE = EventReason(
    "no longer eligible on snapshot %(id)s; kept as granted or offered until an officer reviews it",
    ("review_flag",),
    {"id": r"\d+"},
)
# A flag no decision is left for, closed with its version (huiqi.delivery.flag_closing):
# the record gave the enterprise nothing, under a version retired or replaced.
FLAG_CLOSED_RETIRED = EventReason(
    "%(policy)s v%(version)s is retired and the record gave the enterprise nothing:"
    " no decision is left to take",
    ("review_closed",),
    {"version": r"\d+"},
)
FLAG_CLOSED_REPLACED = EventReason(
    "%(policy)s v%(version)s delivers instead and the record gave the enterprise nothing:"
    " no decision is left to take",
    ("review_closed",),
    {"version": r"\d+"},
)
# A record eligible for 0.00 yuan: its note, and the reason of its event (huiqi.delivery.zero,
# huiqi.delivery.grantmaker).
ZERO_AMOUNT = EventReason(
    "eligible, amount 0: the policy's amount formula gives 0.00 yuan on this data;"
    " nothing is granted, offered or notified",
    ("zero_amount",),
)
SUBMITTED = EventReason("pre-filled application submitted", ("submit",))
WITHDRAWN_BY_ENTERPRISE = EventReason("withdrawn by the enterprise", ("application_withdraw",))

# Money (huiqi.delivery.disburse, batchfiles, payments).
BATCH_EXPORTED = EventReason(
    "%(n)s grant(s), %(amount)s yuan", ("batch_exported",), {"n": r"\d+", "amount": _YUAN}
)
BATCH_DOWNLOADED = EventReason(
    "downloaded the %(file)s file of batch %(batch)s",
    ("batch_download",),
    {"file": r"\w+", "batch": r"\d+"},
)
PAYMENT_RESULTS = EventReason(
    "%(file)s: %(rows)s: %(paid)s paid, %(failed)s failed, %(unchanged)s unchanged, %(errors)s",
    ("payment_results",),
    {
        "rows": _NUMBER + " rows?",
        "paid": _NUMBER,
        "failed": _NUMBER,
        "unchanged": _NUMBER,
        "errors": _NUMBER + " errors?",
    },
)

# Data (huiqi.profiles.import_report: the first line of an import's summary).
IMPORTED = EventReason(
    "Imported %(file)s with mapping '%(mapping)s' (%(how)s) as snapshot %(id)s.",
    ("data_import",),
    {"mapping": _NAME, "how": ".+", "id": r"\d+"},
)
NOTHING_IMPORTED = EventReason(
    "Nothing imported from %(file)s with mapping '%(mapping)s' (%(how)s): no row was"
    " accepted, so no snapshot was made and the stored data is as it was.",
    ("data_import",),
    {"mapping": _NAME, "how": ".+"},
)

REASONS: tuple[EventReason, ...] = tuple(
    value for value in list(globals().values()) if isinstance(value, EventReason)
)

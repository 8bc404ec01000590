"""An audit event's reason in the page's language, its stored text left as it is.

The log keeps each reason as written (in English, under its hash chain). The system's
own reasons are read back with the template each writer wrote them from
(``huiqi.delivery.event_reasons``) and shown through the catalogue with their values
filled in; the reasons a record carries (a refusal, a review flag, a retirement: the same
notes the ledger's pages show) are read as those pages read them
(:func:`huiqi.web.refusals.localise`). Anything else, an officer's or an enterprise's
own words above all, is shown exactly as typed.
"""

from __future__ import annotations

import gettext
import re

from huiqi.delivery.event_reasons import REASONS
from huiqi.web import i18n
from huiqi.web.account_texts import ROLE_NAMES
from huiqi.web.i18n import N_, N_plural
from huiqi.web.refusals import localise
from huiqi.web.status_names import RECORD_STATUS

# Each template of huiqi.delivery.event_reasons, for the catalogue (a test keeps the two
# lists the same, so a reason added there is translated here).
TEMPLATES = (
    N_("first admin '%(name)s' and the '%(service)s' service account created"),
    N_("added '%(name)s' with %(roles)s"),
    N_("changed '%(name)s': %(changes)s"),
    N_("disabled '%(name)s'"),
    N_("enabled '%(name)s'"),
    N_("%(client)s (%(provider)s)"),
    N_("sign-in refused (%(how)s)"),
    N_("sign-in refused (%(how)s) from this address"),
    N_("signed out (%(token)s)"),
    N_("API token '%(name)s' for '%(user)s', %(days)s days"),
    N_("token '%(name)s' of '%(user)s' revoked"),
    N_("saved the draft of %(policy)s"),
    N_("deleted the draft of %(policy)s"),
    N_("published the draft of %(policy)s as v%(version)s"),
    N_("delivered the draft of %(policy)s as v%(version)s"),
    N_("published %(policy)s v%(version)s"),
    N_("all criteria met"),
    N_("all criteria met (免申即享)"),
    N_("budget spent"),
    N_("all criteria met (免申即享): %(n)s grant(s), %(amount)s yuan"),
    N_("%(status)s: offered under %(mode)s"),
    N_("one-click confirmation (直达快享)"),
    N_("offer ended on %(day)s unclaimed"),
    N_(
        "the data of snapshot %(snapshot)s give %(amount)s yuan instead of %(was)s yuan;"
        " the offer is not yet claimed"
    ),
    N_(
        "the data of snapshot %(snapshot)s give %(amount)s yuan instead of %(was)s yuan;"
        " the application is not yet submitted"
    ),
    N_(
        "the data of snapshot %(snapshot)s give %(amount)s yuan instead of %(was)s yuan;"
        " the record stays set aside behind the earlier version's grant"
    ),
    N_("no longer eligible on snapshot %(id)s under %(policy)s v%(version)s: no correction is due"),
    N_(
        "the data of snapshot %(snapshot)s give %(amount)s yuan instead of %(was)s yuan;"
        " the record stays set aside under 就高不重复"
    ),
    N_("no longer eligible on snapshot %(id)s under %(policy)s v%(version)s: no top-up is due"),
    N_(
        "the data of snapshot %(snapshot)s give 0.00 yuan instead of %(was)s yuan;"
        " the %(what)s is withdrawn"
    ),
    N_(
        "the data of snapshot %(snapshot)s give %(amount)s yuan where they gave 0.00 yuan:"
        " offered under %(mode)s"
    ),
    N_(
        "no longer eligible on snapshot %(id)s; kept as granted or offered until an officer"
        " reviews it"
    ),
    N_(
        "%(policy)s v%(version)s is retired and the record gave the enterprise nothing:"
        " no decision is left to take"
    ),
    N_(
        "%(policy)s v%(version)s delivers instead and the record gave the enterprise nothing:"
        " no decision is left to take"
    ),
    N_(
        "eligible, amount 0: the policy's amount formula gives 0.00 yuan on this data;"
        " nothing is granted, offered or notified"
    ),
    N_("pre-filled application submitted"),
    N_("withdrawn by the enterprise"),
    N_("%(n)s grant(s), %(amount)s yuan"),
    N_("downloaded the %(file)s file of batch %(batch)s"),
    N_("Imported %(file)s with mapping '%(mapping)s' (%(how)s) as snapshot %(id)s."),
    N_(
        "Nothing imported from %(file)s with mapping '%(mapping)s' (%(how)s): no row was"
        " accepted, so no snapshot was made and the stored data is as it was."
    ),
    N_("%(file)s: %(rows)s: %(paid)s paid, %(failed)s failed, %(unchanged)s unchanged, %(errors)s"),
)

# Events whose reason is the note a record or grant carries (why it stands as it does),
# written by the ledger and read as its pages read it.
LEDGER_NOTES = frozenset(
    {
        "grant",
        "provisional_grant",
        "allocated",
        "expired",
        "superseded",
        "outranked",
        "review_flag",
        "retire_withdraw",
        "budget_exhausted",
        "capped",
        "excluded",
        "zero_amount",
    }
)

# The words a template's values are written with, by the value's name.
CLIENTS = {"web": N_("the portal"), "cli": N_("the command line")}
DELIVERY_MODES = {
    "auto": N_("automatic grant (免申即享)"),
    "confirm": N_("one-click confirmation (直达快享)"),
    "apply": N_("pre-filled application (申报)"),
}
MATCH_STATUS = {"eligible": N_("eligible"), "near_miss": N_("near miss")}
OFFERED_WHAT = {"offer": N_("offer"), "application": N_("application")}
USER_CHANGES = {
    "password": N_("password reset"),
    "tokens revoked": N_("every session and API token revoked"),
    "email": N_("e-mail changed"),
    "name": N_("display name changed"),
}
ROWS = N_plural("%(num)s row", "%(num)s rows")
ERRORS = N_plural("%(num)s error", "%(num)s errors")
_COUNTED = re.compile(r"([\d,]+) \w+")
_SEPARATOR = N_(", ")

# A reason that carries its own Chinese before its English (huiqi.delivery.sharing).
_BILINGUAL = re.compile(r"(?P<zh>[^/]*[\u4e00-\u9fff][^/]*) / (?P<en>[^\u4e00-\u9fff]+)")


def shown_reason(language: str, kind: str, reason: str | None) -> str:
    """The reason of an event of ``kind`` as a page in ``language`` shows it: the
    system's own words translated, a person's as typed."""
    if not reason:
        return ""
    catalogue = i18n.translations(language)
    for template in REASONS:
        values = template.read(kind, reason)
        if values is not None:
            filled = {name: _value(catalogue, name, v) for name, v in values.items()}
            return catalogue.gettext(template.text) % filled
    if kind == "login" and reason in CLIENTS:  # a sign-in names its client only
        return catalogue.gettext(CLIENTS[reason])
    if kind in LEDGER_NOTES:
        both = _BILINGUAL.fullmatch(reason)
        if both:
            return both["en"] if i18n.choose(language) == "en" else both["zh"]
        return localise(catalogue, reason)
    return reason


def _value(catalogue: gettext.NullTranslations, name: str, value: str) -> str:
    """A value of a template in the page's language: a code by its word, a count by the
    catalogue's plural; a name, a number or a date as written."""
    words = {
        "client": CLIENTS,
        "mode": DELIVERY_MODES,
        "status": MATCH_STATUS | RECORD_STATUS,
        "what": OFFERED_WHAT,
    }.get(name)
    if words is not None:
        return catalogue.gettext(words[value]) if value in words else value
    if name == "how":  # a sign-in's client and why; a file's format, encoding and sheet
        return ", ".join(_how(catalogue, part) for part in value.split(", "))
    if name == "roles":
        return catalogue.gettext(_SEPARATOR).join(
            _role(catalogue, part) for part in value.split(", ")
        )
    if name == "changes":
        return catalogue.gettext(_SEPARATOR).join(
            _change(catalogue, part) for part in value.split(", ")
        )
    if name in ("rows", "errors"):
        count = _COUNTED.fullmatch(value)
        if count:
            n = int(count.group(1).replace(",", ""))
            one, many = ROWS if name == "rows" else ERRORS
            return catalogue.ngettext(one, many, n) % {"num": count.group(1)}
    return value


def _role(catalogue: gettext.NullTranslations, grant: str) -> str:
    """A role grant (``role`` or ``role=scope``) with the role by its name."""
    role, eq, scope = grant.partition("=")
    name = catalogue.gettext(ROLE_NAMES[role]) if role in ROLE_NAMES else role
    return f"{name}={scope}" if eq else name


def _change(catalogue: gettext.NullTranslations, change: str) -> str:
    """One change of a user: a role given (+) or taken (-), else what else changed."""
    if change[:1] in "+-" and len(change) > 1:
        return change[0] + _role(catalogue, change[1:])
    return catalogue.gettext(USER_CHANGES[change]) if change in USER_CHANGES else change


_SHEET = re.compile(r"sheet '(?P<sheet>.*)'")


def _how(catalogue: gettext.NullTranslations, part: str) -> str:
    """A part of how a sign-in came or a file was read: a client or a sheet by its words,
    anything else (a provider's answer, a format, an encoding) as written."""
    if part in CLIENTS:
        return catalogue.gettext(CLIENTS[part])
    sheet = _SHEET.fullmatch(part)
    return catalogue.gettext("sheet '%(sheet)s'") % sheet.groupdict() if sheet else part

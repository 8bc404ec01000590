"""Service refusals in the page's language.

The services word their refusals in English for every shell (the CLI, the API, the
logs), often with values inside ("application 12 is 'rejected' and cannot be
rejected"). A page shows such a text through ``message()``: the catalogue's translation
of the whole text when it has one, else the first pattern below that matches it, its
template translated and the matched values put back (each one translated when the
catalogue knows it, such as "the reason"), else the text as it is.
"""

from __future__ import annotations

import gettext
import re

from huiqi.web.i18n import N_

# (the service's English text, with its values as named groups; the same text as a
# catalogue template). Each template reproduces the English text exactly.
REFUSALS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?P<what>.+) is required"), N_("%(what)s is required")),
    (
        re.compile(r"(?P<what>.+) has at most (?P<n>\d+) characters, not (?P<length>\d+)"),
        N_("%(what)s has at most %(n)s characters, not %(length)s"),
    ),
    (
        re.compile(r"(?P<what>.+) cannot contain control characters"),
        N_("%(what)s cannot contain control characters"),
    ),
    (
        re.compile(r"(?P<code>'.*') is not a request category; categories: (?P<known>.+)"),
        N_("%(code)s is not a request category; categories: %(known)s"),
    ),
    (
        re.compile(r"policy '(?P<policy>.+)' is not published; the catalogue lists what is"),
        N_("policy '%(policy)s' is not published; the catalogue lists what is"),
    ),
    (
        re.compile(r"no grant (?P<id>\d+) of enterprise (?P<uscc>\w+)"),
        N_("no grant %(id)s of enterprise %(uscc)s"),
    ),
    # A value refused on the correction form ("report as wrong", shown next to the value
    # without the field's name: huiqi.web.views.mydata) or on the policy calculator.
    (
        re.compile(r"expected a whole number \(such as 25\), got (?P<value>.*)"),
        N_("expected a whole number (such as 25), got %(value)s"),
    ),
    (
        re.compile(r"expected a number such as 1234\.56, got (?P<value>.*)"),
        N_("expected a number such as 1234.56, got %(value)s"),
    ),
    (
        re.compile(
            r"(?P<value>\S+) is outside the plausible range (?P<low>\S+)\.\.(?P<high>\S+) (?P<unit>\w+)"
        ),
        N_("%(value)s is outside the plausible range %(low)s..%(high)s %(unit)s"),
    ),
    (
        re.compile(r"(?P<value>\S+) is outside the plausible range (?P<low>\S+)\.\.(?P<high>\S+)"),
        N_("%(value)s is outside the plausible range %(low)s..%(high)s"),
    ),
    (
        re.compile(r"expected a date YYYY-MM-DD, got (?P<value>.*)"),
        N_("expected a date YYYY-MM-DD, got %(value)s"),
    ),
    (
        re.compile(r"at most (?P<n>\d+) decimal places, got (?P<value>.*)"),
        N_("at most %(n)s decimal places, got %(value)s"),
    ),
    (
        re.compile(
            r"(?P<code>'.*') is not a GB/T 4754-2017 class: expected 4 digits such as 6513,"
            r" optionally after its section letter \(I6513\)"
        ),
        N_(
            "%(code)s is not a GB/T 4754-2017 class: expected 4 digits such as 6513,"
            " optionally after its section letter (I6513)"
        ),
    ),
    # The professional-complainant score's reasons (huiqi.complaints.score), on the
    # complaint officer's queue.
    (
        re.compile(
            r"complained about (?P<n>\d+) different enterprises \(counts from (?P<least>\d+)\)"
        ),
        N_("complained about %(n)s different enterprises (counts from %(least)s)"),
    ),
    (
        re.compile(
            r"complained about (?P<n>\d+) different enterprises"
            r" \(counts fully from (?P<least>\d+)\)"
        ),
        N_("complained about %(n)s different enterprises (counts fully from %(least)s)"),
    ),
    (
        re.compile(
            r"(?P<k>\d+) of (?P<n>\d+) complaints are about purchases of at most"
            r" (?P<yuan>\d+) yuan \(purchase-then-complain\)"
        ),
        N_(
            "%(k)s of %(n)s complaints are about purchases of at most %(yuan)s yuan"
            " (purchase-then-complain)"
        ),
    ),
    (
        re.compile(
            r"(?P<k>\d+) of (?P<n>\d+) complaints demand punitive compensation"
            r" \(十倍/三倍赔偿\) rather than redress of a harm"
        ),
        N_(
            "%(k)s of %(n)s complaints demand punitive compensation (十倍/三倍赔偿) rather"
            " than redress of a harm"
        ),
    ),
    (
        re.compile(
            r"(?P<n>\d+) complaints are near-identical texts sent to at least"
            r" (?P<least>\d+) enterprises"
        ),
        N_("%(n)s complaints are near-identical texts sent to at least %(least)s enterprises"),
    ),
    (
        re.compile(r"(?P<n>\d+) complaints within (?P<days>\d+) days"),
        N_("%(n)s complaints within %(days)s days"),
    ),
    (
        re.compile(r"(?P<n>\d+) identities share phones or bank accounts"),
        N_("%(n)s identities share phones or bank accounts"),
    ),
    (
        re.compile(r"request (?P<id>\d+) about this value is still open: wait for its decision"),
        N_("request %(id)s about this value is still open: wait for its decision"),
    ),
    # The policy catalogue's filters (huiqi.web.filters, huiqi.catalogue.service).
    (
        re.compile(r"deadline_after '(?P<value>.*)' is not a date; write it as YYYY-MM-DD"),
        N_("deadline_after '%(value)s' is not a date; write it as YYYY-MM-DD"),
    ),
    (
        re.compile(r"amount_min '(?P<value>.*)' is not an amount in yuan \(e\.g\. 50000\)"),
        N_("amount_min '%(value)s' is not an amount in yuan (e.g. 50000)"),
    ),
    (
        re.compile(r"district '(?P<value>.*)' is not a Shanghai district code \(e\.g\. 310115\)"),
        N_("district '%(value)s' is not a Shanghai district code (e.g. 310115)"),
    ),
    (
        re.compile(r"level '(?P<value>.*)' is not one of (?P<known>.+)"),
        N_("level '%(value)s' is not one of %(known)s"),
    ),
    (
        re.compile(r"mode '(?P<value>.*)' is not one of (?P<known>.+)"),
        N_("mode '%(value)s' is not one of %(known)s"),
    ),
    # A payment result file's rows and name (the finance console).
    (
        re.compile(r"grant id '(?P<value>.*)' is not a whole number"),
        N_("grant id '%(value)s' is not a whole number"),
    ),
    (re.compile(r"unknown grant (?P<id>\d+)"), N_("unknown grant %(id)s")),
    (
        re.compile(r"result '(?P<value>.*)' is not one of paid, failed"),
        N_("result '%(value)s' is not one of paid, failed"),
    ),
    (
        re.compile(r"grant (?P<id>\d+) already appears on line (?P<line>\d+)"),
        N_("grant %(id)s already appears on line %(line)s"),
    ),
    (
        re.compile(r"grant (?P<id>\d+) is not in any disbursement batch; export it first"),
        N_("grant %(id)s is not in any disbursement batch; export it first"),
    ),
    (
        re.compile(
            r"amount (?P<amount>\S+) yuan differs from the (?P<exported>\S+) yuan exported for"
            r" grant (?P<id>\d+) in batch (?P<batch>\d+)"
        ),
        N_(
            "amount %(amount)s yuan differs from the %(exported)s yuan exported for grant %(id)s"
            " in batch %(batch)s"
        ),
    ),
    (
        re.compile(
            r"paid date '(?P<value>.*)' is not a date; write it year first, e.g. 2026-03-31,"
            r" 2026/3/31 or 2026年3月31日"
        ),
        N_(
            "paid date '%(value)s' is not a date; write it year first, e.g. 2026-03-31,"
            " 2026/3/31 or 2026年3月31日"
        ),
    ),
    (
        re.compile(r"'(?P<name>.*)' is not a payment result file; upload a \.csv or \.xlsx file"),
        N_("'%(name)s' is not a payment result file; upload a .csv or .xlsx file"),
    ),
    (
        re.compile(r"no offer or delivery record id (?P<id>\d+)"),
        N_("no offer or delivery record id %(id)s"),
    ),
    (re.compile(r"no request (?P<id>\d+)"), N_("no request %(id)s")),
    (
        re.compile(
            r"huiqi holds (?P<value>.+) for '(?P<field>[^']+)'(?P<when>.*) already: give the"
            r" value you believe is right, if it differs"
        ),
        N_(
            "huiqi holds %(value)s for '%(field)s'%(when)s already: give the value you"
            " believe is right, if it differs"
        ),
    ),
    (
        re.compile(r"the year (?P<year>\d+) has not come yet: give a year up to (?P<now>\d+)"),
        N_("the year %(year)s has not come yet: give a year up to %(now)s"),
    ),
    (
        re.compile(r"(?P<day>\S+) is after today, (?P<today>[^:]+): give the date it took effect"),
        N_("%(day)s is after today, %(today)s: give the date it took effect"),
    ),
    (
        re.compile(
            r"request (?P<id>\d+) is closed: its answer is rated already, and a closed request"
            r" takes no more ratings; file a new request if the problem remains"
        ),
        N_(
            "request %(id)s is closed: its answer is rated already, and a closed request"
            " takes no more ratings; file a new request if the problem remains"
        ),
    ),
    # An access refusal (accounts.access): the sentence in the page's language, the
    # action and the roles as the service names them.
    (
        re.compile(r"(?P<who>\S+ \(.*\)) may not (?P<what>.+); allowed: (?P<allowed>.+)"),
        N_("%(who)s may not %(what)s; allowed: %(allowed)s"),
    ),
    (re.compile(r"no complainant (?P<id>\d+)"), N_("no complainant %(id)s")),
    (
        re.compile(r"(?P<code>'.*') is not a department of the desk; departments: (?P<known>.+)"),
        N_("%(code)s is not a department of the desk; departments: %(known)s"),
    ),
    (
        re.compile(r"record (?P<id>\d+) is not an application \(申报\)"),
        N_("record %(id)s is not an application (申报)"),
    ),
    (
        re.compile(r"application (?P<id>\d+) is '(?P<status>\w+)' and cannot be rejected"),
        N_("application %(id)s is '%(status)s' and cannot be rejected"),
    ),
    (
        re.compile(r"application (?P<id>\d+) is '(?P<status>\w+)' and cannot be submitted"),
        N_("application %(id)s is '%(status)s' and cannot be submitted"),
    ),
    (
        re.compile(
            r"application (?P<id>\d+) is '(?P<status>\w+)'; only submitted ones are decided"
        ),
        N_("application %(id)s is '%(status)s'; only submitted ones are decided"),
    ),
    (
        re.compile(r"(?P<version>\S+ v\d+) is (?P<status>\w+); only a published one is retired"),
        N_("%(version)s is %(status)s; only a published one is retired"),
    ),
    (
        re.compile(r"a rating is a whole number of stars from 1 to 5, not (?P<stars>.*)"),
        N_("a rating is a whole number of stars from 1 to 5, not %(stars)s"),
    ),
]

# Refusals without values: the catalogue translates them whole.
N_("give the value you believe is right")
N_("a failed payment needs a reason (the bank's message)")
N_("give the reason for retiring this version")
N_("this form has expired or did not come from this site; reload the page")
# The values a refusal names that the catalogue translates (what the field is).
N_("the request's text")
N_("the reason")
N_("the reply")
N_("the comment")
N_("a comment")
N_("the department")
N_("a rejection's reason")
N_("amount_min must be an amount in yuan below 10^15")
N_("the minimum amount cannot be negative")


# A record's status named in a refusal ("application 12 is 'application_open' …") reads
# as the pages name it (the record_status macro), not as its code.
STATUS_WORDS = {
    "application_open": N_("application open"),
    "in_batch": N_("in a payment batch"),
    "payment_failed": N_("payment failed"),
}


def localise(catalogue: gettext.NullTranslations, text: str) -> str:
    """``text`` (a refusal, or a visitor's own words) in the catalogue's language; never
    %-formats ``text`` itself, only a template of the catalogue."""
    found = catalogue.gettext(text)
    if found != text:
        return found
    for pattern, template in REFUSALS:
        match = pattern.fullmatch(text)
        if match:
            groups = match.groupdict()
            if groups.get("status") in STATUS_WORDS:
                groups["status"] = STATUS_WORDS[groups["status"]]
            values = {k: catalogue.gettext(v) for k, v in groups.items()}
            return catalogue.gettext(template) % values
    return text

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

from huiqi.web import refusal_values
from huiqi.web.access_texts import ACCESS_TEXTS, USCC_TEXTS
from huiqi.web.answer_texts import ANSWER_TEXTS
from huiqi.web.check_texts import PARTS_SEPARATOR
from huiqi.web.cli_texts import CLI_TEXTS, web_wording
from huiqi.web.complaint_row_texts import COMPLAINT_ROW_TEXTS
from huiqi.web.desk_texts import DESK_TEXTS
from huiqi.web.file_texts import FILE_TEXTS
from huiqi.web.i18n import N_
from huiqi.web.import_row_texts import IMPORT_ROW_TEXTS, KEY_WORDS
from huiqi.web.import_texts import IMPORT_TEXTS
from huiqi.web.ledger_texts import LEDGER_TEXTS
from huiqi.web.patterns import refusal as _refusal
from huiqi.web.payment_texts import PAYMENT_TEXTS
from huiqi.web.policy_texts import POLICY_TEXTS, VALUE_WORDS
from huiqi.web.review_texts import REVIEW_TEXTS

# The services' refusals with values, each as its catalogue template (which reproduces
# the English text exactly); the first whose pattern reads a text translates it.
REFUSALS: list[tuple[re.Pattern[str], str]] = [
    _refusal(N_("%(what)s is required")),
    _refusal(N_("%(what)s has at most %(n)s characters, not %(length)s")),
    _refusal(N_("%(what)s cannot contain control characters")),
    _refusal(N_("%(code)s is not a request category; categories: %(known)s")),
    _refusal(N_("policy '%(policy)s' is not published; the catalogue lists what is")),
    _refusal(
        N_(
            "no grant %(id)s of enterprise %(uscc)s; %(record)s is its delivery record, whose"
            " grant is %(grant)s"
        ),
        record=r"\d+",
        grant=r"\d+",
    ),
    _refusal(N_("no grant %(id)s of enterprise %(uscc)s")),
    _refusal(N_("no request file %(id)s")),
    _refusal(N_("no attachment %(id)s")),
    # A value refused on the correction form ("report as wrong", shown next to the value
    # without the field's name: huiqi.web.views.mydata) or on the policy calculator.
    _refusal(N_("expected a whole number (such as 25), got %(value)s")),
    _refusal(N_("expected a number such as 1234.56, got %(value)s")),
    _refusal(
        N_("%(value)s is outside the plausible range %(low)s..%(high)s %(unit)s"),
        value=r"\S+",
    ),
    _refusal(N_("%(value)s is outside the plausible range %(low)s..%(high)s"), value=r"\S+"),
    _refusal(N_("expected a date YYYY-MM-DD, got %(value)s")),
    _refusal(N_("%(day)s is after today, %(today)s: give a date that has passed")),
    _refusal(N_("at most %(n)s decimal places, got %(value)s")),
    _refusal(
        N_(
            "%(code)s is not a GB/T 4754-2017 class: expected 4 digits such as 6513, optionally "
            "after its section letter (I6513)"
        ),
    ),
    _refusal(
        N_(
            "%(code)s: division %(division)s belongs to no GB/T 4754-2017 section (divisions"
            " run from 01 to 97)"
        ),
        division=r"\d{2}",
    ),
    _refusal(
        N_(
            "%(code)s: section prefix %(prefix)s does not match division %(division)s, which"
            " belongs to section %(section)s"
        ),
        division=r"\d{2}",
        prefix=r"[A-Z]",
        section=r"[A-Z]",
    ),
    # Starlette's refusals of a multipart form it will not read (its own English).
    _refusal(N_("Too many fields. Maximum number of fields is %(n)s.")),
    _refusal(N_("Too many files. Maximum number of files is %(n)s.")),
    _refusal(N_("Part exceeded maximum size of %(n)sKB.")),
    _refusal(N_("Field exceeded maximum size of %(n)sKB.")),
    _refusal(N_("grant %(id)s was withdrawn after review before it was paid: it has no notice")),
    # A correction asked of a field that is no registry's value (huiqi.delivery.corrections).
    _refusal(N_("'%(field)s' is the identifier: report the field it comes from instead")),
    # The year of a correction (found in English on the Chinese correction form by QA).
    _refusal(N_("'%(field)s' is held per year: give the year (such as 2025)")),
    _refusal(N_("'%(field)s' is not held per year: give no year")),
    _refusal(N_("the year is between %(low)s and %(high)s, not %(year)s"), year=r"-?\d+"),
    _refusal(
        N_(
            "'%(field)s' is derived by huiqi from other fields: report the field it comes from"
            " instead"
        )
    ),
    # The professional-complainant score's reasons (huiqi.complaints.score), on the
    # complaint officer's queue.
    _refusal(N_("complained about %(n)s different enterprises (counts from %(least)s)")),
    _refusal(N_("complained about %(n)s different enterprises (counts fully from %(least)s)")),
    _refusal(
        N_(
            "%(k)s of %(n)s complaints are about purchases of at most %(yuan)s yuan "
            "(purchase-then-complain)"
        ),
    ),
    _refusal(
        N_(
            "%(k)s of %(n)s complaints demand punitive compensation (十倍/三倍赔偿) rather than redress"
            " of a harm"
        ),
    ),
    _refusal(
        N_("%(n)s complaints are near-identical texts sent to at least %(least)s enterprises"),
    ),
    _refusal(N_("%(n)s complaints within %(days)s days")),
    _refusal(N_("%(n)s identities share phones or bank accounts")),
    _refusal(N_("request %(id)s about this value is still open: wait for its decision")),
    # The policy catalogue's filters (huiqi.web.filters, huiqi.catalogue.service).
    _refusal(N_("deadline_after '%(value)s' is not a date; write it as YYYY-MM-DD")),
    _refusal(N_("amount_min '%(value)s' is not an amount in yuan (e.g. 50000)")),
    _refusal(
        N_(
            "amount_min '%(value)s' is negative; write an amount of 0 yuan or more"
            " (e.g. 50000), or leave it empty"
        )
    ),
    _refusal(N_("district '%(value)s' is not a Shanghai district code (e.g. 310115)")),
    _refusal(N_("level '%(value)s' is not one of %(known)s")),
    _refusal(
        N_("no published policy is issued by department '%(value)s'; choose one from the list")
    ),
    _refusal(N_("mode '%(value)s' is not one of %(known)s")),
    # An upload whose Content-Length header is not a length (huiqi.web.uploads).
    _refusal(
        N_(
            "the Content-Length header %(value)s is not a length in bytes: send the body's"
            " length as ASCII digits (at most %(n)s), e.g. 1024, or leave the header to the"
            " HTTP client"
        )
    ),
    *PAYMENT_TEXTS,
    _refusal(N_("no offer or delivery record id %(id)s")),
    _refusal(N_("no request %(id)s")),
    # The finance page's download of a batch's file that does not exist (QA: in English).
    _refusal(N_("no %(kind)s file of disbursement batch %(id)s"), kind=r".*"),
    # An enterprise's message marked read that is not in its inbox (a second tab).
    _refusal(
        N_(
            "message %(id)s is not in the inbox of enterprise %(uscc)s; list the inbox for the"
            " ids that can be marked read."
        )
    ),
    # A draft deleted or published that is not there (deleted meanwhile, another tab).
    _refusal(N_("%(policy)s has no draft"), policy=r"\S+"),
    _refusal(N_("%(policy)s has no draft to publish"), policy=r"\S+"),
    # The desk's statistics for a period that ends before it starts (QA: in English).
    _refusal(
        N_("the period starts (%(since)s) after it ends (%(until)s)"), since=r"\S+", until=r"\S+"
    ),
    _refusal(
        N_(
            "huiqi holds %(value)s for '%(field)s'%(when)s already: give the value you believe is"
            " right, if it differs"
        ),
        value=r".+",
    ),
    _refusal(N_("the year %(year)s has not come yet: give a year up to %(now)s")),
    _refusal(N_("%(day)s is after today, %(today)s: give the date it took effect")),
    _refusal(
        N_(
            "request %(id)s is closed: its answer is rated already, and a closed request takes no"
            " more ratings; file a new request if the problem remains"
        ),
    ),
    *ACCESS_TEXTS,
    _refusal(N_("no grant %(id)s of yours")),
    _refusal(N_("no decision %(id)s of yours")),
    _refusal(N_("grant %(id)s is '%(status)s': rate it once it is granted")),
    _refusal(
        N_(
            "grant %(id)s was superseded by a higher benefit of its group (就高不重复) and is"
            " never paid: rate grant %(replacement)s instead"
        ),
        replacement=r"\d+",
    ),
    _refusal(
        N_(
            "grant %(id)s was superseded by a higher benefit of its group (就高不重复) and is"
            " never paid: rate the grant that replaced it"
        )
    ),
    _refusal(N_("the reason is %(length)s characters; at most %(n)s")),
    _refusal(
        N_(
            "paid date %(day)s is in the future (today is %(today)s); a result is recorded"
            " once the bank has paid"
        )
    ),
    _refusal(N_("%(code)s is not a field of the data dictionary")),
    _refusal(N_("the year is four digits such as 2025, not %(code)s")),
    # huiqi.web.bodylimit.TOO_LARGE
    _refusal(
        N_(
            "the request body is %(size)s bytes or more; a body holds at most a file of"
            " %(limit)s MB (HUIQI_WEB_MAX_UPLOAD_MB) and a few fields"
        )
    ),
    *DESK_TEXTS,
    _refusal(N_("no complainant %(id)s")),
    _refusal(N_("%(code)s is not a department of the desk; departments: %(known)s")),
    _refusal(N_("record %(id)s is not an application (申报)")),
    _refusal(
        N_(
            "record %(id)s is not an offer (直达快享) to claim: it is an application (申报);"
            " submit it instead"
        )
    ),
    _refusal(
        N_(
            "record %(id)s is not an offer (直达快享) to claim: it is delivered automatically"
            " (免申即享), with nothing to claim"
        )
    ),
    _refusal(N_("application %(id)s is '%(status)s' and cannot be rejected")),
    _refusal(N_("application %(id)s is '%(status)s' and cannot be submitted")),
    _refusal(N_("application %(id)s is '%(status)s'; only submitted ones are decided")),
    # A record posted to the page of another policy (huiqi.web.views.catalogue).
    _refusal(
        N_("record %(id)s is an offer of %(policy)s, not of %(code)s; reload the policy's page"),
        policy=r"\S+",
        code=r"\S+",
    ),
    _refusal(
        N_(
            "record %(id)s is an application of %(policy)s, not of %(code)s; reload the"
            " policy's page"
        ),
        policy=r"\S+",
        code=r"\S+",
    ),
    _refusal(N_("%(version)s is %(status)s; only a published one is retired")),
    _refusal(N_("a rating is a whole number of stars from 1 to 5, not %(stars)s")),
    _refusal(N_("%(entity)s has already been rated by %(uscc)s")),
    # The portal's claim names the commitments by their labels (huiqi.web.views.catalogue).
    _refusal(
        N_(
            "this offer needs the enterprise's commitment (告知承诺) on: %(what)s; confirm them"
            " to claim"
        ),
    ),
    _refusal(
        N_(
            "this application needs the enterprise's commitment (告知承诺) on: %(what)s;"
            " confirm them to submit"
        ),
    ),
    # An answer to "what if" or a correction naming a code list's entry (matching.answers).
    _refusal(N_("%(quoted)s is neither a code nor a name of the list; give one of: %(known)s")),
    *REVIEW_TEXTS,
    *USCC_TEXTS,
    # A page's address with a value its parameter cannot take (huiqi.web.errors).
    _refusal(
        N_(
            "%(param)s=%(value)s in this page's address cannot be used; open the page from"
            " the portal's links"
        ),
        param=r"[\w.]+",
    ),
]

# First: a text naming a CLI command is read there, and worded for the web (see its module).
REFUSALS[:0] = CLI_TEXTS
REFUSALS += LEDGER_TEXTS
REFUSALS += FILE_TEXTS
REFUSALS += IMPORT_TEXTS
REFUSALS += IMPORT_ROW_TEXTS
REFUSALS += COMPLAINT_ROW_TEXTS
REFUSALS += ANSWER_TEXTS
REFUSALS += POLICY_TEXTS  # last: their frames ("… (2 more problems after this one)") are wide

# What a value is called in the page's language, by the name of the value.
_WORDS = {**VALUE_WORDS, "keys": KEY_WORDS}

# Refusals without values: the catalogue translates them whole.
N_("Not Found")
N_("Invalid multipart data.")
N_("Missing boundary in multipart.")
N_("give the value you believe is right")
N_("a failed payment needs a reason (the bank's message)")
N_(
    "the grant id is empty: write the grant's number as the batch file has it"
    " (column grant_id, 补贴编号)"
)
N_("give the reason for retiring this version")
N_("this form has expired or did not come from this site; reload the page")
N_("the form names no application; reload the page")
N_("the form names no offer; reload the page")
N_("the form names two applications; reload the page")
# The values a refusal names that the catalogue translates (what the field is).
N_("the request's text")
N_("the reason")
N_("the reply")
N_("the comment")
N_("a comment")
N_("the department")
N_("a rejection's reason")
N_("the reason for paying again")  # huiqi.delivery.repayment (QA: read "请填写the reason …")
# What a district officer asked about an enterprise of another district (accounts.districts).
N_("read this enterprise's records")
N_("see this enterprise's near misses")
N_("explain this enterprise's eligibility")
N_("amount_min must be an amount in yuan below 10^15")


# A record's status named in a refusal ("application 12 is 'application_open' …") reads
# as the pages name it (the record_status macro), not as its code.
STATUS_WORDS = {
    "application_open": N_("application open"),
    "in_batch": N_("in a payment batch"),
    "payment_failed": N_("payment failed"),
    # A request's (huiqi.desk), as its page names them.
    "open": N_("waiting to be acknowledged"),
    "acknowledged": N_("being handled"),
    "answered": N_("answered"),
    "reopened": N_("reopened"),
    "closed": N_("closed"),
    "withdrawn": N_("withdrawn"),
}


def localise(catalogue: gettext.NullTranslations, text: str) -> str:
    """``text`` (a refusal, or a visitor's own words) in the catalogue's language; never
    %-formats ``text`` itself, only a template of the catalogue."""
    found = catalogue.gettext(web_wording(text))
    if found != text:
        return found
    for pattern, template in REFUSALS:
        match = pattern.fullmatch(text)
        if match:
            groups = match.groupdict()
            if groups.get("status") in STATUS_WORDS:
                groups["status"] = STATUS_WORDS[groups["status"]]
            values = {k: _value(catalogue, k, v) for k, v in groups.items()}
            return catalogue.gettext(web_wording(template)) % values
    return text


def _value(catalogue: gettext.NullTranslations, name: str, value: str) -> str:
    """A value a refusal names, in the catalogue's language: a text inside the text
    (``detail``, ``advice``; ``details`` whole, else part by part) read as a refusal in its turn, an
    action, a list of who may, a code by its word, else the catalogue's translation."""
    if not value:
        return value  # gettext("") is the catalogue's header
    if name in ("detail", "advice"):
        return localise(catalogue, value)
    if name == "details":
        whole = localise(catalogue, value)
        if whole != value:
            return whole
        parts = [localise(catalogue, part) for part in value.split("; ")]
        return catalogue.gettext(PARTS_SEPARATOR).join(parts)
    if name == "what":
        # An action an actor may not do; else what a text is about ("criterion 'x'").
        found = refusal_values.action(catalogue, value)
        return found if found != value else localise(catalogue, value)
    if name == "allowed":
        return refusal_values.allowed(catalogue, value)
    if name == "who":
        return refusal_values.who(catalogue, value)
    word = _WORDS.get(name, {}).get(value)
    if word is not None and catalogue.gettext(word) != word:
        return catalogue.gettext(word)  # a code by its word; in English, as written
    return catalogue.gettext(value)

"""Refusals whose service text says what to do with a command of the CLI ('huiqi disburse
repay 12 --reason …', 'huiqi init'), or names a path on the server or a Python exception
class ('BadZipFile'): a visitor of the site has no command line and cannot act on the
class, so a page says what to do on the site instead.

Each entry is the service's English as a catalogue template (whose pattern reads the
text, as :mod:`huiqi.web.refusals` reads every refusal) and the web's own wording of it,
a template of the catalogue too, with the same values or fewer: ``web_wording`` gives it
to :func:`huiqi.web.refusals.localise`, which translates it in place of the service's.
The API says the same texts in its own words (:mod:`huiqi.web.api_texts`).
"""

from __future__ import annotations

import re

from huiqi.web.i18n import N_
from huiqi.web.patterns import refusal

_STORE = {"path": r".+"}
# A money column's header, and a unit as the importer shows it: 万元 (wan_yuan), or yuan.
_UNIT_SHAPES = {"header": r"'[^']*'", "shown": r"\S+(?: \(\w+\))?", "field": r"\w+"}

# (the service's text as a template, the web's wording, the shapes of its values)
_SAID: list[tuple[str, str, dict[str, str]]] = [
    # huiqi.delivery.repayment: the finance page's 'Pay again in the next batch'.
    (
        N_("no grant %(id)s; 'huiqi grants --status payment_failed' lists them"),
        N_("no grant %(id)s; this page lists the failed payments under 'Failed payments'"),
        {},
    ),
    (
        N_(
            "grant %(id)s is in batch %(batch)s awaiting its payment result; import the result"
            " ('huiqi disburse results FILE') before paying it again"
        ),
        N_(
            "grant %(id)s is in batch %(batch)s awaiting its payment result; apply the bank's"
            " results with 'Payment results' on this page before paying it again"
        ),
        {},
    ),
    (
        N_(
            "grant %(id)s is granted and not in a batch (released for re-payment already);"
            " 'huiqi disburse export' takes it into the next batch"
        ),
        N_(
            "grant %(id)s is granted and not in a batch (released for re-payment already);"
            " 'Export a new batch' on this page takes it into the next batch"
        ),
        {},
    ),
    (
        N_(
            "grant %(id)s is granted and not in a batch; 'huiqi disburse export' takes it into"
            " the next batch"
        ),
        N_(
            "grant %(id)s is granted and not in a batch; 'Export a new batch' on this page"
            " takes it into the next batch"
        ),
        {},
    ),
    # huiqi.delivery.payments: a row of a payment result file for a failed payment.
    (
        N_(
            "grant %(id)s's payment in batch %(batch)s is already recorded as failed; to pay"
            " it, release it once the cause is addressed ('huiqi disburse repay %(n)s --reason"
            " …') and export it in a new batch"
        ),
        N_(
            "grant %(id)s's payment in batch %(batch)s is already recorded as failed; to pay"
            " it, release it under 'Failed payments' once the cause is addressed, and export it"
            " in a new batch"
        ),
        {},
    ),
    # huiqi.delivery.service.latest_version: the simulator started from a policy that is
    # not published (/console/simulate?start=…).
    (
        N_("policy '%(policy)s' is not published; 'huiqi versions' lists what is"),
        N_("policy '%(policy)s' is not published; the catalogue lists what is"),
        {},
    ),
    # huiqi.delivery.records: a version published before its window opens (the console).
    (
        N_(
            "%(version)s (%(mode)s): nothing delivered, the policy opens on %(day)s (its"
            " valid_from); the scheduler's 'huiqi deliver' delivers it on or after that day"
        ),
        N_(
            "%(version)s (%(mode)s): nothing delivered, the policy opens on %(day)s (its"
            " valid_from); it is delivered automatically on or after that day"
        ),
        {},
    ),
    # huiqi.delivery.applications: approving an application flagged for review.
    (
        N_(
            "application %(id)s is flagged for review: %(flag)s; resolve the flag first"
            " ('huiqi review keep %(n)s --reason …' or withdraw)"
        ),
        N_(
            "application %(id)s is flagged for review: %(flag)s; keep or withdraw it on the"
            " 'Flagged records' page first"
        ),
        {"flag": r".+"},
    ),
    # huiqi.complaints.service: deciding a complainant the review queue does not list.
    (
        N_(
            "complainant %(id)s has not been flagged for review: decide the complainants of"
            " the review queue (huiqi complaints queue --all; its complainant column, not a"
            " queue position)"
        ),
        N_(
            "complainant %(id)s has not been flagged for review: decide the complainants this"
            " page lists; reload it"
        ),
        {},
    ),
    # huiqi.profiles.store: no enterprise data yet (the path is the server's, never shown).
    (
        N_("no profile store at %(path)s; run 'huiqi init' and import or generate data first"),
        N_("there is no enterprise data yet; a data steward imports it first"),
        _STORE,
    ),
    (
        N_("the store at %(path)s holds no data yet; run 'huiqi generate' or 'huiqi import'"),
        N_("there is no enterprise data yet; a data steward imports it first"),
        _STORE,
    ),
    # huiqi.delivery.publish: a version published while there is no data to match.
    (
        N_(
            "%(version)s is published but not delivered: %(detail)s; then 'huiqi deliver %(policy)s' delivers it"
        ),
        N_(
            "%(version)s is published but not delivered: %(detail)s; it is delivered once the"
            " data is there"
        ),
        {"policy": r"\S+"},
    ),
]

_SAID += [
    # huiqi.delivery.batchfiles: a payment result file the reader gave up on.
    (
        N_(
            "cannot read %(quoted)s as a %(kind)s file (%(error)s); export the results again"
            " from the finance system"
        ),
        N_(
            "cannot read %(quoted)s as a %(kind)s file: it is damaged, or not of that kind;"
            " export the results again from the finance system"
        ),
        {"quoted": r"'.*'", "kind": r"\w*", "error": r"\w+"},
    ),
    # huiqi.delivery.applications.submit: a required document (申报材料) has no file.
    (
        N_(
            "application %(id)s lacks documents its policy requires: %(names)s; attach each,"
            " naming the document it is (the upload form's document, or 'huiqi application"
            " attach %(n)s FILE --document %(first)s'), then submit"
        ),
        N_(
            "application %(id)s lacks documents its policy requires: %(names)s; attach each"
            " under 'Attachments' on this page, choosing which document it is, then submit"
        ),
        {"names": r".+?", "first": r".+?"},
    ),
    # huiqi.web.importing: what to do with a file no mapping fits, on the steward's page.
    (
        N_(
            "name one in the form's Mapping field (known: %(known)s), rename the columns to a"
            " mapping's headers, or draft a mapping for this layout with 'huiqi mapping new"
            " %(file)s'"
        ),
        N_(
            "name one in the form's Mapping field (known: %(known)s), rename the columns to a"
            " mapping's headers, or have the administrator add a mapping for this layout to"
            " the data directory's mappings"
        ),
        {"file": r".+"},
    ),
    # huiqi.profiles.mapping: a header the mapping does not know, its advice
    # (Mapping.extend_advice): a built-in mapping is extended by a mapping file of one's
    # own, an office's by its aliases (a file on the server).
    (
        N_(
            "or describe this layout in a mapping file of your own: 'huiqi mapping new"
            " %(file)s' drafts it from the header"
        ),
        N_(
            "or have the administrator add a mapping for this layout to the data directory's mappings"
        ),
        {"file": r".+"},
    ),
    (
        N_(
            "or add them in %(path)s: under 'aliases:' (another name of a column it maps) or"
            " under 'ignore:' (a column not to import)"
        ),
        N_(
            "or have the administrator add them to the layout's mapping file: under 'aliases:'"
            " (another name of a column it maps) or under 'ignore:' (a column not to import)"
        ),
        {"path": r".+"},
    ),
    (
        N_(
            "%(file)s: required headers %(missing)s are missing for mapping %(quoted)s;"
            " expected headers %(wanted)s, found %(found)s. Add the missing columns to the"
            " file, or import it with a mapping whose headers name its columns (--mapping FILE)"
        ),
        N_(
            "%(file)s: required headers %(missing)s are missing for mapping %(quoted)s;"
            " expected headers %(wanted)s, found %(found)s. Add the missing columns to the"
            " file, or choose in the form's Mapping field a mapping whose headers name its"
            " columns"
        ),
        {"missing": r"\[.*?\]", "wanted": r"\[.*?\]", "found": r"\[.*?\]"},
    ),
    (
        N_(
            "%(file)s: %(details)s. A field is read from one column: delete the other columns,"
            " or rename them and list them under 'ignore:' in a mapping file of your own"
        ),
        N_(
            "%(file)s: %(details)s. A field is read from one column: delete the other columns,"
            " or rename them and have the administrator list them under 'ignore:' in the"
            " layout's mapping file"
        ),
        {},
    ),
    # huiqi.profiles.declared_unit: a money column's unit that the mapping does not read.
    (
        N_(
            "%(detail)s, but mapping %(quoted)s reads %(header)s in %(shown)s; nothing was"
            " imported, since the amounts would be stored in the wrong unit. Name a mapping"
            " whose 'units:' say %(field)s: %(unit)s ('huiqi mapping new' drafts one), or"
            " correct the file"
        ),
        N_(
            "%(detail)s, but mapping %(quoted)s reads %(header)s in %(shown)s; nothing was"
            " imported, since the amounts would be stored in the wrong unit. Choose a mapping"
            " whose 'units:' say %(field)s: %(unit)s (the administrator adds one), or correct"
            " the file"
        ),
        _UNIT_SHAPES,
    ),
    (
        N_(
            "%(file)s: the header %(header)s gives its amounts in %(own)s, but mapping"
            " %(quoted)s reads them in %(shown)s; nothing was imported, since they would be"
            " stored in the wrong unit. Write 'units: {%(field)s: %(unit)s}' in the mapping"
            " ('huiqi mapping new' drafts it), or correct the header"
        ),
        N_(
            "%(file)s: the header %(header)s gives its amounts in %(own)s, but mapping"
            " %(quoted)s reads them in %(shown)s; nothing was imported, since they would be"
            " stored in the wrong unit. Have the administrator write 'units: {%(field)s:"
            " %(unit)s}' in the mapping, or correct the header"
        ),
        {**_UNIT_SHAPES, "own": r"\w+"},
    ),
    # huiqi.engine.policycheck: a draft that breaks the loader (the draft editor).
    (
        N_("the policy could not be read (%(error)s); check its YAML"),
        N_("the policy could not be read; check its YAML"),
        {"error": r"\w+"},
    ),
]

# Texts without values, by their web wording.
_WHOLE = {
    N_(
        "nothing to pay: every granted amount is already in a batch or paid (a failed"
        " payment is paid again once released: 'huiqi disburse repay GRANT_ID --reason …')"
    ): N_(
        "nothing to pay: every granted amount is already in a batch or paid (a failed"
        " payment is paid again once released under 'Failed payments')"
    ),
}

CLI_TEXTS: list[tuple[re.Pattern[str], str]] = [
    refusal(service, **shapes) for service, _, shapes in _SAID
]
_WEB = {service: web for service, web, _ in _SAID} | _WHOLE


def web_wording(template: str) -> str:
    """The web's wording of a service's text (or template) that names a CLI command, else
    the text itself."""
    return _WEB.get(template, template)


def _said(start: str) -> str:
    """The one service text above that starts with ``start``."""
    (found,) = [service for service, _, _ in _SAID if service.startswith(start)]
    return found

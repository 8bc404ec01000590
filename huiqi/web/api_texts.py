"""The API's wording of the service texts that name a CLI command, a page's button or a
path on the server (:mod:`huiqi.web.cli_texts` has the pages' wording of the same texts):
the API's caller is a program, whose developer has the API, not the server's command
line, nor the pages' buttons. :func:`api_wording` gives the text an API refusal says
(``huiqi.web.errors``)."""

from __future__ import annotations

import re

from huiqi.web.cli_texts import _SAID, _WHOLE, CLI_TEXTS, _said

# The API's wording of the texts that name a CLI command: its caller is a program, whose
# developer has the API, not the command line of the server (nor the pages' buttons).
# A text without an entry here reads as the pages word it when that names no page.
_API = {
    _said("no grant "): "no grant %(id)s; GET /api/v1/grants?status=payment_failed lists the grants"
    " whose payment failed",
    _said(
        "grant %(id)s is in batch "
    ): "grant %(id)s is in batch %(batch)s awaiting its payment result; send the"
    " bank's result file (POST /api/v1/finance/payments) before paying it again",
    _said(
        "grant %(id)s is granted and not in a batch (released"
    ): "grant %(id)s is granted and not in a batch (released for re-payment"
    " already); the next batch (POST /api/v1/finance/batches) takes it",
    _said(
        "grant %(id)s is granted and not in a batch;"
    ): "grant %(id)s is granted and not in a batch; the next batch (POST"
    " /api/v1/finance/batches) takes it",
    _said(
        "grant %(id)s's payment in batch "
    ): "grant %(id)s's payment in batch %(batch)s is already recorded as failed; to"
    " pay it, release it once the cause is addressed (POST"
    " /api/v1/finance/grants/%(n)s/repay with a reason) and export it in a new batch",
    _said(
        "policy '%(policy)s' is not published"
    ): "policy '%(policy)s' is not published; GET /api/v1/policies lists what is",
    _said(
        "application %(id)s is flagged"
    ): "application %(id)s is flagged for review: %(flag)s; resolve the flag first"
    " (POST /api/v1/records/%(n)s/review, to keep or withdraw it)",
    _said(
        "complainant %(id)s has not"
    ): "complainant %(id)s has not been flagged for review: decide the complainants"
    " of the review queue (GET /api/v1/complaints/queue gives their ids)",
    _said(
        "application %(id)s lacks documents"
    ): "application %(id)s lacks documents its policy requires: %(names)s; attach each"
    " (POST /api/v1/records/%(n)s/attachments?document=… with the document's name), then"
    " submit",
    _said(
        "or add them in %(path)s"
    ): "or have an administrator add them to the layout's mapping file: under 'aliases:'"
    " (another name of a column it maps) or under 'ignore:' (a column not to import)",
    next(iter(_WHOLE)): "nothing to pay: every granted amount is already in a batch or paid (a"
    " failed payment is paid again once released: POST /api/v1/finance/grants/{grant_id}/repay)",
}
# Texts of the accounts' services that only the API words anew (the users page has its
# own wording, huiqi.web.account_texts): the CLI's options and commands, for the body's
# fields and the API's calls. Regression (QA): PATCH /api/v1/users/NAME with {} answered
# "give --add-role, --remove-role, --password, --email or --name", names no body takes.
_API_ONLY: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            re.escape(
                "nothing to change; give --add-role, --remove-role, --password, --email or --name"
            )
        ),
        "nothing to change; send add_roles, remove_roles, password, email or display_name",
    ),
    (
        re.compile(r"no user '(?P<name>.*)'; 'huiqi user list' shows them", re.S),
        "no user '%(name)s'; GET /api/v1/users lists them",
    ),
    (
        re.compile(r"user '(?P<name>.*)' exists; change it with 'huiqi user change'", re.S),
        "user '%(name)s' exists; change it with PATCH /api/v1/users/{username}",
    ),
    (
        re.compile(re.escape("the token is not known here; sign in again with 'huiqi login'")),
        "the token is not known here (a typing error, or a token of another huiqi); send an"
        " API token as an administrator created it",
    ),
]
# huiqi.accounts.tokencheck: "sign in again" alone, to a program whose API token (not a
# session) expired or was revoked; the API makes no token, the CLI does.
_API_ONLY += [
    (
        re.compile(r"the token expired on (?P<when>[^;]+); sign in again"),
        "the token expired on %(when)s (China time); sign in again, or send a new API token"
        " (an administrator makes one: huiqi token create NAME --user USER)",
    ),
    (
        re.compile(re.escape("the token was revoked or its user disabled; sign in again")),
        "the token was revoked or its user disabled; sign in again, or send a new API token"
        " (an administrator makes one: huiqi token create NAME --user USER)",
    ),
]
# huiqi.web.portal.enterprise_of: a park operator that names no enterprise; the API has
# no home page to open it from.
_API_ONLY.append(
    (
        re.compile(
            re.escape(
                "say which enterprise: open it from your park's list on the home page (/home),"
                " or give its USCC (uscc=...)"
            )
        ),
        "say which enterprise: a park operator gives the enterprise's USCC (the query"
        " parameter uscc, or the body's field uscc where the endpoint takes a body)",
    )
)
# huiqi.complaints.mapping: POST /api/v1/complaints/import of a file the default mapping
# does not read; the API takes the mapping as the form's field, not --mapping.
_API_ONLY.append(
    (
        re.compile(
            r"(?P<head>the file has no column for .*)\. Give a mapping file with this file's"
            r" headers \(--mapping\)\.",
            re.S,
        ),
        "%(head)s. Send a mapping of this file's headers as the form's file 'mapping' (YAML,"
        " 'columns: {field: header}').",
    )
)
_PAGE_WORDS = re.compile(r"\bthis page\b|\bon the\b '|under '|\bpage\b")
# Parts of a longer refusal that name a command on the server, as the API says them: an
# import's advice ends a text that also quotes the file's headers and the closest
# mapping, so no template covers it whole. (The steward's page words the same parts
# through its templates above.)
_API_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"draft a mapping for this layout with 'huiqi mapping new [^']*'"),
        "have an administrator add a mapping for this layout to the data directory's mappings",
    ),
    (
        re.compile(r"'huiqi mapping new [^']*' drafts it from the header"),
        "an administrator adds it to the data directory's mappings",
    ),
    (re.compile(r" \('huiqi mapping new' drafts (?:it|one)\)"), ""),
    (re.compile(re.escape("in the form's Mapping field")), "in the form's field 'mapping'"),
]


def api_wording(text: str) -> str:
    """A refusal as the API says it: a service text that names a CLI command (or a path
    on the server) in the API's words, else the text itself."""
    said = _api_whole(text)
    for pattern, wording in _API_PHRASES:
        said = pattern.sub(wording, said)
    return said


def _api_whole(text: str) -> str:
    """The API's wording of a whole service text, else the text itself."""
    if text in _API:
        return _API[text]
    for (pattern, service), (_, web, _shapes) in zip(CLI_TEXTS, _SAID, strict=True):
        found = pattern.fullmatch(text)
        if found is None:
            continue
        wording = _API.get(service)
        if wording is None:
            if _PAGE_WORDS.search(web):
                return text  # every text that words a page has its API wording above
            wording = web
        return wording % found.groupdict()
    for pattern, wording in _API_ONLY:
        found = pattern.fullmatch(text)
        if found is not None:
            return wording % found.groupdict()
    return text

"""The values an access refusal names, in the page's language: what the actor may not do
(``%(what)s``) and who may (``%(allowed)s``, roles and phrases joined by commas).

A refusal's frame was translated and its values were not, so a Chinese page read
"无权执行此操作（claim this offer）；有权限的角色：the enterprise itself, its park
operator". Each action and role is a catalogue entry; an action that names an id or a
policy is read by its pattern (:mod:`huiqi.web.patterns`); a list of roles is split
where a new English item starts and each item translated; what is not known stays as
written."""

from __future__ import annotations

import gettext
import re

from huiqi.web.i18n import N_
from huiqi.web.patterns import refusal

# Roles as access refusals list them (huiqi.accounts.roles.Role values).
ROLES = {
    "enterprise": N_("an enterprise"),
    "park_operator": N_("a park operator"),
    "policy_author": N_("policy authors"),
    "policy_publisher": N_("policy publishers"),
    "policy_reviewer": N_("policy reviewers"),
    "finance_officer": N_("finance officers"),
    "data_steward": N_("data stewards"),
    "desk_officer": N_("desk officers"),
    "desk_head": N_("desk heads"),
    "complaint_officer": N_("complaint officers"),
    "scheduler": N_("the scheduler"),
    "admin": N_("admins"),
}

# Roles by name, one holder's (the users page's roles column, a role named in a refusal).
ROLE_NAMES = {
    "enterprise": N_("enterprise"),
    "park_operator": N_("park operator"),
    "policy_author": N_("policy author"),
    "policy_publisher": N_("policy publisher"),
    "policy_reviewer": N_("policy reviewer"),
    "desk_officer": N_("desk officer"),
    "desk_head": N_("desk head"),
    "finance_officer": N_("finance officer"),
    "data_steward": N_("data steward"),
    "complaint_officer": N_("complaint officer"),
    "scheduler": N_("scheduler (service account)"),
    "admin": N_("admin"),
}

# The account a refusal names (huiqi.accounts.access.Actor.describe): its user name and
# its roles, "complaints (complaint_officer)". QA (qa9): a Chinese page read the role's
# code, "complaints (complaint_officer) 无权执行此操作".
_WHO = re.compile(r"(?P<user>.+?) \((?P<grants>[^()]*)\)")
WHO = N_("%(user)s (%(roles)s)")
SCOPED_ROLE = N_("%(role)s: %(scope)s")
NO_ROLES = N_("no roles")

# Fixed phrases of the lists of who may (the catalogue translates them whole).
N_("the enterprise itself")
N_("its park operator")
N_("policy officers (for the policies in their scope)")
N_("desk officers with scope *")
N_("officers whose scope covers the policy")
N_("reviewers whose scope covers the policy")
N_("the desk officers of the request's department")  # huiqi.desk.visibility.NOT_YOURS
# Kinds of account named in the plural (huiqi.desk.queries, huiqi.delivery.ratings): QA
# (qa5) read "enterprises、park operators、诉求受理人员" on a Chinese page.
N_("enterprises")
N_("park operators")
N_("policy officers")
# Actions named whole.
N_("file requests")

# Actions with values in them.
ACTIONS: list[tuple[re.Pattern[str], str]] = [
    refusal(N_("see the data held about %(uscc)s")),
    refusal(N_("see %(uscc)s's near misses")),
    refusal(N_("request corrections of %(uscc)s's data")),
    refusal(N_("file requests for %(uscc)s")),
    refusal(N_("read request %(id)s")),
    refusal(N_("rate the answer to request %(id)s")),
    refusal(N_("attach files to application %(id)s")),
    refusal(N_("see job %(id)s on %(policy)s")),
    refusal(N_("edit a draft of %(policy)s")),
    refusal(N_("retire %(version)s")),
    refusal(N_("allocate %(policy)s")),
    refusal(N_("deliver %(policy)s")),
    refusal(N_("publish a new version of %(policy)s")),
    refusal(N_("publish %(policy)s")),
    refusal(N_("simulate %(policy)s")),
    refusal(N_("open %(what)s")),
    # Whatever was typed as the USCC (/requests?uscc=-1 read "read the requests of -1").
    refusal(N_("read the requests of %(uscc)s"), uscc=r"\S+"),
    # Found in English on Chinese pages (QA): a desk step on another department's request,
    # another enterprise's grant notice, application attachments, ratings and complaints.
    refusal(N_("handle request %(id)s")),
    refusal(N_("acknowledge request %(id)s")),
    refusal(N_("reply to request %(id)s")),
    refusal(N_("transfer request %(id)s")),
    refusal(N_("read the notice of grant %(id)s")),
    refusal(N_("read the attachments of application %(id)s")),
    refusal(N_("read attachment %(id)s")),
    refusal(N_("remove attachment %(id)s")),
    refusal(N_("rate grant:%(id)s")),
    refusal(N_("rate entitlement:%(id)s")),
    refusal(N_("read %(uscc)s's ratings")),
    refusal(N_("read the complaints about %(uscc)s")),
]
# Scoped roles as require_policy_scope names them.
SCOPED = refusal(N_("%(role)s with a scope covering %(where)s"), role=r"[a-z_]+", where=r".+")
DESK_OF = refusal(N_("desk officers of %(name)s"))
ONE_ENTERPRISE = refusal(N_("enterprise=%(uscc)s"))

# Actions without values.
N_("claim this offer")
N_("submit this application")
N_("export a bulk run's results")
N_("list a park's enterprises")
N_("list other users' tokens")
N_("read the dashboards' indicators")
N_("read the dashboards' totals")
N_("read the desk's statistics")
N_("read the officers' inbox")
N_("revoke other users' tokens")
N_("add users")
N_("approve applications")
N_("change users")
N_("create tokens for other users")
N_("decide correction requests")
N_("decide on flagged complainants")
N_("deliver changed enterprises")
N_("disable or enable users")
N_("download disbursement batches")
N_("edit request categories")
N_("edit routing rules")
N_("expire offers")
N_("export disbursement batches")
N_("file complaints")
N_("generate and import a population")
N_("import complaints")
N_("import registry files")
N_("list data snapshots")
N_("list disbursement batches")
N_("list policies and drafts")
N_("list users")
N_("match the whole population")
N_("rate a grant or a decision")
N_("read complaint statistics")
N_("read routing rules")
N_("read the audit log")
N_("read why payments failed")
N_("recompute grants")
N_("record payment results")
N_("reject applications")
N_("release a failed payment for re-payment")
N_("resolve review flags")
N_("review flagged complainants")
N_("run complaint detection")
N_("see publishing jobs")
N_("send notifications")
N_("simulate policies")
N_("sweep the requests desk")
N_("verify the audit log")
N_("withdraw records left open under retired versions")
N_("read this inbox")
N_("mark this inbox's messages read")
N_("read application attachments")
N_("read correction requests")
N_("read delivery records")
N_("read ratings")
N_("read requests")
N_("read the ratings dashboard")
N_("import hotline requests")
N_("act for an enterprise")
N_("read the complaints about an enterprise")
N_("handle requests")
N_("publish policies")
N_("retire policy versions")

# How the items of a list are joined: ", " in English, "、" in Chinese.
SEPARATOR = N_(", ")

# Where a new item of a list of who may starts: after a comma, a lower-case English word
# (a scope's department after "covering district 310115, " is Chinese and stays with it).
_ITEM = re.compile(r", (?=[a-z])")


def action(catalogue: gettext.NullTranslations, text: str) -> str:
    """What the actor may not do, in the catalogue's language."""
    found = catalogue.gettext(text)
    if found != text:
        return found
    for pattern, template in ACTIONS:
        match = pattern.fullmatch(text)
        if match:
            return catalogue.gettext(template) % match.groupdict()
    return text


def who(catalogue: gettext.NullTranslations, text: str) -> str:
    """The account a refusal names, its roles by their names in the catalogue's language
    (an English page keeps the codes, as the service wrote them)."""
    match = _WHO.fullmatch(text)
    if match is None:
        return text
    roles = [_grant(catalogue, grant) for grant in match["grants"].split(", ")]
    joined = catalogue.gettext(SEPARATOR).join(roles)
    return _own(catalogue, WHO, text, user=match["user"], roles=joined)


def _grant(catalogue: gettext.NullTranslations, grant: str) -> str:
    if grant == NO_ROLES:
        return _own(catalogue, NO_ROLES, grant)
    role, _, scope = grant.partition("=")
    if role not in ROLE_NAMES:
        return grant
    name = _own(catalogue, ROLE_NAMES[role], role)
    if not scope:
        return name
    kind, _, value = scope.partition(":")
    if kind == "department" and value:
        scope = value  # the department by its own name
    elif kind == "district" and value:
        scope = _own(catalogue, "district %(code)s", scope, code=value)
    return _own(catalogue, SCOPED_ROLE, grant, role=name, scope=scope)


def allowed(catalogue: gettext.NullTranslations, text: str) -> str:
    """Who may, item by item, in the catalogue's language (joined with 、 in Chinese)."""
    items = [_item(catalogue, part) for part in _ITEM.split(text)]
    return catalogue.gettext(SEPARATOR).join(items)


# A policy's place as a scope refusal names it: "city 310000", "district 310115".
_PLACE = re.compile(r"^(city|district) (\d{6})")
N_("the city")
N_("district %(code)s")


def _place(catalogue: gettext.NullTranslations, m: re.Match[str]) -> str:
    if m[1] == "city":
        return _own(catalogue, "the city", m[0])
    return _own(catalogue, "district %(code)s", m[0], code=m[2])


def _own(catalogue: gettext.NullTranslations, msgid: str, written: str, **values: str) -> str:
    """The catalogue's text for ``msgid`` where it has one; else the item as written (an
    English page keeps the codes the service wrote: finance_officer, city 310000)."""
    found = catalogue.gettext(msgid)
    return found % values if found != msgid else written


def _item(catalogue: gettext.NullTranslations, text: str) -> str:
    if text in ROLES:
        return _own(catalogue, ROLES[text], text)
    match = SCOPED[0].fullmatch(text)
    if match:
        role = match["role"]
        named = _own(catalogue, ROLES[role], role) if role in ROLES else role
        where = _PLACE.sub(lambda m: _place(catalogue, m), match["where"])
        return _own(catalogue, SCOPED[1], text, role=named, where=where)
    match = DESK_OF[0].fullmatch(text)
    if match:
        return _own(catalogue, DESK_OF[1], text, **match.groupdict())
    match = ONE_ENTERPRISE[0].fullmatch(text)
    if match:
        return _own(catalogue, ONE_ENTERPRISE[1], text, **match.groupdict())
    return catalogue.gettext(text)


# A text answer over its length (huiqi.matching.answers.check_answer): a company name on
# the correction form, a text on the policy calculator (QA: it read in English on zh pages).
N_("at most 400 characters")

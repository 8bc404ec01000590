"""What the checks of a saved draft say besides loading it, as catalogue templates for the
draft editor: the linter's warnings, what only the ledger knows (the draft's id and
version, why it is not published), an amount that can be 0.00 yuan, and how a policy's
own test case fails. Read after :mod:`huiqi.web.policy_texts`' frames."""

from __future__ import annotations

import re

from huiqi.web.i18n import N_
from huiqi.web.patterns import refusal

_FIGURE = r"-?[\d.]+"

# The linter's warnings.
CHECK_TEXTS: list[tuple[re.Pattern[str], str]] = [
    refusal(N_("%(n)s test case(s); write at least two")),
    refusal(
        N_(
            "data_year %(year)s is after the policy's last year (%(k)s): no registry has a"
            " year's figures before the year has ended, so every enterprise would need data; a"
            " policy usually judges the year before it starts (data_year: %(least)s)"
        )
    ),
    refusal(
        N_(
            "the group name %(quoted)s is not in lower-case letters, digits and hyphens: a"
            " group joins only the policies that write its name exactly alike, so write it in"
            " that form such as %(code)s, as its other policies do"
        )
    ),
    refusal(
        N_(
            "the group name %(quoted)s is not in lower-case letters, digits and hyphens: a"
            " group joins only the policies that write its name exactly alike, so write it in"
            " that form, as its other policies do"
        )
    ),
    refusal(
        N_(
            "a district policy of %(district)s would also deliver to enterprises registered in"
            " other districts (%(districts)s): no criterion limits it to its own; add a scope"
            " criterion such as district_code = %(code)s, or make it a city policy"
        )
    ),
    refusal(
        N_(
            "the label says %(percent)s but the rule uses %(value)s; a share is a fraction in a"
            " rule: write %(low)s"
        ),
        value=_FIGURE,
        low=_FIGURE,
    ),
    refusal(
        N_(
            "the label says %(wan)s元 but the rule compares with %(value)s; amounts in"
            " rules are yuan: write %(yuan)s"
        ),
        value=_FIGURE,
        yuan=_FIGURE,
    ),
    refusal(
        N_(
            "%(part)s has %(value)s where the policy's text says %(wan)s元; amounts are"
            " yuan: write %(yuan)s"
        ),
        part=r"the amount formula|[\w.]+",
        value=_FIGURE,
        yuan=_FIGURE,
    ),
]

# What only the ledger knows of a draft (huiqi.delivery.drafts).
CHECK_TEXTS += [
    # Why a draft is not published: its first lint error and its first failing test case.
    refusal(
        N_(
            "the draft of %(policy)s is not published: %(n)s lint error(s), the first:"
            " %(detail)s; %(k)s failing test case(s), the first: %(advice)s"
        ),
        policy=r"\S+",
    ),
    refusal(
        N_("the draft of %(policy)s is not published: %(n)s lint error(s), the first: %(detail)s"),
        policy=r"\S+",
    ),
    refusal(
        N_(
            "the draft of %(policy)s is not published: %(k)s failing test case(s), the first:"
            " %(detail)s"
        ),
        policy=r"\S+",
    ),
    refusal(N_("the draft of %(policy)s is not published: the draft does not load"), policy=r"\S+"),
    # A save refused (huiqi.delivery.drafts.DraftError).
    refusal(
        N_(
            "the text's id is '%(value)s', but this is the draft of '%(policy)s': write 'id:"
            " %(name)s' in the text (or start the draft of '%(title)s')"
        ),
        value=r"[^']*",
        policy=r"[^']*",
        name=r"[^']*",
        title=r"[^']*",
    ),
    refusal(
        N_("the draft has %(size)s characters; a policy file has at most %(limit)s"),
        limit=r"[\d,]+",
    ),
    refusal(
        N_(
            "this draft is for policy '%(policy)s' but its text says id '%(value)s'; a draft"
            " keeps its policy's id"
        ),
        policy=r"[^']+",
        value=r"[^']*",
    ),
    refusal(
        N_(
            "version %(n)s is published with this very text; change it and raise 'version' to"
            " publish"
        )
    ),
    refusal(
        N_(
            "version %(n)s is already published with other text; raise 'version' to publish a change"
        )
    ),
    refusal(
        N_(
            "a new policy's first draft must load (id, level, region and department say whose"
            " it is): fix the text and save again; first error: %(detail)s"
        )
    ),
]

# An eligible enterprise that can receive 0.00 yuan (huiqi.engine.zero_amounts): why, and
# what to do.
CHECK_TEXTS += [
    refusal(
        N_(
            "an enterprise that meets every criterion can receive 0.00 yuan (for example with"
            " %(value)s): %(detail)s; it is not granted, offered or notified, only recorded as"
            " 'eligible, amount 0' (zero_amount); %(advice)s"
        ),
        value=r".+?",
    ),
    refusal(
        N_(
            "an enterprise that meets every criterion can receive 0.00 yuan: %(detail)s; it is"
            " not granted, offered or notified, only recorded as 'eligible, amount 0'"
            " (zero_amount); %(advice)s"
        )
    ),
    refusal(
        N_("the formula gives %(value)s yuan, less than half a fen, which rounds to 0.00"),
        value=r"\S+",
    ),
]
N_("the formula gives 0 or less, which is 0.00 without a floor")
N_(
    "add a criterion on the least amount worth granting (e.g. the field at least 1 yuan) or a"
    " floor (amount.floor)"
)
N_(
    "add a criterion that excludes it (e.g. require the field to be above 0) or a floor"
    " (amount.floor)"
)

# An amount formula with a branch that gives no amount (huiqi.engine.open_amounts).
CHECK_TEXTS += [
    refusal(
        N_(
            "a CASE in an amount formula has no ELSE: an eligible enterprise that no WHEN"
            " fits would have no amount and be told it needs data; write ELSE 0 when it"
            " receives nothing"
        )
    ),
    refusal(
        N_(
            "an IF in an amount formula has no third argument: an eligible enterprise for"
            " which the condition does not hold would have no amount and be told it needs"
            " data; write IF(condition, amount, 0)"
        )
    ),
]

# Criteria that can never all hold (huiqi.engine.satisfiable): which, on what, and the fix.
_FIELDS = r".+?"
CHECK_TEXTS += [
    refusal(
        N_(
            "criteria %(known)s contradict each other on %(fields)s: no enterprise can meet"
            " them all, so none can be eligible; correct a threshold (amounts in rules are"
            " yuan) or the direction of a comparison, or remove the criterion that does not"
            " belong"
        ),
        fields=_FIELDS,
    ),
    refusal(
        N_(
            "criteria %(known)s contradict each other: no enterprise can meet them all, so"
            " none can be eligible; correct a threshold (amounts in rules are yuan) or the"
            " direction of a comparison, or remove the criterion that does not belong"
        )
    ),
    # Inside "criterion '…': …".
    refusal(
        N_(
            "its conditions on %(fields)s contradict each other, so it is never true and no"
            " enterprise can be eligible; correct a threshold (amounts in rules are yuan) or"
            " the direction of a comparison"
        ),
        fields=_FIELDS,
    ),
]
N_(
    "it is never true, so no enterprise can be eligible; correct a threshold (amounts in rules"
    " are yuan) or the direction of a comparison"
)

# What differs in a failing test case (one part of "…; …" each).
_STATUS = r"\w+"
CHECK_TEXTS += [
    refusal(N_("expected status %(expected)s, got %(got)s"), expected=_STATUS, got=_STATUS),
    refusal(
        N_("expected status %(expected)s, got %(got)s (failing %(ids)s)"),
        expected=_STATUS,
        got=_STATUS,
    ),
    refusal(
        N_("expected status %(expected)s, got %(got)s (unknown %(ids)s)"),
        expected=_STATUS,
        got=_STATUS,
    ),
    refusal(
        N_("expected status %(expected)s, got %(got)s (failing %(ids)s, unknown %(more_ids)s)"),
        expected=_STATUS,
        got=_STATUS,
    ),
    refusal(
        N_(
            "expected status %(expected)s, got %(got)s ('%(name)s' misses its threshold by"
            " more than its margin of %(percent)s: a near miss is within it)"
        ),
        expected=_STATUS,
        got=_STATUS,
        name=r"\w+",
    ),
    refusal(
        N_(
            "expected status %(expected)s, got %(got)s ('%(name)s' is never a near miss: only"
            " a numeric threshold (within its margin) or an attainable qualification is)"
        ),
        expected=_STATUS,
        got=_STATUS,
        name=r"\w+",
    ),
    refusal(N_("expected amount %(expected)s, got none"), expected=_FIGURE),
    refusal(N_("expected amount %(expected)s, got %(got)s"), expected=_FIGURE, got=_FIGURE),
    refusal(N_("expected failing %(ids)s, got %(got_ids)s")),
    refusal(N_("expected unknown %(ids)s, got %(got_ids)s")),
]

# The linter's warnings without values.
N_("no eligible test case with its exact amount")
N_("no test case that fails a criterion")
# What a text names (the linter: "the amount formula has …").
N_("the amount formula")
N_("amount formula")
# How the parts of a failing test case are joined: "; " in English, "；" in Chinese.
PARTS_SEPARATOR = N_("; ")

# Values a text names by their code, as the pages name them.
CASE_STATUS = {
    "eligible": N_("eligible"),
    "near_miss": N_("near miss"),
    "needs_data": N_("needs data"),
    "not_eligible": N_("not eligible"),
    "error": N_("error in evaluation"),
}

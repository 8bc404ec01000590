"""What a checked answer says in English when a value cannot be read (a correction
request's "right value", a calculator answer: :mod:`huiqi.matching.answers`), as
catalogue templates for the pages, beside those :mod:`huiqi.web.refusals` lists first.

QA (qa5): a correction of a yes/no field read "expected yes or no (true/false), got …"
in English on the Chinese form."""

from __future__ import annotations

import re

from huiqi.web.i18n import N_
from huiqi.web.patterns import refusal

ANSWER_TEXTS: list[tuple[re.Pattern[str], str]] = [
    refusal(N_("expected yes or no (true/false), got %(value)s")),
    refusal(N_("expected a number, got %(value)s")),
    refusal(N_("%(value)s is not between %(low)s and %(high)s"), value=r"\S+"),
    refusal(N_("tags are lower-case letters, digits and _; not %(ids)s")),
]

N_("expected a number, not true/false")
N_("expected tags as a list or comma-separated text, such as ai,regional_hq")

"""What the services say in English when an account may not do something (a role that is
not allowed, an enterprise outside an officer's districts) and when a typed USCC is not
one, as catalogue templates for the pages. :mod:`huiqi.web.refusals` reads them where
they stand in its list."""

from __future__ import annotations

import re

from huiqi.web.i18n import N_
from huiqi.web.patterns import refusal

ACCESS_TEXTS: list[tuple[re.Pattern[str], str]] = [
    # An access refusal (accounts.access): the sentence in the page's language, the
    # action and the roles as the service names them.
    refusal(N_("%(who)s may not %(what)s; allowed: %(allowed)s")),
    # An account of no enterprise, park or policy scope (a desk officer, a data steward)
    # opening the grants page (huiqi.delivery.listing_queries).
    refusal(N_("%(who)s may not read delivery records")),
    # A district officer asking about an enterprise of another district, or of none
    # (accounts.districts).
    refusal(
        N_(
            "%(who)s may not %(what)s: enterprise %(uscc)s is registered in district"
            " %(district)s, outside the districts you act for (%(known)s); an officer of"
            " that district or a city-wide officer may"
        )
    ),
    refusal(
        N_(
            "%(who)s may not %(what)s: enterprise %(uscc)s has no district recorded, so it"
            " is outside the districts you act for (%(known)s); a city-wide officer may"
        )
    ),
    refusal(
        N_(
            "%(who)s may not %(what)s: enterprise %(uscc)s is registered in district"
            " %(district)s, outside the region of the policies its scope covers; a city-wide"
            " officer may"
        )
    ),
    refusal(
        N_(
            "%(who)s may not %(what)s: enterprise %(uscc)s has no district recorded, so it is"
            " outside the region of the policies its scope covers; a city-wide officer may"
        )
    ),
]

USCC_TEXTS: list[tuple[re.Pattern[str], str]] = [
    # A USCC refused (huiqi.profiles.uscc.validate): typed by a park operator or an
    # officer into a form or an address.
    refusal(N_("%(code)s has %(length)s characters; a USCC has exactly 18")),
    refusal(N_("%(code)s: characters 3-8 must be a 6-digit region code")),
    refusal(N_("%(code)s: character %(n)s %(quoted)s is not allowed in a USCC")),
    refusal(
        N_(
            "%(code)s: character %(n)s %(quoted)s is not allowed in a USCC (I, O, S, V and Z"
            " are never used)"
        )
    ),
    refusal(
        N_(
            "%(code)s: character %(n)s is invisible (U+%(hex)s); delete it and keep the 18"
            " letters and digits of the code"
        ),
        hex=r"[0-9A-F]{4,}",
    ),
    refusal(
        N_(
            "%(code)s: check character is %(quoted)s but should be %(should)s; the code was"
            " probably mistyped"
        ),
        should=r"'[^']*'",
    ),
]

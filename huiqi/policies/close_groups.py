"""The exclusivity groups a lonely group's name is close to (QA, qa7).

A district officer wrote ``exclusivity_group: AI Compute`` for a compute voucher meant to
be exclusive with the city's (``ai-compute-vouchers``). Lint warned that the group had one
member "among the files checked", and that the name was not in lower-case letters and
hyphens, but not which group the policy most likely meant: the shipped library's groups,
and those of the other files linted, are named here.

Example:
    >>> close_group("AI Compute", {"ai-compute-vouchers": ["sh-compute-voucher-2026"]})
    'ai-compute-vouchers'
    >>> close_group("ai-model-vouchers", {"ai-compute-vouchers": ["sh-compute-voucher-2026"]})
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

from huiqi.policies.loader import LoadedPolicy


def _plain(name: str) -> str:
    return re.sub(r"[\s_]+", "-", name.strip().lower())


def close_group(name: str, groups: Mapping[str, list[str]]) -> str | None:
    """The group of ``groups`` whose name ``name`` most likely misspells, else None."""
    plain = _plain(name)
    others = [g for g in groups if g != name]
    for group in others:
        if _plain(group) == plain:
            return group
    # 'ai-compute' for 'ai-compute-vouchers'; a near spelling ('hte-awrd'). Not merely
    # alike: 'ai-model-vouchers' is no slip for 'ai-compute-vouchers'.
    within = [g for g in others if len(plain) >= 3 and (plain in g or _plain(g) in plain)]
    if within:
        return min(within, key=len)
    close = difflib.get_close_matches(plain, others, n=1, cutoff=0.9)
    return close[0] if close else None


def known_groups(linted: Iterable[LoadedPolicy]) -> dict[str, list[str]]:
    """Each exclusivity group of the shipped library and of the files linted, with the ids
    of its policies."""
    from huiqi.policies.loader import load_library

    groups: dict[str, list[str]] = defaultdict(list)
    seen: set[str] = set()
    for lp in [*linted, *load_library().policies]:
        p = lp.policy
        if p.exclusivity_group and f"{p.id} v{p.version}" not in seen:
            seen.add(f"{p.id} v{p.version}")
            groups[p.exclusivity_group].append(p.id)
    return dict(groups)


def close_group_hint(name: str, policy_id: str, groups: Mapping[str, list[str]]) -> str:
    """What a lonely group's warning adds: the library's other members of the group, or
    '; did you mean …' for a name close to a known group's, else ''."""
    members = sorted(set(groups.get(name, [])) - {policy_id})
    if members:
        verb = "is" if len(members) == 1 else "are"
        return f"; the shipped library's {', '.join(members)} {verb} in it too"
    meant = close_group(name, groups)
    if meant is None:
        return ""
    return f"; did you mean '{meant}' (the group of {', '.join(sorted(set(groups[meant])))})?"

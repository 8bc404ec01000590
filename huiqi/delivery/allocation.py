"""Dividing money: pro-rata shares, 就高不重复 choices and per-enterprise caps.

Pure functions over integer fen; no database, no floats. The delivery ledger
(``budget.py``, ``flows.py``) calls them inside its transactions, so each rule
here has exactly one implementation and can be tested on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from huiqi.money import format_yuan


def pro_rata(requests: Mapping[int, int], budget_fen: int) -> dict[int, int]:
    """Share ``budget_fen`` among ``requests`` (grant id → requested fen).

    Rules:

    * If the requests total at most the budget, everyone gets what they asked.
    * Otherwise each gets ``floor(budget × r / R)`` and the fen left over
      (``budget − Σ floors``, fewer than the number of requests) go one each to
      the largest fractional remainders ``(budget × r) mod R``; equal remainders
      go to the smaller grant id first. Nobody gets more than they asked, the
      shares sum to the budget exactly, and a larger request never gets less
      than a smaller one.
    * A budget of zero or less gives everyone 0.

    Raises:
        ValueError: a request is negative.

    >>> pro_rata({1: 100, 2: 200}, 1000)
    {1: 100, 2: 200}
    >>> pro_rata({1: 100, 2: 200, 3: 300}, 100)
    {1: 17, 2: 33, 3: 50}
    >>> pro_rata({3: 1, 1: 1, 2: 1}, 1)
    {1: 1, 2: 0, 3: 0}
    >>> pro_rata({}, 500), pro_rata({7: 10}, 0)
    ({}, {7: 0})
    """
    for grant_id, requested in requests.items():
        if requested < 0:
            raise ValueError(f"grant {grant_id} requests {requested} fen; requests must be >= 0")
    ids = sorted(requests)
    total = sum(requests.values())
    if budget_fen <= 0:
        return dict.fromkeys(ids, 0)
    if total <= budget_fen:
        return {i: requests[i] for i in ids}
    shares: dict[int, int] = {}
    remainders: dict[int, int] = {}
    for i in ids:
        shares[i], remainders[i] = divmod(budget_fen * requests[i], total)
    left = budget_fen - sum(shares.values())
    # Remainders share the denominator ``total``, so comparing the integers is
    # comparing the fractions exactly.
    for i in sorted(ids, key=lambda g: (-remainders[g], g))[:left]:
        shares[i] += 1
    return shares


@dataclass(frozen=True)
class Candidate:
    """One policy an enterprise qualifies for inside an exclusivity group."""

    policy_id: str
    version: int
    amount_fen: int
    entitlement_id: int | None = None
    policy_version_id: int | None = None
    title: str | None = None

    @property
    def label(self) -> str:
        name = f"{self.policy_id} v{self.version}"
        return f"{name}（{self.title}）" if self.title else name


@dataclass(frozen=True)
class Choice:
    """The candidate granted under 就高不重复, the ones set aside, and why."""

    chosen: Candidate
    set_aside: tuple[Candidate, ...]
    tie: bool
    explanation_zh: str
    explanation_en: str

    @property
    def explanation(self) -> str:
        return f"{self.explanation_zh} / {self.explanation_en}"


def choose_highest(candidates: Sequence[Candidate]) -> Choice:
    """就高不重复: grant the highest amount of a group, never several.

    Equal amounts are decided by the smaller ``policy_id`` (string order), then
    the higher ``version``, so the same inputs always give the same choice in
    any order.

    Raises:
        ValueError: no candidates, or a negative amount.

    >>> c = choose_highest([
    ...     Candidate("mh-hte-award", 1, 200_000_00),
    ...     Candidate("jd-hte-award", 2, 300_000_00),
    ... ])
    >>> c.chosen.policy_id
    'jd-hte-award'
    >>> print(c.explanation_zh)
    同组政策就高不重复：jd-hte-award v2 金额最高（300000.00 元），予以享受；不重复享受：mh-hte-award v1（200000.00 元）。
    >>> choose_highest([Candidate("b", 1, 5), Candidate("a", 1, 5)]).chosen.policy_id
    'a'
    """
    if not candidates:
        raise ValueError("choose_highest needs at least one candidate")
    for c in candidates:
        if c.amount_fen < 0:
            raise ValueError(f"{c.label} has a negative amount ({c.amount_fen} fen)")
    ranked = sorted(candidates, key=lambda c: (-c.amount_fen, c.policy_id, -c.version))
    chosen, rest = ranked[0], tuple(ranked[1:])
    tie = any(c.amount_fen == chosen.amount_fen for c in rest)
    zh = f"同组政策就高不重复：{chosen.label} 金额最高（{format_yuan(chosen.amount_fen, grouping=False)} 元），予以享受"
    en = (
        f"Exclusivity group, highest only: {chosen.label} gives the highest amount"
        f" ({format_yuan(chosen.amount_fen, grouping=False)} yuan) and is granted"
    )
    if rest:
        zh += "；不重复享受：" + "、".join(
            f"{c.label}（{format_yuan(c.amount_fen, grouping=False)} 元）" for c in rest
        )
        en += "; not also granted: " + ", ".join(
            f"{c.label} ({format_yuan(c.amount_fen, grouping=False)} yuan)" for c in rest
        )
    if tie:
        zh += "；金额相同时按政策编号、较新版本优先"
        en += "; equal amounts are decided by policy id, then the newer version"
    return Choice(chosen, rest, tie, zh + "。", en + ".")


def apply_cap(amount_fen: int, cap_fen: int | None, used_fen: int) -> int:
    """What may still be granted of ``amount_fen`` under a per-enterprise cap.

    ``cap_fen`` None means no cap. Never negative, never more than asked.

    >>> apply_cap(50_00, 100_00, 70_00), apply_cap(50_00, 100_00, 0), apply_cap(50_00, None, 9)
    (3000, 5000, 5000)
    >>> apply_cap(50_00, 100_00, 120_00)
    0
    """
    if amount_fen <= 0:
        return 0
    if cap_fen is None:
        return amount_fen
    return max(0, min(amount_fen, cap_fen - used_fen))

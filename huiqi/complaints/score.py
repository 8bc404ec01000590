"""An explainable score: points per signal, each with the sentence that explains it.

The score is the sum of the points of the signals that fire (at most 100). Each rule
is a row of ``RULES``: its name, points, and the condition over a subject's counts
(:mod:`huiqi.complaints.signals`). The same rules score complainants and clusters; a
cluster also scores for the identities it links (a shared phone or bank account is
stronger than a shared address, which relatives share too).

A score never rejects a complaint: at ``flag_score`` a complainant goes to an
officer's review queue, and nothing else changes.

Example:
    >>> import numpy as np
    >>> counts = {"n": np.array([12, 1]), "enterprises": np.array([11, 1]),
    ...           "identities": np.array([1, 1]), "small": np.array([12, 0]),
    ...           "punitive": np.array([10, 0]), "templated": np.array([9, 0]),
    ...           "burst": np.array([6, 0])}
    >>> points(counts, Thresholds())["total"].tolist()
    [95, 0]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from huiqi.complaints.signals import Thresholds

Counts = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Rule:
    name: str
    points: int
    fires: Callable[[Counts, Thresholds], np.ndarray]
    explain: Callable[[Mapping[str, int], Thresholds], str]


def _share(c: Counts, t: Thresholds, key: str) -> np.ndarray:
    n = c["n"]
    return (n >= t.min_complaints) & (c[key] >= t.share * np.maximum(n, 1))


RULES = (
    Rule(
        "many_enterprises",
        20,
        lambda c, t: (
            (c["enterprises"] >= t.many_enterprises) & (c["enterprises"] < t.very_many_enterprises)
        ),
        lambda v, t: (
            f"complained about {v['enterprises']} different enterprises"
            f" (counts from {t.many_enterprises})"
        ),
    ),
    Rule(
        "very_many_enterprises",
        30,
        lambda c, t: c["enterprises"] >= t.very_many_enterprises,
        lambda v, t: (
            f"complained about {v['enterprises']} different enterprises"
            f" (counts fully from {t.very_many_enterprises})"
        ),
    ),
    Rule(
        "small_purchases",
        15,
        lambda c, t: _share(c, t, "small"),
        lambda v, t: (
            f"{v['small']} of {v['n']} complaints are about purchases of at most"
            f" {t.small_fen // 100} yuan (purchase-then-complain)"
        ),
    ),
    Rule(
        "punitive_claims",
        20,
        lambda c, t: _share(c, t, "punitive"),
        lambda v, t: (
            f"{v['punitive']} of {v['n']} complaints demand punitive compensation"
            " (十倍/三倍赔偿) rather than redress of a harm"
        ),
    ),
    Rule(
        "templated_texts",
        20,
        lambda c, t: c["templated"] >= t.templated,
        lambda v, t: (
            f"{v['templated']} complaints are near-identical texts sent to at least"
            f" {t.template_enterprises} enterprises"
        ),
    ),
    Rule(
        "bursts",
        10,
        lambda c, t: c["burst"] >= t.burst,
        lambda v, t: f"{v['burst']} complaints within {t.burst_days} days",
    ),
    Rule(
        "shared_identities",
        10,
        lambda c, t: c["identities"] >= 2,
        lambda v, t: f"{v['identities']} identities share phones or bank accounts",
    ),
)


def points(counts: Counts, t: Thresholds) -> dict[str, np.ndarray]:
    """Each rule's points per subject, and ``total`` (capped at 100)."""
    out = {r.name: np.where(r.fires(counts, t), r.points, 0) for r in RULES}
    out["total"] = np.minimum(sum(out.values()), 100)
    return out


def reasons(values: Mapping[str, int], t: Thresholds) -> list[dict[str, object]]:
    """The signals that fire for one subject's counts: name, points, sentence."""
    one = {k: np.asarray([v]) for k, v in values.items()}
    return [
        {"signal": r.name, "points": r.points, "why": r.explain(values, t)}
        for r in RULES
        if bool(r.fires(one, t)[0])
    ]

"""The ledger form of a trace: what the ledger stores per enterprise, without the parts
every enterprise of a policy version shares (titles, labels, expressions, field
descriptions), and how a stored form is completed again from the version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_VERSION_KEYS = ("title", "delivery", "fields")
_CRITERION_KEYS = ("label", "label_en", "expression", "scope")
_AMOUNT_KEYS = ("formula", "floor", "cap")


def ledger_form(data: Mapping[str, Any]) -> dict[str, Any]:
    """A trace's JSON without the parts every enterprise of its version shares.

    >>> full = {"policy_id": "p", "version": 1, "status": "eligible", "title": {"zh": "t"},
    ...         "criteria": [{"id": "a", "label": "甲", "state": "met", "values": {}}],
    ...         "amount": {"formula": "1", "values": {}, "amount_fen": 100}, "fields": {}}
    >>> ledger_form(full)["criteria"], "title" in ledger_form(full)
    ([{'id': 'a', 'state': 'met', 'values': {}}], False)
    """
    out = dict(data)
    for key in _VERSION_KEYS:
        out.pop(key, None)
    out["criteria"] = [
        {k: v for k, v in c.items() if k not in _CRITERION_KEYS} for c in data["criteria"]
    ]
    amount = dict(data["amount"])
    for key in _AMOUNT_KEYS:
        amount.pop(key, None)
    out["amount"] = amount
    return out


def complete(stored: Mapping[str, Any], template: Mapping[str, Any]) -> dict[str, Any]:
    """A stored ledger form with its version's shared parts put back from ``template``
    (a full trace of the same policy version, e.g. from explaining any enterprise).

    Raises:
        ValueError: the template is a trace of another policy version.
    """
    same = ("policy_id", "version")
    if any(stored.get(k) != template.get(k) for k in same):
        raise ValueError(
            f"template is {template.get('policy_id')} v{template.get('version')}, the stored"
            f" trace {stored.get('policy_id')} v{stored.get('version')}"
        )
    out = dict(stored)
    for key in ("title", "delivery"):
        out.setdefault(key, template.get(key))
    # A version's criteria come in the same order in every trace of it.
    shared = template.get("criteria", [])
    criteria = stored.get("criteria", [])
    if [c.get("id") for c in shared] != [c.get("id") for c in criteria]:
        raise ValueError("the template's criteria are not the stored trace's")
    out["criteria"] = [
        {**{k: s.get(k) for k in _CRITERION_KEYS}, **c}
        for s, c in zip(shared, criteria, strict=True)
    ]
    amount = template.get("amount", {})
    out["amount"] = {**{k: amount.get(k) for k in _AMOUNT_KEYS}, **stored.get("amount", {})}
    columns = set(out["amount"].get("values", {}))
    for c in out["criteria"]:
        columns |= set(c.get("values", {}))
    fields = template.get("fields", {})
    out.setdefault("fields", {c: fields[c] for c in sorted(columns) if c in fields})
    return out

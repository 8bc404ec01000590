"""The conditions of a review flag as ``huiqi records`` prints them.

A record flagged as no longer eligible keeps the criteria its enterprise fails on the
snapshot that flagged it (``huiqi.delivery.lost_criteria``): each is printed under the
record's reason, a threshold with the enterprise's figure against it and by how much it
misses it, in English with the Chinese beside it, as ``huiqi explain`` prints a gap::

    fails revenue · 营业收入不低于1000万元: Revenue 7,000,000 yuan, >= 10,000,000 yuan
    required: short by 3,000,000 yuan (营业收入 700 万元，要求不低于 1,000 万元，还差 300 万元)

Plain text (the table escapes it): no SQLAlchemy, so the quick path stays quick.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NOT_RECORDED = "(the conditions were not recorded for this flag)"


def flag_conditions(match_status: str, review_criteria: Mapping[str, Any] | None) -> list[str]:
    """The lines that say why a record is flagged as no longer eligible (none for a record
    that is not, ``match_status`` being its match as it is now)."""
    if match_status != "not_eligible":
        return []
    if review_criteria is None:
        return [NOT_RECORDED]
    if review_criteria.get("status") == "absent":
        return [f"the enterprise is not in snapshot {review_criteria.get('snapshot_id')}"]
    lines = [_criterion(c) for c in review_criteria.get("criteria") or ()]
    judged_by = review_criteria.get("version")
    if judged_by is not None:
        # An earlier version's record, judged by the policy's newest version (earlier_flags).
        lines.insert(0, f"under v{judged_by}, the policy's newest version:")
    return lines


def _criterion(c: Mapping[str, Any]) -> str:
    unknown = c.get("state") == "unknown"
    head = f"{'no data for' if unknown else 'fails'} {c.get('id')} · {c.get('label', '')}"
    gap = c.get("gap")
    if gap:
        text = gap.get("text") or {}
        return f"{head}: {text.get('en', '')} ({text.get('zh', '')})"
    fields = c.get("fields") or {}
    values = [_value(fields.get(col) or {}, col, v) for col, v in (c.get("values") or {}).items()]
    if c.get("withheld"):
        values.append("a personal value, not shown")
    return f"{head}: {'; '.join(values)}" if values else head


def _value(field: Mapping[str, Any], column: str, value: Any) -> str:
    label = field.get("label") or column
    year = f" {field['year']}" if field.get("year") else ""
    if value is None:
        return f"{label}{year} not known"
    unit = f" {field['unit']}" if field.get("unit") else ""
    return f"{label}{year} = {value}{unit}"

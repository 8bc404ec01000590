"""The desk's errors: one class per concept, each a HuiqiError."""

from __future__ import annotations

from huiqi.errors import HuiqiError


class DeskError(HuiqiError):
    """A request, reply, transfer, rating or rule that cannot be recorded as asked."""


class RoutingError(DeskError):
    """A routing rule or category that is not well formed."""

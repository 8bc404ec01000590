"""The desk's errors: one class per concept, each a HuiqiError."""

from __future__ import annotations

from huiqi.errors import HuiqiError, StateConflict


class DeskError(HuiqiError):
    """A request, reply, transfer, rating or rule that cannot be recorded as asked."""


class DeskConflict(DeskError, StateConflict):
    """A request in a state that does not allow the step (acknowledged already, closed, rated
    already, already with that department)."""


class RoutingError(DeskError):
    """A routing rule or category that is not well formed."""


class UnknownCategory(RoutingError):
    """A request filed under a category code the desk does not have: on the command line a
    mistyped option value, wrong usage (exit 2, the categories named), as any other."""

    exit_code = 2


class UnknownDepartment(DeskError):
    """A transfer to a department the desk does not have: on the command line a mistyped
    option value (``--to``), wrong usage (exit 2, the departments named), as a mistyped
    category is."""

    exit_code = 2

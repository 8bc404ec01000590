"""The exception tree. Every error a user can cause is a HuiqiError.

A message says what happened, what was expected, and what to do. Where the
error is in a file, ``location`` says where (file, line, column, field), and
``str(err)`` starts with it so that a CLI prints one useful line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar


@dataclass(frozen=True)
class Location:
    """Where in an input something went wrong. Lines and columns are 1-based."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)


class HuiqiError(Exception):
    """Root of every error huiqi raises on purpose."""

    exit_code = 1
    # The one field of a request the refusal is about (a body field or a query parameter,
    # as the API names it: "reason", "amount_yuan", "uscc"), for a program to show the
    # message beside it; None when it is about no single field. Not part of the message.
    field: str | None = None

    def __init__(
        self,
        message: str,
        *,
        location: Location | None = None,
        more: tuple[HuiqiError, ...] = (),
        field: str | None = None,
    ) -> None:
        self.message = message
        self.location = location
        if field is not None:
            self.field = field
        # The input's other problems found in the same pass (every invalid field of a
        # policy or a dictionary file), so that one run lists them all.
        self.more = more
        super().__init__(f"{location}: {message}" if location and str(location) else message)

    @property
    def all(self) -> tuple[HuiqiError, ...]:
        """This problem and the others found with it, in file order."""
        return (self, *self.more)


class ConfigError(HuiqiError):
    """A setting is missing or wrong."""


class DictionaryError(HuiqiError):
    """The data dictionary or a code list is malformed."""


class PeriodError(HuiqiError):
    """A period (year, date) could not be parsed."""


class ImportRowError(HuiqiError):
    """One row of an import file is invalid (kept as a reject, never raised to the top)."""


class MappingError(HuiqiError):
    """A column-mapping file is malformed (file, line, column say where)."""


class ImportFileError(HuiqiError):
    """An import file cannot be read at all (wrong format, missing mapping, unreadable)."""


class PolicyError(HuiqiError):
    """A policy file is malformed or fails a check.

    ``more`` holds the file's other problems found in the same pass (every invalid
    field, every criterion that does not compile), so that ``huiqi policy lint``
    lists them all at once instead of one per run.
    """


class PolicyChecksFailed(PolicyError):
    """Publishing refused a policy that lint reports errors in (it reaches other
    districts, its criteria can never all hold) or whose own test cases fail: the checks
    found problems (exit 4)."""

    exit_code = 4


class RuleCompileError(PolicyError):
    """A criterion or amount expression is refused by the compiler."""


class PolicyTestFailure(HuiqiError):
    """A policy's own test case did not give the expected result."""


class StoreError(HuiqiError):
    """The profile store is missing, empty, or in an unexpected state."""


class DatabaseBusy(HuiqiError):
    """No database connection or lock could be had in time; nothing was changed, so the same
    request can simply be made again. ``kind`` is (what happened, what to do)."""

    def __init__(self, message: str, *, kind: tuple[str, str] = ("", "")) -> None:
        super().__init__(message)
        self.kind = kind


class DatabaseUnavailable(HuiqiError):
    """The database cannot be reached or refuses the connection (wrong URL, down, no access)."""


class NotFoundError(HuiqiError):
    """An enterprise, policy or snapshot that was asked for does not exist."""

    exit_code = 3


class TooLarge(HuiqiError):
    """An input (an uploaded file, a request body) larger than is accepted; the message
    names the limit (the web answers 413)."""


class AccountError(HuiqiError):
    """An account operation cannot be done as asked."""


class StateConflict(HuiqiError):
    """A well-formed request that the current state of what it acts on does not allow:
    an offer already claimed or expired, a record already decided, rated or submitted, an
    application no longer open, a job already running. Asking again with other input does
    not help; the state must change first (the web answers 409, always)."""


_Problem = TypeVar("_Problem", bound=HuiqiError)


def first_of(problems: Sequence[_Problem], kind: type[_Problem]) -> _Problem:
    """The first of a file's problems, as a ``kind`` saying how many follow, with the others
    in ``more`` (lint and 'huiqi mapping check' list every one); the problem itself when it
    is the only one."""
    first, more = problems[0], len(problems) - 1
    if not more:
        return first
    return kind(
        f"{first.message} ({more} more problem{'s' if more > 1 else ''} after this one)",
        location=first.location,
        more=tuple(problems[1:]),
    )

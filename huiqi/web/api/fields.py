"""Constraints shared by the API's request bodies."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from huiqi.delivery.freetext import is_blank
from huiqi.errors import HuiqiError
from huiqi.web.errors import status_of


class RequestBody(BaseModel):
    """A JSON body the API reads: a field it does not take is a 422 naming it (``loc``
    ``["body", name]``), as an unknown query parameter is (huiqi.web.api.queryparams).
    Regression: only the users' and complaints' bodies refused one; the others ignored it,
    so a misspelt optional field (``{"reson": ...}`` to a withdrawal, ``"policyid"`` to a
    request, ``"attested": true`` to a claim) was dropped without a word."""

    model_config = ConfigDict(extra="forbid")


def _written(value: str) -> str:
    if is_blank(value):
        raise ValueError("only spaces: write the reason, which is kept in the audit trail")
    return value


# A free-text reason (a rejection, a decision, a correction) must say something: text of
# spaces only is a 422 naming the field, as an empty one is (it was a 409 from the service),
# and so is one of invisible characters alone (a zero-width space), which str.strip keeps.
NotBlank = AfterValidator(_written)


def _not_a_boolean(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("write a whole number, not true or false")
    return value


# A whole number in a JSON body is a JSON number: pydantic's lax mode read true as 1 and
# false as 0, so {"stars": true} rated an answer 1 star (which reopens a request) and
# {"grant_id": true} named grant 1. Text such as "4" (a multipart form's field) stays read.
NotBoolean = BeforeValidator(_not_a_boolean)


def _no_control(value: str | None) -> str | None:
    if value is not None and any(unicodedata.category(c).startswith("C") for c in value):
        raise ValueError("cannot hold control characters")
    return value


# A name or filter the stores hold as typed (a user name, an audit log's kind or actor): a
# control character is a 422 naming the field, not a lookup that finds nothing (or a NUL
# that PostgreSQL refuses to compare: a server error).
NoControl = AfterValidator(_no_control)


@contextmanager
def refusing(field: str) -> Iterator[None]:
    """Inside it, a service's refusal of a value (a 400 that names no field of its own) is
    about the request's ``field``: the JSON refusal names it (docs/api.md "Status codes").
    A refusal of another kind (403, 404, 409) is about no field and passes unchanged."""
    try:
        yield
    except HuiqiError as exc:
        if exc.field is None and status_of(exc) == 400:
            exc.field = field
        raise

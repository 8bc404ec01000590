"""What a call's access rested on beyond the account's roles: data that may change.

Most access is the roles' alone (an enterprise's USCC, a policy scope against a policy
version, which never changes). Some rests on data as well: a park operator acts for an
enterprise while the registries place it in the park (:func:`huiqi.accounts.access.acts_for`),
a desk officer of a department handles a request while the request is with that
department (:mod:`huiqi.desk.visibility`). An answer kept for a repeat
(:mod:`huiqi.accounts.idempotent_calls`) is given again only while both still hold: the
roles (``Call.grants``) and what the call relied on, noted here as it was checked.

* :func:`noting` collects, for one call, what its checks relied on (a list shared with
  the threads the call runs its work in: a context variable's value is copied into them);
* a check that let the actor through on such data says so with :func:`note`
  (``("enterprise", uscc)``, ``("request", id)``); outside :func:`noting` it does nothing;
* :func:`lost` checks them again now: each kind has a check, registered by the module
  that owns the data (:func:`register`); a kind with none counts as lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from huiqi.accounts.access import Actor

Relied = tuple[str, str]  # (kind, subject): ("enterprise", a USCC), ("request", an id)
Check = Callable[["Session", "Actor", str], bool]

_NOTED: ContextVar[list[Relied] | None] = ContextVar("huiqi_relied", default=None)
_CHECKS: dict[str, Check] = {}


@contextmanager
def noting() -> Iterator[list[Relied]]:
    """Collect what the checks made until the block ends relied on."""
    noted: list[Relied] = []
    token = _NOTED.set(noted)
    try:
        yield noted
    finally:
        _NOTED.reset(token)


def note(kind: str, subject: str) -> None:
    """A check let the actor through on ``subject``'s data (of ``kind``)."""
    noted = _NOTED.get()
    if noted is not None and (kind, subject) not in noted:
        noted.append((kind, subject))


def register(kind: str, check: Check) -> None:
    """``check(session, actor, subject)``: whether the actor may still read ``subject``."""
    _CHECKS[kind] = check


def lost(session: Session, actor: Actor, relied: Iterable[Relied]) -> list[str]:
    """What of ``relied`` the actor may no longer read, as "kind subject" (none: all held)."""
    gone: list[str] = []
    for kind, subject in relied:
        check = _CHECKS.get(kind)
        if check is None or not check(session, actor, subject):
            gone.append(f"{kind} {subject}")
    return gone

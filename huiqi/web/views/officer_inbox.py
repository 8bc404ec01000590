"""The officer console's inbox: the requests desk's reminders (to a department's desk
officers) and escalations (to its heads), each linking to its request, marked read one
by one. :mod:`huiqi.desk.inbox` checks the role and that a message is the reader's own."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.db.engine import reading, transaction
from huiqi.desk.inbox import mark_read, officer_inbox
from huiqi.web.deps import Factory, SignedIn, actor_of
from huiqi.web.render import page
from huiqi.web.views.forms import Form

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]
SHOWN = 200  # the newest messages on the page


@router.get("/console/inbox")
def inbox_page(
    request: Request, factory: Factory, who: SignedIn, unread: Literal["", "1"] = ""
) -> Response:
    """The newest messages, or (``unread=1``) the unread ones: another value is refused
    by the page's address check (``unread=0`` showed the unread ones only)."""
    with reading(factory) as s:
        rows = officer_inbox(s, actor=actor_of(who), unread_only=bool(unread), limit=SHOWN)
    context = {"messages": rows, "unread_only": bool(unread)}
    return page(request, "console_inbox.html", context)


@router.post("/console/inbox/{message_id}/read")
def read(factory: Factory, who: SignedIn, message_id: Id, form: Form) -> Response:
    with transaction(factory) as s:
        mark_read(s, actor=actor_of(who), message_id=message_id)
    return RedirectResponse(f"/console/inbox#message-{message_id}", status_code=303)

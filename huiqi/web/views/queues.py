"""What the console's review queues share: a page listing what waits (with a form per
item, its error and typed reason kept when a decision is refused) and the decision
posted from it: one of two choices with a reason, one service call, then back to the
queue saying what was done.

Each queue (applications, corrections, flagged records, flagged complainants) names its
template, its address and how it reads its rows; the service functions check access."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor
from huiqi.db.engine import reading
from huiqi.delivery.freetext import is_blank
from huiqi.errors import HuiqiError
from huiqi.web.console_pages import require_page
from huiqi.web.deps import Factory, Who, actor_of
from huiqi.web.errors import status_of
from huiqi.web.render import page


@dataclass(frozen=True)
class Queue:
    template: str
    path: str  # the queue's page, where a decision returns
    # The page's context from one read: at least "rows".
    read: Callable[[Session, Actor], dict[str, Any]]

    def page(
        self,
        request: Request,
        factory: Factory,
        who: Who,
        errors: dict[int, str] | None = None,
        reasons: dict[int, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        """The queue, with the error and the typed reason of a refused decision, if any.
        Only for the staff the console offers it to: an enterprise, whose own rows the
        services would list, is not shown an officer's queue with its decision forms."""
        actor = actor_of(who)
        require_page(actor, self.path)
        with reading(factory) as s:
            context = self.read(s, actor)
        context |= {
            "errors": errors or {},
            "reasons": reasons or {},
            "done": request.query_params.get("done"),
            "done_id": request.query_params.get("id"),
        }
        return page(request, self.template, context, status_code=status_code)

    def done(self, what: str, item_id: int) -> Response:
        return RedirectResponse(f"{self.path}?done={what}&id={item_id}", status_code=303)

    def decide(
        self,
        request: Request,
        factory: Factory,
        who: Who,
        item_id: int,
        form: Mapping[str, str],
        *,
        choices: Mapping[str, str],
        unchosen: str,
        no_reason: str,
        act: Callable[[Actor, str, str], object],
        refused: tuple[type[HuiqiError], ...],
        allowed: Callable[[Actor], None] | None = None,
    ) -> Response:
        """One decision from the queue: ``choices`` maps each accepted ``decision`` to what
        the queue then says was done; ``act(actor, decision, reason)`` makes it. Without a
        choice or a reason (``unchosen``, ``no_reason``: messages in the catalogue), or when
        the service refuses it, the queue again with the error beside the item (400; 409
        when the item's state does not allow it, as the API answers). ``allowed(actor)``,
        the service's role check, comes first for a queue whose readers are not all
        deciders: a role that may not decide at all is refused (403) whatever it posted,
        not shown the form's error (400)."""
        if allowed is not None:
            allowed(actor_of(who))
        choice = form.get("decision", "")
        reason = form.get("reason", "").strip()
        error: str | None = None
        status = 400
        if choice not in choices:
            error = unchosen
        elif is_blank(reason):  # spaces, or a zero-width space: the service's refusal too
            error = no_reason
        else:
            try:
                act(actor_of(who), choice, reason)
            except refused as exc:
                error, status = str(exc), status_of(exc)
        if error is not None:
            return self.page(request, factory, who, {item_id: error}, {item_id: reason}, status)
        return self.done(choices[choice], item_id)

"""A grant's notice (告知书) as a PDF download, from the grants page and the API.
``delivery.notice.grant_notice`` decides who may read it; this only renders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import Actor
from huiqi.db.engine import reading
from huiqi.delivery.notice import grant_notice
from huiqi.delivery.noticepdf import filename, render_notice
from huiqi.web.deps import Factory, SignedIn, actor_of

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]


def notice_response(factory: sessionmaker[Session], actor: Actor, grant_id: int) -> Response:
    """The notice of one grant as a PDF attachment (read, then rendered outside the
    transaction)."""
    with reading(factory) as s:
        notice = grant_notice(s, actor=actor, grant_id=grant_id)
    return Response(
        render_notice(notice),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename(notice)}"'},
    )


@router.get("/grants/{grant_id}/notice.pdf")
def notice_pdf(factory: Factory, who: SignedIn, grant_id: Id) -> Response:
    return notice_response(factory, actor_of(who), grant_id)

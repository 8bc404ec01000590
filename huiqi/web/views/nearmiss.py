""" "Almost eligible" (差一点): the policies the enterprise misses by one figure it can
change, with the gap in numbers, computed on demand by ``matching.nearmiss.near_misses``
(which checks who may see them)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from huiqi.db.engine import reading
from huiqi.matching.nearmiss import near_misses
from huiqi.profiles.dictionary import load_dictionary
from huiqi.web.deps import AppSettings, Factory, SignedIn, actor_of
from huiqi.web.portal import enterprise_of
from huiqi.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/almost")
def almost_page(
    request: Request, settings: AppSettings, factory: Factory, who: SignedIn, uscc: str = ""
) -> Response:
    code = enterprise_of(who, uscc)
    with reading(factory) as s:
        found = near_misses(settings, s, actor=actor_of(who), uscc=code)
    return page(
        request,
        "almost.html",
        {"misses": found, "uscc": code, "registries": load_dictionary().registries},
    )

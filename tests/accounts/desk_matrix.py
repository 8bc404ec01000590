"""The requests desk's rows of the access matrix, and the requests they act on: one open
request of enterprise A with a file, and one answered (to rate), both with 市财政局."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor
from huiqi.db.engine import transaction
from huiqi.desk.models import DeskAttachment, DeskRequest

DEPARTMENT, ELSEWHERE = "市财政局", "市科委"
SCOPES = {
    "desk_officer": (f"department:{DEPARTMENT}", f"department:{ELSEWHERE}"),
    "desk_head": (f"department:{DEPARTMENT}", f"department:{ELSEWHERE}"),
}
DESK = {"desk_officer": "own", "desk_head": "own"}
DESK_BOTH = {"desk_officer": "both", "desk_head": "both"}


def seed(session: Session, uscc: str) -> dict[str, int]:
    """The desk's requests for the matrix: ids by name."""
    day = dt.date(2026, 3, 2)
    made = {}
    for name, status in (("desk_open", "open"), ("desk_answered", "answered")):
        req = DeskRequest(
            uscc=uscc,
            category="funding",
            text="资金何时到账",
            department=DEPARTMENT,
            status=status,
            channel="portal",
            filed_by="seed",
            filed_on=day,
            ack_due=day,
            answer_due=day,
            reopened=0,
            reply="已拨付" if status == "answered" else None,
        )
        session.add(req)
        session.flush()
        made[name] = req.id
    file = DeskAttachment(
        request_id=made["desk_open"],
        filename="a.pdf",
        content_type="application/pdf",
        size=9,
        sha256="0" * 64,
        content=b"%PDF-1.4\n",
        uploaded_by="seed",
    )
    session.add(file)
    session.flush()
    made["desk_file"] = file.id
    return made


def rows(
    uscc: str, self_: dict[str, str]
) -> dict[str, tuple[Callable[[Any, Actor], Any], dict[str, str]]]:
    from huiqi.desk import (
        categories,
        closing,
        context,
        filing,
        handling,
        hotline,
        queries,
        rating,
        routing,
        stats,
        sweep,
    )

    def tx(
        fn: Callable[..., Any], *, settings: bool = False, **kw: Any
    ) -> Callable[[Any, Actor], Any]:
        def call(w: Any, actor: Actor) -> Any:
            ids = w.desk
            args = {k: ids[v] if isinstance(v, str) and v in ids else v for k, v in kw.items()}
            with transaction(w.factory) as s:
                if settings:
                    return fn(w.settings, s, actor=actor, **args)
                return fn(s, actor=actor, **args)

        return call

    readers = {**self_, **DESK}
    return {
        "huiqi.desk.filing.file_request": (
            tx(filing.file_request, uscc=uscc, category="funding", text="资金何时到账"),
            self_,
        ),
        "huiqi.desk.queries.get_request": (
            tx(queries.get_request, request_id="desk_open"),
            readers,
        ),
        "huiqi.desk.queries.get_attachment": (
            tx(queries.get_attachment, attachment_id="desk_file"),
            readers,
        ),
        "huiqi.desk.queries.list_requests": (
            # Naming another enterprise is refused, as every listing refuses it.
            tx(queries.list_requests, uscc=uscc),
            {"enterprise": "own", "park_operator": "own", **DESK_BOTH},
        ),
        "huiqi.desk.context.policy_context": (
            tx(context.policy_context, settings=True, request_id="desk_open"),
            readers,
        ),
        "huiqi.desk.handling.acknowledge": (
            tx(handling.acknowledge, request_id="desk_open"),
            DESK,
        ),
        "huiqi.desk.handling.reply": (
            tx(handling.reply, request_id="desk_open", text="已办理"),
            DESK,
        ),
        "huiqi.desk.handling.transfer": (
            # To no department: refused after the access check, so the request stays put.
            tx(handling.transfer, request_id="desk_open", department="无此局", reason="转"),
            DESK,
        ),
        "huiqi.desk.closing.withdraw": (
            tx(closing.withdraw, request_id="desk_open"),
            self_,
        ),
        "huiqi.desk.closing.close": (
            tx(closing.close, request_id="desk_open", reason="重复诉求"),
            DESK,
        ),
        "huiqi.desk.rating.rate": (
            tx(rating.rate, request_id="desk_answered", stars=4),
            self_,
        ),
        "huiqi.desk.sweep.sweep": (tx(sweep.sweep), {"scheduler": "both"}),
        "huiqi.desk.stats.desk_stats": (tx(stats.desk_stats), DESK_BOTH),
        "huiqi.desk.hotline.import_hotline": (
            lambda w, a: tx(hotline.import_hotline, path=w.settings.data_dir / "missing.csv")(w, a),
            {"data_steward": "both"},
        ),
        "huiqi.desk.categories.set_category": (
            tx(
                categories.set_category,
                code="matrix",
                label_zh="矩阵",
                label_en="Matrix",
                department=DEPARTMENT,
                ack_days=1,
                answer_days=5,
            ),
            {"admin": "both"},
        ),
        "huiqi.desk.routing.add_rule": (
            tx(routing.add_rule, department=DEPARTMENT, keywords="资金"),
            {"admin": "both"},
        ),
        "huiqi.desk.routing.disable_rule": (
            tx(routing.disable_rule, rule_id=10**6),
            {"admin": "both"},
        ),
        "huiqi.desk.routing.list_rules": (tx(routing.list_rules), {"admin": "both", **DESK_BOTH}),
    }

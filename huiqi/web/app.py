"""The application factory: settings and database as every command uses them, the pages,
the JSON API with its OpenAPI document (``/api/v1/openapi.json``), and
the vendored static files (nothing is fetched from elsewhere at run time)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from huiqi import __version__
from huiqi.accounts.oidc import OidcClient
from huiqi.config import Settings, get_settings
from huiqi.db.engine import open_database
from huiqi.engine.duckdb.held import HeldFrame
from huiqi.jobs import runner
from huiqi.profiles.dictionary import use_data_dir
from huiqi.web import error_schema, errors, idempotent, refused_forms
from huiqi.web.api import attachments as attachments_api
from huiqi.web.api import audit as audit_api
from huiqi.web.api import calculator, services, v1
from huiqi.web.api import complaints as complaints_api
from huiqi.web.api import desk as desk_api
from huiqi.web.api import finance as finance_api
from huiqi.web.api import imports as imports_api
from huiqi.web.api import jobs as jobs_api
from huiqi.web.api import policies as policies_api
from huiqi.web.api import users as users_api
from huiqi.web.api.queryparams import known_query
from huiqi.web.bodylimit import BodyLimit
from huiqi.web.deps import access_first, page_first
from huiqi.web.idempotent import idempotency_first
from huiqi.web.settings import WebSettings
from huiqi.web.views import (
    attachments,
    audit_page,
    auth,
    calculator_page,
    catalogue,
    complaints_console,
    complaints_pages,
    console,
    dashboard,
    desk_console,
    finance_page,
    imports_page,
    jobs_page,
    mydata,
    nearmiss,
    notice,
    officer_inbox,
    oidc,
    policies_page,
    portal,
    ratings,
    requests,
    simulate_page,
    tokens_page,
    users_page,
)

# Scripts and styles only from this site: htmx and ECharts are vendored under /static.
# (Inline style attributes are allowed: ECharts writes its tooltips with them.)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
        " img-src 'self' data:;"
        " frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    # Jobs this worker process still runs die with it: shown as interrupted at once.
    runner.abandon(app.state.factory)


# Every /api/v1 endpoint's, in order: who may call it, its query, then its Idempotency-Key.
API_CHECKS = [Depends(access_first), Depends(known_query), Depends(idempotency_first)]
PAGE_CHECKS = [Depends(page_first)]  # the console's pages: their roles before their address


def create_app(
    settings: Settings | None = None,
    factory: sessionmaker[Session] | None = None,
    web: WebSettings | None = None,
) -> FastAPI:
    """The portal over the data directory and database of ``settings`` (default: the
    environment's, as ``huiqi serve`` passes them to each worker process)."""
    chosen = settings or get_settings()
    use_data_dir(chosen.data_dir)  # the office's own dictionary fields, as for the CLI
    app = FastAPI(
        title="huiqi API",
        version=__version__,
        description="惠企 huiqi: the policy catalogue, and an enterprise's records, grants,"
        " claims, inbox and explanations. Authenticate with `Authorization: Bearer <API"
        " token>` (`huiqi token create`), or the portal's session cookie with the"
        " `X-CSRF-Token` header on writes.",
        openapi_url="/api/v1/openapi.json",
        lifespan=_lifespan,
        docs_url=None,  # Swagger UI would load its scripts from a CDN
        redoc_url=None,
    )
    app.state.settings = chosen
    app.state.factory = factory or open_database(chosen)
    app.state.web = web or WebSettings.from_env()
    app.state.oidc = OidcClient(app.state.web.oidc) if app.state.web.oidc else None
    # The latest snapshot's frame, kept between simulations (matching.simulate).
    hold = app.state.web.simulation_hold_minutes
    app.state.held_frame = HeldFrame(idle_seconds=hold * 60) if hold else None
    errors.install(app)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = idempotent.describe(error_schema.describe_errors(generate()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.include_router(v1.router, dependencies=API_CHECKS)
    app.include_router(services.router, dependencies=API_CHECKS)
    app.include_router(desk_api.router, dependencies=API_CHECKS)
    app.include_router(complaints_api.router, dependencies=API_CHECKS)
    app.include_router(finance_api.router, dependencies=API_CHECKS)
    app.include_router(users_api.router, dependencies=API_CHECKS)
    app.include_router(audit_api.router, dependencies=API_CHECKS)
    app.include_router(imports_api.router, dependencies=API_CHECKS)
    app.include_router(attachments_api.router, dependencies=API_CHECKS)
    app.include_router(policies_api.router, dependencies=API_CHECKS)
    app.include_router(jobs_api.router, dependencies=API_CHECKS)
    app.include_router(calculator.router, dependencies=API_CHECKS)
    app.include_router(auth.router)
    app.include_router(oidc.router)
    app.include_router(catalogue.router)
    app.include_router(calculator_page.router)
    app.include_router(portal.router)
    app.include_router(mydata.router)
    app.include_router(ratings.router)
    app.include_router(notice.router)
    app.include_router(attachments.router)
    app.include_router(nearmiss.router)
    app.include_router(console.router, dependencies=PAGE_CHECKS)
    app.include_router(complaints_console.router, dependencies=PAGE_CHECKS)
    app.include_router(complaints_pages.router, dependencies=PAGE_CHECKS)
    app.include_router(dashboard.router, dependencies=PAGE_CHECKS)
    app.include_router(simulate_page.router, dependencies=PAGE_CHECKS)
    app.include_router(requests.router)
    app.include_router(desk_console.router, dependencies=PAGE_CHECKS)
    app.include_router(officer_inbox.router, dependencies=PAGE_CHECKS)
    app.include_router(policies_page.router, dependencies=PAGE_CHECKS)
    app.include_router(jobs_page.router)
    app.include_router(imports_page.router, dependencies=PAGE_CHECKS)
    app.include_router(finance_page.router, dependencies=PAGE_CHECKS)
    app.include_router(users_page.router, dependencies=PAGE_CHECKS)
    app.include_router(tokens_page.router, dependencies=PAGE_CHECKS)
    app.include_router(audit_page.router, dependencies=PAGE_CHECKS)
    app.mount("/static", StaticFiles(packages=[("huiqi.web", "static")]), name="static")
    idempotent.install(app)  # inside the body limit: what it reads ahead is bounded
    app.add_middleware(BodyLimit, files=app.state.web.max_upload_bytes)

    @app.middleware("http")
    async def refused_forms_by_get(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Post/Redirect/Get for every refused page form (huiqi.web.refused_forms).
        if request.method == "GET" and refused_forms.PARAM in request.query_params:
            return await run_in_threadpool(refused_forms.shown, request)
        response = await call_next(request)
        if request.method == "POST":
            return await refused_forms.redirect_refused(request, response)
        return response

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app

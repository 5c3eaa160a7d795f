"""The ASGI application: API under /v1, OpenAPI at /openapi.json, docs at /docs."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from caregate import __version__
from caregate.api import problems
from caregate.api.middleware import EdgeMiddleware
from caregate.api.routers import (
    auth,
    checks,
    lookup,
    members,
    money,
    operations,
    orgs,
    patients,
    practice,
    roles,
    sessions,
    structure,
)
from caregate.service.context import Services

DESCRIPTION = """Access control for clinic software: organisations, teams, locations, members and roles,
sharing, security policy and audit, around one decision engine.

Authenticate with `POST /v1/auth/login`, then send `Authorization: Bearer <token>`. Errors are
`application/problem+json` with a `detail` a person can act on."""


def create_app(services: Services) -> FastAPI:
    app = FastAPI(title="caregate", version=__version__, description=DESCRIPTION,
                  openapi_url="/openapi.json", docs_url="/docs", redoc_url=None)
    app.state.services = services
    problems.install(app)
    for module in (auth, orgs, members, roles, structure, checks, sessions, patients, practice, money, operations,
                   lookup):
        app.include_router(module.router, prefix="/v1")

    @app.get("/healthz", tags=["operations"], summary="Liveness and database reachability")
    def healthz() -> dict[str, str]:
        with services.unit(write=False) as uow:
            uow.session.connection()
        return {"status": "ok", "version": __version__}

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    app.add_middleware(EdgeMiddleware, max_body_bytes=services.settings.max_body_bytes,
                       hsts=services.settings.public_url.startswith("https://"))
    return app

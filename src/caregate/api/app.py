"""The ASGI application: API under /v1, OpenAPI at /openapi.json, docs at /docs, the console at /."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from caregate import __version__, web
from caregate.api import deps, problems
from caregate.api.middleware import EdgeMiddleware
from caregate.api.routers import (
    access_requests,
    access_reviews,
    audit,
    auth,
    checks,
    emergency,
    identity,
    lookup,
    members,
    money,
    operations,
    orgs,
    patients,
    practice,
    roles,
    security,
    sessions,
    structure,
)
from caregate.service import mail
from caregate.service.context import Services

DESCRIPTION = """Access control for clinic software: organisations, teams, locations, members and roles,
sharing, security policy and audit, around one decision engine.

Authenticate with `POST /v1/auth/login`, then send `Authorization: Bearer <token>`. Errors are
`application/problem+json` with a `detail` a person can act on."""


def create_app(services: Services) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker = mail.OutboxWorker(services) if services.settings.smtp_url else None
        if worker is not None:
            worker.start()
        yield
        if worker is not None:
            worker.stop()

    app = FastAPI(title="caregate", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  openapi_url="/openapi.json", docs_url="/docs", redoc_url=None)
    app.state.services = services
    problems.install(app)
    for module in (identity, auth, orgs, members, roles, structure, security, checks, sessions, patients, practice,
                   money, operations, lookup, audit, emergency, access_requests, access_reviews):
        app.include_router(module.router, prefix="/v1")

    @app.get("/healthz", tags=["operations"], summary="Liveness and database reachability")
    def healthz() -> dict[str, str]:
        with services.unit(write=False) as uow:
            uow.session.connection()
        return {"status": "ok", "version": __version__}

    web.install(app, services, client_ip=deps.client_ip)  # the console, at /
    app.add_middleware(EdgeMiddleware, max_body_bytes=services.settings.max_body_bytes,
                       hsts=services.settings.public_url.startswith("https://"))
    return app

"""Put the console into the application: its pages at /, its static files at /static."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from caregate.service.context import Services
from caregate.web.edge import ClientIp
from caregate.web.routes import (
    access_requests,
    access_reviews,
    account,
    apikeys,
    audit,
    emergency,
    me,
    notifications,
    policy,
    reauth,
    roles,
    sessions,
    settings,
    steps,
    team,
)
from caregate.web.templating import STATIC


def install(app: FastAPI, services: Services, *, client_ip: ClientIp) -> None:
    """Add the console to `app`. `client_ip` is the edge's own way of finding the client's address."""
    app.state.services = services
    app.state.console_client_ip = client_ip
    for module in (account, steps, reauth, team, roles, settings, policy, me, apikeys, audit, sessions, emergency,
                   notifications, access_reviews, access_requests):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

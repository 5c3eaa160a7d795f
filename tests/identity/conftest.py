"""Fixtures for identity tests: clients at chosen addresses, policy set through the API, logins."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from caregate.api.app import create_app


@pytest.fixture
def app(services):
    return create_app(services)


@pytest.fixture
def client_from(app) -> Iterator[Callable[..., TestClient]]:
    """TestClients whose requests come from a given address (and user agent)."""
    made: list[TestClient] = []

    def make(ip: str = "198.51.100.7", user_agent: str = "pytest-browser/1.0") -> TestClient:
        c = TestClient(app, raise_server_exceptions=False, client=(ip, 50000), headers={"user-agent": user_agent})
        c.__enter__()
        made.append(c)
        return c

    yield make
    for c in made:
        c.__exit__(None, None, None)

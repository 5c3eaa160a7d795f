"""Helpers for identity tests (a module, so tests can import it; conftest files cannot be imported)."""

from __future__ import annotations

from support import PASSWORD


def set_policy(client, org_id: str, headers: dict[str, str], **changes) -> dict:
    r = client.patch(f"/v1/orgs/{org_id}/security", json=changes, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def login(client, email: str, password: str = PASSWORD):
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}

"""A clinic for the clinical workspace tests: one organisation with a member of every built-in role, two teams,
a location, and a small HTTP helper that speaks for one member at a time.

Records are made through the API (that is what is tested); the members and teams come from the shared
`world` builder (the membership flows are tested elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from caregate.store.db import Database
from support import empty

ROLES = ("administrator", "clinician", "assistant", "template_manager", "manager", "front_desk", "billing",
         "inventory", "call_center")


class Api:
    """Requests to /v1/orgs/{org}/... as one member or another."""

    def __init__(self, client: Any, org_id: str) -> None:
        self.client = client
        self.org_id = org_id

    def url(self, path: str) -> str:
        return f"/v1/orgs/{self.org_id}/{path.lstrip('/')}"

    def get(self, who: Any, path: str, **params: Any) -> Any:
        return self.client.get(self.url(path), headers=who.headers, params=params)

    def post(self, who: Any, path: str, json: Any = None) -> Any:
        return self.client.post(self.url(path), headers=who.headers, json=json if json is not None else {})

    def put(self, who: Any, path: str, json: Any = None) -> Any:
        return self.client.put(self.url(path), headers=who.headers, json=json if json is not None else {})

    def patch(self, who: Any, path: str, json: Any) -> Any:
        return self.client.patch(self.url(path), headers=who.headers, json=json)

    def delete(self, who: Any, path: str) -> Any:
        return self.client.delete(self.url(path), headers=who.headers)

    def ok(self, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json() if response.content else None


@dataclass
class Clinic:
    org_id: str
    api: Api
    team: str
    other_team: str
    location: str
    people: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.people[name]
        except KeyError:
            raise AttributeError(name) from None

    def session(self, owner: Any, by: Any = None, **fields: Any) -> str:
        body = {"title": "Consultation", **fields}
        if by is not None:
            body["owner_id"] = owner.member_id
        return str(self.api.ok(self.api.post(by or owner, "sessions", body), 201)["id"])

    def patient(self, by: Any, **fields: Any) -> str:
        body = {"name": "Pat Ient", "email": "pat@example.org", "phone": "+1 555 0100", "ssn": "123-45-6789",
                "insurance": "Acme Care 42", "clinical_summary": "asthma, well controlled", **fields}
        return str(self.api.ok(self.api.post(by, "patients", body), 201)["id"])


@pytest.fixture
def clinic(client: Any, world: Any) -> Clinic:
    """A practice-plan clinic: team A (owner's admin, two clinicians, an assistant), team B (a clinician)."""
    org_id, owner = world.org("Harbour Clinic", plan="practice")
    team = world.team(org_id, "Team A")
    other_team = world.team(org_id, "Team B")
    region = world.location(org_id, "North")
    location = world.location(org_id, "North Clinic", parent=region)
    people: dict[str, Any] = {"owner": owner}
    for role in ROLES:
        people[role] = world.member(org_id, roles=(role,), teams=(team,))
    people["clinician2"] = world.member(org_id, roles=("clinician",), teams=(team,))
    people["stranger"] = world.member(org_id, roles=("clinician",), teams=(other_team,))
    return Clinic(org_id, Api(client, org_id), team, other_team, location, people)


@pytest.fixture
def wipe(database: Database) -> Any:
    """Empty every table (for tests that run many examples in one test function)."""
    def run() -> None:
        empty(database)
    return run

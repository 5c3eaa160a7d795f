"""Shared fixtures: a real database per backend (SQLite file and PostgreSQL), services, an API client.

Each backend's database is created and migrated once per test session (per xdist worker) and emptied
before each test. PostgreSQL databases are created under a unique name and dropped at the end; the
server's own `test` database is never touched.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from caregate.api.app import create_app
from caregate.clock import FrozenClock
from caregate.config import Settings
from caregate.identity.passwords import Passwords
from caregate.service.context import Services
from caregate.store import migrate
from caregate.store.db import Database
from caregate.store.schema import metadata  # noqa: F401
from support import PASSWORD, empty

TEST_SECRET_KEY = "Y2FyZWdhdGUtdGVzdHMta2V5LTMyLWJ5dGVzLWxvbmc"  # 32 bytes, base64
PG_ADMIN = os.environ.get("CAREGATE_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = [b for b in os.environ.get("CAREGATE_TEST_BACKENDS", "sqlite,postgres").split(",") if b]


def _pg_create() -> str:
    name = f"caregate_t_{os.environ.get('PYTEST_XDIST_WORKER', 'm')}_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def _pg_drop(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A migrated database of one backend, for the whole session."""
    backend = request.param
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "caregate.db"
        db = Database(f"sqlite:///{path}")
        migrate.upgrade(db)
        yield db
        db.dispose()
        return
    name = _pg_create()
    db = Database(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", pool_size=5)
    try:
        migrate.upgrade(db)
        yield db
    finally:
        db.dispose()
        _pg_drop(name)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(sqlite_path=tmp_path / "unused.db", public_url="http://testserver", smtp_url="",
                    argon2_time_cost=1, argon2_memory_kib=1024, secret_key=TEST_SECRET_KEY, redis_url="",
                    login_failure_floor_ms=0)


# Cheap hashing in tests; production parameters are tested once in tests/identity.
FAST_PASSWORDS = Passwords(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def services(database: Database, settings: Settings, clock: FrozenClock) -> Services:
    empty(database)
    return Services(database, settings, clock=clock, passwords=FAST_PASSWORDS)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services), raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass
class Login:
    email: str
    token: str
    member_id: str
    user_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}




class World:
    """Builds organisations, members and records straight through the store (fast), and logs in.

    The flows themselves (invite, accept, change roles ...) are tested through the API elsewhere;
    this only sets the scene.
    """

    def __init__(self, services: Services) -> None:
        self.services = services
        self._hash = services.passwords.hash(PASSWORD)

    def _user(self, uow, email: str):  # type: ignore[no-untyped-def]
        from caregate.store import repo
        from caregate.store.ids import new_id
        from caregate.store.tables import User

        user = repo.user_by_email(uow.session, email=email)
        if user is None:
            user = User(id=new_id("usr"), email=email.lower(), name=email.split("@", maxsplit=1)[0], kind="person",
                        password_hash=self._hash, created_at=uow.now)
            uow.session.add(user)
            uow.session.flush()
        return user

    def org(self, name: str = "Clinic", *, plan: str = "practice", preset: str | None = None,
            owner: str | None = None) -> tuple[str, Login]:
        from caregate.engine import Plan
        from caregate.service import orgs

        owner = owner or f"owner-{secrets.token_hex(3)}@example.org"
        with self.services.unit() as uow:
            user = self._user(uow, owner)
            org, member = orgs.create(uow, name=name, owner=user, plan=Plan(plan), preset=preset)
            org.seats_purchased = 100
            org_id, member_id, user_id = org.id, member.id, user.id
        return org_id, Login(owner, self.token(owner), member_id, user_id)

    def member(self, org_id: str, email: str | None = None, roles: tuple[str, ...] = ("clinician",), *,
               teams: tuple[str, ...] = (), locations: tuple[str, ...] = (), status: str = "active") -> Login:
        from caregate.store import repo
        from caregate.store.ids import new_id
        from caregate.store.tables import Membership, RoleAssignmentRow

        email = email or f"{roles[0]}-{secrets.token_hex(3)}@example.org"
        with self.services.unit() as uow:
            user = self._user(uow, email)
            member = Membership(id=new_id("mem"), org_id=org_id, user_id=user.id, status=status, title="",
                                profile={}, created_at=uow.now, activated_at=uow.now if status != "invited" else None)
            uow.session.add(member)
            uow.session.flush()
            uow.session.add_all(RoleAssignmentRow(id=new_id("ra"), org_id=org_id, membership_id=member.id,
                                                  role_key=r, created_at=uow.now) for r in roles)
            repo.replace_teams(uow.session, org_id=org_id, member_id=member.id, team_ids=teams)
            repo.replace_locations(uow.session, org_id=org_id, member_id=member.id, location_ids=locations)
            member_id, user_id = member.id, user.id
        return Login(email, self.token(email), member_id, user_id)

    def relogin(self, login: Login) -> Login:
        """The same member with a fresh login session (after the clock moved on, or their sessions ended)."""
        return Login(login.email, self.token(login.email), login.member_id, login.user_id)

    def token(self, email: str) -> str:
        from caregate.service import auth

        with self.services.unit() as uow:
            return auth.login(uow, email=email, password=PASSWORD).token

    def team(self, org_id: str, name: str | None = None) -> str:
        from caregate.store.ids import new_id
        from caregate.store.tables import Team

        with self.services.unit() as uow:
            team = Team(id=new_id("team"), org_id=org_id, name=name or f"team-{secrets.token_hex(3)}",
                        created_at=uow.now)
            uow.session.add(team)
        return team.id

    def location(self, org_id: str, name: str | None = None, *, parent: str | None = None) -> str:
        from caregate.store.ids import new_id
        from caregate.store.tables import Location

        with self.services.unit() as uow:
            loc = Location(id=new_id("loc"), org_id=org_id, name=name or f"loc-{secrets.token_hex(3)}",
                           kind="location" if parent else "region", parent_id=parent, created_at=uow.now)
            uow.session.add(loc)
        return loc.id

    def patient(self, org_id: str, *, care_team: tuple[str, ...] = (), team: str | None = None) -> str:
        from caregate.store.clinical import CareTeamMember, Patient
        from caregate.store.ids import new_id

        with self.services.unit() as uow:
            patient = Patient(id=new_id("pat"), org_id=org_id, name="Pat Ient", team_id=team,
                              details={"ssn": "000-00-0000"}, created_at=uow.now)
            uow.session.add(patient)
            uow.session.flush()
            uow.session.add_all(CareTeamMember(patient_id=patient.id, membership_id=m, org_id=org_id)
                                for m in care_team)
        return patient.id

    def session(self, org_id: str, owner: str, *, team: str | None = None, created_by: str | None = None,
                patient: str | None = None, shares: dict[str, str] | None = None) -> str:
        from caregate.store.clinical import ClinicalSession, SessionShare
        from caregate.store.ids import new_id

        with self.services.unit() as uow:
            row = ClinicalSession(id=new_id("ses"), org_id=org_id, owner_id=owner, created_by=created_by or owner,
                                  team_id=team, patient_id=patient, title="Consultation", status="draft",
                                  created_at=uow.now)
            uow.session.add(row)
            uow.session.flush()
            uow.session.add_all(SessionShare(session_id=row.id, membership_id=m, org_id=org_id, level=level,
                                             created_at=uow.now) for m, level in (shares or {}).items())
        return row.id


@pytest.fixture
def world(services: Services) -> World:
    return World(services)

"""The data of the lookup benchmark: one large organisation, loaded into PostgreSQL with COPY.

Members of every built-in role in teams and locations; patients on their clinician's care team; sessions
owned by clinicians and administrators, a third of them started by an assistant of the owner's team;
shares spread over clinicians and assistants, with a few members who received thousands; explicit
patient access, some of it expired. Random but seeded: every run loads the same clinic.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from caregate.store.ids import new_id

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)

# share of the members by role (the rest are clinicians)
MIX = {"owner": 2, "administrator": 0.01, "assistant": 0.2, "template_manager": 0.005, "manager": 0.02,
       "front_desk": 0.06, "billing": 0.04, "inventory": 0.03, "call_center": 0.035}


@dataclass
class Size:
    members: int
    sessions: int
    shares: int
    patients: int
    teams: int
    heavy: int  # members who each receive `heavy_shares` of the shares
    heavy_shares: int

    @classmethod
    def full(cls) -> Size:
        return cls(members=10_000, sessions=1_000_000, shares=100_000, patients=200_000, teams=500, heavy=5,
                   heavy_shares=2_000)

    @classmethod
    def quick(cls) -> Size:
        return cls(members=300, sessions=20_000, shares=2_000, patients=4_000, teams=15, heavy=3, heavy_shares=200)


@dataclass
class Clinic:
    org_id: str
    members: dict[str, list[str]] = field(default_factory=dict)  # role -> member ids
    heavy: list[str] = field(default_factory=list)
    load_seconds: float = 0.0


# --- loading ---------------------------------------------------------------------------------------

def _copy(conn: psycopg.Connection[Any], table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    n = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def _roles(size: Size, rng: random.Random) -> list[str]:
    roles: list[str] = []
    for role, share in MIX.items():
        roles += [role] * (int(share) if share >= 1 else int(size.members * share))
    roles += ["clinician"] * (size.members - len(roles))
    rng.shuffle(roles)
    return roles


def load(url: str, size: Size, seed: int = 7) -> Clinic:
    rng = random.Random(seed)
    started = time.perf_counter()
    org_id = new_id("org")
    clinic = Clinic(org_id)
    settings = {"session_visibility": True, "visibility_roles": ["administrator"],
                "billing_policy": "owners_and_administrators", "template_manager_enabled": True}
    with psycopg.connect(url, autocommit=False) as conn:
        # the rows are generated consistent: skip the foreign-key triggers while loading (superuser only)
        try:
            conn.execute("SET session_replication_role = replica")
        except psycopg.Error:
            conn.rollback()
        _copy(conn, "organisations", ("id", "name", "plan", "settings", "seats_purchased", "seat_price_cents",
                                      "currency", "term_start", "term_end", "created_at"),
              [(org_id, "Bench Clinic", "practice", json.dumps(settings), size.members, 0, "USD", NOW,
                NOW + timedelta(days=365), NOW)])
        teams = [new_id("team") for _ in range(size.teams)]
        _copy(conn, "teams", ("id", "org_id", "name", "created_at"),
              [(t, org_id, f"Team {i}", NOW) for i, t in enumerate(teams)])
        region = new_id("loc")
        sites = [new_id("loc") for _ in range(20)]
        _copy(conn, "locations", ("id", "org_id", "name", "kind", "parent_id", "created_at"),
              [(region, org_id, "Region", "region", None, NOW)]
              + [(loc, org_id, f"Site {i}", "location", region, NOW) for i, loc in enumerate(sites)])
        roles = _roles(size, rng)
        users = [new_id("usr") for _ in roles]
        members = [new_id("mem") for _ in roles]
        _copy(conn, "users", ("id", "email", "name", "kind", "created_at"),
              [(u, f"m{i}@bench.example", f"Member {i}", "person", NOW) for i, u in enumerate(users)])
        _copy(conn, "memberships", ("id", "org_id", "user_id", "status", "title", "profile", "created_at"),
              [(m, org_id, u, "active", "", "{}", NOW) for m, u in zip(members, users, strict=True)])
        _copy(conn, "role_assignments", ("id", "org_id", "membership_id", "role_key", "created_at"),
              [(new_id("ra"), org_id, m, r, NOW) for m, r in zip(members, roles, strict=True)])
        team_of = {m: teams[i % len(teams)] for i, m in enumerate(members)}
        second = {m: teams[(i * 7 + 3) % len(teams)] for i, m in enumerate(members) if roles[i] == "assistant"}
        _copy(conn, "team_members", ("team_id", "membership_id", "org_id"),
              [(team_of[m], m, org_id) for m in members] + [(t, m, org_id) for m, t in second.items()
                                                              if t != team_of[m]])
        site_of = {m: sites[i % len(sites)] for i, m in enumerate(members)}
        _copy(conn, "member_locations", ("location_id", "membership_id", "org_id"),
              [(site_of[m], m, org_id) for m in members])
        for m, r in zip(members, roles, strict=True):
            clinic.members.setdefault(r, []).append(m)
        owners = clinic.members["clinician"] + clinic.members["administrator"]
        # patients: each on the care team of one clinician, in that clinician's team
        patients = [new_id("pat") for _ in range(size.patients)]
        patient_owner = {p: owners[i % len(owners)] for i, p in enumerate(patients)}
        _copy(conn, "patients", ("id", "org_id", "name", "team_id", "location_id", "details", "created_at"),
              [(p, org_id, f"Patient {i}", team_of[patient_owner[p]], site_of[patient_owner[p]], "{}", NOW)
               for i, p in enumerate(patients)])
        _copy(conn, "care_team", ("patient_id", "membership_id", "org_id"),
              [(p, patient_owner[p], org_id) for p in patients])
        by_owner: dict[str, list[str]] = {}
        for p in patients:
            by_owner.setdefault(patient_owner[p], []).append(p)
        assistants_of: dict[str, list[str]] = {}
        for a in clinic.members["assistant"]:
            assistants_of.setdefault(team_of[a], []).append(a)
        sessions = _sessions(size, rng, org_id, owners, team_of, site_of, by_owner, assistants_of)
        session_ids = [s[0] for s in sessions]
        _copy(conn, "clinical_sessions", ("id", "org_id", "owner_id", "created_by", "team_id", "location_id",
                                          "patient_id", "title", "status", "recording", "created_at"), sessions)
        del sessions
        clinic.heavy = rng.sample(clinic.members["clinician"], size.heavy)
        _copy(conn, "session_shares", ("session_id", "membership_id", "org_id", "level", "created_at"),
              _shares(size, rng, org_id, session_ids, clinic))
        _copy(conn, "patient_access", ("id", "org_id", "patient_id", "membership_id", "until", "reason",
                                       "created_at"),
              [(new_id("pac"), org_id, rng.choice(patients), rng.choice(clinic.members["clinician"]),
                NOW + timedelta(days=rng.choice([-1, 30])), "", NOW) for _ in range(max(10, size.members // 10))])
        conn.commit()
        conn.autocommit = True
        conn.execute("ANALYZE")
    clinic.load_seconds = time.perf_counter() - started
    return clinic


def _sessions(size: Size, rng: random.Random, org_id: str, owners: list[str], team_of: dict[str, str],
              site_of: dict[str, str], by_owner: dict[str, list[str]], assistants_of: dict[str, list[str]]
              ) -> list[tuple[Any, ...]]:
    out = []
    for _ in range(size.sessions):
        owner = rng.choice(owners)
        helpers = assistants_of.get(team_of[owner], [])
        creator = rng.choice(helpers) if helpers and rng.random() < 0.3 else owner
        patient = rng.choice(by_owner[owner]) if by_owner.get(owner) else None
        out.append((new_id("ses"), org_id, owner, creator, team_of[owner], site_of[owner], patient, "Consultation",
                    rng.choice(("draft", "completed", "signed")), "none", NOW))
    out.sort(key=lambda s: s[0])
    return out


def _shares(size: Size, rng: random.Random, org_id: str, sessions: list[str], clinic: Clinic
            ) -> Iterable[tuple[Any, ...]]:
    seen: set[tuple[str, str]] = set()
    targets = clinic.members["clinician"] + clinic.members["assistant"]
    plan = [(m, size.heavy_shares) for m in clinic.heavy]
    plan.append((None, size.shares - size.heavy * size.heavy_shares))
    for target, n in plan:
        made = 0
        while made < n:
            key = (rng.choice(sessions), target or rng.choice(targets))
            if key in seen:
                continue
            seen.add(key)
            made += 1
            yield (key[0], key[1], org_id, rng.choice(("view", "edit", "full")), NOW)

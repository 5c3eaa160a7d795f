"""Lookups on PostgreSQL: "the first page of 50 sessions this member may read", by the database vs in Python.

    python -m bench.lookup                 # 10,000 members, 1,000,000 sessions, 100,000 shares (a few minutes)
    python -m bench.lookup --quick --check # a small clinic, and SQL vs Python must agree (the test suite runs it)
    python -m bench.lookup --write-docs    # also rewrite the "Lookups" section of docs/benchmarks.md

It creates a fresh database on the server of --pg-admin (default: postgres@127.0.0.1:5432), migrates it,
loads one large organisation with COPY (the worst case for the database: every row shares one org_id),
and drops it at the end. For each kind of member — the Owner (reads everything), clinicians (their own
sessions, shares, explicit patient access), assistants (their teams' sessions and those they created),
administrators with team visibility, and members who received thousands of shares — it times:

- SQL: `predicate_for` + `store.lookups.page_ids` (the lookup path of every list endpoint);
- Python: paging through the organisation's sessions in id order, building each `Resource` with
  `service/resources` (shares, care team, explicit access loaded per chunk of 10,000), calling `decide`,
  and stopping at 50 — the best a fetch-and-filter could do;

checks both return the same ids, and prints p50 / p95 and PostgreSQL's plans.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import secrets
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import select

from caregate.engine import Action, Feature, decide
from caregate.engine.filters import predicate_for
from caregate.service.actors import actor_for_member
from caregate.service.clinical.kinds import KINDS
from caregate.service.context import Services
from caregate.store import lookups, migrate, repo
from caregate.store.clinical import ClinicalSession
from caregate.store.db import Database
from caregate.store.ids import new_id

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Lookups (`bench/lookup.py`)"
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
PAGE = 50
TARGET_P95_MS = 20.0
TARGET_SPEEDUP = 50.0
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


# --- measuring -------------------------------------------------------------------------------------

def sql_page(uow: Any, actor: Any, org_id: str) -> list[str]:
    predicate = predicate_for(actor.subject, Feature.SESSIONS, Action.READ, uow.context())
    return lookups.page_ids(uow.session, spec=lookups.LISTS["sessions"], org_id=org_id, predicate=predicate,
                            limit=PAGE)


def python_page(uow: Any, actor: Any, org_id: str, chunk: int = 10_000) -> tuple[list[str], int]:
    """Fetch sessions in id order, chunk by chunk, build Resources, decide, stop at a page. (ids, rows read)"""
    kind = KINDS["sessions"]
    context = uow.context()
    found: list[str] = []
    after, scanned = "", 0
    while len(found) < PAGE:
        rows = list(uow.session.scalars(select(ClinicalSession).where(
            ClinicalSession.org_id == org_id, ClinicalSession.id > after).order_by(ClinicalSession.id).limit(chunk)))
        if not rows:
            break
        scanned += len(rows)
        for row, resource in zip(rows, kind.resources(uow.session, org_id, rows), strict=True):
            if decide(actor.subject, Action.READ, resource, context).allowed:
                found.append(row.id)
                if len(found) == PAGE:
                    break
        after = rows[-1].id
        uow.session.expunge_all()
    return found, scanned


def _ms(seconds: float) -> float:
    return seconds * 1000


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class Group:
    name: str
    members: list[str]
    sql_ms: list[float] = field(default_factory=list)
    python_ms: list[float] = field(default_factory=list)
    python_rows: list[int] = field(default_factory=list)
    count_ms: list[float] = field(default_factory=list)
    page_sizes: list[int] = field(default_factory=list)
    plan: str = ""


def groups(clinic: Clinic, rng: random.Random, per_group: int) -> list[Group]:
    return [
        Group("Owner (reads every session)", clinic.members["owner"][:per_group]),
        Group("clinicians (own, shared, explicit access)", rng.sample(clinic.members["clinician"], per_group)),
        Group("assistants (their teams', created by them)", rng.sample(clinic.members["assistant"], per_group)),
        Group("administrators (team visibility on)", rng.sample(clinic.members["administrator"],
                                                                min(per_group, len(clinic.members["administrator"])))),
        Group("members with many shares", clinic.heavy),
    ]


def measure(services: Services, clinic: Clinic, chosen: list[Group], runs: int, python_samples: int) -> None:
    with services.unit(write=False) as uow:
        org = repo.get_org(uow.session, org_id=clinic.org_id)
        for group in chosen:
            for i, member_id in enumerate(group.members):
                member = repo.get_member(uow.session, org_id=clinic.org_id, member_id=member_id)
                user = repo.get_user(uow.session, user_id=member.user_id)
                actor = actor_for_member(uow, org, member, user)
                expected = sql_page(uow, actor, clinic.org_id)  # warm
                for _ in range(runs):
                    t0 = time.perf_counter()
                    got = sql_page(uow, actor, clinic.org_id)
                    group.sql_ms.append(_ms(time.perf_counter() - t0))
                    assert got == expected
                group.page_sizes.append(len(expected))
                predicate = predicate_for(actor.subject, Feature.SESSIONS, Action.READ, uow.context())
                t0 = time.perf_counter()
                lookups.count(uow.session, spec=lookups.LISTS["sessions"], org_id=clinic.org_id, predicate=predicate)
                group.count_ms.append(_ms(time.perf_counter() - t0))
                if i < python_samples:
                    t0 = time.perf_counter()
                    in_python, scanned = python_page(uow, actor, clinic.org_id)
                    group.python_ms.append(_ms(time.perf_counter() - t0))
                    group.python_rows.append(scanned)
                    if in_python != expected:
                        raise SystemExit(f"DISAGREEMENT for {member_id} ({group.name}): SQL {expected[:5]}... "
                                         f"Python {in_python[:5]}...")
                if i == 0:
                    predicate = predicate_for(actor.subject, Feature.SESSIONS, Action.READ, uow.context())
                    group.plan = lookups.explain(uow.session, spec=lookups.LISTS["sessions"], org_id=clinic.org_id,
                                                 predicate=predicate, limit=PAGE)


# --- reporting -------------------------------------------------------------------------------------

def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        text = Path("/proc/cpuinfo").read_text()
        found = re.search(r"model name\s*:\s*(.+)", text)
        cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    memory = "unknown"
    try:
        found = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        memory = f"{int(found.group(1)) / 1024 / 1024:.0f} GiB" if found else memory
    except OSError:
        pass
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": memory, "python": platform.python_version(),
            "os": f"{platform.system()} {platform.release()}"}


def report(chosen: list[Group], clinic: Clinic, size: Size, pg_version: str, quick: bool) -> tuple[str, bool]:
    all_sql = [v for g in chosen for v in g.sql_ms]
    p95_all = percentile(all_sql, 0.95)
    lines = [
        SECTION, "",
        "\"The first page of 50 sessions this member may read\", answered by PostgreSQL from the engine's rules "
        "(`predicate_for` compiled through `store/mappings.py`, a page as the union of index-friendly alternatives "
        "in `store/lookups.py`), against fetching sessions and filtering them with `decide()` in Python (in id "
        "order, 10,000 at a time, with shares, care teams and explicit access loaded per chunk, stopping at 50: "
        "the best a fetch-and-filter can do). Both must return the same ids; the benchmark stops if they do not.",
        "",
        f"Data: one organisation (the worst case: every row has the same `org_id`) with {size.members:,} members "
        f"in {size.teams} teams, {size.sessions:,} sessions, {size.shares:,} shares ({size.heavy} members hold "
        f"{size.heavy_shares:,} each), {size.patients:,} patients, team visibility on for Administrators. "
        f"Loaded with COPY in {clinic.load_seconds:.0f} s.",
        "",
        "| member | members timed | SQL p50 | SQL p95 | Python p50 | rows Python read (median) | speed-up (p50) "
        "| list total (count) p50 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ok = p95_all < TARGET_P95_MS
    for g in chosen:
        sql50, sql95 = statistics.median(g.sql_ms), percentile(g.sql_ms, 0.95)
        py50 = statistics.median(g.python_ms) if g.python_ms else float("nan")
        speedup = py50 / sql50 if g.python_ms else float("nan")
        ok = ok and speedup >= TARGET_SPEEDUP
        lines.append(f"| {g.name} | {len(g.members)} | {sql50:.2f} ms | {sql95:.2f} ms | {py50:,.0f} ms | "
                     f"{int(statistics.median(g.python_rows)) if g.python_rows else 0:,} | {speedup:,.0f}x | "
                     f"{statistics.median(g.count_ms):.1f} ms |")
    verdict = "met" if ok else "NOT met"
    lines += [
        "",
        f"All SQL lookups: p95 {p95_all:.2f} ms. Targets (p95 under {TARGET_P95_MS:.0f} ms, at least "
        f"{TARGET_SPEEDUP:.0f}x faster than Python): **{verdict}**. The SQL time is the whole lookup path: "
        "compiling the member's predicate, building the statement, the round trip (PostgreSQL's own execution "
        "is under a millisecond, see the plans). A list endpoint also counts its total with the same condition "
        "(last column): an index-only count of everything the member may read.",
        "",
        f"Machine: {machine()['cpu']}, {machine()['cores']} cores, {machine()['memory']} RAM, {machine()['os']}; "
        f"PostgreSQL {pg_version} (default settings, shared with other work); Python {machine()['python']}."
        + (" Quick mode: small data, not the benchmark." if quick else ""),
        "",
        "Rerun: `make install && .venv/bin/python -m bench.lookup --write-docs` (PostgreSQL on 127.0.0.1:5432; "
        "`--pg-admin URL` for another server; a few minutes, most of it loading). `--quick --check` is the small "
        "correctness run the test suite makes.",
        "",
        "Query plans (`EXPLAIN (ANALYZE, BUFFERS)`, first member of each group): every branch walks an index "
        "and stops after a page.",
        "",
    ]
    for g in chosen:
        lines += [f"<details><summary>{g.name}</summary>", "", "```", g.plan, "```", "", "</details>", ""]
    return "\n".join(lines), ok


def write_docs(section: str) -> None:
    text = DOCS.read_text() if DOCS.exists() else ""
    if SECTION in text:
        start = text.index(SECTION)
        after = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section.rstrip() + "\n" + (text[after:] if after != -1 else "")
    else:
        text = (text.rstrip() + "\n\n" if text.strip() else "") + section.rstrip() + "\n"
    DOCS.write_text(text)


# --- main ------------------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data (seconds), for a correctness check")
    parser.add_argument("--check", action="store_true", help="compare SQL and Python for every member timed")
    parser.add_argument("--write-docs", action="store_true", help=f"rewrite '{SECTION}' in docs/benchmarks.md")
    parser.add_argument("--pg-admin", default=os.environ.get(
        "CAREGATE_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--runs", type=int, default=None, help="timed SQL runs per member")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    args = parser.parse_args(argv)
    size = Size.quick() if args.quick else Size.full()
    per_group = 6 if args.quick else 20
    runs = args.runs or (3 if args.quick else 10)
    python_samples = per_group if (args.check or args.quick) else 3
    name = f"caregate_bench_{secrets.token_hex(4)}"
    admin = args.pg_admin
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        pg_version = str(conn.execute("SHOW server_version").fetchone()[0]).split()[0]  # type: ignore[index]
    base = admin.rsplit("/", 1)[0]
    db = Database(f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}", pool_size=2)
    try:
        migrate.upgrade(db)
        print(f"loading {size.sessions:,} sessions into {name} ...", flush=True)
        clinic = load(f"{base}/{name}", size)
        print(f"loaded in {clinic.load_seconds:.1f} s", flush=True)
        chosen = groups(clinic, random.Random(11), per_group)
        from caregate.clock import FrozenClock
        from caregate.config import Settings
        services = Services(db, Settings(), clock=FrozenClock(NOW))
        measure(services, clinic, chosen, runs, python_samples)
        section, ok = report(chosen, clinic, size, pg_version, args.quick)
        print(section)
        if args.write_docs:
            write_docs(section)
            print(f"wrote {DOCS}")
        print("SQL and Python agree for every member compared.")
        return 0 if ok or args.quick else 1
    finally:
        db.dispose()
        if not args.keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())

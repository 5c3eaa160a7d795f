"""A demo clinic with every built-in role and a little of everything, made through the use cases.

The people are inserted directly (they need passwords, not invitations); everything else — patients,
sessions with notes and documents, a share, templates, appointments, billing, stock — is created by the
same service functions the API calls, as the member who would do it, so the demo's data and audit trail
look like a real clinic's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from caregate.engine import Plan
from caregate.service import orgs
from caregate.service.actors import Actor, actor_for_member
from caregate.service.clinical import money, operations, parts, patients, scheduling, sessions, sharing, templates
from caregate.service.context import Services, UnitOfWork
from caregate.store import repo
from caregate.store.ids import new_id
from caregate.store.tables import Membership, Organisation, RoleAssignmentRow, Team, TeamMember, User

DEMO_PASSWORD = "caregate-demo-2026"  # noqa: S105 -- printed for the demo on purpose
DEMO_DOMAIN = "demo.caregate.test"
ORG_NAME = "Harbour Health (demo)"

# (login, name, roles, team)
PEOPLE: tuple[tuple[str, str, tuple[str, ...], str | None], ...] = (
    ("owner", "Olivia Owner", ("owner",), None),
    ("admin", "Adam Administrator", ("administrator",), "Clinicians North"),
    ("clinician", "Clara Clinician", ("clinician",), "Clinicians North"),
    ("clinician2", "Chris Clinician", ("clinician",), "Clinicians North"),
    ("lead", "Dana Lead (Clinician + Administrator)", ("clinician", "administrator"), "Clinicians South"),
    ("assistant", "Asha Assistant", ("assistant",), "Clinicians North"),
    ("templates", "Tomas Template Manager", ("template_manager",), None),
    ("manager", "Maya Manager", ("manager",), None),
    ("frontdesk", "Fred Front Desk", ("front_desk",), None),
    ("billing", "Bella Billing", ("billing",), None),
    ("inventory", "Ivan Inventory", ("inventory",), None),
    ("callcenter", "Carl Call Center", ("call_center",), None),
)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    name: str
    roles: tuple[str, ...]


def logins() -> list[DemoLogin]:
    return [DemoLogin(f"{login}@{DEMO_DOMAIN}", name, roles) for login, name, roles, _ in PEOPLE]


def _existing(uow: UnitOfWork) -> Organisation | None:
    owner = repo.user_by_email(uow.session, email=f"owner@{DEMO_DOMAIN}")
    if owner is not None:
        for org, _ in repo.orgs_of_user(uow.session, user_id=owner.id):
            if org.name == ORG_NAME:
                return org
    return None


def _people(uow: UnitOfWork, password_hash: str) -> tuple[Organisation, dict[str, Team], dict[str, Actor]]:
    s = uow.session
    users = {}
    for login, name, _, _ in PEOPLE:
        user = repo.user_by_email(s, email=f"{login}@{DEMO_DOMAIN}")
        if user is None:
            user = User(id=new_id("usr"), email=f"{login}@{DEMO_DOMAIN}", name=name, kind="person",
                        password_hash=password_hash, password_changed_at=uow.now, created_at=uow.now)
            s.add(user)
        users[login] = user
    s.flush()
    org, _ = orgs.create(uow, name=ORG_NAME, owner=users["owner"], plan=Plan.PRACTICE, preset="multi_location")
    org.settings = {**org.settings, "template_manager_enabled": True, "session_visibility": True}
    org.seats_purchased = 20
    teams = {name: Team(id=new_id("team"), org_id=org.id, name=name, created_at=uow.now)
             for name in ("Clinicians North", "Clinicians South")}
    s.add_all(teams.values())
    s.flush()
    members = {"owner": repo.member_of_user(s, org_id=org.id, user_id=users["owner"].id)}
    for login, _, roles, team in PEOPLE[1:]:
        member = Membership(id=new_id("mem"), org_id=org.id, user_id=users[login].id, status="active", title="",
                            profile={}, created_at=uow.now, activated_at=uow.now)
        s.add(member)
        s.flush()
        s.add_all(RoleAssignmentRow(id=new_id("ra"), org_id=org.id, membership_id=member.id, role_key=r,
                                    created_at=uow.now) for r in roles)
        if team:
            s.add(TeamMember(team_id=teams[team].id, membership_id=member.id, org_id=org.id))
        members[login] = member
    s.flush()
    actors = {login: actor_for_member(uow, org, member, users[login]) for login, member in members.items()
              if member is not None}
    return org, teams, actors


def _clinical_work(uow: UnitOfWork, teams: dict[str, Team], who: dict[str, Actor]) -> None:
    north = teams["Clinicians North"].id
    clara, chris, asha = who["clinician"], who["clinician2"], who["assistant"]
    ava = patients.create(uow, clara, name="Ava Patel", team_id=north, fields={
        "phone": "+1 555 0100", "email": "ava@example.org", "ssn": "000-00-0001", "insurance": "Acme Care 42",
        "clinical_summary": "asthma, well controlled"})
    ben = patients.create(uow, clara, name="Ben Okafor", team_id=north, fields={
        "phone": "+1 555 0101", "insurance": "Acme Care 7", "clinical_summary": "type 2 diabetes"})
    cora = patients.create(uow, chris, name="Cora Lind", team_id=north, fields={"phone": "+1 555 0102"})
    first = sessions.create(uow, clara, title="Asthma review", team_id=north, patient_id=ava.id)
    parts.put_note(uow, clara, session_id=first.id, body="Peak flow stable. Continue current inhaler.")
    parts.put_transcript(uow, clara, session_id=first.id, body="Clinician: How has your breathing been? ...")
    # an assistant prepares a session for a clinician, adds context, writes the referral letter
    prepared = sessions.create(uow, asha, owner_id=clara.member_id, title="Diabetes follow-up", team_id=north,
                               patient_id=ben.id)
    parts.add_context(uow, asha, session_id=prepared.id, body="Latest HbA1c 7.1% (lab report attached).")
    parts.put_note(uow, clara, session_id=prepared.id, body="Diet reviewed; metformin unchanged.")
    parts.add_document(uow, asha, session_id=prepared.id, kind="referral_letter", title="Referral to dietitian",
                       body="Dear colleague, ...")
    third = sessions.create(uow, chris, title="New patient visit", team_id=north, patient_id=cora.id)
    parts.put_note(uow, chris, session_id=third.id, body="History taken; bloods ordered.")
    sharing.share(uow, chris, session_id=third.id, member_id=clara.member_id, level="view")
    templates.create(uow, clara, name="My asthma review", body="History:\nPeak flow:\nPlan:")
    team_template = templates.create(uow, who["templates"], name="SOAP note", body="S:\nO:\nA:\nP:")
    templates.distribute(uow, who["templates"], template_id=team_template.id, visibility="org")
    tomorrow = (uow.now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    scheduling.book(uow, who["frontdesk"], provider_id=clara.member_id, patient_id=ava.id, team_id=north,
                    starts_at=tomorrow, ends_at=tomorrow + timedelta(minutes=20), reason="inhaler check")
    invoice = money.create_invoice(uow, who["billing"], amount_cents=12_000, patient_id=ben.id)
    money.create_charge(uow, who["billing"], invoice_id=invoice.id, patient_id=ben.id, description="Consultation",
                        amount_cents=12_000)
    operations.create_product(uow, who["inventory"], name="Nitrile gloves (box of 100)", sku="GLV-100", stock=40)


def load(services: Services) -> Organisation:
    """Create the demo clinic unless it exists; return it."""
    with services.unit() as uow:
        found = _existing(uow)
        if found is not None:
            return found
        org, teams, actors = _people(uow, services.passwords.hash(DEMO_PASSWORD))
        _clinical_work(uow, teams, actors)
        uow.allowed(None)  # the operator loads the demo; no role's permission decided it
        uow.record("demo.loaded", org_id=org.id, detail={"members": len(PEOPLE)})
        return org

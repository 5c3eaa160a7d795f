"""A demo clinic with every built-in role, a few teams, locations, patients, sessions and a share."""

from __future__ import annotations

from dataclasses import dataclass

from caregate.engine import Plan
from caregate.service import orgs
from caregate.service.context import Services
from caregate.store import repo
from caregate.store.clinical import CareTeamMember, ClinicalSession, Patient, SessionShare
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


def load(services: Services) -> Organisation:
    """Create the demo clinic unless it exists; return it."""
    with services.unit() as uow:
        s = uow.session
        owner_email = f"owner@{DEMO_DOMAIN}"
        existing = repo.user_by_email(s, email=owner_email)
        if existing is not None:
            for org, _ in repo.orgs_of_user(s, user_id=existing.id):
                if org.name == ORG_NAME:
                    return org
        password_hash = services.passwords.hash(DEMO_PASSWORD)
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
        teams = {name: Team(id=new_id("team"), org_id=org.id, name=name, created_at=uow.now)
                 for name in ("Clinicians North", "Clinicians South")}
        s.add_all(teams.values())
        s.flush()
        members = {"owner": repo.member_of_user(s, org_id=org.id, user_id=users["owner"].id)}
        for login, _, roles, team in PEOPLE[1:]:
            member = Membership(id=new_id("mem"), org_id=org.id, user_id=users[login].id, status="active",
                                title="", profile={}, created_at=uow.now, activated_at=uow.now)
            s.add(member)
            s.flush()
            s.add_all(RoleAssignmentRow(id=new_id("ra"), org_id=org.id, membership_id=member.id, role_key=r,
                                        created_at=uow.now) for r in roles)
            if team:
                s.add(TeamMember(team_id=teams[team].id, membership_id=member.id, org_id=org.id))
            members[login] = member
        north = teams["Clinicians North"].id
        for i, (patient_name, clinician) in enumerate(
                (("Ava Patel", "clinician"), ("Ben Okafor", "clinician"), ("Cora Lind", "clinician2"))):
            owner = members[clinician]
            assert owner is not None
            patient = Patient(id=new_id("pat"), org_id=org.id, name=patient_name, team_id=north,
                              details={"phone": f"+1 555 010{i}", "ssn": f"000-00-000{i}", "insurance": "Acme Care",
                                       "clinical_summary": "demo record"},
                              created_by=owner.id, created_at=uow.now)
            s.add(patient)
            s.flush()
            s.add(CareTeamMember(patient_id=patient.id, membership_id=owner.id, org_id=org.id))
            session = ClinicalSession(id=new_id("ses"), org_id=org.id, owner_id=owner.id,
                                      created_by=members["assistant"].id if i == 1 else owner.id,  # type: ignore[union-attr]
                                      team_id=north, patient_id=patient.id, title=f"Consultation with {patient_name}",
                                      status="draft", created_at=uow.now)
            s.add(session)
            s.flush()
            if i == 2:
                s.add(SessionShare(session_id=session.id, membership_id=members["clinician"].id,  # type: ignore[union-attr]
                                   org_id=org.id, level="view", created_by=owner.id, created_at=uow.now))
        org.seats_purchased = 20
        uow.record("demo.loaded", org_id=org.id, detail={"members": len(PEOPLE)})
        return org

"""The SQL filter and the engine never disagree (hypothesis, on SQLite and PostgreSQL).

Each example stores a random clinic through the store (fast inserts, no API): two organisations with
random plans, trials and settings; custom roles with random scopes, conditions and hidden fields;
members with random roles (limited to a team or a location, expiring or not), teams, locations and
statuses; and random objects of every kind a lookup answers for, with random owners, creators, teams,
locations, care teams, statuses, amounts, shares (some pointing into the other organisation) and explicit
patient access (some expired). Then, for every member, kind and action asked, the ids the lookup returns
(page by page) equal the ids of the stored objects, of any organisation, for which `decide` allows it,
computed from the `Resource`s `service/resources` builds for the same rows; and the list total is the
size of that set.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from caregate.engine import FEATURE_ACTIONS, Action, Feature, decide
from caregate.engine.filters import NotFilterable, predicate_for
from caregate.service.actors import actor_for_member
from caregate.service.clinical import lookup as lookup_service
from caregate.service.clinical.kinds import KINDS
from caregate.store import lookups, repo
from caregate.store import records as store_records
from caregate.store.clinical import (
    Appointment,
    Call,
    CareTeamMember,
    Charge,
    ClinicalSession,
    ContextEntry,
    Invoice,
    Patient,
    PatientAccess,
    PatientMessage,
    Payment,
    Product,
    Refund,
    Room,
    RoomMember,
    SessionDocument,
    SessionNote,
    SessionShare,
    SessionTranscript,
    StockOrder,
    Template,
    TemplateTeam,
)
from caregate.store.ids import new_id
from caregate.store.tables import (
    CustomRole,
    Location,
    MemberLocation,
    Membership,
    Organisation,
    RoleAssignmentRow,
    Team,
    TeamMember,
    User,
)

EXAMPLES = int(os.environ.get("CAREGATE_LOOKUP_EXAMPLES", "12"))  # raise it for a deeper run
BUILTIN = ("owner", "administrator", "manager", "clinician", "template_manager", "assistant", "front_desk",
           "billing", "inventory", "call_center")
# actions asked besides read: the filterable ones that have rules and forbids worth comparing
OTHER_ACTIONS = ("edit", "delete", "export", "share", "approve", "process", "copy", "use", "record", "cancel")
ATTRS = {"status": ("draft", "completed", "booked", "cancelled", "pending", "approved", "requested", "open"),
         "visibility": ("personal", "team", "org"), "kind": ("personal", "shared"),
         "direction": ("inbound", "outbound")}
PATIENT_HIDDEN = ("ssn", "insurance", "clinical_summary", "email")
VISIBILITY_ROLES = ("administrator", "clinician", "manager", "assistant")
FEATURES = sorted({str(k.feature) for k in KINDS.values()})


@st.composite
def conditions(draw: Any) -> list[dict[str, Any]]:
    kind = draw(st.sampled_from(["none", "none", "attr", "amount", "created", "other_owner", "window"]))
    if kind == "attr":
        attr = draw(st.sampled_from(sorted(ATTRS)))
        op = draw(st.sampled_from(["eq", "ne", "in", "not_in"]))
        values = list(ATTRS[attr][:2])
        return [{"type": "attr", "attr": attr, "op": op, "value": values if op in ("in", "not_in") else values[0]}]
    if kind == "amount":
        return [{"type": "attr", "attr": "amount", "op": draw(st.sampled_from(["lt", "ge"])),
                 "value": draw(st.sampled_from([50, 120, 500]))}]
    if kind == "created":
        return [{"type": "created_by_self"}]
    if kind == "other_owner":
        return [{"type": "owned_by_other"}]
    if kind == "window":
        return [{"type": "time_window", "days": ["mon", "tue", "wed", "thu", "fri"],
                 "start": draw(st.sampled_from(["08:00", "10:00"])), "end": "17:00"}]
    return []


@st.composite
def custom_permissions(draw: Any) -> dict[str, Any]:
    out: dict[str, dict[str, Any]] = {}
    for feature in draw(st.lists(st.sampled_from(FEATURES), min_size=1, max_size=4, unique=True)):
        actions = sorted(FEATURE_ACTIONS[Feature(feature)])
        for action in draw(st.lists(st.sampled_from(actions), min_size=1, max_size=2, unique=True)):
            spec: dict[str, Any] = {"scope": draw(st.sampled_from(["own", "assigned", "team", "location", "org"])),
                                    "conditions": draw(conditions())}
            if feature == "patients":
                spec["hidden_fields"] = draw(st.lists(st.sampled_from(PATIENT_HIDDEN), max_size=2, unique=True))
            out.setdefault(feature, {})[action] = spec
    return out


class Clinic:
    """Random rows, inserted straight through the store."""

    def __init__(self, draw: Any, s: Any, now: Any) -> None:
        self.draw, self.s, self.now = draw, s, now
        self.orgs: list[str] = []
        self.members: dict[str, list[str]] = {}
        self.teams: dict[str, list[str]] = {}
        self.locations: dict[str, list[str]] = {}

    def pick(self, values: Any, *, maybe: bool = False) -> Any:
        values = list(values)
        if maybe:
            values = [None, *values]
        return self.draw(st.sampled_from(values)) if values else None

    def moment(self) -> Any:
        hours = self.draw(st.sampled_from([None, None, -30, -1, 2, 48]))
        return None if hours is None else self.now + timedelta(hours=hours)

    def add(self, row: Any) -> Any:
        self.s.add(row)
        self.s.flush()
        return row

    def org(self, name: str) -> str:
        org = self.add(Organisation(
            id=new_id("org"), name=name, plan=self.pick(["free", "practice", "enterprise"]),
            trial_ends_at=self.moment(), preset=None,
            settings={"session_visibility": self.draw(st.booleans()),
                      "visibility_roles": self.draw(st.lists(st.sampled_from(VISIBILITY_ROLES), min_size=1,
                                                             max_size=2, unique=True)),
                      "billing_policy": self.pick(["owners_and_administrators", "owners_only"]),
                      "template_manager_enabled": self.draw(st.booleans())},
            seats_purchased=100, seat_price_cents=0, currency="USD", term_start=self.now,
            term_end=self.now + timedelta(days=365), created_at=self.now))
        self.orgs.append(org.id)
        self.teams[org.id] = [self.add(Team(id=new_id("team"), org_id=org.id, name=f"t{i}", created_at=self.now)).id
                              for i in range(3)]
        region = self.add(Location(id=new_id("loc"), org_id=org.id, name="region", kind="region", created_at=self.now))
        self.locations[org.id] = [region.id] + [self.add(Location(
            id=new_id("loc"), org_id=org.id, name=f"site{i}", kind="location", parent_id=region.id,
            created_at=self.now)).id for i in range(2)]
        customs = [self.add(CustomRole(id=new_id("role"), org_id=org.id, name=f"custom{i}",
                                       parent=self.pick(BUILTIN, maybe=True), rank=30,
                                       permissions=self.draw(custom_permissions()), created_at=self.now,
                                       updated_at=self.now)).id
                   for i in range(self.draw(st.integers(0, 2)))]
        self.members[org.id] = [self.member(org.id, customs, i) for i in range(self.draw(st.integers(3, 6)))]
        return org.id

    def member(self, org_id: str, customs: list[str], i: int) -> str:
        user = self.add(User(id=new_id("usr"), email=f"{new_id('u')}@example.org", name=f"m{i}", kind="person",
                             created_at=self.now))
        status = self.draw(st.sampled_from(["active"] * 5 + ["disabled", "invited"]))
        member = self.add(Membership(id=new_id("mem"), org_id=org_id, user_id=user.id, status=status, title="",
                                     profile={}, created_at=self.now))
        for role in self.draw(st.lists(st.sampled_from([*BUILTIN, *customs]), min_size=1, max_size=2, unique=True)):
            limit = self.pick(["none", "none", "team", "location"])
            self.add(RoleAssignmentRow(
                id=new_id("ra"), org_id=org_id, membership_id=member.id, role_key=role,
                team_id=self.pick(self.teams[org_id]) if limit == "team" and role != "owner" else None,
                location_id=self.pick(self.locations[org_id]) if limit == "location" and role != "owner" else None,
                expires_at=None if role == "owner" else self.moment(), created_at=self.now))
        for team in self.draw(st.lists(st.sampled_from(self.teams[org_id]), max_size=2, unique=True)):
            self.add(TeamMember(team_id=team, membership_id=member.id, org_id=org_id))
        for loc in self.draw(st.lists(st.sampled_from(self.locations[org_id]), max_size=1)):
            self.add(MemberLocation(location_id=loc, membership_id=member.id, org_id=org_id))
        return str(member.id)

    def who(self, org_id: str, *, maybe: bool = False) -> Any:
        return self.pick(self.members[org_id], maybe=maybe)

    def team(self, org_id: str) -> Any:
        return self.pick(self.teams[org_id], maybe=True)

    def place(self, org_id: str) -> Any:
        return self.pick(self.locations[org_id], maybe=True)

    def anyone(self) -> Any:
        """Mostly a member of the organisation at hand, sometimes of the other one (nothing may cross)."""
        return self.pick([m for ms in self.members.values() for m in ms])


def fill(c: Clinic, org_id: str) -> None:
    d, now, add, who = c.draw, c.now, c.add, c.who
    patients = []
    for _ in range(d(st.integers(1, 3))):
        p = add(Patient(id=new_id("pat"), org_id=org_id, name="P", team_id=c.team(org_id), location_id=c.place(org_id),
                        details={"ssn": "1", "email": "p@x"}, created_by=who(org_id, maybe=True), created_at=now))
        for m in d(st.lists(st.sampled_from(c.members[org_id]), max_size=2, unique=True)):
            add(CareTeamMember(patient_id=p.id, membership_id=m, org_id=org_id))
        for _ in range(d(st.integers(0, 2))):
            add(PatientAccess(id=new_id("pac"), org_id=org_id, patient_id=p.id, membership_id=c.anyone(),
                              kind=d(st.sampled_from(["explicit", "break_glass", "requested"])),  # the same reach
                              until=c.moment(), reason="", granted_by=None, created_at=now))
        patients.append(p.id)
    for _ in range(d(st.integers(2, 5))):
        ses = add(ClinicalSession(id=new_id("ses"), org_id=org_id, owner_id=who(org_id), created_by=who(org_id),
                                  team_id=c.team(org_id), location_id=c.place(org_id),
                                  patient_id=c.pick(patients, maybe=True), title="", recording="none",
                                  status=c.pick(["draft", "completed", "signed"]), created_at=now))
        for m in d(st.lists(st.sampled_from([m for ms in c.members.values() for m in ms]), max_size=3, unique=True)):
            if m != ses.owner_id:
                add(SessionShare(session_id=ses.id, membership_id=m, org_id=org_id,
                                 level=c.pick(["view", "edit", "full"]), created_at=now))
        if d(st.booleans()):
            add(SessionNote(session_id=ses.id, org_id=org_id, body="n", created_at=now, updated_at=now))
        if d(st.booleans()):
            add(SessionTranscript(session_id=ses.id, org_id=org_id, body="t", created_at=now, updated_at=now))
        for _ in range(d(st.integers(0, 1))):
            add(ContextEntry(id=new_id("ctx"), org_id=org_id, session_id=ses.id, body="c",
                             created_by=who(org_id), created_at=now))
        for _ in range(d(st.integers(0, 1))):
            add(SessionDocument(id=new_id("doc"), org_id=org_id, session_id=ses.id, kind="letter", title="d",
                                created_by=who(org_id), created_at=now))
    for _ in range(d(st.integers(0, 3))):
        tpl = add(Template(id=new_id("tpl"), org_id=org_id, owner_id=who(org_id, maybe=True), name="t",
                           visibility=c.pick(["personal", "team", "org"]), created_at=now))
        for team in d(st.lists(st.sampled_from(c.teams[org_id]), max_size=2, unique=True)):
            add(TemplateTeam(template_id=tpl.id, team_id=team, org_id=org_id))
    for _ in range(d(st.integers(0, 2))):
        add(Appointment(id=new_id("apt"), org_id=org_id, provider_id=who(org_id),
                        patient_id=c.pick(patients, maybe=True),
                        team_id=c.team(org_id), location_id=c.place(org_id), starts_at=now, ends_at=now,
                        status=c.pick(["booked", "cancelled"]), created_by=who(org_id), created_at=now))
        add(PatientMessage(id=new_id("pmsg"), org_id=org_id, patient_id=c.pick(patients),
                           direction=c.pick(["inbound", "outbound"]), body="m", created_by=who(org_id), created_at=now))
    money(c, org_id, patients)
    for _ in range(d(st.integers(0, 2))):
        product = add(Product(id=new_id("prd"), org_id=org_id, location_id=c.place(org_id), name="p", created_at=now))
        add(StockOrder(id=new_id("ord"), org_id=org_id, product_id=product.id, quantity=1,
                       status=c.pick(["ordered", "received"]), created_by=who(org_id), created_at=now))
        add(Call(id=new_id("call"), org_id=org_id, patient_id=c.pick(patients, maybe=True),
                 assigned_to=who(org_id, maybe=True), status=c.pick(["open", "closed"]),
                 transcript=c.pick(["hello"], maybe=True), created_by=who(org_id), created_at=now))
    for _ in range(d(st.integers(0, 2))):
        kind = c.pick(["personal", "shared"])
        owner = who(org_id) if kind == "personal" else None
        room = add(Room(id=new_id("room"), org_id=org_id, kind=kind, name="r", owner_id=owner,
                        personal_owner=None, created_by=who(org_id), created_at=now))
        for m in d(st.lists(st.sampled_from(c.members[org_id]), max_size=2, unique=True)):
            add(RoomMember(room_id=room.id, membership_id=m, org_id=org_id))


def money(c: Clinic, org_id: str, patients: list[str]) -> None:
    d, now, add, who = c.draw, c.now, c.add, c.who
    for _ in range(d(st.integers(0, 2))):
        cents = d(st.sampled_from([4_999, 12_000, 49_999, 50_000, 70_000]))
        add(Invoice(id=new_id("inv"), org_id=org_id, patient_id=c.pick(patients, maybe=True),
                    location_id=c.place(org_id), number="1", amount_cents=cents,
                    status=c.pick(["draft", "paid"]), created_by=who(org_id), created_at=now))
        add(Charge(id=new_id("chg"), org_id=org_id, location_id=c.place(org_id), description="c", amount_cents=cents,
                   status=c.pick(["pending", "approved"]), requested_by=who(org_id, maybe=True),
                   approved_by=who(org_id, maybe=True), created_at=now))
        add(Payment(id=new_id("pay"), org_id=org_id, location_id=c.place(org_id), amount_cents=cents,
                    status=c.pick(["pending", "processed"]), created_by=who(org_id), created_at=now))
        add(Refund(id=new_id("rfd"), org_id=org_id, location_id=c.place(org_id), amount_cents=cents, reason="r",
                   status=c.pick(["requested", "approved"]), requested_by=who(org_id, maybe=True),
                   approved_by=who(org_id, maybe=True), created_at=now))


def candidates(s: Any, name: str) -> list[Any]:
    """Every stored row of a kind, in every organisation (decide must refuse the other one's)."""
    k = KINDS[name]
    rows = list(s.scalars(select(k.model)))
    if name == "notes":
        rows = [r for r in rows if store_records.note(s, session_id=r.id) is not None]
    elif name == "transcripts":
        rows = [r for r in rows if store_records.transcript(s, session_id=r.id) is not None]
    elif name == "call_transcripts":
        rows = [r for r in rows if r.transcript is not None]
    return rows


def all_resources(s: Any) -> dict[str, list[tuple[str, Any]]]:
    """Every stored object of every kind as the engine sees it, built by service/resources (per organisation)."""
    out: dict[str, list[tuple[str, Any]]] = {}
    for name, k in KINDS.items():
        rows = candidates(s, name)
        out[name] = []
        for org_id in sorted({r.org_id for r in rows}):
            mine = [r for r in rows if r.org_id == org_id]
            out[name] += [(r.id, res) for r, res in zip(mine, k.resources(s, org_id, mine), strict=True)]
    return out


def allowed_ids(uow: Any, subject: Any, objects: list[tuple[str, Any]], action: Action) -> set[str]:
    context = uow.context()
    return {object_id for object_id, resource in objects if decide(subject, action, resource, context).allowed}


def looked_up(uow: Any, actor: Any, name: str, action: Action, page: int) -> list[str]:
    ids: list[str] = []
    after = None
    while True:
        answer = lookup_service.lookup(uow, actor, type=name, action=str(action), limit=page, after=after)
        ids += answer.ids
        if answer.next_cursor is None:
            return ids
        after = answer.next_cursor


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_lookups_select_exactly_what_decide_allows(services: Any, wipe: Any, clock: Any, data: Any) -> None:
    wipe()
    with services.unit() as uow:
        clinic = Clinic(data.draw, uow.session, uow.now)
        orgs = [clinic.org("A"), clinic.org("B")]
        for org_id in orgs:
            fill(clinic, org_id)
    clock.advance(minutes=data.draw(st.sampled_from([0, 90, 60 * 30])))
    page = data.draw(st.sampled_from([2, 5, 1000]))
    checked = 0
    with services.unit(write=False) as uow:
        objects = all_resources(uow.session)
        for org_id in orgs:
            org = repo.get_org(uow.session, org_id=org_id)
            for member_id in clinic.members[org_id]:
                member = repo.get_member(uow.session, org_id=org_id, member_id=member_id)
                user = repo.get_user(uow.session, user_id=member.user_id)
                actor = actor_for_member(uow, org, member, user)
                for name, k in KINDS.items():
                    actions = [Action.READ, *(Action(a) for a in OTHER_ACTIONS
                                              if Action(a) in FEATURE_ACTIONS[k.feature])]
                    for action in actions:
                        try:
                            predicate_for(actor.subject, k.feature, action, uow.context())
                        except NotFilterable:
                            continue
                        got = looked_up(uow, actor, name, action, page)
                        assert got == sorted(got) and len(got) == len(set(got)), "pages in id order, no repeats"
                        want = allowed_ids(uow, actor.subject, objects[name], action)
                        assert set(got) == want, (name, str(action), member_id)
                        checked += 1
                    predicate = predicate_for(actor.subject, k.feature, Action.READ, uow.context())
                    total = lookups.count(uow.session, spec=lookups.LISTS[name], org_id=org_id, predicate=predicate)
                    assert total == len(allowed_ids(uow, actor.subject, objects[name], Action.READ)), name
    assert checked > 0

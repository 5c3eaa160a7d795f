"""Invariants of the decision engine over random clinics (hypothesis).

Random organisations (2-3) with random settings; members with random role sets (built-in roles and custom
roles made through `validate_role` or `RoleSpec` + `resolve_role`), random team / location limits and expiry
dates, random statuses and API key scopes; random objects of random features with random owners, teams,
locations, attributes and grants. Member ids are shared between organisations on purpose: one person may
belong to several organisations, and an id match must never carry access across.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from ipaddress import IPv4Address, IPv6Address, ip_network
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caregate.engine import (
    BUILTIN_ROLES,
    FEATURE_ACTIONS,
    SHARE_LEVELS,
    Action,
    BillingPolicy,
    Context,
    Decision,
    Feature,
    Grant,
    GrantKind,
    MemberStatus,
    OrgPolicy,
    Permission,
    Plan,
    ReasonKind,
    Resource,
    RoleAssignment,
    RoleSpec,
    Scope,
    ShareLevel,
    Subject,
    SubjectKind,
    compile_index,
    decide,
    validate_role,
)
from caregate.engine.catalog import PATIENT_ACCESS_PERMITS, STORED_ATTRIBUTES
from caregate.engine.conditions import AttrCompare, IpIn, MfaWithin, Op, TimeWindow
from caregate.engine.roles import resolve_role

NOW = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)
ORGS = ("org-a", "org-b", "org-c")
TEAMS = {org: tuple(f"{org}/t{i}" for i in range(3)) for org in ORGS}
LOCATIONS = {org: tuple(f"{org}/l{i}" for i in range(3)) for org in ORGS}
ALL_TEAMS = tuple(t for ts in TEAMS.values() for t in ts)
ALL_LOCATIONS = tuple(loc for ls in LOCATIONS.values() for loc in ls)
MEMBERS = ("m0", "m1", "m2", "m3")
ALL_KEYS = tuple((f, a) for f, actions in FEATURE_ACTIONS.items() for a in sorted(actions))
CLINICAL = (Feature.SESSIONS, Feature.NOTES, Feature.TRANSCRIPTS, Feature.CONTEXT, Feature.DOCUMENTS)
ALLOWING_KINDS = {ReasonKind.ROLE, ReasonKind.GRANT, ReasonKind.SETTING}
DENYING_KINDS = {ReasonKind.DEFAULT, ReasonKind.FORBID, ReasonKind.STATUS, ReasonKind.SCOPE}

_OWNER_INDEX = compile_index([RoleAssignment(BUILTIN_ROLES["owner"])], OrgPolicy("org-a"))

# CAREGATE_PROPERTY_EXAMPLES raises the count for a deeper run (the default keeps the suite fast).
SETTINGS = settings(
    max_examples=int(os.environ.get("CAREGATE_PROPERTY_EXAMPLES", "100")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# --- strategies ------------------------------------------------------------------------------------------


def mostly(usual: Any, rare: Any) -> Any:
    """`usual` three times in four: keeps enough allowed decisions for the invariants to bite."""
    return st.one_of(usual, usual, usual, rare)


conditions = st.one_of(
    st.builds(AttrCompare, st.just("amount"), st.sampled_from([Op.LT, Op.GE, Op.EQ]),
              st.integers(0, 1000)),
    st.builds(AttrCompare, st.just("visibility"), st.just(Op.IN), st.just(("team", "org"))),
    st.builds(TimeWindow, st.frozensets(st.integers(0, 6), min_size=1), st.sampled_from([time(9), time(22)]),
              st.sampled_from([time(6), time(17)]), st.sampled_from(["UTC", "Europe/Oslo", "Asia/Tokyo"])),
    st.builds(IpIn, st.just((ip_network("10.0.0.0/8"), ip_network("2001:db8::/32")))),
    st.builds(MfaWithin, st.integers(1, 60)),
)


@st.composite
def permissions_for(draw: Any, key: tuple[Feature, Action]) -> Permission:
    feature, action = key
    hidden = draw(st.frozensets(st.sampled_from(["ssn", "insurance", "clinical_summary"]))) \
        if feature is Feature.PATIENTS else frozenset()
    return Permission(feature, action, draw(st.sampled_from(list(Scope))),
                      tuple(draw(st.lists(conditions, max_size=1))), hidden)


overrides = st.dictionaries(
    st.sampled_from(ALL_KEYS),
    st.just(None),
    max_size=6,
).flatmap(lambda keys: st.fixed_dictionaries(
    {k: st.lists(permissions_for(k), max_size=2).map(tuple) for k in keys}))


@st.composite
def spec_roles(draw: Any) -> Any:
    """A custom role (sometimes a child of another custom role) resolved through RoleSpec + resolve_role."""
    n = draw(st.integers(0, 10_000))
    parent = draw(st.sampled_from([None, *sorted(BUILTIN_ROLES)]))
    base = RoleSpec(f"custom-{n}", f"Custom {n}", parent, draw(st.integers(1, 100)), draw(overrides))
    if draw(st.booleans()):
        return resolve_role(base, {})
    child = RoleSpec(f"child-{n}", f"Child {n}", base.key, draw(st.integers(1, 100)), draw(overrides))
    return resolve_role(child, {base.key: base})


_SCOPE_TEXT = st.sampled_from([s.value for s in Scope])
_CONDITION_DATA = st.one_of(
    st.builds(lambda v: {"type": "attr", "attr": "amount", "op": "lt", "value": v}, st.integers(1, 1000)),
    st.just({"type": "time_window", "days": ["mon", "tue", "wed"], "start": "08:00", "end": "18:00",
             "timezone": "Europe/Oslo"}),
    st.just({"type": "ip", "networks": ["10.0.0.0/8", "2001:db8::/32"]}),
    st.just({"type": "mfa_within", "minutes": 15}),
)


@st.composite
def validated_roles(draw: Any) -> Any:
    """A custom role written as data and validated as an Owner would create it."""
    permissions: dict[str, dict[str, object]] = {}
    for feature, action in draw(st.lists(st.sampled_from(ALL_KEYS), max_size=6, unique=True)):
        choice = draw(st.sampled_from(["scope", "object", "null"]))
        if choice == "scope":
            value: object = draw(_SCOPE_TEXT)
        elif choice == "object":
            conditions = draw(st.lists(_CONDITION_DATA, max_size=1))
            if feature in STORED_ATTRIBUTES and "amount" not in STORED_ATTRIBUTES[feature]:
                # validation refuses conditions on attributes the store cannot filter (tested elsewhere)
                conditions = [c for c in conditions if c["type"] != "attr"]
            value = {"scope": draw(_SCOPE_TEXT), "conditions": conditions}
        else:
            value = None
        permissions.setdefault(str(feature), {})[str(action)] = value
    n = draw(st.integers(0, 10_000))
    data = {"name": f"Validated {n}", "parent": draw(st.sampled_from([None, *sorted(BUILTIN_ROLES)])),
            "rank": draw(st.integers(1, 100)), "permissions": permissions}
    _, role = validate_role(data, key=f"validated-{n}", existing={}, creator=_OWNER_INDEX)
    return role


roles = st.one_of(
    st.sampled_from(sorted(BUILTIN_ROLES.values(), key=lambda r: r.key)),
    st.sampled_from(sorted(BUILTIN_ROLES.values(), key=lambda r: r.key)),
    spec_roles(),
    validated_roles(),
)


@st.composite
def assignments(draw: Any, org: str) -> RoleAssignment:
    role = draw(roles)
    team_id = draw(mostly(st.none(), st.sampled_from(TEAMS[org])))
    location_ids = draw(mostly(st.just(frozenset()), st.frozensets(st.sampled_from(LOCATIONS[org]), max_size=2)))
    location_id = sorted(location_ids)[0] if location_ids else None
    expires = draw(mostly(st.none(), st.integers(-48, 48).map(lambda h: NOW + timedelta(hours=h))))
    return RoleAssignment(role, team_id=team_id, location_id=location_id, location_ids=location_ids,
                          expires_at=expires)


@st.composite
def policies(draw: Any, org: str, visibility_choices: tuple[str, ...] = tuple(sorted(BUILTIN_ROLES))) -> OrgPolicy:
    return OrgPolicy(
        org,
        plan=draw(st.sampled_from(list(Plan))),
        trial_ends_at=draw(st.one_of(st.none(), st.integers(-30, 30).map(lambda d: NOW + timedelta(days=d)))),
        session_visibility=draw(st.booleans()),
        visibility_roles=draw(st.frozensets(st.sampled_from(visibility_choices), min_size=1, max_size=3)),
        billing_policy=draw(st.sampled_from(list(BillingPolicy))),
        template_manager_enabled=draw(st.booleans()),
    )


api_scopes = mostly(
    st.none(),
    st.frozensets(st.one_of(
        st.sampled_from(ALL_KEYS).map(lambda k: f"{k[0]}:{k[1]}"),
        st.sampled_from([f"{f}:*" for f in Feature] + [f"*:{a}" for a in Action] + ["*:*"]),
    ), max_size=4),
)


@st.composite
def members(
    draw: Any, *, status: Any = None, org: str | None = None, scoped: bool = True
) -> tuple[Subject, list[RoleAssignment]]:
    """A subject and the assignments it was compiled from (so tests can add roles to it)."""
    org = org or draw(st.sampled_from(ORGS))
    policy = draw(policies(org))
    held = draw(st.lists(assignments(org), min_size=1, max_size=3))
    subject = Subject(
        member_id=draw(st.sampled_from(MEMBERS)),
        org_id=org,
        status=draw(st.sampled_from(list(MemberStatus))) if status is None else status,
        index=compile_index(held, policy),
        org=policy,
        # sometimes a team or location of another organisation, as a corrupt or stale record might carry
        team_ids=draw(st.frozensets(st.sampled_from(TEAMS[org] + ALL_TEAMS[:1]), max_size=2)),
        location_ids=draw(st.frozensets(st.sampled_from(LOCATIONS[org]), max_size=2)),
        kind=draw(st.sampled_from(list(SubjectKind))),
        api_scopes=draw(api_scopes) if scoped else None,
    )
    return subject, held


def recompile(subject: Subject, held: list[RoleAssignment]) -> Subject:
    return replace(subject, index=compile_index(held, subject.org))


@st.composite
def grants(draw: Any, feature: Feature) -> Grant:
    kind = draw(st.sampled_from(list(GrantKind)))
    if kind is GrantKind.SHARE:
        level = draw(st.sampled_from(list(ShareLevel)))
        permits, level_text = SHARE_LEVELS[level], str(level)
    else:
        near = [k for k in ALL_KEYS if k[0] is feature]
        permits = frozenset(draw(st.lists(st.sampled_from(near or list(ALL_KEYS)), min_size=1, max_size=3)))
        level_text = ""
    until = draw(st.one_of(st.none(), st.integers(-5, 5).map(lambda h: NOW + timedelta(hours=h))))
    return Grant(kind, f"g{draw(st.integers(0, 99))}", permits, level=level_text, until=until)


attr_values = {
    "amount": st.one_of(st.integers(-10, 2000), st.floats(0, 2000, allow_nan=False), st.text(max_size=3),
                        st.none(), st.booleans()),
    "visibility": st.sampled_from(["personal", "team", "org", "", 3]),
    "requested_by": st.one_of(st.none(), st.sampled_from(MEMBERS)),
    "approved_by": st.one_of(st.none(), st.sampled_from(MEMBERS)),
    "rank": st.one_of(st.integers(0, 120), st.booleans(), st.just("100")),
    "new_rank": st.one_of(st.integers(0, 120), st.booleans()),
    "is_owner": st.booleans(),
    "last_active_owner": st.one_of(st.booleans(), st.just("yes")),
    "removes_owner": st.booleans(),
    "owner_seat": st.sampled_from(["standard", "support", "other"]),
    "plan_feature": st.sampled_from(["session_visibility", "shared_rooms", "sso", "advanced_audit",
                                     "custom_roles", "nonsense"]),
    "kind": st.sampled_from(["billing", "clinical"]),
}
attrs = st.dictionaries(st.sampled_from(sorted(attr_values)), st.none(), max_size=5).flatmap(
    lambda keys: st.fixed_dictionaries({k: attr_values[k] for k in keys}))


@st.composite
def resources(draw: Any, *, org: str | None = None, feature: Feature | None = None,
              with_grants: bool = True) -> Resource:
    org = org or draw(st.sampled_from(ORGS))
    # half the time a clinical feature or patients, where shares and visibility apply
    feature = feature or draw(st.one_of(st.sampled_from(list(Feature)), st.sampled_from([*CLINICAL, Feature.PATIENTS])))
    members_or_none = st.one_of(st.none(), st.sampled_from(MEMBERS))
    granted = {}
    if with_grants:
        granted = draw(st.dictionaries(st.sampled_from(MEMBERS), st.lists(grants(feature), min_size=1,
                                                                          max_size=2).map(tuple), max_size=2))
    return Resource(
        kind=feature,
        org_id=org,
        id=draw(st.one_of(st.none(), st.sampled_from(MEMBERS), st.just("obj-1"))),
        owner_id=draw(members_or_none),
        created_by=draw(members_or_none),
        team_ids=draw(mostly(st.frozensets(st.sampled_from(TEAMS[org]), max_size=2),
                             st.frozensets(st.sampled_from(ALL_TEAMS), max_size=2))),
        location_ids=draw(mostly(st.frozensets(st.sampled_from(LOCATIONS[org]), max_size=2),
                                 st.frozensets(st.sampled_from(ALL_LOCATIONS), max_size=2))),
        assigned_ids=draw(st.frozensets(st.sampled_from(MEMBERS), max_size=2)),
        patient_id=draw(st.one_of(st.none(), st.just("p1"))),
        grants=granted,
        attrs=draw(attrs),
    )


def actions_for(resource: Resource, member: str | None = None) -> Any:
    """An action of the resource's feature, any action, or (often) one a grant to `member` permits."""
    options = [st.sampled_from(sorted(FEATURE_ACTIONS[resource.kind])), st.sampled_from(list(Action))]
    granted = sorted({a for g in resource.grants.get(member or "", ()) for f, a in g.permits if f is resource.kind})
    if granted:
        options += [st.sampled_from(granted)] * 2
    return st.one_of(*options)


contexts = st.builds(
    Context,
    now=st.integers(-72 * 60, 72 * 60).map(lambda m: NOW + timedelta(minutes=m)),
    ip=st.one_of(st.none(), st.sampled_from([IPv4Address("10.1.2.3"), IPv4Address("192.0.2.7"),
                                             IPv6Address("2001:db8::1"), IPv6Address("::1")])),
    mfa_at=st.one_of(st.none(), st.integers(0, 120).map(lambda m: NOW - timedelta(minutes=m))),
)


def same_org_case(draw: Any, **member_kw: Any) -> tuple[Subject, list[RoleAssignment], Resource]:
    subject, held = draw(members(**member_kw))
    org = draw(mostly(st.just(subject.org_id), st.sampled_from(ORGS)))
    return subject, held, draw(resources(org=org))


@st.composite
def likely_allowed(draw: Any) -> tuple[Subject, list[RoleAssignment], Resource, Action]:
    """An active member and a request their roles plausibly allow: a key they hold, on their own things."""
    subject, held = draw(members(status=MemberStatus.ACTIVE, scoped=False))
    held_keys = sorted(subject.index.rules)
    if held_keys and draw(mostly(st.just(True), st.just(False))):
        feature, action = draw(st.sampled_from(held_keys))
        resource = draw(resources(org=subject.org_id, feature=feature))
    else:
        resource = draw(resources(org=subject.org_id))
        action = draw(actions_for(resource, subject.member_id))
    me = subject.member_id
    resource = replace(
        resource,
        owner_id=draw(mostly(st.just(me), st.just(resource.owner_id))),
        created_by=draw(mostly(st.just(me), st.just(resource.created_by))),
        assigned_ids=resource.assigned_ids | draw(mostly(st.just(frozenset({me})), st.just(frozenset()))),
        team_ids=resource.team_ids | draw(mostly(st.just(subject.team_ids), st.just(frozenset()))),
        location_ids=resource.location_ids | draw(mostly(st.just(subject.location_ids), st.just(frozenset()))),
    )
    return subject, held, resource, action


# --- properties ------------------------------------------------------------------------------------------


def assert_well_formed(decision: Decision) -> None:
    assert isinstance(decision, Decision)
    assert decision.reasons, "every decision carries at least one reason"
    if decision.allowed:
        assert decision.reasons[0].kind in ALLOWING_KINDS, decision.reasons
        assert all(r.kind in ALLOWING_KINDS for r in decision.reasons), decision.reasons
    else:
        assert any(r.kind in DENYING_KINDS for r in decision.reasons), decision.reasons
        assert decision.hidden_fields == frozenset()


@SETTINGS
@given(st.data())
def test_decide_never_raises_and_always_explains(data: st.DataObject) -> None:
    subject, _, resource = same_org_case(data.draw)
    action = data.draw(actions_for(resource, subject.member_id))
    assert_well_formed(decide(subject, action, resource, data.draw(contexts)))


@SETTINGS
@given(st.data())
def test_nothing_crosses_organisations(data: st.DataObject) -> None:
    subject, _ = data.draw(members())
    other = data.draw(st.sampled_from([o for o in ORGS if o != subject.org_id]))
    resource = data.draw(resources(org=other))
    decision = decide(subject, data.draw(actions_for(resource)), resource, data.draw(contexts))
    assert not decision.allowed
    expected = "forbid:cross-org" if subject.status is MemberStatus.ACTIVE else f"status:{subject.status}"
    assert decision.reasons[0].code == expected


@SETTINGS
@given(st.data())
def test_a_member_who_is_not_active_is_never_allowed(data: st.DataObject) -> None:
    status = data.draw(st.sampled_from([s for s in MemberStatus if s is not MemberStatus.ACTIVE]))
    subject, _, resource = same_org_case(data.draw, status=status)
    decision = decide(subject, data.draw(actions_for(resource)), resource, data.draw(contexts))
    assert not decision.allowed
    assert decision.reasons[0].kind is ReasonKind.STATUS
    assert decision.reasons[0].code == f"status:{status}"


@SETTINGS
@given(st.data())
def test_adding_roles_never_removes_an_allowance(data: st.DataObject) -> None:
    subject, held, resource, action = data.draw(likely_allowed())
    more = data.draw(st.lists(assignments(subject.org_id), min_size=1, max_size=2))
    context = data.draw(contexts)
    before = decide(subject, action, resource, context)
    after = decide(recompile(subject, [*held, *more]), action, resource, context)
    if before.allowed:
        assert not any(r.kind is ReasonKind.FORBID for r in before.reasons)
        assert after.allowed, (before.message, after.message)
        assert after.hidden_fields <= before.hidden_fields, "a further role never hides more"


@SETTINGS
@given(st.data())
def test_grants_never_remove_access(data: st.DataObject) -> None:
    subject, _, resource, action = data.draw(likely_allowed())
    bare = replace(resource, grants={})
    extra = data.draw(st.lists(grants(bare.kind), min_size=1, max_size=3))
    others = {m: (data.draw(grants(bare.kind)),) for m in MEMBERS if m != subject.member_id}
    granted = replace(bare, grants={**others, subject.member_id: tuple(extra)})
    context = data.draw(contexts)
    before = decide(subject, action, bare, context)
    after = decide(subject, action, granted, context)
    if before.allowed:
        assert after.allowed, (before.message, after.message)
        assert after.hidden_fields <= before.hidden_fields
    # grants to other members give this member nothing
    assert decide(subject, action, replace(bare, grants=others), context).allowed == before.allowed


@SETTINGS
@given(st.data())
def test_the_last_active_owner_is_never_removed(data: st.DataObject) -> None:
    subject, _ = data.draw(members(status=MemberStatus.ACTIVE))
    target = data.draw(resources(org=subject.org_id, feature=Feature.MEMBERS))
    target = replace(target, attrs={**target.attrs, "last_active_owner": True, "removes_owner": True})
    for action in (Action.DISABLE, Action.ARCHIVE, Action.DELETE, Action.CHANGE_ROLE):
        assert not decide(subject, action, target, data.draw(contexts)).allowed


@SETTINGS
@given(st.data())
def test_only_the_session_owner_deletes(data: st.DataObject) -> None:
    subject, _ = data.draw(members(status=MemberStatus.ACTIVE))
    feature = data.draw(st.sampled_from([Feature.SESSIONS, Feature.NOTES, Feature.TRANSCRIPTS]))
    resource = data.draw(resources(org=subject.org_id, feature=feature))
    if resource.owner_id != subject.member_id:
        decision = decide(subject, Action.DELETE, resource, data.draw(contexts))
        assert not decision.allowed
        assert decision.reasons[0].code == "forbid:only-owner-deletes"


@SETTINGS
@given(st.data())
def test_shares_never_reach_a_template_manager_only_member(data: st.DataObject) -> None:
    # the visibility roles may include template_manager: the setting never reaches Template Managers either
    org = data.draw(st.sampled_from(ORGS))
    policy = data.draw(policies(org, tuple(sorted(BUILTIN_ROLES))))
    index = compile_index([RoleAssignment(BUILTIN_ROLES["template_manager"])], policy)
    subject = Subject(data.draw(st.sampled_from(MEMBERS)), org, MemberStatus.ACTIVE, index, policy,
                      team_ids=frozenset(TEAMS[org][:1]))
    feature = data.draw(st.sampled_from([*CLINICAL, Feature.PATIENTS]))
    resource = data.draw(resources(org=org, feature=feature))
    level = data.draw(st.sampled_from(list(ShareLevel)))
    share = Grant(GrantKind.SHARE, "s1", SHARE_LEVELS[level], level=str(level))
    shared = replace(resource, grants={subject.member_id: (share,)})
    for feature_, action in sorted(SHARE_LEVELS[ShareLevel.FULL]):
        decision = decide(subject, action, replace(shared, kind=feature_), data.draw(contexts))
        assert not decision.allowed, decision.message


@SETTINGS
@given(st.data())
def test_nobody_approves_their_own_request(data: st.DataObject) -> None:
    """Nor reviews their own emergency access, nor approves their own request for access to a patient."""
    subject, _ = data.draw(members(status=MemberStatus.ACTIVE))
    feature, action = data.draw(st.sampled_from([(Feature.REFUNDS, Action.APPROVE), (Feature.CHARGES, Action.APPROVE),
                                                 (Feature.TIME_TRACKING, Action.APPROVE),
                                                 (Feature.AUDIT, Action.REVIEW),
                                                 (Feature.PATIENTS, Action.APPROVE)]))
    resource = data.draw(resources(org=subject.org_id, feature=feature))
    resource = replace(resource, attrs={**resource.attrs, "requested_by": subject.member_id})
    decision = decide(subject, action, resource, data.draw(contexts))
    assert not decision.allowed
    assert decision.reasons[0].code == "forbid:separation-of-duties"


@SETTINGS
@given(st.data())
def test_break_glass_only_ever_adds_reading(data: st.DataObject) -> None:
    """Emergency access (the service's permits) changes no decision but a read, whatever the roles."""
    subject, _, resource = same_org_case(data.draw)
    action = data.draw(actions_for(resource, subject.member_id))
    glass = Grant(GrantKind.BREAK_GLASS, "bgl-1", PATIENT_ACCESS_PERMITS,
                  until=NOW + timedelta(hours=data.draw(st.integers(-2, 4))))
    context = data.draw(contexts)
    before = decide(subject, action, resource, context)
    after = decide(subject, action, replace(resource, grants={**resource.grants, subject.member_id: (
        *resource.grants.get(subject.member_id, ()), glass)}), context)
    if action is not Action.READ:
        assert after.allowed == before.allowed, (action, before.message, after.message)


@SETTINGS
@given(st.data())
def test_nobody_assigns_a_role_above_their_own_rank(data: st.DataObject) -> None:
    subject, _ = data.draw(members(status=MemberStatus.ACTIVE))
    resource = data.draw(resources(org=subject.org_id, feature=Feature.MEMBERS))
    new_rank = data.draw(st.integers(subject.rank + 1, subject.rank + 50))
    resource = replace(resource, attrs={**resource.attrs, "new_rank": new_rank})
    for action in (Action.INVITE, Action.CHANGE_ROLE):
        assert not decide(subject, action, resource, data.draw(contexts)).allowed


@SETTINGS
@given(st.data())
def test_nobody_changes_their_own_roles(data: st.DataObject) -> None:
    """Nor certifies or revokes their own access in an access review."""
    subject, _ = data.draw(members(status=MemberStatus.ACTIVE))
    resource = data.draw(resources(org=subject.org_id, feature=Feature.MEMBERS))
    resource = replace(resource, id=subject.member_id)
    action, code = data.draw(st.sampled_from([(Action.CHANGE_ROLE, "forbid:own-roles"),
                                              (Action.REVIEW, "forbid:own-access-review")]))
    decision = decide(subject, action, resource, data.draw(contexts))
    assert not decision.allowed
    assert decision.reasons[0].code == code


@pytest.mark.parametrize("plan", [Plan.FREE, Plan.PRACTICE])
def test_template_manager_chosen_for_visibility_still_gets_no_sessions(plan: Plan) -> None:
    policy = OrgPolicy("org-a", plan=plan, session_visibility=True,
                       visibility_roles=frozenset({"administrator", "template_manager"}))
    index = compile_index([RoleAssignment(BUILTIN_ROLES["template_manager"])], policy)
    subject = Subject("m0", "org-a", MemberStatus.ACTIVE, index, policy, team_ids=frozenset({"org-a/t0"}))
    share = Grant(GrantKind.SHARE, "s1", SHARE_LEVELS[ShareLevel.VIEW], level="view")
    team_session = Resource(Feature.SESSIONS, "org-a", owner_id="m1", team_ids=frozenset({"org-a/t0"}))
    shared_note = Resource(Feature.NOTES, "org-a", owner_id="m1", team_ids=frozenset({"org-a/t1"}),
                           grants={"m0": (share,)})
    # the share first: on the free plan the visibility rule itself is gated, the share is not
    assert not decide(subject, Action.READ, shared_note, Context(NOW)).allowed
    assert not decide(subject, Action.READ, team_session, Context(NOW)).allowed


@st.composite
def patient_readers(draw: Any) -> Any:
    """A role that reads patients, often hiding some fields: built-in or custom."""
    builtin = st.sampled_from([BUILTIN_ROLES[k] for k in ("front_desk", "billing", "clinician", "manager",
                                                          "assistant", "owner")])
    hidden = st.frozensets(st.sampled_from(["ssn", "insurance", "clinical_summary"]))
    scope = st.sampled_from([Scope.ORG, Scope.ASSIGNED, Scope.TEAM])
    n = draw(st.integers(0, 999))
    custom = st.builds(
        lambda h, sc: resolve_role(RoleSpec(f"reader-{n}", f"Reader {n}", None, 20, {
            (Feature.PATIENTS, Action.READ): (Permission(Feature.PATIENTS, Action.READ, sc, (), h),)}), {}),
        hidden, scope)
    return draw(st.one_of(builtin, custom))


@SETTINGS
@given(st.data())
def test_combined_roles_see_at_least_what_each_role_sees(data: st.DataObject) -> None:
    org = data.draw(st.sampled_from(ORGS))
    policy = data.draw(policies(org))
    held = data.draw(st.lists(patient_readers(), min_size=2, max_size=3))
    me = data.draw(st.sampled_from(MEMBERS))
    teams = frozenset(TEAMS[org][:1])
    patient = Resource(Feature.PATIENTS, org, owner_id=None, team_ids=data.draw(st.sampled_from(
        [teams, frozenset(TEAMS[org][1:2])])), assigned_ids=data.draw(st.sampled_from([frozenset({me}), frozenset()])))
    context = Context(NOW)

    def reading(roles_held: list[Any]) -> Decision:
        index = compile_index([RoleAssignment(r) for r in roles_held], policy)
        return decide(Subject(me, org, MemberStatus.ACTIVE, index, policy, team_ids=teams), Action.READ, patient,
                      context)

    combined = reading(held)
    for role in held:
        alone = reading([role])
        if alone.allowed:
            assert combined.allowed
            assert combined.hidden_fields <= alone.hidden_fields, (role.key, combined.reasons)


_SWEEP_SETTINGS = (
    {},
    {"plan": Plan.PRACTICE, "session_visibility": True, "visibility_roles": ("administrator", "clinician")},
    {"billing_policy": BillingPolicy.OWNERS_ONLY, "template_manager_enabled": False},
)


@pytest.mark.parametrize("settings_", _SWEEP_SETTINGS, ids=["defaults", "visibility", "owners-only-no-tm"])
@pytest.mark.parametrize("share", [None, "view", "full"])
def test_builtin_roles_are_additive_in_every_situation(clinic: Any, settings_: dict[str, Any],
                                                       share: str | None) -> None:
    """Exhaustive, not random: every pair of built-in roles, every situation of the clinic, every action."""
    keys = sorted(BUILTIN_ROLES)
    where = {} if share is None else {"share": share}
    cases = [(clinic.resource(name, **where), action)
             for name, spec in sorted(clinic.situations.items())
             for action in sorted(FEATURE_ACTIONS[spec["kind"]])]
    singles = {k: clinic.subject([k], settings=settings_) for k in keys}
    for first in keys:
        before = [decide(singles[first], action, res, clinic.context()) for res, action in cases]
        for second in keys:
            pair = clinic.subject([first, second], settings=settings_)
            for (res, action), was in zip(cases, before, strict=True):
                if was.allowed:
                    now = decide(pair, action, res, clinic.context())
                    assert now.allowed, (first, second, res.kind, action, now.message)
                    assert now.hidden_fields <= was.hidden_fields, (first, second, res.kind, action)

"""The decision API for other software: "may this member do this to that?", one question or a batch.

The object is either one caregate stores (named by type and id; its facts are read from the database)
or one the caller describes (its owner, teams, locations, shares ...). Either way it is in the caller's
organisation: nothing crosses organisations. Asking about oneself needs no permission; asking about
someone else needs decisions:check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from caregate.engine import (
    FEATURE_ACTIONS,
    SHARE_LEVELS,
    Action,
    Decision,
    Feature,
    Grant,
    GrantKind,
    Resource,
    ShareLevel,
    decide,
)
from caregate.engine.catalog import CLINICAL_FEATURES
from caregate.service import resources
from caregate.service.actors import Actor, actor_for_member, org_roles
from caregate.service.authz import authorize
from caregate.service.clinical.kinds import KINDS, session_resource
from caregate.service.context import UnitOfWork
from caregate.service.errors import Invalid, NotFound
from caregate.service.members import normal_email, target_resource
from caregate.service.views import DecisionView, ReasonView
from caregate.store import records, repo
from caregate.store.tables import Membership

MAX_BATCH = 100
ORG_LEVEL = frozenset({Feature.SETTINGS, Feature.SUBSCRIPTION, Feature.SEATS, Feature.AUDIT, Feature.ROLES,
                       Feature.API_KEYS, Feature.ORGANISATION, Feature.DECISIONS, Feature.ANALYTICS})
# What caregate keeps itself: named by id, its facts are read from the database, never taken from the caller.
STORED = ORG_LEVEL | CLINICAL_FEATURES | {Feature.PATIENTS, Feature.MEMBERS, Feature.TEAMS, Feature.LOCATIONS,
                                          Feature.TEMPLATES, Feature.APPOINTMENTS, Feature.MESSAGES, Feature.INVOICES,
                                          Feature.CHARGES, Feature.PAYMENTS, Feature.REFUNDS, Feature.INVENTORY,
                                          Feature.CALLS, Feature.CALL_TRANSCRIPTS, Feature.ROOMS}


@dataclass(frozen=True, slots=True)
class Described:
    """An object the caller describes instead of caregate storing it."""

    owner_id: str | None = None
    created_by: str | None = None
    team_ids: tuple[str, ...] = ()
    location_ids: tuple[str, ...] = ()
    assigned_ids: tuple[str, ...] = ()
    patient_id: str | None = None
    shares: Mapping[str, str] = field(default_factory=dict)
    attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Question:
    action: str
    resource_type: str
    resource_id: str | None = None
    member_id: str | None = None
    member_email: str | None = None
    described: Described | None = None


def parse_action(text: str, resource_type: str) -> tuple[Feature, Action]:
    """Accept "read" with a resource type, or "sessions:read"; refuse unknown names clearly."""
    feature_text, _, action_text = text.rpartition(":") if ":" in text else (resource_type, ":", text)
    try:
        feature = Feature(feature_text)
    except ValueError:
        raise Invalid(f"unknown resource type {feature_text!r}; use one of {', '.join(Feature)}") from None
    if resource_type and resource_type != feature_text:
        raise Invalid(f"action {text!r} is about {feature_text}, but the resource is a {resource_type}")
    try:
        action = Action(action_text)
    except ValueError:
        action = None
    if action is None or action not in FEATURE_ACTIONS[feature]:
        raise Invalid(f"unknown action {action_text!r} for {feature}; use one of "
                      f"{', '.join(sorted(FEATURE_ACTIONS[feature]))}")
    return feature, action


def _described(feature: Feature, org_id: str, resource_id: str | None, d: Described) -> Resource:
    grants: dict[str, tuple[Grant, ...]] = {}
    for member_id, level in d.shares.items():
        try:
            share = ShareLevel(level)
        except ValueError:
            raise Invalid(f"share level {level!r} is not one of view, edit, full") from None
        grants[member_id] = (Grant(GrantKind.SHARE, f"{resource_id or 'object'}/{member_id}", SHARE_LEVELS[share],
                                   level=str(share)),)
    return Resource(feature, org_id, id=resource_id, owner_id=d.owner_id, created_by=d.created_by,
                    team_ids=frozenset(d.team_ids), location_ids=frozenset(d.location_ids),
                    assigned_ids=frozenset(d.assigned_ids), patient_id=d.patient_id, grants=grants,
                    attrs=dict(d.attrs))


# The kinds (service.clinical.kinds) an id of each feature may name, tried in order. A context entry or a
# document may also be asked about by its session's id ("may this member add context to this session?").
_STORED_KINDS: Mapping[Feature, tuple[str, ...]] = {
    Feature.SESSIONS: ("sessions",), Feature.NOTES: ("notes",), Feature.TRANSCRIPTS: ("transcripts",),
    Feature.CONTEXT: ("context", "sessions"), Feature.DOCUMENTS: ("documents", "sessions"),
    Feature.PATIENTS: ("patients",), Feature.TEMPLATES: ("templates",), Feature.APPOINTMENTS: ("appointments",),
    Feature.MESSAGES: ("messages",), Feature.INVOICES: ("invoices",), Feature.CHARGES: ("charges",),
    Feature.PAYMENTS: ("payments",), Feature.REFUNDS: ("refunds",), Feature.INVENTORY: ("products", "orders"),
    Feature.CALLS: ("calls",), Feature.CALL_TRANSCRIPTS: ("call_transcripts",), Feature.ROOMS: ("rooms",),
}


def _stored_clinical(uow: UnitOfWork, feature: Feature, org_id: str, resource_id: str) -> Resource | None:
    for name in _STORED_KINDS[feature]:
        k = KINDS[name]
        row = records.get(uow.session, k.model, org_id=org_id, object_id=resource_id)
        if row is None:
            continue
        facts = k.facts(uow.session, org_id, [row])
        if name == "sessions" and feature is not Feature.SESSIONS:
            return session_resource(row, facts, feature)
        return k.resource(row, facts)
    return None


def _stored(uow: UnitOfWork, feature: Feature, org_id: str, resource_id: str) -> Resource:
    s = uow.session
    missing = NotFound(f"{feature} {resource_id} not found in this organisation")
    if feature in ORG_LEVEL:
        if resource_id != org_id:
            raise missing
        return resources.org_object(feature, org_id)
    if feature in _STORED_KINDS:
        found = _stored_clinical(uow, feature, org_id, resource_id) if 3 <= len(resource_id) <= 40 else None
        if found is None:
            raise missing
        return found
    if feature is Feature.MEMBERS:
        member = repo.get_member(s, org_id=org_id, member_id=resource_id)
        if member is None:
            raise missing
        target: Resource = target_resource(uow, member, org_roles(uow, org_id))
        return target
    if feature is Feature.TEAMS:
        team_row = repo.get_team(s, org_id=org_id, team_id=resource_id)
        if team_row is None:
            raise missing
        return resources.team(team_row)
    if feature is Feature.LOCATIONS:
        loc = repo.get_location(s, org_id=org_id, location_id=resource_id)
        if loc is None:
            raise missing
        return resources.location(loc)
    raise Invalid(f"caregate does not store {feature}; describe the object instead of naming it by id")


def decision_view(decision: Decision) -> DecisionView:
    return DecisionView(allowed=decision.allowed,
                        reasons=[ReasonView(kind=str(r.kind), code=r.code, message=r.message)
                                 for r in decision.reasons],
                        hidden_fields=sorted(decision.hidden_fields))


def _subject_actor(uow: UnitOfWork, actor: Actor, q: Question) -> Actor:
    return subject_actor(uow, actor, member_id=q.member_id, member_email=q.member_email)


def subject_actor(uow: UnitOfWork, actor: Actor, *, member_id: str | None, member_email: str | None) -> Actor:
    """The member a question is about: the caller, or (with decisions:check) someone else in the organisation."""
    if member_id is None and member_email is None:
        return actor
    s = uow.session
    member: Membership | None
    if member_id is not None:
        member = repo.get_member(s, org_id=actor.org_id, member_id=member_id)
    else:
        member = repo.member_by_email(s, org_id=actor.org_id, email=normal_email(member_email or ""))
    if member is None:
        raise NotFound("that member is not in this organisation")
    if member.id == actor.member_id:
        return actor
    authorize(uow, actor, Action.CHECK, resources.org_object(Feature.DECISIONS, actor.org_id))
    org = repo.get_org(s, org_id=actor.org_id)
    user = repo.get_user(s, user_id=member.user_id)
    if org is None or user is None:
        raise NotFound("that member is not in this organisation")
    return actor_for_member(uow, org, member, user)


def answer(uow: UnitOfWork, actor: Actor, q: Question) -> Decision:
    feature, action = parse_action(q.action, q.resource_type)
    subject_actor = _subject_actor(uow, actor, q)
    described = q.described if q.described is not None or feature in STORED else Described()
    if described is not None:
        resource = _described(feature, actor.org_id, q.resource_id, described)
    elif q.resource_id is None:
        raise Invalid("name the object by id, or describe it")
    else:
        resource = _stored(uow, feature, actor.org_id, q.resource_id)
    return decide(subject_actor.subject, action, resource, uow.context())


def _answer_or_error(uow: UnitOfWork, actor: Actor, q: Question) -> DecisionView:
    """One answer of a batch: a question that cannot be answered is a denial saying why (errors deny)."""
    try:
        return decision_view(answer(uow, actor, q))
    except NotFound as exc:
        return DecisionView(allowed=False, reasons=[ReasonView(kind="error", code=f"error:{exc.code}",
                                                               message=exc.detail)])


def check_many(uow: UnitOfWork, actor: Actor, questions: Sequence[Question]) -> list[DecisionView]:
    if not 1 <= len(questions) <= MAX_BATCH:
        raise Invalid(f"ask between 1 and {MAX_BATCH} questions at once")
    for number, q in enumerate(questions, start=1):  # a malformed question is the caller's bug: refuse all
        try:
            feature, _ = parse_action(q.action, q.resource_type)
            if q.described is not None:
                _described(feature, actor.org_id, None, q.described)
            elif q.resource_id is None and feature in STORED:
                raise Invalid("name the object by id, or describe it")
        except Invalid as exc:
            raise Invalid(f"question {number}: {exc.detail}") from None
    answers = [_answer_or_error(uow, actor, q) for q in questions]
    uow.record("decisions.check", org_id=actor.org_id, actor=actor, object_type="decisions",
               detail={"questions": [{"action": q.action, "type": q.resource_type, "id": q.resource_id,
                                      "member": q.member_id or q.member_email} for q in questions],
                       "allowed": [a.allowed for a in answers]})
    return answers

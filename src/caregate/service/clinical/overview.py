"""What the console shows of clinical sessions: a page of them with names beside the ids, one session with
its note, documents, patient and access list, and what to offer the reader on it.

Everything is read through the use cases the API uses (`reading.page`, `reading.read`, `parts.get_note`,
`sharing.list_shares`), so lists are filtered in the database, hidden fields stay hidden and each read is
audited. A name is given only where the reader may read the member or the patient it belongs to. What
to offer is asked of the engine in advance (`check`: not recorded as a refusal); the use cases refuse
anyway when asked by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from caregate.engine import Action, Feature
from caregate.engine.filters import predicate_for
from caregate.service.actors import Actor
from caregate.service.authz import check
from caregate.service.clinical import parts, reading, sharing
from caregate.service.clinical import views as v
from caregate.service.clinical.kinds import patient_facts, patient_resource, session_resource
from caregate.service.clinical.views import Person
from caregate.service.context import UnitOfWork
from caregate.service.errors import Forbidden, NotFound
from caregate.service.views import View
from caregate.store import mappings, records, repo
from caregate.store.clinical import Patient
from caregate.store.filters import compile_predicate

PAGE_SIZE = 50


class SessionRow(View):
    session: v.SessionView
    patient: str | None = None  # the patient's name, when the reader may read it
    owner: Person | None = None  # when the reader may read the owner


class SessionsPage(View):
    items: list[SessionRow]
    total: int
    next_cursor: str | None


class SessionOffers(View):
    """What the reader may do on this session, as the engine answers now."""

    note: bool = False
    documents: bool = False
    patient: bool = False
    share: bool = False


class AccessEntry(View):
    member_id: str
    level: str
    person: Person | None = None


class SessionDetail(View):
    row: SessionRow
    offers: SessionOffers
    note: v.NoteView | None = None
    documents: list[v.DocumentView]
    patient: v.PatientView | None = None
    access: list[AccessEntry]


def people(uow: UnitOfWork, actor: Actor, member_ids: Iterable[str]) -> dict[str, Person]:
    """Names and emails of the members among `member_ids` the actor may read (selected in the database)."""
    visible = compile_predicate(predicate_for(actor.subject, Feature.MEMBERS, Action.READ, uow.context()),
                                mappings.MEMBERS)
    found = repo.visible_members(uow.session, org_id=actor.org_id, visible=visible, member_ids=member_ids)
    return {m.id: Person(name=u.name, email=u.email) for m, u in found}


def my_name(uow: UnitOfWork, actor: Actor) -> str:
    """How notices name the acting member: their name, or their email when they have none."""
    me = people(uow, actor, [actor.member_id]).get(actor.member_id)
    return (me.name or me.email) if me else actor.email


def patient_names(uow: UnitOfWork, actor: Actor, patient_ids: Iterable[str]) -> dict[str, str]:
    """The names of the patients the actor may read (a name hidden from them stays out); recorded."""
    rows = records.by_ids(uow.session, Patient, org_id=actor.org_id, ids=patient_ids)
    facts = patient_facts(uow.session, actor.org_id, list(rows.values()))
    out: dict[str, str] = {}
    for row in rows.values():
        decision = check(uow, actor, Action.READ, patient_resource(row, facts))
        if decision.allowed and "name" not in decision.hidden_fields:
            out[row.id] = row.name
    if out:
        uow.record("patients.list", org_id=actor.org_id, actor=actor, object_type="patients",
                   patient_id=next(iter(out)) if len(out) == 1 else None,
                   detail={"returned": sorted(out), "fields": ["name"]})
    return out


def _rows(uow: UnitOfWork, actor: Actor, sessions: list[v.SessionView]) -> list[SessionRow]:
    names = patient_names(uow, actor, [s.patient_id for s in sessions if s.patient_id])
    owners = people(uow, actor, [s.owner_id for s in sessions])
    return [SessionRow(session=s, patient=names.get(s.patient_id or ""), owner=owners.get(s.owner_id))
            for s in sessions]


def sessions_page(uow: UnitOfWork, actor: Actor, *, after: str | None = None, limit: int = PAGE_SIZE,
                  filters: Mapping[str, object] | None = None) -> SessionsPage:
    """One page of the sessions the actor may read (the database selects them), with names."""
    listing = reading.page(uow, actor, kind_name="sessions", filters=filters, after=after, limit=limit)
    sessions = [s for s in listing.items if isinstance(s, v.SessionView)]
    return SessionsPage(items=_rows(uow, actor, sessions), total=listing.total, next_cursor=listing.next_cursor)


def offers(uow: UnitOfWork, actor: Actor, *, session_id: str) -> SessionOffers:
    """What to offer on a session the actor may read (nothing when it is not found)."""
    row, facts = reading.load(uow, actor, reading.kind("sessions"), session_id)

    def may(action: Action, feature: Feature) -> bool:
        return check(uow, actor, action, session_resource(row, facts, feature)).allowed

    patient = records.get(uow.session, Patient, org_id=actor.org_id, object_id=row.patient_id) \
        if row.patient_id else None
    return SessionOffers(
        note=may(Action.READ, Feature.NOTES), documents=may(Action.READ, Feature.DOCUMENTS),
        share=may(Action.SHARE, Feature.SESSIONS),
        patient=patient is not None and check(uow, actor, Action.READ, patient_resource(
            patient, patient_facts(uow.session, actor.org_id, [patient]))).allowed)


def read_session(uow: UnitOfWork, actor: Actor, *, session_id: str) -> v.SessionView:
    """The session, or not found: one the actor may not read reads as one that does not exist."""
    try:
        view = reading.read(uow, actor, kind_name="sessions", object_id=session_id)
    except Forbidden:  # the refusal is recorded all the same
        raise NotFound(f"session {session_id} not found in this organisation") from None
    assert isinstance(view, v.SessionView)
    return view


def access_list(uow: UnitOfWork, actor: Actor, *, session_id: str) -> list[AccessEntry]:
    """Who the session is shared with, at which level, named where the actor may read them."""
    shares = sharing.list_shares(uow, actor, session_id=session_id)
    named = people(uow, actor, [s.member_id for s in shares])
    entries = [AccessEntry(member_id=s.member_id, level=s.level, person=named.get(s.member_id)) for s in shares]
    return sorted(entries, key=lambda e: (e.person.name.lower() or e.person.email) if e.person else e.member_id)


def detail(uow: UnitOfWork, actor: Actor, *, session_id: str) -> SessionDetail:
    """A session with what the actor may see of it: note, documents, patient, access list."""
    session = read_session(uow, actor, session_id=session_id)
    can = offers(uow, actor, session_id=session_id)
    note = None
    if can.note:
        try:
            note = parts.get_note(uow, actor, session_id=session_id)
        except NotFound:  # no note written yet
            note = None
    documents: list[v.DocumentView] = []
    if can.documents:
        listing = reading.page(uow, actor, kind_name="documents", filters={"session_id": session_id}, limit=50)
        documents = [d for d in listing.items if isinstance(d, v.DocumentView)]
    patient = None
    if can.patient and session.patient_id:
        found = reading.read(uow, actor, kind_name="patients", object_id=session.patient_id)
        patient = found if isinstance(found, v.PatientView) else None
    return SessionDetail(row=_rows(uow, actor, [session])[0], offers=can, note=note, documents=documents,
                         patient=patient, access=access_list(uow, actor, session_id=session_id))


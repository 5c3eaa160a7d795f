"""The parts of a session: its one core note, its transcript, context entries and downstream documents.

Each part is decided as the session (its owner, team, location, patient, shares) under its own feature,
so an Assistant reads and copies the note but never deletes it, a `view` share reads the transcript, an
`edit` share adds documents. A context entry and a document carry their own author (an Assistant edits
only the documents they wrote).
"""

from __future__ import annotations

from typing import Any

from caregate.engine import Action, Decision, Feature
from caregate.service.actors import Actor
from caregate.service.authz import authorize
from caregate.service.clinical import common
from caregate.service.clinical import views as v
from caregate.service.clinical.kinds import Facts, context_view, document_view, part_facts, session_resource
from caregate.service.clinical.reading import hide, load
from caregate.service.clinical.reading import kind as kind_of
from caregate.service.context import UnitOfWork
from caregate.service.errors import Invalid, NotFound
from caregate.store import records
from caregate.store.clinical import (
    ClinicalSession,
    ContextEntry,
    SessionDocument,
    SessionNote,
    SessionTranscript,
)
from caregate.store.ids import new_id

MAX_BODY = 200_000
DOCUMENT_KINDS = ("referral_letter", "patient_explainer", "letter", "summary", "other")


def _session(uow: UnitOfWork, actor: Actor, session_id: str, *, lock: bool = False
             ) -> tuple[ClinicalSession, Facts]:
    row, facts = load(uow, actor, kind_of("sessions"), session_id, lock=lock)
    assert isinstance(row, ClinicalSession)
    return row, facts


def _decide(uow: UnitOfWork, actor: Actor, action: Action, feature: Feature, row: ClinicalSession, facts: Facts,
            part: ContextEntry | SessionDocument | None = None) -> Decision:
    return authorize(uow, actor, action, session_resource(row, facts, feature, part), patient_id=row.patient_id)


def _audit(uow: UnitOfWork, actor: Actor, action: str, row: ClinicalSession, decision: Decision,
           object_id: str | None = None, **fields: Any) -> None:
    feature = action.split(".", 1)[0]
    uow.record(action, org_id=actor.org_id, actor=actor, object_type=feature, object_id=object_id or row.id,
               patient_id=row.patient_id, decision=decision, **fields)


# --- the core note ---------------------------------------------------------------------------------

def _note_view(note: SessionNote) -> v.NoteView:
    return v.NoteView(session_id=note.session_id, body=note.body, created_by=note.created_by,
                      updated_by=note.updated_by, created_at=note.created_at, updated_at=note.updated_at)


def _note(uow: UnitOfWork, row: ClinicalSession) -> SessionNote:
    note = records.note(uow.session, session_id=row.id)
    if note is None:
        raise NotFound(f"session {row.id} has no core note yet")
    return note


def get_note(uow: UnitOfWork, actor: Actor, *, session_id: str) -> v.NoteView:
    row, facts = _session(uow, actor, session_id)
    decision = _decide(uow, actor, Action.READ, Feature.NOTES, row, facts)
    note = _note(uow, row)
    _audit(uow, actor, "notes.read", row, decision)
    return hide(_note_view(note), decision.hidden_fields)


def put_note(uow: UnitOfWork, actor: Actor, *, session_id: str, body: str) -> v.NoteView:
    """Write the core note: `create` the first time, `edit` after."""
    row, facts = _session(uow, actor, session_id, lock=True)
    note = records.note(uow.session, session_id=row.id)
    decision = _decide(uow, actor, Action.EDIT if note else Action.CREATE, Feature.NOTES, row, facts)
    text = common.text(body, limit=MAX_BODY, what="the note")
    if note is None:
        note = SessionNote(session_id=row.id, org_id=row.org_id, body=text, created_by=actor.member_id,
                           updated_by=actor.member_id, created_at=uow.now, updated_at=uow.now)
        uow.session.add(note)
    else:
        note.body, note.updated_by, note.updated_at = text, actor.member_id, uow.now
    _audit(uow, actor, "notes.edit", row, decision, detail={"length": len(text)})
    return _note_view(note)


def delete_note(uow: UnitOfWork, actor: Actor, *, session_id: str) -> None:
    row, facts = _session(uow, actor, session_id)
    decision = _decide(uow, actor, Action.DELETE, Feature.NOTES, row, facts)
    records.delete_object(uow.session, _note(uow, row))
    _audit(uow, actor, "notes.delete", row, decision)


def copy_note(uow: UnitOfWork, actor: Actor, *, session_id: str) -> v.CopyView:
    """The note's text to paste into an EMR (`copy`), recorded as a copy of the patient's record."""
    row, facts = _session(uow, actor, session_id)
    decision = _decide(uow, actor, Action.COPY, Feature.NOTES, row, facts)
    note = _note(uow, row)
    _audit(uow, actor, "notes.copy", row, decision)
    return v.CopyView(session_id=row.id, text=note.body)


# --- the transcript --------------------------------------------------------------------------------

def _transcript_view(t: SessionTranscript) -> v.TranscriptView:
    return v.TranscriptView(session_id=t.session_id, body=t.body, updated_by=t.updated_by, created_at=t.created_at,
                            updated_at=t.updated_at)


def _transcript(uow: UnitOfWork, row: ClinicalSession) -> SessionTranscript:
    found = records.transcript(uow.session, session_id=row.id)
    if found is None:
        raise NotFound(f"session {row.id} has no transcript")
    return found


def get_transcript(uow: UnitOfWork, actor: Actor, *, session_id: str) -> v.TranscriptView:
    row, facts = _session(uow, actor, session_id)
    decision = _decide(uow, actor, Action.READ, Feature.TRANSCRIPTS, row, facts)
    found = _transcript(uow, row)
    _audit(uow, actor, "transcripts.read", row, decision)
    return hide(_transcript_view(found), decision.hidden_fields)


def put_transcript(uow: UnitOfWork, actor: Actor, *, session_id: str, body: str) -> v.TranscriptView:
    row, facts = _session(uow, actor, session_id, lock=True)
    decision = _decide(uow, actor, Action.EDIT, Feature.TRANSCRIPTS, row, facts)
    text = common.text(body, limit=MAX_BODY * 5, what="the transcript")
    found = records.transcript(uow.session, session_id=row.id)
    if found is None:
        found = SessionTranscript(session_id=row.id, org_id=row.org_id, body=text, updated_by=actor.member_id,
                                  created_at=uow.now, updated_at=uow.now)
        uow.session.add(found)
    else:
        found.body, found.updated_by, found.updated_at = text, actor.member_id, uow.now
    _audit(uow, actor, "transcripts.edit", row, decision, detail={"length": len(text)})
    return _transcript_view(found)


def delete_transcript(uow: UnitOfWork, actor: Actor, *, session_id: str) -> None:
    row, facts = _session(uow, actor, session_id)
    decision = _decide(uow, actor, Action.DELETE, Feature.TRANSCRIPTS, row, facts)
    records.delete_object(uow.session, _transcript(uow, row))
    _audit(uow, actor, "transcripts.delete", row, decision)


# --- context entries and documents -----------------------------------------------------------------

def add_context(uow: UnitOfWork, actor: Actor, *, session_id: str, body: str) -> v.ContextView:
    row, facts = _session(uow, actor, session_id)
    entry = ContextEntry(id=new_id("ctx"), org_id=row.org_id, session_id=row.id,
                         body=common.text(body, limit=MAX_BODY, what="the context", required=True),
                         created_by=actor.member_id, created_at=uow.now)
    decision = _decide(uow, actor, Action.CREATE, Feature.CONTEXT, row, facts, entry)
    uow.session.add(entry)
    _audit(uow, actor, "context.create", row, decision, object_id=entry.id)
    return context_view(entry, facts)


def _part(uow: UnitOfWork, actor: Actor, kind_name: str, part_id: str
          ) -> tuple[ContextEntry | SessionDocument, ClinicalSession, Facts]:
    part, _ = load(uow, actor, kind_of(kind_name), part_id)
    facts = part_facts(uow.session, actor.org_id, [part])
    return part, facts.sessions[part.session_id], facts


def edit_context(uow: UnitOfWork, actor: Actor, *, entry_id: str, body: str) -> v.ContextView:
    entry, row, facts = _part(uow, actor, "context", entry_id)
    assert isinstance(entry, ContextEntry)
    decision = _decide(uow, actor, Action.EDIT, Feature.CONTEXT, row, facts, entry)
    entry.body = common.text(body, limit=MAX_BODY, what="the context", required=True)
    entry.updated_at = uow.now
    _audit(uow, actor, "context.edit", row, decision, object_id=entry.id)
    return context_view(entry, facts)


def delete_context(uow: UnitOfWork, actor: Actor, *, entry_id: str) -> None:
    entry, row, facts = _part(uow, actor, "context", entry_id)
    decision = _decide(uow, actor, Action.DELETE, Feature.CONTEXT, row, facts, entry)
    records.delete_object(uow.session, entry)
    _audit(uow, actor, "context.delete", row, decision, object_id=entry_id)


def _document_kind(kind: str) -> str:
    if kind not in DOCUMENT_KINDS:
        raise Invalid(f"document kind must be one of {', '.join(DOCUMENT_KINDS)}")
    return kind


def add_document(uow: UnitOfWork, actor: Actor, *, session_id: str, kind: str, title: str,
                 body: str = "") -> v.DocumentView:
    """A downstream document (referral letter, patient explainer ...) written from the session."""
    row, facts = _session(uow, actor, session_id)
    doc = SessionDocument(id=new_id("doc"), org_id=row.org_id, session_id=row.id, kind=_document_kind(kind),
                          title=common.text(title, limit=200, what="title", required=True),
                          body=common.text(body, limit=MAX_BODY, what="the document"),
                          created_by=actor.member_id, created_at=uow.now)
    decision = _decide(uow, actor, Action.CREATE, Feature.DOCUMENTS, row, facts, doc)
    uow.session.add(doc)
    _audit(uow, actor, "documents.create", row, decision, object_id=doc.id, after={"kind": doc.kind})
    return document_view(doc, facts)


def edit_document(uow: UnitOfWork, actor: Actor, *, document_id: str, title: str | None = None,
                  body: str | None = None) -> v.DocumentView:
    doc, row, facts = _part(uow, actor, "documents", document_id)
    assert isinstance(doc, SessionDocument)
    decision = _decide(uow, actor, Action.EDIT, Feature.DOCUMENTS, row, facts, doc)
    if title is not None:
        doc.title = common.text(title, limit=200, what="title", required=True)
    if body is not None:
        doc.body = common.text(body, limit=MAX_BODY, what="the document")
    doc.updated_at = uow.now
    _audit(uow, actor, "documents.edit", row, decision, object_id=doc.id)
    return hide(document_view(doc, facts), decision.hidden_fields)

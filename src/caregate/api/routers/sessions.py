"""Clinical sessions, their note, transcript, context and documents, and direct shares."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from caregate.api.deps import CallerDep, Svc, run
from caregate.api.schemas_clinical import (
    After,
    DocumentIn,
    DocumentPatch,
    ExportLimit,
    Format,
    Limit,
    QId,
    QStatus,
    RecordingIn,
    SessionIn,
    SessionPatch,
    ShareIn,
    TextIn,
    export_response,
)
from caregate.service.clinical import parts, reading, sessions, sharing
from caregate.service.clinical import views as v
from caregate.service.views import Page

router = APIRouter(tags=["sessions"])
S = "/orgs/{org_id}/sessions"


@router.get(S, response_model=Page[v.SessionView], summary="Sessions you may read (filtered in the database)")
def list_sessions(org_id: str, svc: Svc, caller: CallerDep, limit: Limit = 50, after: After = None,
                  patient_id: QId = None, owner_id: QId = None, team_id: QId = None,
                  status_: QStatus = None) -> v.ListPage:
    return run(svc, caller, org_id, reading.page, kind_name="sessions", after=after, limit=limit,
               filters={"patient_id": patient_id, "owner_id": owner_id, "team_id": team_id, "status": status_})


@router.get(S + "/export", summary="Export the sessions you may read and export (CSV or JSON)")
def export_sessions(org_id: str, svc: Svc, caller: CallerDep, format: Format = "csv",
                    after: After = None, limit: ExportLimit = 5000, patient_id: QId = None) -> Response:
    result = run(svc, caller, org_id, reading.export, kind_name="sessions", fmt=format, after=after, limit=limit,
                 filters={"patient_id": patient_id})
    return export_response(result, "sessions")


@router.post(S, response_model=v.SessionView, status_code=status.HTTP_201_CREATED,
             summary="Create a session (for yourself, or as an Assistant for a clinician: owner_id)")
def create_session(org_id: str, body: SessionIn, svc: Svc, caller: CallerDep) -> v.SessionView:
    return run(svc, caller, org_id, sessions.create, **body.model_dump())


@router.get(S + "/{session_id}", response_model=v.SessionView)
def get_session(org_id: str, session_id: str, svc: Svc, caller: CallerDep) -> v.Protected:
    return run(svc, caller, org_id, reading.read, kind_name="sessions", object_id=session_id)


@router.patch(S + "/{session_id}", response_model=v.SessionView,
              summary="Change title, status, patient, team or location")
def edit_session(org_id: str, session_id: str, body: SessionPatch, svc: Svc, caller: CallerDep) -> v.SessionView:
    return run(svc, caller, org_id, sessions.edit, session_id=session_id, changes=body.changes())


@router.delete(S + "/{session_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a session and its parts (only its owner)")
def delete_session(org_id: str, session_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, sessions.delete, session_id=session_id)


@router.post(S + "/{session_id}/recording", response_model=v.SessionView,
             summary="Start, pause or stop the recording")
def record(org_id: str, session_id: str, body: RecordingIn, svc: Svc, caller: CallerDep) -> v.SessionView:
    return run(svc, caller, org_id, sessions.record, session_id=session_id, state=body.state)


# --- the core note and the transcript --------------------------------------------------------------

@router.get(S + "/{session_id}/note", response_model=v.NoteView)
def get_note(org_id: str, session_id: str, svc: Svc, caller: CallerDep) -> v.NoteView:
    return run(svc, caller, org_id, parts.get_note, session_id=session_id)


@router.put(S + "/{session_id}/note", response_model=v.NoteView, summary="Write the core note")
def put_note(org_id: str, session_id: str, body: TextIn, svc: Svc, caller: CallerDep) -> v.NoteView:
    return run(svc, caller, org_id, parts.put_note, session_id=session_id, body=body.body)


@router.delete(S + "/{session_id}/note", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete the core note (only the session's owner)")
def delete_note(org_id: str, session_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, parts.delete_note, session_id=session_id)


@router.post(S + "/{session_id}/note/copy", response_model=v.CopyView,
             summary="Copy the core note for transfer to an EMR (recorded)")
def copy_note(org_id: str, session_id: str, svc: Svc, caller: CallerDep) -> v.CopyView:
    return run(svc, caller, org_id, parts.copy_note, session_id=session_id)


@router.get(S + "/{session_id}/transcript", response_model=v.TranscriptView)
def get_transcript(org_id: str, session_id: str, svc: Svc, caller: CallerDep) -> v.TranscriptView:
    return run(svc, caller, org_id, parts.get_transcript, session_id=session_id)


@router.put(S + "/{session_id}/transcript", response_model=v.TranscriptView)
def put_transcript(org_id: str, session_id: str, body: TextIn, svc: Svc, caller: CallerDep) -> v.TranscriptView:
    return run(svc, caller, org_id, parts.put_transcript, session_id=session_id, body=body.body)


@router.delete(S + "/{session_id}/transcript", status_code=status.HTTP_204_NO_CONTENT)
def delete_transcript(org_id: str, session_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, parts.delete_transcript, session_id=session_id)


# --- context and documents -------------------------------------------------------------------------

@router.get(S + "/{session_id}/context", response_model=Page[v.ContextView])
def list_context(org_id: str, session_id: str, svc: Svc, caller: CallerDep, limit: Limit = 50,
                 after: After = None) -> v.ListPage:
    return run(svc, caller, org_id, reading.page, kind_name="context", after=after, limit=limit,
               filters={"session_id": session_id})


@router.post(S + "/{session_id}/context", response_model=v.ContextView, status_code=status.HTTP_201_CREATED)
def add_context(org_id: str, session_id: str, body: TextIn, svc: Svc, caller: CallerDep) -> v.ContextView:
    return run(svc, caller, org_id, parts.add_context, session_id=session_id, body=body.body)


@router.patch("/orgs/{org_id}/context/{entry_id}", response_model=v.ContextView)
def edit_context(org_id: str, entry_id: str, body: TextIn, svc: Svc, caller: CallerDep) -> v.ContextView:
    return run(svc, caller, org_id, parts.edit_context, entry_id=entry_id, body=body.body)


@router.delete("/orgs/{org_id}/context/{entry_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_context(org_id: str, entry_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, parts.delete_context, entry_id=entry_id)


@router.post(S + "/{session_id}/documents", response_model=v.DocumentView, status_code=status.HTTP_201_CREATED,
             summary="Write a downstream document (referral letter, patient explainer ...)")
def add_document(org_id: str, session_id: str, body: DocumentIn, svc: Svc, caller: CallerDep) -> v.DocumentView:
    return run(svc, caller, org_id, parts.add_document, session_id=session_id, **body.model_dump())


@router.get("/orgs/{org_id}/documents", response_model=Page[v.DocumentView],
            summary="Documents you may read, across sessions")
def list_documents(org_id: str, svc: Svc, caller: CallerDep, limit: Limit = 50, after: After = None,
                   session_id: QId = None, patient_id: QId = None, kind: QId = None) -> v.ListPage:
    return run(svc, caller, org_id, reading.page, kind_name="documents", after=after, limit=limit,
               filters={"session_id": session_id, "patient_id": patient_id, "kind": kind})


@router.get("/orgs/{org_id}/documents/export")
def export_documents(org_id: str, svc: Svc, caller: CallerDep, format: Format = "csv",
                     after: After = None, limit: ExportLimit = 5000) -> Response:
    result = run(svc, caller, org_id, reading.export, kind_name="documents", fmt=format, after=after, limit=limit)
    return export_response(result, "documents")


@router.get("/orgs/{org_id}/documents/{document_id}", response_model=v.DocumentView)
def get_document(org_id: str, document_id: str, svc: Svc, caller: CallerDep) -> v.Protected:
    return run(svc, caller, org_id, reading.read, kind_name="documents", object_id=document_id)


@router.patch("/orgs/{org_id}/documents/{document_id}", response_model=v.DocumentView)
def edit_document(org_id: str, document_id: str, body: DocumentPatch, svc: Svc, caller: CallerDep) -> v.DocumentView:
    return run(svc, caller, org_id, parts.edit_document, document_id=document_id, **body.model_dump())


@router.delete("/orgs/{org_id}/documents/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(org_id: str, document_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, reading.remove, kind_name="documents", object_id=document_id)


# --- shares ----------------------------------------------------------------------------------------

@router.get(S + "/{session_id}/shares", response_model=list[v.ShareView], summary="Who the session is shared with")
def list_shares(org_id: str, session_id: str, svc: Svc, caller: CallerDep) -> list[v.ShareView]:
    return run(svc, caller, org_id, sharing.list_shares, session_id=session_id)


@router.put(S + "/{session_id}/shares/{member_id}", response_model=v.ShareView,
            summary="Share with a member or change their level (view, edit, full); they are notified")
def share(org_id: str, session_id: str, member_id: str, body: ShareIn, svc: Svc, caller: CallerDep) -> v.ShareView:
    return run(svc, caller, org_id, sharing.share, session_id=session_id, member_id=member_id, level=body.level)


@router.delete(S + "/{session_id}/shares/{member_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Remove a member's share")
def unshare(org_id: str, session_id: str, member_id: str, svc: Svc, caller: CallerDep) -> None:
    run(svc, caller, org_id, sharing.unshare, session_id=session_id, member_id=member_id)

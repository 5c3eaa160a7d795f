"""Accepting an invitation."""

from __future__ import annotations

from fastapi import APIRouter

from caregate.api.deps import CallerDep, Svc
from caregate.api.schemas import AcceptIn
from caregate.service import auth, invitations, members
from caregate.service.actors import actor_for_user
from caregate.service.views import AcceptResult, TokenView

router = APIRouter(tags=["authentication"])


@router.post("/invitations/accept", response_model=AcceptResult, summary="Accept an invitation and log in")
def accept(body: AcceptIn, svc: Svc, caller: CallerDep) -> AcceptResult:
    with svc.unit(caller.request) as uow:
        member, user = invitations.accept(uow, token=body.token, password=body.password, name=body.name)
        login = auth.issue_login(uow, user)
        actor = actor_for_user(uow, user, member.org_id)
        view = members.get(uow, actor, member_id=member.id)
    return AcceptResult(member=view, login=TokenView(token=login.token, expires_at=login.expires_at,
                                                     user_id=user.id, status=login.status))

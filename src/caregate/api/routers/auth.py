from __future__ import annotations

from fastapi import APIRouter, status

from caregate.api.deps import CallerDep, Svc, run_public
from caregate.api.schemas import AcceptIn, LoginIn
from caregate.service import auth, members
from caregate.service.actors import actor_for_user
from caregate.service.views import AcceptResult, MeView, TokenView

router = APIRouter(tags=["authentication"])


@router.post("/auth/login", response_model=TokenView, summary="Log in with email and password")
def login(body: LoginIn, svc: Svc, caller: CallerDep) -> TokenView:
    return run_public(svc, caller, auth.login, email=body.email, password=body.password)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End this login session")
def logout(svc: Svc, caller: CallerDep) -> None:
    run_public(svc, caller, auth.logout, caller=caller)


@router.get("/me", response_model=MeView, summary="The logged-in user and their organisations")
def me(svc: Svc, caller: CallerDep) -> MeView:
    return run_public(svc, caller, auth.me, caller=caller)


@router.post("/invitations/accept", response_model=AcceptResult, summary="Accept an invitation and log in")
def accept(body: AcceptIn, svc: Svc, caller: CallerDep) -> AcceptResult:
    with svc.unit(caller.request) as uow:
        member, user = members.accept(uow, token=body.token, password=body.password, name=body.name)
        token = auth.issue_token(uow, user)
        actor = actor_for_user(uow, user, member.org_id)
        view = members.get(uow, actor, member_id=member.id)
    return AcceptResult(member=view, login=token)

"""Team: members with their roles, teams, locations, status and seat; invite; change roles; status; delete;
a member's page with when their access ends (temporary members) and when they were last active."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi import Form as FormField
from starlette.datastructures import FormData
from starlette.responses import Response

from caregate.service import abilities, billing, invitations, members, passwords, security, structure
from caregate.service.abilities import MemberAbilities
from caregate.service.errors import ConfirmationRequired, Conflict, Forbidden, Invalid, ServiceError
from caregate.service.views import MemberView
from caregate.web import refusals
from caregate.web.edge import Page, WebRoute, done, page
from caregate.web.forms import grants_from_form, strings, where_value

router = APIRouter(route_class=WebRoute, include_in_schema=False)
OrgId = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
MemberId = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
StatusFilter = Literal["", "invited", "active", "disabled", "archived"]
PAGE_SIZE = 50


async def form_data(request: Request) -> FormData:
    return await request.form(max_fields=2000)


Form = Annotated[FormData, Depends(form_data)]


def structure_names(p: Page) -> dict[str, Any]:
    """Teams and locations by id, for labels and choices (empty when the actor may not list them)."""
    teams = structure.list_teams(p.uow, p.actor) if p.nav.teams else []
    locations = structure.list_locations(p.uow, p.actor) if p.nav.locations else []
    return {"teams": teams, "locations": locations, "team_names": {t.id: t.name for t in teams},
            "location_names": {loc.id: loc.name for loc in locations}}


@router.get("/o/{org_id}/team")
def team(request: Request, org_id: OrgId, q: Annotated[str, Query(max_length=100)] = "",
         status: Annotated[StatusFilter, Query()] = "",
         after: Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_]+$")] = None) -> Response:
    with page(request, org_id, "team") as p:
        result = members.page(p.uow, p.actor, search=q.strip() or None, statuses=[status] if status else None,
                              after=after, limit=PAGE_SIZE)
        items = sorted(result.items, key=lambda m: ((m.name or m.email).lower(), m.email))
        ids = [m.id for m in items]
        locks = security.lock_states(p.uow, p.actor, member_ids=ids)
        can = abilities.members(p.uow, p.actor, member_ids=ids, locked=set(locks))
        values = {"members": items, "total": result.total, "next_cursor": result.next_cursor, "can": can,
                  "locks": locks, "q": q, "status": status, **structure_names(p)}
        if p.fragment and request.headers.get("hx-target") == "member-results":
            return p.render("team/_results.html", **values)
        return p.render("team/list.html", **values)


# --- add a member ----------------------------------------------------------------------------------

def _invite_form(p: Page, values: dict[str, Any], *, status: int = 200, **extra: Any) -> Response:
    choices = abilities.assignable_roles(p.uow, p.actor)
    context = {"roles": choices, "values": values, "quote": None, "problems": [], "today": f"{p.uow.now:%Y-%m-%d}",
               **structure_names(p), **extra}
    template = "team/_invite.html" if p.fragment else "team/invite_page.html"
    return p.render(template, status, **context)


@router.get("/o/{org_id}/team/new")
def invite_form(request: Request, org_id: OrgId) -> Response:
    with page(request, org_id, "team") as p:
        return _invite_form(p, {"email": "", "name": "", "roles": [], "team_ids": [], "location_ids": [],
                                "where": {}, "access_until": ""})


def _invite_values(form: FormData) -> dict[str, Any]:
    roles = strings(form, "role", 20)
    return {"email": str(form.get("email", ""))[:320], "name": str(form.get("name", ""))[:120],
            "roles": roles, "team_ids": strings(form, "team_id"), "location_ids": strings(form, "location_id"),
            "where": {r: str(form.get(f"where_{r}", "")) for r in roles},
            "access_until": str(form.get("access_until", "")).strip()[:40]}


def _end_of(typed: str) -> datetime | None:
    """A day as the date field sends it (YYYY-MM-DD) -> the end of that day, UTC; None when empty."""
    if not typed:
        return None
    try:
        return datetime.combine(date.fromisoformat(typed), time(23, 59, 59), tzinfo=UTC)
    except ValueError:
        raise Invalid("enter the last day of access as a date, e.g. 2030-03-31") from None


@router.post("/o/{org_id}/team/new")
def invite(request: Request, org_id: OrgId, form: Form) -> Response:
    """Review: show the seat quote. Send: invite, with the quoted charge confirmed if there is one."""
    values = _invite_values(form)
    step = str(form.get("step", "review"))
    confirm = str(form.get("confirm_charge_cents", ""))
    try:
        until = _end_of(values["access_until"])
    except Invalid as exc:
        return _review(request, org_id, values, error=exc)
    if step == "send":
        try:
            with page(request, org_id, "team") as p:
                result = invitations.invite(p.uow, p.actor, email=values["email"], name=values["name"],
                                        grants=grants_from_form(form), team_ids=values["team_ids"],
                                        location_ids=values["location_ids"],
                                        confirm_charge_cents=int(confirm) if confirm.isdigit() else None,
                                        access_until=until)
            return done(request, f"/o/{org_id}/team", f"Invitation sent to {result.member.email}.")
        except ConfirmationRequired as exc:
            return _review(request, org_id, values, quote=exc.extra.get("quote"))
        except (Invalid, Conflict, Forbidden) as exc:
            return _review(request, org_id, values, error=exc)
    return _review(request, org_id, values)


def _review(request: Request, org_id: str, values: dict[str, Any], *, quote: Any = None,
            error: ServiceError | None = None) -> Response:
    """The form again, with the seat quote for the chosen roles (or what is wrong with them)."""
    problems = _problems(error) if error else []
    with page(request, org_id, "team") as p:
        if quote is None and not problems:
            if not values["roles"]:
                problems = ["Choose at least one role."]
            elif not values["email"].strip():
                problems = ["Enter the email address of the person to invite."]
            elif p.nav.seats:
                quote = billing.quote(p.uow, p.actor, role_keys=values["roles"]).model_dump()
            else:
                quote = {"amount_cents": 0, "explanation": "Seats are checked when you send the invitation."}
        return _invite_form(p, values, status=422 if problems else 200, quote=None if problems else quote,
                            problems=problems)


def _problems(error: ServiceError) -> list[str]:
    if isinstance(error, Invalid) and error.problems != [error.detail]:
        return [error.detail, *error.problems]
    return [error.detail]


# --- change roles, teams and locations --------------------------------------------------------------

def _edit_form(p: Page, member: MemberView, *, status: int = 200, problems: list[str] | None = None,
               chosen: dict[str, Any] | None = None) -> Response:
    choices = abilities.assignable_roles(p.uow, p.actor, member_id=member.id)
    keys = {c.key for c in choices}
    values = chosen or {"roles": [g.role for g in member.roles], "team_ids": member.team_ids,
                        "location_ids": member.location_ids,
                        "where": {g.role: where_value(g.team_id, g.location_id) for g in member.roles}}
    dropped = [g.label for g in member.roles if g.role not in keys]
    template = "team/_edit.html" if p.fragment else "team/edit_page.html"
    return p.render(template, status, member=member, roles=choices, values=values, dropped=dropped,
                    problems=problems or [], **structure_names(p))


@router.get("/o/{org_id}/team/{member_id}/edit")
def edit_form(request: Request, org_id: OrgId, member_id: MemberId) -> Response:
    with page(request, org_id, "team") as p:
        return _edit_form(p, members.get(p.uow, p.actor, member_id=member_id))


@router.post("/o/{org_id}/team/{member_id}/edit")
def edit(request: Request, org_id: OrgId, member_id: MemberId, form: Form) -> Response:
    """Replace the member's roles, and their teams and locations if they changed, in one transaction."""
    try:
        with page(request, org_id, "team") as p:
            current = members.get(p.uow, p.actor, member_id=member_id)
            view = members.change_roles(p.uow, p.actor, member_id=member_id,
                                        grants=grants_from_form(form, current))
            team_ids, location_ids = strings(form, "team_id"), strings(form, "location_id")
            if sorted(team_ids) != current.team_ids or sorted(location_ids) != current.location_ids:
                view = members.change_structure(p.uow, p.actor, member_id=member_id, team_ids=team_ids,
                                                location_ids=location_ids)
        labels = ", ".join(g.label for g in view.roles)
        return done(request, f"/o/{org_id}/team", f"{view.name or view.email} now holds: {labels}.")
    except (Invalid, Conflict, Forbidden) as exc:
        values = {**_invite_values(form)}
        with page(request, org_id, "team") as p:
            member = members.get(p.uow, p.actor, member_id=member_id)
            return _edit_form(p, member, status=422 if isinstance(exc, Invalid) else 409, problems=_problems(exc),
                              chosen=values)


# --- status, invitations, delete ---------------------------------------------------------------------

STATUS_DONE = {"disable": "disabled: they can no longer sign in", "enable": "enabled again",
               "archive": "archived: their seat is free", "restore": "restored"}


@router.post("/o/{org_id}/team/{member_id}/status/{change}")
def set_status(request: Request, org_id: OrgId, member_id: MemberId,
               change: Annotated[Literal["disable", "enable", "archive", "restore"], Path()]) -> Response:
    with page(request, org_id, "team") as p:
        view = members.set_status(p.uow, p.actor, member_id=member_id, change=change)
    return done(request, f"/o/{org_id}/team", f"{view.name or view.email} {STATUS_DONE[change]}.")


@router.post("/o/{org_id}/team/{member_id}/unlock")
def unlock(request: Request, org_id: OrgId, member_id: MemberId) -> Response:
    with page(request, org_id, "team") as p:
        view = members.get(p.uow, p.actor, member_id=member_id)
        security.unlock(p.uow, p.actor, member_id=member_id)
    return done(request, f"/o/{org_id}/team", f"{view.name or view.email} is unlocked and can sign in again.")


@router.post("/o/{org_id}/team/{member_id}/password-reset")
def send_reset(request: Request, org_id: OrgId, member_id: MemberId) -> Response:
    with page(request, org_id, "team") as p:
        view = members.get(p.uow, p.actor, member_id=member_id)
        passwords.send_reset_for_member(p.uow, p.actor, member_id=member_id)
    return done(request, f"/o/{org_id}/team", f"A link to set a new password went to {view.email}. You do not see "
                "or choose the password; the link works once.")


@router.post("/o/{org_id}/team/{member_id}/invitation/{what}")
def invitation(request: Request, org_id: OrgId, member_id: MemberId,
               what: Annotated[Literal["resend", "revoke"], Path()]) -> Response:
    with page(request, org_id, "team") as p:
        view = members.get(p.uow, p.actor, member_id=member_id)
        if what == "resend":
            expires = invitations.resend_invitation(p.uow, p.actor, member_id=member_id)
            message = f"A new invitation went to {view.email}; the link works until {expires:%d %b %Y %H:%M} UTC."
        else:
            invitations.revoke_invitation(p.uow, p.actor, member_id=member_id)
            message = f"The invitation to {view.email} was withdrawn; its link no longer works."
    return done(request, f"/o/{org_id}/team", message)


def _delete_page(p: Page, member: MemberView, *, status: int = 200, refusal: str | None = None) -> Response:
    template = "team/_delete.html" if p.fragment else "team/delete_page.html"
    return p.render(template, status, member=member, refusal=refusal)


@router.get("/o/{org_id}/team/{member_id}/delete")
def delete_form(request: Request, org_id: OrgId, member_id: MemberId) -> Response:
    with page(request, org_id, "team") as p:
        return _delete_page(p, members.get(p.uow, p.actor, member_id=member_id))


@router.post("/o/{org_id}/team/{member_id}/delete")
def delete(request: Request, org_id: OrgId, member_id: MemberId) -> Response:
    try:
        with page(request, org_id, "team") as p:
            view = members.get(p.uow, p.actor, member_id=member_id)
            members.delete(p.uow, p.actor, member_id=member_id)
        return done(request, f"/o/{org_id}/team", f"{view.name or view.email} was deleted.")
    except (Conflict, Forbidden) as exc:
        with page(request, org_id, "team") as p:
            member = members.get(p.uow, p.actor, member_id=member_id)
            return _delete_page(p, member, status=409 if isinstance(exc, Conflict) else 403, refusal=exc.detail)


# --- a member's page: when their access ends, when they were last active -----------------------------

def _member_page(p: Page, member_id: str, *, status: int = 200, problems: list[str] | None = None,
                 typed: str | None = None) -> Response:
    """The page; `typed` is the end-date form as sent, when it was not saved."""
    member = members.get(p.uow, p.actor, member_id=member_id)
    can = abilities.members(p.uow, p.actor, member_ids=[member.id]).get(member.id, MemberAbilities())
    until = f"{member.access_until:%Y-%m-%d}" if member.access_until else ""
    # an end date is a disable on a schedule: offered where Disable is (`members.set_access_until`)
    return p.render("team/member.html", status, member=member, can=can, problems=problems or [],
                    until=until if typed is None else typed, today=f"{p.uow.now:%Y-%m-%d}", **structure_names(p))


@router.get("/o/{org_id}/team/{member_id}")
def member_page(request: Request, org_id: OrgId, member_id: MemberId) -> Response:
    with page(request, org_id, "team") as p:
        return _member_page(p, member_id)


@router.post("/o/{org_id}/team/{member_id}/access-until")
def access_until(request: Request, org_id: OrgId, member_id: MemberId,
                 until: Annotated[str, FormField(max_length=40)] = "",
                 clear: Annotated[str, FormField(max_length=10)] = "") -> Response:
    """Set the last day of a member's access (they are disabled at its end, UTC), or clear it."""
    typed = until.strip()
    try:
        chosen = None if clear == "yes" else _end_of(typed)
        if chosen is None and clear != "yes":
            raise Invalid("choose the last day of access, or remove the end date to make them permanent")
        with page(request, org_id, "team") as p:
            view = members.set_access_until(p.uow, p.actor, member_id=member_id, until=chosen)
    except (Invalid, Conflict, Forbidden) as exc:
        with page(request, org_id, "team") as p:
            return _member_page(p, member_id, status=refusals.status(exc), problems=refusals.problems(exc),
                                typed=typed)
    who = view.name or view.email
    message = f"{who} is temporary: their access ends on {view.access_until:%d %b %Y} at " \
        f"{view.access_until:%H:%M} UTC." if view.access_until else f"{who} is permanent: their access has no end date."
    return done(request, f"/o/{org_id}/team/{member_id}", message)

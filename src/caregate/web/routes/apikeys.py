"""API keys: service accounts (members that are not people) and their keys — scopes, expiry, rate limit,
last use and use per day; a new key's secret is shown once; rotation with a grace period; revocation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from caregate.engine import FEATURE_ACTIONS
from caregate.service import abilities, accounts
from caregate.service.apikeys import KeyView, NewKeyView
from caregate.service.errors import Invalid, NotFound
from caregate.service.views import MemberView
from caregate.web.edge import Page, WebRoute, done, page
from caregate.web.forms import grants_from_form, strings

router = APIRouter(route_class=WebRoute, include_in_schema=False)
OrgId = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
Id = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
SCOPES = {str(f): sorted(str(a) for a in actions) for f, actions in FEATURE_ACTIONS.items()}
GRACE_HOURS = (0, 1, 24, 72, 168)
USAGE_DAYS = 30


async def form_data(request: Request) -> FormData:
    return await request.form(max_fields=400)


Form = Annotated[FormData, Depends(form_data)]


def _account(p: Page, member_id: str) -> MemberView:
    found = next((a for a in accounts.list_accounts(p.uow, p.actor) if a.id == member_id), None)
    if found is None:
        raise NotFound(f"service account {member_id} not found")
    return found


def _dialog(p: Page, name: str, status: int = 200, **values: Any) -> Response:
    """A dialog's content when htmx asked for it, else the same as a page of its own."""
    template = f"apikeys/_{name}.html" if p.fragment else f"apikeys/{name}_page.html"
    return p.render(template, status, **values)


@router.get("/o/{org_id}/api-keys")
def list_accounts(request: Request, org_id: OrgId) -> Response:
    with page(request, org_id, "api-keys") as p:
        found = accounts.list_accounts(p.uow, p.actor)
        keys = {a.id: accounts.list_keys(p.uow, p.actor, member_id=a.id) for a in found}
        return p.render("apikeys/list.html", accounts=found, keys=keys)


# --- service accounts ------------------------------------------------------------------------------------

def _account_form(p: Page, values: dict[str, Any], status: int = 200, problems: list[str] | None = None
                  ) -> Response:
    return _dialog(p, "account", status, roles=abilities.assignable_roles(p.uow, p.actor), values=values,
                   problems=problems or [])


@router.get("/o/{org_id}/api-keys/new")
def new_account(request: Request, org_id: OrgId) -> Response:
    with page(request, org_id, "api-keys") as p:
        return _account_form(p, {"name": "", "roles": [], "where": {}})


@router.post("/o/{org_id}/api-keys/new")
def create_account(request: Request, org_id: OrgId, form: Form) -> Response:
    name = str(form.get("name", ""))[:120]
    values: dict[str, Any] = {"name": name, "roles": strings(form, "role", 10), "where": {}}
    problems = [] if values["roles"] else ["Choose at least one role: a key can do no more than its account's roles."]
    if not problems:
        try:
            with page(request, org_id, "api-keys") as p:
                made = accounts.create_account(p.uow, p.actor, name=name, grants=grants_from_form(form))
            return done(request, f"/o/{org_id}/api-keys/{made.id}",
                        f"The service account {made.name} is created. Create its first API key below.")
        except Invalid as exc:
            problems = [exc.detail, *[x for x in exc.problems if x != exc.detail]]
    with page(request, org_id, "api-keys") as p:
        return _account_form(p, values, 422, problems)


# --- one account and its keys ----------------------------------------------------------------------------

def usage_days(key: KeyView, today: date) -> list[tuple[str, int]]:
    """The last 30 days, oldest first, with the key's use on each (0 when unused)."""
    days = [(today - timedelta(days=n)).isoformat() for n in range(USAGE_DAYS - 1, -1, -1)]
    return [(d, key.usage_by_day.get(d, 0)) for d in days]


@router.get("/o/{org_id}/api-keys/{member_id}")
def account_page(request: Request, org_id: OrgId, member_id: Id) -> Response:
    with page(request, org_id, "api-keys") as p:
        acct = _account(p, member_id)
        keys = accounts.list_keys(p.uow, p.actor, member_id=member_id)
        today = p.uow.now.date()
        usage = {k.id: usage_days(k, today) for k in keys}
        return p.render("apikeys/account.html", acct=acct, keys=keys, usage=usage, now=p.uow.now)


def _key_values(form: FormData | None) -> dict[str, Any]:
    if form is None:
        return {"name": "", "everything": True, "scopes": [], "expires": "", "rate": "600"}
    return {"name": str(form.get("name", ""))[:120], "everything": form.get("reach") != "some",
            "scopes": strings(form, "scope", 200), "expires": str(form.get("expires", ""))[:10],
            "rate": str(form.get("rate_limit", "600")).strip()[:7]}


def _key_form(p: Page, acct: MemberView, values: dict[str, Any], status: int = 200,
              problems: list[str] | None = None) -> Response:
    return _dialog(p, "key", status, acct=acct, values=values, scopes=SCOPES, problems=problems or [],
                   today=p.uow.now.date().isoformat(), open_features={s.partition(":")[0] for s in values["scopes"]})


@router.get("/o/{org_id}/api-keys/{member_id}/keys/new")
def new_key(request: Request, org_id: OrgId, member_id: Id) -> Response:
    with page(request, org_id, "api-keys") as p:
        return _key_form(p, _account(p, member_id), _key_values(None))


def _key_input(values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The use case's arguments from the form, and what only the form can see is wrong."""
    problems: list[str] = []
    if not values["name"].strip():
        problems.append("Give the key a name that says where it is used, e.g. “Scribe integration”.")
    scopes = ["*:*"] if values["everything"] else values["scopes"]
    if not scopes:
        problems.append("Choose what the key may do, or “everything its account may do”.")
    expires_at = None
    if values["expires"]:
        try:  # the key works to the end of the chosen day (UTC)
            expires_at = datetime.combine(date.fromisoformat(values["expires"]), time.max, tzinfo=UTC)
        except ValueError:
            problems.append("The expiry date is not a date.")
    rate = int(values["rate"]) if values["rate"].isdigit() else 0
    if not 1 <= rate <= 100_000:
        problems.append("The rate limit is a number of requests a minute, from 1 to 100000.")
    return {"name": values["name"], "scopes": scopes, "expires_at": expires_at, "rate_limit_per_minute": rate}, problems


@router.post("/o/{org_id}/api-keys/{member_id}/keys/new")
def create_key(request: Request, org_id: OrgId, member_id: Id, form: Form) -> Response:
    values = _key_values(form)
    arguments, problems = _key_input(values)
    if not problems:
        try:
            with page(request, org_id, "api-keys") as p:
                acct = _account(p, member_id)
                made = accounts.create_key(p.uow, p.actor, member_id=member_id, **arguments)
                return _secret(p, acct, made, created=True)
        except Invalid as exc:
            problems = [exc.detail, *[x for x in exc.problems if x != exc.detail]]
    with page(request, org_id, "api-keys") as p:
        return _key_form(p, _account(p, member_id), values, 422, problems)


def _secret(p: Page, acct: MemberView, key: NewKeyView, *, created: bool, old: KeyView | None = None) -> Response:
    """The new secret, once: it is not stored, so this page cannot be shown again."""
    return _dialog(p, "secret", acct=acct, key=key, created=created, old=old)


def _find_key(p: Page, member_id: str, key_id: str) -> KeyView:
    key = next((k for k in accounts.list_keys(p.uow, p.actor, member_id=member_id) if k.id == key_id), None)
    if key is None:
        raise NotFound(f"API key {key_id} not found")
    return key


@router.get("/o/{org_id}/api-keys/{member_id}/keys/{key_id}/rotate")
def rotate_form(request: Request, org_id: OrgId, member_id: Id, key_id: Id) -> Response:
    with page(request, org_id, "api-keys") as p:
        return _dialog(p, "rotate", acct=_account(p, member_id), key=_find_key(p, member_id, key_id),
                       hours=GRACE_HOURS)


@router.post("/o/{org_id}/api-keys/{member_id}/keys/{key_id}/rotate")
def rotate(request: Request, org_id: OrgId, member_id: Id, key_id: Id, form: Form) -> Response:
    grace = str(form.get("grace_hours", "24"))
    with page(request, org_id, "api-keys") as p:
        acct = _account(p, member_id)
        made = accounts.rotate_key(p.uow, p.actor, member_id=member_id, key_id=key_id,
                                   grace_hours=int(grace) if grace.isdigit() else -1)
        return _secret(p, acct, made, created=False, old=_find_key(p, member_id, key_id))


@router.get("/o/{org_id}/api-keys/{member_id}/keys/{key_id}/revoke")
def revoke_form(request: Request, org_id: OrgId, member_id: Id, key_id: Id) -> Response:
    with page(request, org_id, "api-keys") as p:
        return _dialog(p, "revoke", acct=_account(p, member_id), key=_find_key(p, member_id, key_id))


@router.post("/o/{org_id}/api-keys/{member_id}/keys/{key_id}/revoke")
def revoke(request: Request, org_id: OrgId, member_id: Id, key_id: Id) -> Response:
    with page(request, org_id, "api-keys") as p:
        key = _find_key(p, member_id, key_id)
        accounts.revoke_key(p.uow, p.actor, member_id=member_id, key_id=key_id)
    return done(request, f"/o/{org_id}/api-keys/{member_id}",
                f"The key {key.name} ({key.prefix}) is revoked: it is refused from its next request.")

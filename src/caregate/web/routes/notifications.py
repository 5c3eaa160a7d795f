"""Notifications: the signed-in member's own, opened (and so read), marked read one by one or all at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from caregate.service.clinical import sharing
from caregate.web.edge import WebRoute, done, page, redirect

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Id = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
PAGE_SIZE = 50
# the kinds of object a notification may point at that have a console page, and its button
LINKS = {"sessions": "sessions", "break_glass": "emergency", "access_review": "access-reviews",
         "access_request": "access-requests"}
OPEN = {"sessions": "Open session", "break_glass": "Open emergency access", "access_review": "Open access review",
        "access_request": "Open access request"}


def link(org_id: str, object_type: str | None, object_id: str | None) -> str | None:
    kind = LINKS.get(object_type or "")
    return f"/o/{org_id}/{kind}/{object_id}" if kind and object_id else None


@router.get("/o/{org_id}/notifications")
def notifications(request: Request, org_id: Id,
                  after: Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_]+$")] = None) -> Response:
    with page(request, org_id, "notifications") as p:
        listing = sharing.notifications(p.uow, p.actor, after=after, limit=PAGE_SIZE)
        links = {n.id: link(org_id, n.object_type, n.object_id) for n in listing.items}
        return p.render("notifications.html", listing=listing, links=links, after=after, open_labels=OPEN)


@router.post("/o/{org_id}/notifications/{notification_id}/open")
def open_notification(request: Request, org_id: Id, notification_id: Id) -> Response:
    """Mark it read and go where it points (the session shared, the emergency access to review)."""
    with page(request, org_id, "notifications") as p:
        found = sharing.open_notification(p.uow, p.actor, notification_id=notification_id)
    target = link(org_id, found.object_type, found.object_id)
    if target is None:
        return done(request, f"/o/{org_id}/notifications", "Marked as read; it points at nothing to open here.")
    return redirect(request, target)


@router.post("/o/{org_id}/notifications/{notification_id}/read")
def mark_read(request: Request, org_id: Id, notification_id: Id) -> Response:
    with page(request, org_id, "notifications") as p:
        sharing.mark_read(p.uow, p.actor, notification_id=notification_id)
    return done(request, f"/o/{org_id}/notifications", "Marked as read.")


@router.post("/o/{org_id}/notifications/read")
def mark_all_read(request: Request, org_id: Id) -> Response:
    with page(request, org_id, "notifications") as p:
        count = sharing.mark_read(p.uow, p.actor)
    return done(request, f"/o/{org_id}/notifications",
                f"{count} notification{'' if count == 1 else 's'} marked as read.")

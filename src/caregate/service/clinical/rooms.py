"""Video rooms: one personal room per member (standard seats only), and shared rooms with assigned members
on plans that have them. Joining a room is `rooms:use`."""

from __future__ import annotations

from collections.abc import Sequence

from caregate.engine import Action
from caregate.service import resources
from caregate.service.actors import Actor
from caregate.service.authz import authorize
from caregate.service.clinical import common
from caregate.service.clinical import views as v
from caregate.service.clinical.kinds import Facts, room_view
from caregate.service.clinical.reading import kind as kind_of
from caregate.service.clinical.reading import load
from caregate.service.context import UnitOfWork
from caregate.service.errors import Conflict, Invalid
from caregate.store import records
from caregate.store.clinical import Room
from caregate.store.ids import new_id
from caregate.store.tables import Membership

MAX_MEMBERS = 100


def create(uow: UnitOfWork, actor: Actor, *, kind: str, name: str = "", owner_id: str | None = None,
           member_ids: Sequence[str] = ()) -> v.RoomView:
    """A personal room for a member (default: oneself), or a shared room (the plan must include them)."""
    if kind not in ("personal", "shared"):
        raise Invalid("a room is personal or shared")
    owner = common.member(uow, actor, owner_id or actor.member_id, what="owner") if kind == "personal" else None
    if kind == "shared" and owner_id:
        raise Invalid("a shared room has no owner; assign members to it instead")
    if len(member_ids) > MAX_MEMBERS:
        raise Invalid(f"a room has at most {MAX_MEMBERS} assigned members")
    members = [common.member(uow, actor, m, what="room member").id for m in dict.fromkeys(member_ids)]
    default_name = f"Personal room of {owner.id}" if owner else "Shared room"
    row = Room(id=new_id("room"), org_id=actor.org_id, kind=kind,
               name=common.text(name, limit=120, what="name") or default_name,
               owner_id=owner.id if owner else None, personal_owner=owner.id if owner else None,
               created_by=actor.member_id, created_at=uow.now)
    resource = resources.room(row, members=members)
    if owner is not None:
        resource = common.with_seat(resource, uow, actor.org_id, owner.id)
    decision = authorize(uow, actor, Action.CREATE, resource)
    if owner is not None:
        # one personal room per member: creating theirs runs one at a time (the member's row is locked)
        records.get(uow.session, Membership, org_id=actor.org_id, object_id=owner.id, lock=True)
        if records.personal_room(uow.session, org_id=actor.org_id, member_id=owner.id):
            raise Conflict(f"member {owner.id} already has a personal room")
    uow.session.add(row)
    uow.session.flush()
    for member_id in members:
        records.set_room_member(uow.session, org_id=actor.org_id, room_id=row.id, member_id=member_id, on=True)
    uow.record("rooms.create", org_id=actor.org_id, actor=actor, object_type="rooms", object_id=row.id,
               decision=decision, after={"kind": kind, "owner_id": row.owner_id, "members": members})
    return room_view(row, Facts(members={row.id: set(members)}))


def assign(uow: UnitOfWork, actor: Actor, *, room_id: str, member_id: str, on: bool) -> v.RoomView:
    """Assign a member to a room, or take them off it (`rooms:assign`)."""
    k = kind_of("rooms")
    row, facts = load(uow, actor, k, room_id, lock=True)
    target = common.member(uow, actor, member_id, what="room member",
                           statuses=("active", "invited") if on else ("active", "invited", "disabled", "archived"))
    decision = authorize(uow, actor, Action.ASSIGN, k.resource(row, facts))
    if not records.set_room_member(uow.session, org_id=actor.org_id, room_id=row.id, member_id=target.id, on=on):
        raise Conflict(f"member {target.id} is {'already' if on else 'not'} assigned to this room")
    uow.session.flush()
    uow.record("rooms.assign", org_id=actor.org_id, actor=actor, object_type="rooms", object_id=row.id,
               decision=decision, after={"member_id": target.id, "assigned": on})
    return room_view(row, Facts(members=records.room_members(uow.session, room_ids=[row.id])))


def join(uow: UnitOfWork, actor: Actor, *, room_id: str) -> v.JoinView:
    """Enter a room for a video call: one's own personal room, or a shared room one is assigned to."""
    k = kind_of("rooms")
    row, facts = load(uow, actor, k, room_id)
    decision = authorize(uow, actor, Action.USE, k.resource(row, facts))
    uow.record("rooms.use", org_id=actor.org_id, actor=actor, object_type="rooms", object_id=row.id,
               decision=decision)
    return v.JoinView(room_id=row.id, url=f"{uow.services.settings.public_url.rstrip('/')}/rooms/{row.id}/call")

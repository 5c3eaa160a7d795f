"""Access reviews through the API (the third seed's "scheduled access reviews in which a reviewer certifies
or revokes each member's access"): start, decide, complete, repeat on a schedule, and every refusal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from caregate.service import review_cycle
from caregate.store import repo
from caregate.store.audit import AuditEvent
from caregate.store.clinical import Notification
from caregate.store.reviews import AccessReview, AccessReviewItem

PROBLEM = "application/problem+json"
PASSWORD = "correct horse battery staple"  # the `world` fixture's password


@dataclass
class Clinic:
    """An organisation with an Owner, two Administrators, a Clinician (team and location, an expiring role),
    a Front Desk member and a service account; requests to its /access-reviews as one member or another."""

    client: Any
    org_id: str
    people: dict[str, Any]
    team: str
    location: str
    robot: str  # the service account's member id

    def __getattr__(self, name: str) -> Any:
        try:
            return self.people[name]
        except KeyError:
            raise AttributeError(name) from None

    def url(self, path: str = "") -> str:
        return f"/v1/orgs/{self.org_id}/access-reviews{path}"

    def get(self, who: Any, path: str = "", **params: Any) -> Any:
        return self.client.get(self.url(path), headers=who.headers, params=params)

    def post(self, who: Any, path: str = "", json: Any = None) -> Any:
        return self.client.post(self.url(path), headers=who.headers, json=json if json is not None else {})

    def ok(self, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    def start(self, who: Any | None = None, **body: Any) -> dict[str, Any]:
        return self.ok(self.post(who or self.admin, json={"title": "Quarterly access review", **body}), 201)

    def items(self, review_id: str, who: Any | None = None, **params: Any) -> dict[str, dict[str, Any]]:
        """The review's items by member id."""
        page = self.ok(self.get(who or self.admin, f"/{review_id}/items", **params))
        return {i["member_id"]: i for i in page["items"]}

    def decide(self, who: Any, review_id: str, item_id: str, decision: str, note: str = "") -> Any:
        return self.post(who, f"/{review_id}/items/{item_id}", {"decision": decision, "note": note})


@pytest.fixture
def c(client: Any, world: Any) -> Clinic:
    org_id, owner = world.org("Harbour Clinic")
    team = world.team(org_id, "Team A")
    location = world.location(org_id, "North Clinic", parent=world.location(org_id, "North"))
    people = {"owner": owner, "admin": world.member(org_id, roles=("administrator",)),
              "admin2": world.member(org_id, roles=("administrator",)),
              "clinician": world.member(org_id, roles=("clinician",), teams=(team,), locations=(location,)),
              "front_desk": world.member(org_id, roles=("front_desk",))}
    expires = (datetime(2026, 11, 23, tzinfo=UTC) + timedelta(days=60)).isoformat()
    r = client.put(f"/v1/orgs/{org_id}/members/{people['clinician'].member_id}/roles", headers=owner.headers,
                   json={"roles": ["clinician", {"role": "billing", "team_id": team, "expires_at": expires}]})
    assert r.status_code == 200, r.text
    r = client.post(f"/v1/orgs/{org_id}/service-accounts", headers=owner.headers,
                    json={"name": "Scribe sync", "roles": ["clinician"]})
    assert r.status_code == 201, r.text
    return Clinic(client, org_id, people, team, location, r.json()["id"])


def events(world: Any, action: str) -> list[AuditEvent]:
    with world.services.unit() as uow:
        return list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def count(world: Any, model: Any, *where: Any) -> int:
    with world.services.unit() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def member_status(world: Any, org_id: str, member_id: str) -> str:
    with world.services.unit() as uow:
        return repo.get_member(uow.session, org_id=org_id, member_id=member_id).status  # type: ignore[union-attr]


def test_a_review_from_start_to_complete(c: Clinic, world: Any) -> None:
    review = c.start(due_days=10)
    assert review["status"] == "open" and review["created_by"] == c.admin.member_id
    assert review["counts"] == {"members": 6, "certified": 0, "revoked": 0, "pending": 6}
    assert review["opened_at"] == review["starts_at"] and review["interval_days"] is None
    rid = review["id"]
    assert [r["id"] for r in c.ok(c.get(c.owner))["items"]] == [rid]
    # the snapshot: roles with their limits and expiry, teams and locations by name, service accounts too
    items = c.items(rid)
    assert set(items) == {p.member_id for p in c.people.values()} | {c.robot}
    clinician = items[c.clinician.member_id]
    assert clinician["member"]["email"] == c.clinician.email
    snap = clinician["snapshot"]
    assert {(r["role"], r["team_id"]) for r in snap["roles"]} == {("clinician", None), ("billing", c.team)}
    assert next(r["expires_at"] for r in snap["roles"] if r["role"] == "billing").startswith("2027-01-22")
    assert snap["teams"] == [{"id": c.team, "name": "Team A"}]
    assert snap["locations"] == [{"id": c.location, "name": "North Clinic"}]
    assert items[c.robot]["snapshot"]["kind"] == "service" and snap["kind"] == "person"

    # certify: the access stays (a note is optional)
    certified = c.ok(c.decide(c.admin, rid, clinician["id"], "certify"))
    assert certified["decision"] == "certify" and certified["decided_by"] == c.admin.member_id
    # revoke: the member is disabled, as a manual disable (their sessions end at once)
    front = items[c.front_desk.member_id]
    revoked = c.ok(c.decide(c.admin, rid, front["id"], "revoke", "left the clinic in October"))
    assert revoked["decision"] == "revoke" and revoked["note"] == "left the clinic in October"
    assert member_status(world, c.org_id, c.front_desk.member_id) == "disabled"
    assert c.client.get("/v1/me", headers=c.front_desk.headers).status_code == 401
    login = c.client.post("/v1/auth/login", json={"email": c.front_desk.email, "password": PASSWORD})
    r = c.client.get(f"/v1/orgs/{c.org_id}/members/{c.owner.member_id}",
                     headers={"Authorization": f"Bearer {login.json()['token']}"})
    assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "status:disabled"
    [disabled] = events(world, "members.disable")
    assert disabled.actor_member_id == c.admin.member_id and disabled.object_id == c.front_desk.member_id
    # a decision is made once
    again = c.decide(c.admin2, rid, clinician["id"], "revoke", "second thoughts")
    assert again.status_code == 409 and "already certified" in again.json()["detail"]

    assert c.ok(c.get(c.admin, f"/{rid}"))["counts"] == {"members": 6, "certified": 1, "revoked": 1, "pending": 4}
    assert set(c.items(rid, decision="revoked")) == {c.front_desk.member_id}
    assert set(c.items(rid, decision="pending")) == {c.owner.member_id, c.admin.member_id, c.admin2.member_id,
                                                     c.robot}
    for who, whose in ((c.owner, c.admin), (c.admin, c.owner), (c.admin, c.admin2), (c.admin2, c.robot)):
        c.ok(c.decide(who, rid, items[whose.member_id if hasattr(whose, "member_id") else whose]["id"], "certify"))
    done = c.ok(c.get(c.owner, f"/{rid}"))
    assert done["status"] == "complete" and done["completed_at"] is not None
    assert done["counts"] == {"members": 6, "certified": 5, "revoked": 1, "pending": 0}
    assert c.ok(c.get(c.owner, status="complete"))["total"] == 1 and c.ok(c.get(c.owner, status="open"))["total"] == 0
    late = c.decide(c.owner, rid, items[c.clinician.member_id]["id"], "certify")
    assert late.status_code == 409
    # everything is in the audit trail
    for action in ("start", "open", "complete", "revoke"):
        assert len(events(world, f"access_review.{action}")) == 1, action
    assert len(events(world, "access_review.certify")) == 5
    [revoke] = events(world, "access_review.revoke")
    assert revoke.object_id == c.front_desk.member_id and revoke.detail["note"] == "left the clinic in October"
    assert any(r["code"] == "role:administrator" for r in revoke.reasons)
    assert count(world, AccessReview) == 1  # a review that does not repeat schedules nothing


def test_nobody_decides_their_own_access(c: Clinic, world: Any) -> None:
    rid = c.start()["id"]
    items = c.items(rid)
    for who in (c.admin, c.owner):
        r = c.decide(who, rid, items[who.member_id]["id"], "certify")
        assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
        assert r.json()["reasons"][0]["code"] == "forbid:own-access-review"
        assert "nobody reviews their own access" in r.json()["detail"]
    assert c.ok(c.get(c.admin, f"/{rid}"))["counts"]["pending"] == 6


def test_revoking_goes_through_the_disable_rules(c: Clinic, world: Any, client: Any) -> None:
    rid = c.start()["id"]
    items = c.items(rid)
    # an Administrator cannot revoke an Owner: the disable's own refusal, and nothing is written
    r = c.decide(c.admin, rid, items[c.owner.member_id]["id"], "revoke", "no longer works here")
    assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "forbid:outranked"
    assert "you cannot demote, disable or remove an Owner" in r.json()["detail"]
    assert c.items(rid)[c.owner.member_id]["decision"] is None
    assert member_status(world, c.org_id, c.owner.member_id) == "active"
    assert not events(world, "access_review.revoke")
    [refused] = events(world, "members.disable")  # the refusal is audited, as a manual one would be
    assert refused.outcome == "denied" and refused.actor_member_id == c.admin.member_id
    # certifying an Owner is a reviewer's to do
    c.ok(c.decide(c.admin, rid, items[c.owner.member_id]["id"], "certify"))

    # the last active Owner cannot be revoked, even by a reviewer of the Owner's rank
    r = client.post(f"/v1/orgs/{c.org_id}/roles", headers=c.owner.headers, json={
        "name": "Compliance Officer", "parent": "administrator", "rank": 100,
        "permissions": {"members": {"review": "org", "disable": "org"}}})
    assert r.status_code == 201, r.text
    officer = world.member(c.org_id, roles=(r.json()["key"],))
    rid = c.start(c.owner, title="Second review")["id"]
    items = c.items(rid)
    r = c.decide(officer, rid, items[c.owner.member_id]["id"], "revoke", "testing the rule")
    assert r.status_code == 403 and r.json()["reasons"][0]["code"] == "forbid:last-owner"
    assert "at least one active Owner" in r.json()["detail"]
    assert c.items(rid)[c.owner.member_id]["decision"] is None
    assert member_status(world, c.org_id, c.owner.member_id) == "active"
    # and a member disabled meanwhile is refused as a manual disable would be
    c.ok(c.client.post(f"/v1/orgs/{c.org_id}/members/{c.front_desk.member_id}/disable", headers=c.owner.headers))
    r = c.decide(officer, rid, items[c.front_desk.member_id]["id"], "revoke", "gone")
    assert r.status_code == 409 and "cannot disable a member who is disabled" in r.json()["detail"]


def test_only_reviewers_start_list_read_and_decide(c: Clinic, world: Any) -> None:
    rid = c.start()["id"]
    item = c.items(rid)[c.robot]["id"]
    manager = world.member(c.org_id, roles=("manager",))
    for who in (c.clinician, manager, c.front_desk):
        for r in (c.post(who, json={"title": "Mine"}), c.get(who), c.get(who, f"/{rid}"), c.get(who, f"/{rid}/items"),
                  c.decide(who, rid, item, "certify"), c.post(who, f"/{rid}/cancel")):
            assert r.status_code == 403, r.text
            assert r.headers["content-type"] == PROBLEM and r.json()["reasons"][0]["code"] == "default-deny"
    assert count(world, AccessReview) == 1


def test_reviewers_are_told_in_the_app_and_by_email(c: Clinic, world: Any) -> None:
    review = c.start()
    with world.services.unit() as uow:
        told = set(uow.session.scalars(select(Notification.membership_id).where(Notification.kind == "access_review")))
        mails = [m for m in repo.outbox(uow.session, to_address=c.owner.email) if m.kind == "access_review"]
    assert told == {c.owner.member_id, c.admin2.member_id}  # the reviewers; not the one who started it
    assert len(mails) == 1 and f"/o/{c.org_id}/access-reviews/{review['id']}" in mails[0].body
    assert "Quarterly access review" in mails[0].subject


def test_a_repeating_review_schedules_the_next_which_opens_when_its_time_comes(
        c: Clinic, world: Any, clock: Any) -> None:
    first = c.start(due_days=7, interval_days=30)
    assert first["interval_days"] == 30
    # past its due date, not complete: overdue, and the next is scheduled 30 days after the first started
    clock.advance(timedelta(days=8))
    c.people["admin"] = world.relogin(c.admin)
    assert c.ok(c.get(c.admin, f"/{first['id']}"))["status"] == "overdue"
    [overdue] = c.ok(c.get(c.admin, status="overdue"))["items"]
    assert overdue["id"] == first["id"] and c.ok(c.get(c.admin, status="open"))["total"] == 0
    [nxt] = c.ok(c.get(c.admin, status="scheduled"))["items"]
    starts = datetime.fromisoformat(first["starts_at"]) + timedelta(days=30)
    assert datetime.fromisoformat(nxt["starts_at"]) == starts and nxt["previous_id"] == first["id"]
    assert datetime.fromisoformat(nxt["due_at"]) == starts + timedelta(days=7)
    assert nxt["opened_at"] is None and nxt["counts"]["members"] == 0
    assert c.ok(c.get(c.admin, f"/{nxt['id']}/items"))["total"] == 0
    # the clock passes its start: the next list opens it (snapshot taken, reviewers told)
    clock.advance(timedelta(days=22))
    c.people["owner"] = world.relogin(c.owner)
    opened = c.ok(c.get(c.owner, f"/{nxt['id']}"))
    assert opened["status"] == "open" and opened["counts"]["pending"] == 6
    [event] = events(world, "access_review.open")[1:]
    assert event.object_id == nxt["id"] and event.actor_member_id is None and not event.reasons
    with world.services.unit() as uow:
        told = list(uow.session.scalars(select(Notification.membership_id).where(
            Notification.kind == "access_review", Notification.object_id == nxt["id"])))
    assert sorted(told) == sorted([c.owner.member_id, c.admin.member_id, c.admin2.member_id])
    assert c.ok(c.get(c.owner))["total"] == 2  # the third comes when the second completes or is overdue


def test_completing_a_repeating_review_schedules_the_next_and_the_command_opens_it(
        c: Clinic, world: Any, clock: Any, services: Any) -> None:
    review = c.start(c.owner, due_days=14, interval_days=90)
    items = c.items(review["id"])
    for member_id, item in items.items():
        who = c.admin if member_id == c.owner.member_id else c.owner
        c.ok(c.decide(who, review["id"], item["id"], "certify"))
    [nxt] = c.ok(c.get(c.owner, status="scheduled"))["items"]
    assert datetime.fromisoformat(nxt["starts_at"]) == datetime.fromisoformat(review["starts_at"]) + timedelta(days=90)
    assert review_cycle.open_due(services) == {}  # nothing due yet
    clock.advance(timedelta(days=90))
    done = review_cycle.open_due(services)  # what `caregate access-reviews open-due` runs
    assert done[c.org_id]["opened"] == 1
    with services.unit() as uow:
        row = uow.session.get(AccessReview, nxt["id"])
        assert row.opened_at == clock.now()
    assert count(world, AccessReviewItem, AccessReviewItem.review_id == nxt["id"]) == 6
    assert review_cycle.open_due(services) == {}


def test_cancel_stops_a_review_and_its_repetition(c: Clinic, world: Any, clock: Any) -> None:
    review = c.start(due_days=7, interval_days=30)
    rid = review["id"]
    item = c.items(rid)[c.front_desk.member_id]["id"]
    cancelled = c.ok(c.post(c.owner, f"/{rid}/cancel"))
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_by"] == c.owner.member_id
    assert c.decide(c.admin, rid, item, "certify").status_code == 409
    assert c.post(c.owner, f"/{rid}/cancel").status_code == 409
    clock.advance(timedelta(days=40))
    c.people["admin"] = world.relogin(c.admin)
    assert c.ok(c.get(c.admin))["total"] == 1  # nothing scheduled after a cancelled review
    # cancelling an overdue review also stops the next one already scheduled
    second = c.start(due_days=7, interval_days=30)
    clock.advance(timedelta(days=8))
    c.people["admin"] = world.relogin(c.admin)
    [scheduled] = c.ok(c.get(c.admin, status="scheduled"))["items"]
    c.ok(c.post(c.admin, f"/{second['id']}/cancel"))
    assert c.ok(c.get(c.admin, f"/{scheduled['id']}"))["status"] == "cancelled"
    assert len(events(world, "access_review.cancel")) == 3


def test_bad_input_is_refused_with_a_reason_and_writes_nothing(c: Clinic, world: Any) -> None:
    rid = c.start()["id"]
    item = c.items(rid)[c.front_desk.member_id]["id"]
    before = count(world, AuditEvent)
    starts = [({"title": "x" * 201}, "title"), ({"title": "Q", "due_days": 0}, "due_days"),
              ({"title": "Q", "due_days": 91}, "due_days"), ({"title": "Q", "interval_days": 3}, "interval_days"),
              ({"title": "Q", "due_days": 30, "interval_days": 14}, "at least due_days"),
              ({"title": "   "}, "title"), ({"title": "Q", "extra": 1}, "extra"), ({}, "title")]
    for body, words in starts:
        r = c.post(c.admin, json=body)
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, (body, r.text)
        assert words in r.text, (body, r.text)
    decisions = [({"decision": "maybe"}, "decision"), ({"decision": "revoke"}, "note"),
                 ({"decision": "revoke", "note": "   "}, "note"), ({"decision": "certify", "note": "x" * 1001}, "note"),
                 ({"decision": "certify", "extra": True}, "extra")]
    for body, words in decisions:
        r = c.post(c.admin, f"/{rid}/items/{item}", body)
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, (body, r.text)
        assert words in r.text, (body, r.text)
    for params in ({"status": "lost"}, {"limit": 0}, {"after": "x;drop"}):
        assert c.get(c.admin, **params).status_code == 422, params
    assert c.get(c.admin, f"/{rid}/items", decision="maybe").status_code == 422
    assert c.client.post(c.url(), headers={**c.admin.headers, "content-type": "application/json"},
                         content=b"{not json").status_code == 400
    assert count(world, AccessReview) == 1
    assert count(world, AccessReviewItem, AccessReviewItem.decision.is_not(None)) == 0
    assert member_status(world, c.org_id, c.front_desk.member_id) == "active"
    # refusals are audited as denials only; no change was recorded
    assert not [e for e in _events_after(world, before) if e.outcome == "allowed" and e.action != "access_review.items"]


def _events_after(world: Any, seq: int) -> list[AuditEvent]:
    with world.services.unit() as uow:
        rows = list(uow.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    return rows[seq:]


def test_nothing_crosses_organisations(c: Clinic, world: Any) -> None:
    rid = c.start()["id"]
    item = c.items(rid)[c.front_desk.member_id]["id"]
    other_org, other_owner = world.org("Elsewhere")
    elsewhere = f"/v1/orgs/{other_org}/access-reviews"
    h = other_owner.headers
    assert c.client.get(f"{elsewhere}/{rid}", headers=h).status_code == 404
    assert c.client.get(f"{elsewhere}/{rid}/items", headers=h).status_code == 404
    r = c.client.post(f"{elsewhere}/{rid}/items/{item}", headers=h, json={"decision": "revoke", "note": "x"})
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert c.client.post(f"{elsewhere}/{rid}/cancel", headers=h).status_code == 404
    assert c.client.get(elsewhere, headers=h).json()["total"] == 0
    assert c.get(other_owner).status_code == 404  # not a member of this organisation
    other = c.client.post(elsewhere, headers=h, json={"title": "Theirs"}).json()
    assert c.get(c.admin, f"/{other['id']}").status_code == 404
    assert c.post(c.admin, f"/{rid}/items/{other['id']}", {"decision": "certify"}).status_code == 404
    assert other["counts"]["members"] == 1  # their own Owner only
    assert member_status(world, c.org_id, c.front_desk.member_id) == "active"


def test_a_member_deleted_during_a_review_leaves_it(c: Clinic, world: Any) -> None:
    rid = c.start(c.owner)["id"]
    items = c.items(rid)
    for member_id, item in items.items():
        if member_id not in (c.clinician.member_id, c.owner.member_id):
            c.ok(c.decide(c.owner, rid, item["id"], "certify"))
    c.ok(c.decide(c.admin, rid, items[c.owner.member_id]["id"], "certify"))
    assert c.ok(c.get(c.owner, f"/{rid}"))["counts"]["pending"] == 1
    r = c.client.delete(f"/v1/orgs/{c.org_id}/members/{c.clinician.member_id}", headers=c.owner.headers)
    assert r.status_code == 204, r.text
    done = c.ok(c.get(c.owner, f"/{rid}"))
    assert done["status"] == "complete" and done["counts"] == {"members": 5, "certified": 5, "revoked": 0,
                                                               "pending": 0}
    [event] = events(world, "access_review.complete")
    assert event.actor_member_id is None

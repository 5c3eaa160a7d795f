"""Access reviews (certification campaigns): reviewers certify or revoke each member's access.

Starting, listing and reading reviews needs `members:review` on the organisation (Owners and
Administrators); deciding an item needs `members:review` on the item's member, which the engine never
allows on one's own (the `forbid:own-access-review` forbid: separation of duties). A revoke disables the
member through `members.set_status`, so the rank and last-Owner rules, the audit event and the end of
the member's sessions are exactly those of a manual disable; if it refuses, the refusal is the answer
and nothing is written. When every item is decided the review is complete; see `review_cycle` for how
reviews open, repeat and are told to the reviewers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from caregate.engine import Action, Decision, Feature
from caregate.service import members, resources
from caregate.service import review_cycle as cycle
from caregate.service.actors import Actor, org_roles
from caregate.service.authz import authorize, check
from caregate.service.clinical import common
from caregate.service.clinical.overview import people
from caregate.service.context import UnitOfWork
from caregate.service.errors import Conflict, Invalid, NotFound
from caregate.service.review_views import AccessReviewItemView, AccessReviewView, AccessSnapshot, ReviewCounts
from caregate.service.views import Page
from caregate.store import repo, reviews_repo
from caregate.store.ids import new_id
from caregate.store.reviews import AccessReview, AccessReviewItem

DECISIONS = ("certify", "revoke")
ITEM_FILTERS = tuple(reviews_repo.DECISIONS)  # pending, certified, revoked
STATUSES = reviews_repo.STATUSES
DUE_DAYS = (1, 90)
INTERVAL_DAYS = (7, 365)
MAX_PAGE = 200
PAST = {"certify": "certified", "revoke": "revoked"}


def _authorize(uow: UnitOfWork, actor: Actor) -> Decision:
    return authorize(uow, actor, Action.REVIEW, resources.org_object(Feature.MEMBERS, actor.org_id))


def _load(uow: UnitOfWork, actor: Actor, review_id: str) -> AccessReview:
    return common.found(uow, actor, AccessReview, review_id, what="access review")


def _views(uow: UnitOfWork, rows: Sequence[AccessReview]) -> list[AccessReviewView]:
    counted = reviews_repo.counts(uow.session, review_ids=[r.id for r in rows])
    out = []
    for r in rows:
        by = counted.get(r.id, {})
        counts = ReviewCounts(members=sum(by.values()), certified=by.get("certify", 0), revoked=by.get("revoke", 0),
                              pending=by.get(None, 0))
        out.append(AccessReviewView(
            id=r.id, title=r.title, status=reviews_repo.status_of(r, uow.now), created_by=r.created_by,
            created_at=r.created_at, starts_at=r.starts_at, opened_at=r.opened_at, due_at=r.due_at,
            completed_at=r.completed_at, cancelled_at=r.cancelled_at, cancelled_by=r.cancelled_by,
            interval_days=r.interval_days, previous_id=r.previous_id, counts=counts))
    return out


def _item_views(uow: UnitOfWork, actor: Actor, rows: Sequence[AccessReviewItem]) -> list[AccessReviewItemView]:
    who = people(uow, actor, {r.membership_id for r in rows})  # names only of members the reader may read
    return [AccessReviewItemView(
        id=r.id, review_id=r.review_id, member_id=r.membership_id, member=who.get(r.membership_id),
        snapshot=AccessSnapshot.model_validate(r.snapshot), decision=r.decision,
        decided_by=r.decided_by, decided_at=r.decided_at, note=r.note or "") for r in rows]


def _page_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit is between 1 and {MAX_PAGE}")


# --- reviews -------------------------------------------------------------------------------------

def start(uow: UnitOfWork, actor: Actor, *, title: str, due_days: int = 14,
          interval_days: int | None = None) -> AccessReviewView:
    """Open a review now: snapshot every active member's access, due in `due_days`, repeating if asked."""
    decision = _authorize(uow, actor)
    text = common.text(title, limit=200, what="title", required=True)
    if not DUE_DAYS[0] <= due_days <= DUE_DAYS[1]:
        raise Invalid(f"due_days is between {DUE_DAYS[0]} and {DUE_DAYS[1]}: the days reviewers have to decide")
    if interval_days is not None and not INTERVAL_DAYS[0] <= interval_days <= INTERVAL_DAYS[1]:
        raise Invalid(f"interval_days is between {INTERVAL_DAYS[0]} and {INTERVAL_DAYS[1]} (e.g. 90 for "
                      "quarterly), or null for a review that does not repeat")
    if interval_days is not None and interval_days < due_days:
        raise Invalid(f"interval_days ({interval_days}) must be at least due_days ({due_days}): each review is "
                      "due before the next one starts")
    org = repo.get_org(uow.session, org_id=actor.org_id, lock=True)
    if org is None:
        raise NotFound("organisation not found")
    review = AccessReview(id=new_id("arv"), org_id=org.id, title=text, created_by=actor.member_id,
                          created_at=uow.now, starts_at=uow.now, due_at=uow.now + timedelta(days=due_days),
                          interval_days=interval_days)
    uow.session.add(review)
    uow.session.flush()
    cycle.record(uow, review, "start", actor=actor, decision=decision,
                 after={"title": text, "due_at": review.due_at.isoformat(), "interval_days": interval_days})
    cycle.open_review(uow, org, review, actor=actor, decision=decision)
    return _views(uow, [review])[0]


def page(uow: UnitOfWork, actor: Actor, *, status: str | None = None, after: str | None = None,
         limit: int = 50) -> Page[AccessReviewView]:
    """The organisation's reviews, newest first (opening those whose start has come)."""
    decision = _authorize(uow, actor)
    if status is not None and status not in STATUSES:
        raise Invalid(f"status is one of {', '.join(STATUSES)}")
    _page_limit(limit)
    cycle.catch_up(uow, actor.org_id)
    rows, total = reviews_repo.page_of_reviews(uow.session, org_id=actor.org_id, status=status, now=uow.now,
                                               before_id=after, limit=limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    uow.record("access_review.list", org_id=actor.org_id, actor=actor, decision=decision, object_type=cycle.EVENT,
               detail={"returned": [r.id for r in rows], "total": total, "status": status})
    return Page[AccessReviewView](items=_views(uow, rows), total=total,
                                  next_cursor=rows[-1].id if more and rows else None)


def get(uow: UnitOfWork, actor: Actor, *, review_id: str) -> AccessReviewView:
    """One review with its counts (opening it first if its start has come)."""
    decision = _authorize(uow, actor)
    cycle.catch_up(uow, actor.org_id)
    review = _load(uow, actor, review_id)
    cycle.record(uow, review, "read", actor=actor, decision=decision)
    return _views(uow, [review])[0]


def cancel(uow: UnitOfWork, actor: Actor, *, review_id: str) -> AccessReviewView:
    """Stop a scheduled or open review, and its repetition (a next review already scheduled is stopped too)."""
    decision = _authorize(uow, actor)
    repo.get_org(uow.session, org_id=actor.org_id, lock=True)
    review = _load(uow, actor, review_id)
    state = reviews_repo.status_of(review, uow.now)
    if state in ("complete", "cancelled"):
        raise Conflict(f"this access review is already {state}; to stop its repetition, cancel the next one "
                       "(it is listed as scheduled)")
    stopped = [review]
    following = reviews_repo.successor(uow.session, review_id=review.id)
    if following is not None and reviews_repo.status_of(following, uow.now) == "scheduled":
        stopped.append(following)
    for each in stopped:
        each.cancelled_at, each.cancelled_by = uow.now, actor.member_id
        cycle.record(uow, each, "cancel", actor=actor, decision=decision, before={"status": state},
                     after={"cancelled_at": uow.now.isoformat()})
    return _views(uow, [review])[0]


# --- items ---------------------------------------------------------------------------------------

def items(uow: UnitOfWork, actor: Actor, *, review_id: str, decision: str | None = None, after: str | None = None,
          limit: int = 50) -> Page[AccessReviewItemView]:
    """A review's members in snapshot order; with `decision`, only those pending, certified or revoked."""
    allowed = _authorize(uow, actor)
    if decision is not None and decision not in ITEM_FILTERS:
        raise Invalid(f"decision is one of {', '.join(ITEM_FILTERS)}")
    _page_limit(limit)
    review = _load(uow, actor, review_id)
    rows, total = reviews_repo.page_of_items(uow.session, review_id=review.id, decision=decision, after=after,
                                             limit=limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    cycle.record(uow, review, "items", actor=actor, decision=allowed,
                 detail={"returned": [r.membership_id for r in rows], "total": total, "decision": decision})
    return Page[AccessReviewItemView](items=_item_views(uow, actor, rows), total=total,
                                      next_cursor=rows[-1].id if more and rows else None)


def decide(uow: UnitOfWork, actor: Actor, *, review_id: str, item_id: str, decision: str,
           note: str = "") -> AccessReviewItemView:
    """Certify a member's access (it stays) or revoke it (the member is disabled); never one's own."""
    repo.get_org(uow.session, org_id=actor.org_id, lock=True)  # first, as `members.set_status` locks it too
    review = _load(uow, actor, review_id)
    item = reviews_repo.get_item(uow.session, org_id=actor.org_id, review_id=review.id, item_id=item_id)
    if item is None:
        raise NotFound(f"item {item_id} not found in access review {review.id}")
    _, member, _, roles = members.load_target(uow, actor, item.membership_id)
    allowed = authorize(uow, actor, Action.REVIEW, members.target_resource(uow, member, roles))
    if decision not in DECISIONS:
        raise Invalid(f"decision is one of {', '.join(DECISIONS)}")
    text = common.text(note, limit=1000, what="note")
    if decision == "revoke" and not text:
        raise Invalid("say why in a note: revoking a member's access needs one (it goes into the audit trail)")
    state = reviews_repo.status_of(review, uow.now)
    if state not in ("open", "overdue"):
        raise Conflict(f"this access review is {state}; members are decided only while it is open")
    if item.decision is not None:
        raise Conflict(f"this member's access was already {PAST[item.decision]} in this review "
                       f"on {item.decided_at:%Y-%m-%d %H:%M} UTC")
    if decision == "revoke":
        members.set_status(uow, actor, member_id=member.id, change="disable")  # its refusal is the answer
    item.decision, item.decided_by, item.decided_at, item.note = decision, actor.member_id, uow.now, text
    uow.record(f"access_review.{decision}", org_id=actor.org_id, actor=actor, decision=allowed,
               object_type="members", object_id=member.id,
               detail={"review_id": review.id, "item_id": item.id, "note": text})
    uow.session.flush()
    if reviews_repo.pending(uow.session, review_id=review.id) == 0:
        cycle.complete(uow, review, actor=actor, decision=allowed)
    return _item_views(uow, actor, [item])[0]


def decidable(uow: UnitOfWork, actor: Actor, views: Sequence[AccessReviewItemView]) -> set[str]:
    """The items whose member the engine lets the actor decide (never their own): for the console's buttons."""
    ids = [v.member_id for v in views]
    found = {m.id: m for m in (repo.get_member(uow.session, org_id=actor.org_id, member_id=i) for i in ids) if m}
    roles = org_roles(uow, actor.org_id)
    s = uow.session
    held, teams, places = repo.roles_of(s, member_ids=ids), repo.teams_of(s, member_ids=ids), \
        repo.locations_of(s, member_ids=ids)
    out = set()
    for v in views:
        m = found.get(v.member_id)
        if m is not None and check(uow, actor, Action.REVIEW, resources.member(
                m, teams=teams[m.id], locations=places[m.id], role_keys=[r.role_key for r in held[m.id]],
                roles=roles)).allowed:
            out.add(v.id)
    return out


__all__ = ["DECISIONS", "ITEM_FILTERS", "STATUSES", "cancel", "decidable", "decide", "get", "items", "page", "start"]

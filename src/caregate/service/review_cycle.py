"""The life of an access review: it opens (a snapshot of every active member), it completes, it repeats.

A review opens when its start time has come: at once when someone starts it, or, for the next one of a
repeating review, the first time anyone lists or reads the organisation's reviews after its start (or
when `caregate access-reviews open-due` runs from cron). Opening takes the snapshot and tells the
reviewers, the members the engine allows `members:review`, in the app and by email.

A repeating review is followed by the next one when it completes or when its due date passes, whichever
comes first: the next starts `interval_days` after it started, with as many days to complete it.
Everything a schedule does is recorded with no actor: no member decided it.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from caregate.engine import Action, Decision, Feature
from caregate.service import members, resources
from caregate.service.actors import Actor, org_roles
from caregate.service.audience import members_allowed
from caregate.service.clinical import common
from caregate.service.context import Services, UnitOfWork
from caregate.store import repo, reviews_repo
from caregate.store.ids import new_id
from caregate.store.reviews import AccessReview, AccessReviewItem
from caregate.store.tables import Organisation

MAX_ROUNDS = 60  # a repeating review left alone for years catches up this many steps at a time
EVENT = "access_review"  # the object type of the events and notifications about a review


def record(uow: UnitOfWork, review: AccessReview, action: str, *, actor: Actor | None,
           decision: Decision | None, **fields: Any) -> None:
    """An `access_review.*` event: by a member (with the decision that let them), or by the schedule."""
    if actor is None:
        uow.allowed(None)  # no role decided what the schedule does; no reader's reasons go into its event
    uow.record(f"access_review.{action}", org_id=review.org_id, actor=actor, decision=decision,
               object_type=EVENT, object_id=review.id, **fields)


def _snapshot(uow: UnitOfWork, org: Organisation, review_id: str) -> list[AccessReviewItem]:
    """One pending item per active member (people and service accounts) with their access at this moment."""
    s = uow.session
    team_names = {t.id: t.name for t in repo.teams(s, org_id=org.id)}
    place_names = {loc.id: loc.name for loc in repo.locations(s, org_id=org.id)}
    views = members.member_views(uow, org, repo.active_members(s, org_id=org.id), org_roles(uow, org.id))
    ids = sorted(new_id("ari") for _ in views)  # in member order: items are listed (and paged) by id
    return [AccessReviewItem(
        id=item_id, org_id=org.id, review_id=review_id, membership_id=m.id, note="",
        snapshot={"kind": m.kind, "status": m.status, "roles": [r.model_dump(mode="json") for r in m.roles],
                  "teams": [{"id": t, "name": team_names.get(t, "")} for t in m.team_ids],
                  "locations": [{"id": p, "name": place_names.get(p, "")} for p in m.location_ids]})
        for item_id, m in zip(ids, views, strict=True)]


def open_review(uow: UnitOfWork, org: Organisation, review: AccessReview, *, actor: Actor | None,
                decision: Decision | None) -> None:
    """Take the snapshot and tell the reviewers (not the member who started it: they know)."""
    items = _snapshot(uow, org, review.id)
    uow.session.add_all(items)
    review.opened_at = uow.now
    uow.session.flush()
    record(uow, review, "open", actor=actor, decision=decision, detail={"members": len(items)},
           after={"opened_at": uow.now.isoformat(), "due_at": review.due_at.isoformat()})
    _tell_the_reviewers(uow, review, actor=actor)
    if not items:
        complete(uow, review, actor=actor, decision=decision)


def _tell_the_reviewers(uow: UnitOfWork, review: AccessReview, *, actor: Actor | None) -> None:
    reviewers = members_allowed(uow, review.org_id, Action.REVIEW,
                                resources.org_object(Feature.MEMBERS, review.org_id))
    for member, _ in reviewers:
        if actor is not None and member.id == actor.member_id:
            continue
        common.tell(uow, member, org_id=review.org_id, by=actor.member_id if actor else None, kind=EVENT,
                    title=f"Access review: {review.title}",
                    body=f"The access review “{review.title}” is open: certify or revoke each member's access by "
                         f"{review.due_at:%Y-%m-%d %H:%M} UTC. Nobody decides their own.",
                    object_type=EVENT, object_id=review.id, link=f"/o/{review.org_id}/access-reviews/{review.id}")


def complete(uow: UnitOfWork, review: AccessReview, *, actor: Actor | None, decision: Decision | None) -> None:
    review.completed_at = uow.now
    record(uow, review, "complete", actor=actor, decision=decision,
           after={"completed_at": uow.now.isoformat(), "overdue": uow.now >= review.due_at})
    schedule_next(uow, review)


def schedule_next(uow: UnitOfWork, review: AccessReview) -> AccessReview | None:
    """The next review of a repeating one, `interval_days` after it started (once; never after a cancel)."""
    if review.interval_days is None or review.cancelled_at is not None \
            or reviews_repo.successor(uow.session, review_id=review.id) is not None:
        return None
    starts = review.starts_at + timedelta(days=review.interval_days)
    after = AccessReview(id=new_id("arv"), org_id=review.org_id, title=review.title, created_by=review.created_by,
                         created_at=uow.now, starts_at=starts, due_at=starts + (review.due_at - review.starts_at),
                         interval_days=review.interval_days, previous_id=review.id)
    uow.session.add(after)
    uow.session.flush()
    record(uow, after, "schedule", actor=None, decision=None,
           after={"starts_at": starts.isoformat(), "due_at": after.due_at.isoformat(), "previous_id": review.id})
    return after


def catch_up(uow: UnitOfWork, org_id: str) -> Counter[str]:
    """Do what the schedule owes an organisation now: complete, follow and open reviews; count each."""
    done: Counter[str] = Counter()
    for _ in range(MAX_ROUNDS):
        to_open, to_follow, to_complete = reviews_repo.due(uow.session, org_id=org_id, now=uow.now)
        if not (to_open or to_follow or to_complete):
            break
        org = repo.get_org(uow.session, org_id=org_id, lock=True)  # one catching up at a time; then look again
        to_open, to_follow, to_complete = reviews_repo.due(uow.session, org_id=org_id, now=uow.now)
        if org is None or not (to_open or to_follow or to_complete):
            break
        for review in to_complete:
            complete(uow, review, actor=None, decision=None)
        done.update(scheduled=sum(schedule_next(uow, review) is not None for review in to_follow))
        for review in to_open:
            open_review(uow, org, review, actor=None, decision=None)
        done.update(completed=len(to_complete), opened=len(to_open))
    return done


def open_due(services: Services) -> dict[str, Counter[str]]:
    """Catch up every organisation that has a review due, each in a transaction of its own (for cron)."""
    with services.unit(write=False) as uow:
        org_ids = reviews_repo.orgs_with_due(uow.session, now=uow.now)
    done = {}
    for org_id in org_ids:
        with services.unit() as uow:
            done[org_id] = catch_up(uow, org_id)
    return done
